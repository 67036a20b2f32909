"""The ``zoryx`` command line (typer)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from . import __version__
from .control.commands import register as register_control_commands

app = typer.Typer(
    help="Zoryx: run and operate a Discord bot from the terminal.",
    no_args_is_help=True,
    add_completion=False,
)

DirOption = Annotated[
    Path,
    typer.Option(
        "--dir", "-d", help="Bot directory (default: .)", file_okay=False, resolve_path=True
    ),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"zoryx {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Zoryx command line."""


def _require_bot_dir(bot_dir: Path) -> None:
    """Refuse a ``--dir`` that does not exist (instead of creating an empty bot there)."""
    if not bot_dir.is_dir():
        typer.echo(
            f"Error: no bot directory at {bot_dir} (create one with: zoryx init {bot_dir})",
            err=True,
        )
        raise typer.Exit(2)


@contextlib.contextmanager
def _bot_dir_lock(bot_dir: Path) -> Iterator[None]:
    """Hold the bot directory for this process; exit 1 if another process holds it."""
    from .dirlock import BotDirLocked, hold_bot_dir

    try:
        with hold_bot_dir(bot_dir):
            yield
    except BotDirLocked as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command()
def run(
    bot_dir: DirOption = Path("."),
    headless: Annotated[
        bool,
        typer.Option(
            "--headless/--no-headless",
            help="Run without the console (the default); --no-headless opens the console.",
        ),
    ] = True,
    world: Annotated[str, typer.Option(help="Sandbox world when no token is set.")] = "demo",
) -> None:
    """Run the bot (on the sandbox Discord when no DISCORD_TOKEN is set)."""
    from .runtime import run_headless

    if not headless:
        tui(bot_dir)
        return
    _require_bot_dir(bot_dir)
    with _bot_dir_lock(bot_dir):
        code = run_headless(bot_dir, sandbox_world=world)
    raise typer.Exit(code)


@app.command()
def tui(
    bot_dir: DirOption = Path("."),
    attach: Annotated[
        bool,
        typer.Option(
            "--attach",
            help="Attach to a bot already running (zoryx run --headless) instead of running "
            "one; closing the console leaves the bot running.",
        ),
    ] = False,
    target: Annotated[
        str | None,
        typer.Argument(
            help="With --attach: a bot directory, unix:PATH or tcp://host:port (default: --dir)",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the bot inside the operator console, or attach the console to a running bot."""
    if target is not None and not attach:
        typer.echo("A target is only meaningful with --attach.", err=True)
        raise typer.Exit(2)
    try:
        from tui.app import run_attached, run_console
    except ImportError as exc:
        typer.echo(f"The operator console is not available in this installation: {exc}", err=True)
        raise typer.Exit(1) from exc
    if attach:  # the bot holds the directory's lock; the console only connects
        raise typer.Exit(run_attached(target if target is not None else str(bot_dir)))
    _require_bot_dir(bot_dir)
    with _bot_dir_lock(bot_dir):
        code = run_console(bot_dir)
    raise typer.Exit(code)


@app.command()
def cluster(
    clusters: Annotated[
        int, typer.Option("--clusters", "-n", min=1, help="How many cluster processes to run.")
    ],
    shards: Annotated[
        int | None,
        typer.Option(min=1, help="Total shards (default: SHARD_COUNT, else one per cluster)."),
    ] = None,
    bot_dir: DirOption = Path("."),
    stop_timeout: Annotated[
        float, typer.Option(min=1, help="Seconds a cluster gets to stop before it is killed.")
    ] = 30.0,
    restart_delay: Annotated[
        float,
        typer.Option(min=0.1, help="First wait before restarting a dead cluster (doubles to 60)."),
    ] = 1.0,
) -> None:
    """Run the bot as N cluster processes (each with its share of the shards), restart one
    that dies, stop them all on Ctrl+C or SIGTERM."""
    from .cluster_launcher import run_launcher

    _require_bot_dir(bot_dir)
    with _bot_dir_lock(bot_dir):
        code = run_launcher(
            bot_dir,
            clusters=clusters,
            shards=shards,
            stop_timeout=stop_timeout,
            restart_delay=restart_delay,
        )
    raise typer.Exit(code)


@app.command()
def init(target: Annotated[Path, typer.Argument(help="Directory to create")] = Path(".")) -> None:
    """Create a bot directory (config.json, .env, data, botlogs, extensions); never overwrites."""
    from .bootstrap import init_bot_dir

    report = init_bot_dir(target.resolve())
    for path in report.created:
        typer.echo(f"  created  {path}")
    for path in report.kept:
        typer.echo(f"  kept     {path} (already there)")
    if report.skipped_examples:
        typer.echo("  (example extensions are only added to a new directory)")
    typer.echo(f"Bot directory ready: {target.resolve()}\nNext: zoryx run --dir {target}")


@app.command()
def doctor(bot_dir: DirOption = Path(".")) -> None:
    """Check a bot directory; the exit code is 0 when everything passes."""
    from .doctor import run_checks

    _require_bot_dir(bot_dir)
    checks = run_checks(bot_dir)
    for check in checks:
        mark = "✗" if not check.ok else ("!" if check.warning else "✓")
        typer.echo(f"{mark} {check.name}: {check.detail}")
    failed = [c for c in checks if not c.ok]
    typer.echo("All checks passed." if not failed else f"{len(failed)} check(s) failed.")
    raise typer.Exit(1 if failed else 0)


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def sandbox(ctx: typer.Context) -> None:
    """Run the sandbox Discord standalone and print how to connect a bot to it.

    Takes the options of ``python -m zoryx.sandbox`` (see ``zoryx sandbox --help``).
    """
    from .sandbox.__main__ import main as sandbox_main

    raise typer.Exit(sandbox_main(list(ctx.args), prog="zoryx sandbox"))


register_control_commands(app)  # zoryx status, zoryx ctl, zoryx token


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
