"""Using a sandbox from outside the process that runs it.

Two directions, both keyed by the sandbox's URL and its control token:

- the runtime publishes the sandbox it started: :func:`write_connection_file` writes
  ``data/sandbox.json`` (mode 0600, through the atomic store) so that tests, scripts or
  another bot can drive it over the control API;
- a runtime attaches to a sandbox someone else runs (``zoryx sandbox``):
  :func:`attach` reads the bot token and owner from the control API, given
  ``ZORYX_SANDBOX_URL`` and ``ZORYX_SANDBOX_TOKEN``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp

if TYPE_CHECKING:
    from ..storage.atomic import AtomicStore
    from .server import SandboxServer

CONNECTION_FILE = "sandbox.json"
URL_ENV, TOKEN_ENV = "ZORYX_SANDBOX_URL", "ZORYX_SANDBOX_TOKEN"


class SandboxAttachError(RuntimeError):
    """The sandbox at ``ZORYX_SANDBOX_URL`` cannot be used (one-line reason)."""


@dataclass(frozen=True)
class AttachedSandbox:
    """A sandbox running elsewhere that this process's bot logs in to."""

    url: str
    control_token: str
    bot_token: str
    bot_id: int
    owner_user_id: int | None


def connection_info(sandbox: SandboxServer) -> dict[str, Any]:
    """What another process needs to drive ``sandbox``: addresses and the control token."""
    return {
        "url": sandbox.url,
        "api_url": sandbox.api_url,
        "gateway_url": sandbox.gateway_url,
        "control_url": f"{sandbox.url}/_sandbox",
        "control_token": sandbox.control_token,
        "bot_id": str(sandbox.bot_id),
        "pid": os.getpid(),
        "env": {URL_ENV: sandbox.url, TOKEN_ENV: sandbox.control_token},
    }


def _private_placeholder(path: Path) -> None:
    """Make ``path`` exist with mode 0600 before its content is written.

    The atomic store gives the new file the permission bits of the one it replaces, so the
    control token is never readable by others, not even for a moment.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


async def write_connection_file(store: AtomicStore, path: Path, sandbox: SandboxServer) -> None:
    """Write :func:`connection_info` to ``path`` atomically, readable by the owner only."""
    await asyncio.to_thread(_private_placeholder, path)
    await store.write_json(path, connection_info(sandbox))


async def remove_connection_file(path: Path) -> None:
    def remove() -> None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()

    await asyncio.to_thread(remove)


def control_lines(sandbox: SandboxServer, written_to: Path | None = None) -> str:
    """How to drive ``sandbox`` from outside, for a terminal (it shows the control token)."""
    lines = [
        f"Sandbox control API: {sandbox.url}/_sandbox",
        f"  control token: {sandbox.control_token}",
        f"  attach another bot: {URL_ENV}={sandbox.url} {TOKEN_ENV}=<control token>",
    ]
    if written_to is not None:
        lines.append(f"  (both are in {written_to}, readable by you only)")
    return "\n".join(lines)


async def attach(url: str, control_token: str, *, timeout: float = 10.0) -> AttachedSandbox:
    """Check that ``url`` is a sandbox accepting ``control_token`` and read its bot's token.

    Raises:
        SandboxAttachError: unreachable, not a sandbox, or the token is refused.
    """
    headers = {"Authorization": f"Sandbox {control_token}"}
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    try:
        async with (
            aiohttp.ClientSession(timeout=client_timeout) as session,
            session.get(f"{url}/_sandbox/info", headers=headers) as response,
        ):
            status = response.status
            info = await response.json(content_type=None) if status == 200 else None
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        reason = str(exc) or type(exc).__name__
        raise SandboxAttachError(f"cannot reach the sandbox at {url}: {reason}") from None
    if status == 401:
        raise SandboxAttachError(f"the sandbox at {url} refused {TOKEN_ENV} (wrong control token)")
    if status != 200 or not isinstance(info, dict) or "bot" not in info:
        raise SandboxAttachError(f"{url} is not a Zoryx sandbox (GET /_sandbox/info: {status})")
    bot = info["bot"]
    owner = info.get("owner_user_id")
    return AttachedSandbox(
        url=url,
        control_token=control_token,
        bot_token=str(bot["token"]),
        bot_id=int(bot["id"]),
        owner_user_id=int(owner) if owner else None,
    )


__all__ = [
    "CONNECTION_FILE",
    "TOKEN_ENV",
    "URL_ENV",
    "AttachedSandbox",
    "SandboxAttachError",
    "attach",
    "connection_info",
    "control_lines",
    "remove_connection_file",
    "write_connection_file",
]
