"""The REST plumbing: route registration, auth, body parsing, errors, rate limits."""

from __future__ import annotations

import json
import logging
import re
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..errors import DiscordAPIError, unauthorized
from ..ratelimit import RateLimiter
from .bodies import JSON_BODY_LIMIT, UploadedFile, read_body

if TYPE_CHECKING:
    from ..state import Application, SandboxState

log = logging.getLogger("zoryx.sandbox.rest")

Handler = Callable[["Ctx"], Awaitable[Any]]
Guard = Callable[["Ctx"], object]
_MAJOR = ("channel_id", "guild_id", "webhook_id", "interaction_id")
_VERSION_PREFIX = re.compile(r"^/api(?:/v\d+)?")


@dataclass
class Ctx:
    """What a route handler receives."""

    request: web.Request
    state: SandboxState
    app: Application | None
    params: dict[str, str]
    body: Any = None
    files: list[UploadedFile] = field(default_factory=list)

    @property
    def bot_id(self) -> int:
        if self.app is None:
            raise unauthorized()
        return self.app.bot_id

    def id(self, name: str) -> int:
        """An integer path parameter (a malformed snowflake answers 404 like Discord)."""
        value = self.params[name]
        if not (value.isascii() and value.isdigit()):  # not "²": isdigit() but no int()
            raise DiscordAPIError(404, 0, "404: Not Found")
        return int(value)

    @property
    def query(self) -> Any:
        return self.request.query

    def json(self) -> dict[str, Any]:
        return self.body if isinstance(self.body, dict) else {}


class NoContent:
    """Marker for a 204 response."""


NO_CONTENT = NoContent()


@dataclass
class RestFaults:
    """Injected failures: the next ``count`` matching requests answer ``status``."""

    rules: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        status: int,
        count: int,
        path_contains: str = "",
        retry_after: float = 0.05,
        is_global: bool = False,
    ) -> None:
        self.rules.append(
            {
                "status": status,
                "count": count,
                "path": path_contains,
                "retry_after": retry_after,
                "global": is_global,
            }
        )

    def take(self, path: str) -> dict[str, Any] | None:
        for rule in self.rules:
            if rule["count"] > 0 and rule["path"] in path:
                rule["count"] -= 1
                if rule["count"] == 0:
                    self.rules.remove(rule)
                return rule
        return None


@dataclass(frozen=True)
class Route:
    """One registered REST route.

    ``guard`` runs before the body is read (a route that needs no bot token checks its
    webhook or interaction token there, so nobody can make the sandbox read a body first);
    ``body_limit`` caps a JSON body (multipart uploads get Discord's upload limit).
    """

    method: str
    path: str
    fn: Handler
    auth: bool
    limit: tuple[int, float]
    guard: Guard | None = None
    body_limit: int = JSON_BODY_LIMIT


