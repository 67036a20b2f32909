"""Point the unmodified discord.py client at a sandbox, and put it back afterwards."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from .identify_pacing import paced_identify

SUPPORTED = ((2, 7),)


class SandboxVersionError(RuntimeError):
    """The installed discord.py is not one the sandbox has been verified against."""


_lock = threading.Lock()
_depth = 0


def check_discord_version() -> None:
    """Raise :class:`SandboxVersionError` unless discord.py is a supported version."""
    import discord

    info = discord.version_info
    if (info.major, info.minor) not in SUPPORTED:
        wanted = ", ".join(f"{a}.{b}.x" for a, b in SUPPORTED)
        raise SandboxVersionError(
            f"The Zoryx sandbox supports discord.py {wanted}; found {discord.__version__}. "
            "Install a supported version: pip install 'discord.py>=2.7,<2.8'."
        )


@contextmanager
def use_sandbox(url: str, *, fast_identify: bool = True) -> Iterator[None]:
    """Redirect discord.py's REST, gateway and CDN URLs to a sandbox at ``url``.

    Args:
        url: The sandbox base URL, e.g. ``http://127.0.0.1:8765`` (or an object with ``.url``).
        fast_identify: Replace discord.py's 5 s pause before each identify but the first
            with the wait the sandbox's ``max_concurrency`` limit requires (often none;
            see ``identify_pacing.py``).

    The settings are process-wide class attributes; they are restored on exit.
    """
    import discord
    import discord.asset
    import discord.gateway
    import discord.http
    import yarl

    global _depth
    check_discord_version()
    base = str(getattr(url, "url", url)).rstrip("/")
    host = yarl.URL(base)
    saved = (
        discord.http.Route.BASE,
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
        discord.asset.Asset.BASE,
        discord.Client.before_identify_hook,
    )
    with _lock:
        _depth += 1
        discord.http.Route.BASE = f"{base}/api/v10"
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL.build(
            scheme="ws", host=host.host or "127.0.0.1", port=host.port, path="/gateway"
        )
        discord.asset.Asset.BASE = f"{base}/cdn"
        if fast_identify:
            discord.Client.before_identify_hook = paced_identify  # type: ignore[method-assign]
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            (
                discord.http.Route.BASE,
                discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
                discord.asset.Asset.BASE,
            ) = saved[:3]
            discord.Client.before_identify_hook = saved[3]  # type: ignore[method-assign]
