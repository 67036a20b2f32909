"""Run the sandbox Discord as a standalone server (`zoryx sandbox`, `python -m zoryx.sandbox`)."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import signal
import sys
from typing import TextIO

from .driver import Sandbox
from .simulator import ActivitySimulator
from .worlds import WORLDS, scale_world

DEFAULT_SCALE_MEMBERS = 10


def build_sandbox(
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    world: str = "demo",
    shards: int = 1,
    strict: bool = False,
    guilds: int = 0,
    members: int = 0,
    channels: int = 3,
    max_concurrency: int = 1,
) -> Sandbox:
    """A (not yet started) sandbox with a named world, or a generated one when ``guilds > 0``."""
    if shards < 1:
        raise ValueError("shards must be 1 or more")
    if max_concurrency < 1:
        raise ValueError("max-concurrency must be 1 or more")
    if guilds > 0:
        builder = scale_world(guilds, members if members > 0 else DEFAULT_SCALE_MEMBERS, channels)
    else:
        try:
            builder = WORLDS[world]
        except KeyError:
            names = ", ".join(sorted(WORLDS))
            raise ValueError(f"unknown world {world!r} (choose one of: {names})") from None
    return Sandbox(
        host=host,
        port=port,
        shards=shards,
        strict_rate_limits=strict,
        world=builder,
        max_concurrency=max_concurrency,
    )


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine (127.0.0.0/8, ::1)."""
    name = host.strip().strip("[]")
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name.split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to a public interface


def exposure_warning(host: str, port: int) -> str | None:
    """The warning printed when the sandbox listens beyond loopback (``None`` otherwise)."""
    if is_loopback_host(host):
        return None
    rule = "!" * 78
    return f"""\
{rule}
WARNING: the sandbox Discord is listening on {host}:{port}, not only on loopback.
It is a test server with NO real authentication and no encryption:
  - anyone on the network who reaches it and learns the bot token can act as the bot,
    and that token travels in clear text over plain HTTP and websockets;
  - its webhook, interaction and CDN URLs need no token at all, so anyone can post
    through them and download every uploaded file;
  - only the control API (acting as users) still refuses non-loopback clients.
Treat everything in it as public. Use --host 127.0.0.1 (the default) unless this
network is yours alone.
{rule}
"""


def banner(sandbox: Sandbox, world: str, simulate: float = 0.0) -> str:
    """What the standalone server prints once it listens: addresses, tokens, a how-to."""
    state = sandbox.state
    control_token = getattr(sandbox, "control_token", "")
    limits = "strict (real 429s)" if sandbox.limiter.strict else "lenient"
    activity = f"{simulate:g} actions/min" if simulate > 0 else "off"
    concurrency = sandbox.gateway.identify_limits.max_concurrency
    return f"""\
Zoryx sandbox Discord running at {sandbox.url}
  world:          {world} ({len(state.guilds)} guilds, {len(state.users)} users)
  shards:         {sandbox.shards} (identify: max_concurrency {concurrency}, one per bucket per 5 s)
  rate limits:    {limits}
  activity:       {activity}
  bot token:      {sandbox.token}
  control token:  {control_token}
  control API:    curl -H "Authorization: Sandbox {control_token}" {sandbox.url}/_sandbox/info

Point a discord.py bot at it:

    from zoryx.sandbox import use_sandbox

    with use_sandbox("{sandbox.url}"):
        bot.run("{sandbox.token}")

Or run a Zoryx bot on it (zoryx run / zoryx tui) with, in its environment or .env:

    ZORYX_SANDBOX_URL={sandbox.url}
    ZORYX_SANDBOX_TOKEN={control_token}

Press Ctrl+C to stop.
"""


async def serve_standalone(
    sandbox: Sandbox,
    *,
    world: str = "demo",
    simulate: float = 0.0,
    out: TextIO | None = None,
    stop: asyncio.Event | None = None,
    err: TextIO | None = None,
) -> None:
    """Serve ``sandbox`` on the running loop until SIGINT/SIGTERM (or ``stop`` is set)."""
    stream = out if out is not None else sys.stdout
    errors = err if err is not None else sys.stderr
    stop_event = stop if stop is not None else asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    previous: dict[signal.Signals, object] = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop_event.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            with contextlib.suppress(ValueError, OSError):
                previous[sig] = signal.signal(
                    sig, lambda *_: loop.call_soon_threadsafe(stop_event.set)
                )
    simulator: ActivitySimulator | None = None
    try:
        await sandbox.start()
        warning = exposure_warning(sandbox.host, sandbox.port)
        if warning is not None:
            errors.write(warning)
            errors.flush()
        if simulate > 0:
            simulator = ActivitySimulator(sandbox, simulate)
            sandbox.simulator = simulator  # type: ignore[attr-defined]
            simulator.start()
        stream.write(banner(sandbox, world, simulate))
        stream.flush()
        await stop_event.wait()
        stream.write("Stopping the sandbox…\n")
        stream.flush()
    finally:
        if simulator is not None:
            simulator.stop()
        await sandbox.stop()
        for sig in installed:
            loop.remove_signal_handler(sig)
        for sig, handler in previous.items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(sig, handler)  # type: ignore[arg-type]


def run_standalone(
    host: str = "127.0.0.1",
    port: int = 8765,
    world: str = "demo",
    shards: int = 1,
    strict: bool = False,
    simulate: float = 0.0,
    guilds: int = 0,
    members: int = 0,
    channels: int = 3,
    max_concurrency: int = 1,
) -> None:
    """Build a sandbox, print how to use it and serve it until SIGINT/SIGTERM.

    Args:
        host: Interface to bind (keep the default loopback address: the sandbox has no
            real authentication beyond its tokens).
        port: TCP port; 0 picks a free one (the printed URL shows the actual port).
        world: A name from :data:`~zoryx.sandbox.WORLDS` (``demo``, ``empty``).
        shards: Shard count recommended by ``GET /gateway/bot``.
        strict: Enforce Discord-like rate limits with real 429 answers.
        simulate: Activity simulator rate in actions per minute (0 = off).
        guilds: When above 0, generate ``guilds`` × ``members`` × ``channels`` instead of
            ``world`` (``members`` defaults to 10).
        members: Members per generated guild.
        channels: Text channels per generated guild.
        max_concurrency: Discord's ``max_concurrency`` for IDENTIFY (buckets
            ``shard_id % max_concurrency``, one identify per bucket per 5 s).

    Must be called from a thread with no running event loop; returns after a clean stop.
    Raises ``ValueError`` for a bad option and ``OSError`` if the port cannot be bound.
    """
    if simulate < 0 or simulate > ActivitySimulator.MAX_RATE:
        raise ValueError(f"simulate must be between 0 and {ActivitySimulator.MAX_RATE:g}")
    sandbox = build_sandbox(
        host=host,
        port=port,
        world=world,
        shards=shards,
        strict=strict,
        guilds=guilds,
        members=members,
        channels=channels,
        max_concurrency=max_concurrency,
    )
    label = f"generated {guilds}x{members or DEFAULT_SCALE_MEMBERS}x{channels}" if guilds else world
    asyncio.run(serve_standalone(sandbox, world=label, simulate=simulate))