class RestAPI:
    """Registers sandbox REST routes on an aiohttp application under ``/api/v10``."""

    def __init__(self, state: SandboxState, limiter: RateLimiter | None = None) -> None:
        self.state = state
        self.limiter = limiter or RateLimiter()
        self.faults = RestFaults()
        self.unemulated: deque[str] = deque(maxlen=200)
        self.requests = 0
        self._routes: list[Route] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        auth: bool = True,
        limit: tuple[int, float] = (50, 1.0),
        guard: Guard | None = None,
        body_limit: int = JSON_BODY_LIMIT,
    ) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            self._routes.append(Route(method, path, fn, auth, limit, guard, body_limit))
            return fn

        return deco

    @property
    def routes(self) -> list[tuple[str, str]]:
        """Every registered ``(method, path)``, in the order they are matched."""
        return [(r.method, r.path) for r in self._ordered()]

    def _ordered(self) -> list[Route]:
        # aiohttp tries routes in registration order, so a parametrised segment registered
        # first would swallow a literal one (``messages/{message_id}`` answering for
        # ``messages/pins``). Literal segments go first, whatever order modules register in.
        return sorted(self._routes, key=lambda r: (route_shape(r.path), r.path))

    def install(self, app: web.Application) -> None:
        for version in ("v10", "v9"):
            for route in self._ordered():
                app.router.add_route(route.method, f"/api/{version}{route.path}", self._wrap(route))
        app.router.add_route("*", "/api/{tail:.*}", self._unemulated)

    async def _unemulated(self, request: web.Request) -> web.StreamResponse:
        line = f"{request.method} {request.path}"
        self.unemulated.append(line)
        log.warning("sandbox does not emulate %s", line)
        return json_response({"code": 0, "message": f"The sandbox does not emulate {line}"}, 501)

    def _wrap(self, route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        route_key = f"{route.method} {route.path}"
        auth, limit, fn = route.auth, route.limit, route.fn

        async def handler(request: web.Request) -> web.StreamResponse:
            self.requests += 1
            app = None
            header = request.headers.get("Authorization", "")
            if header:
                app = self.state.app_for_token(header[4:] if header.startswith("Bot ") else header)
            if auth and app is None:
                return json_response(unauthorized().body(), 401)
            major = next((request.match_info[k] for k in _MAJOR if k in request.match_info), "")
            verdict = self.limiter.check(
                app.token[:12] if app else request.remote or "", route_key, major, *limit
            )
            fault = self.faults.take(request.path)
            if fault is not None:
                return _fault_response(fault, verdict.headers)
            if verdict.retry_after is not None:
                body = {
                    "message": "You are being rate limited.",
                    "retry_after": round(verdict.retry_after, 3),
                    "global": verdict.is_global,
                }
                headers = {
                    **verdict.headers,
                    "Retry-After": str(max(1, round(verdict.retry_after))),
                    "Via": "1.1 zoryx-sandbox",
                }
                return json_response(body, 429, headers)
            try:
                ctx = Ctx(request, self.state, app, dict(request.match_info))
                if route.guard is not None:
                    route.guard(ctx)  # token checks come before reading any of the body
                ctx.body, ctx.files = await read_body(request, route.body_limit)
                result = await fn(ctx)
            except DiscordAPIError as exc:
                return json_response(exc.body(), exc.status, verdict.headers)
            except Exception:
                log.exception("sandbox route %s crashed", route_key)
                return json_response(
                    {"code": 0, "message": "500: Internal Server Error"}, 500, verdict.headers
                )
            if isinstance(result, NoContent):
                return web.Response(status=204, headers=verdict.headers)
            if isinstance(result, web.StreamResponse):
                return result
            return json_response(result, 200, verdict.headers)

        return handler


def route_shape(path: str) -> tuple[int, ...]:
    """Per path segment, 0 for a literal and 1 for a ``{parameter}``: sorting by it puts
    every literal segment before a parameter in the same place."""
    return tuple(1 if part.startswith("{") else 0 for part in path.strip("/").split("/"))


def _fault_response(fault: dict[str, Any], headers: dict[str, str]) -> web.Response:
    if fault["status"] == 429:
        body = {
            "message": "You are being rate limited.",
            "retry_after": fault["retry_after"],
            "global": fault["global"],
        }
        extra = {
            **headers,
            "Via": "1.1 zoryx-sandbox",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": str(fault["retry_after"]),
            "Retry-After": str(max(1, round(fault["retry_after"]))),
        }
        if fault["global"]:
            extra["X-RateLimit-Global"] = "true"
        return json_response(body, 429, extra)
    return json_response(
        {"code": 0, "message": f"{fault['status']}: injected failure"}, fault["status"], headers
    )


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON response with ``Content-Type: application/json`` exactly (no charset)."""
    out = {"Content-Type": "application/json"}
    if headers:
        out.update(headers)
    return web.Response(body=json.dumps(data).encode(), status=status, headers=out)
