"""Parsing of control-API requests: the JSON body, path and query parameters, loopback check.

Validation errors are raised as Discord-shaped errors (``invalid_form``/``bad_json``), which
the control API turns into ``{code, message, errors}`` responses.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .errors import bad_json, invalid_form

MAX_WAIT = 30.0


class Body:
    """Typed access to a JSON request body; a bad field answers 400 50035."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def has(self, name: str) -> bool:
        return self.data.get(name) is not None

    def required(self, name: str) -> Any:
        if self.data.get(name) is None:
            raise invalid_form(name, "BASE_TYPE_REQUIRED", "This field is required")
        return self.data[name]

    def ref(self, name: str, *, required: bool = True) -> int | str | None:
        """A name or snowflake reference (``"alice"``, ``"#general"``, ``"1234…"``, 1234…)."""
        value = self.required(name) if required else self.data.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
            raise invalid_form(name, "BASE_TYPE_STRING", "Must be a name or an id.")
        return value

    def snowflake(self, name: str) -> int:
        value = self.required(name)
        if isinstance(value, bool) or not (str(value).isascii() and str(value).isdigit()):
            raise invalid_form(name, "NUMBER_TYPE_COERCE", f"Value {value!r} is not snowflake.")
        return int(value)

    def text(self, name: str, default: str | None = None) -> str:
        value = self.data.get(name, default)
        if value is None:
            raise invalid_form(name, "BASE_TYPE_REQUIRED", "This field is required")
        if not isinstance(value, str):
            raise invalid_form(name, "BASE_TYPE_STRING", "Must be a string.")
        return value

    def integer(self, name: str, default: int | None = None) -> int:
        value = self.data.get(name, default)
        if value is None:
            raise invalid_form(name, "BASE_TYPE_REQUIRED", "This field is required")
        if isinstance(value, bool) or not isinstance(value, int):
            raise invalid_form(name, "NUMBER_TYPE_COERCE", "Must be an integer.")
        return value

    def number(self, name: str, default: float | None = None) -> float:
        value = self.data.get(name, default)
        if value is None:
            raise invalid_form(name, "BASE_TYPE_REQUIRED", "This field is required")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise invalid_form(name, "NUMBER_TYPE_COERCE", "Must be a number.")
        return float(value)

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.data.get(name, default)
        if not isinstance(value, bool):
            raise invalid_form(name, "BASE_TYPE_BOOLEAN", "Must be either true or false.")
        return value

    def mapping(self, name: str) -> dict[str, Any]:
        value = self.data.get(name) or {}
        if not isinstance(value, dict):
            raise invalid_form(name, "MODEL_TYPE_CONVERT", "Must be an object.")
        return value

    def strings(self, name: str) -> list[str]:
        value = self.data.get(name) or []
        if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
            raise invalid_form(name, "BASE_TYPE_ARRAY", "Must be an array of strings.")
        return [str(v) for v in value]


@dataclass
class Call:
    """One control request: the aiohttp request, its JSON body and path parameters."""

    request: web.Request
    body: Body

    @property
    def query(self) -> Any:
        return self.request.query

    def param(self, name: str) -> str:
        return self.request.match_info[name]

    def wait(self) -> float:
        """The ``wait`` query parameter (or body field): seconds to long-poll, capped."""
        raw = self.query.get("wait", self.body.data.get("wait", 0))
        try:
            value = float(raw or 0)
        except (TypeError, ValueError):
            raise invalid_form("wait", "NUMBER_TYPE_COERCE", "Must be a number.") from None
        return max(0.0, min(value, MAX_WAIT))

    def limit(self, name: str, default: int, maximum: int) -> int:
        raw = self.query.get(name, default)
        if not (str(raw).isascii() and str(raw).isdigit()) or not 0 <= int(raw) <= maximum:
            raise invalid_form(name, "NUMBER_TYPE_MAX", f"Must be between 0 and {maximum}.")
        return int(raw)


def is_loopback(remote: str | None) -> bool:
    if not remote:
        return False
    try:
        return ipaddress.ip_address(remote.split("%")[0]).is_loopback
    except ValueError:
        return False


async def read_json(request: web.Request) -> dict[str, Any]:
    if request.method in ("GET", "HEAD") or not request.can_read_body:
        return {}
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise bad_json() from None
    if not isinstance(data, dict):
        raise invalid_form("_", "MODEL_TYPE_CONVERT", "The body must be a JSON object.")
    return data
