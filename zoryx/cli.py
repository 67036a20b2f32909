"""The ``zoryx`` command line (typer)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from . import __version__

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


@app.command()
def run(
    bot_dir: DirOption = Path("."),
    headless: Annotated[bool, typer.Option("--headless", help="Run without the console.")] = True,
    world: Annotated[str, typer.Option(help="Sandbox world when no token is set.")] = "demo",
) -> None:
    """Run the bot (on the sandbox Discord when no DISCORD_TOKEN is set)."""
    from .runtime import run_headless

    if not headless:
        tui(bot_dir)
        return
    raise typer.Exit(run_headless(bot_dir, sandbox_world=world))


@app.command()
def tui(bot_dir: DirOption = Path(".")) -> None:
    """Run the bot inside the operator console."""
    try:
        from tui.app import run_console
    except ImportError as exc:
        typer.echo(f"The operator console is not available in this installation: {exc}", err=True)
        raise typer.Exit(1) from exc
    raise typer.Exit(run_console(bot_dir))


@app.command()
def init(target: Annotated[Path, typer.Argument(help="Directory to create")] = Path(".")) -> None:
    """Create a bot directory (config.json, .env, data, botlogs, extensions); never overwrites."""
    from .bootstrap import init_bot_dir

    report = init_bot_dir(target.resolve())
    for path in report.created:
        typer.echo(f"  created  {path}")
    for path in report.kept:
        typer.echo(f"  kept     {path} (already there)")
    typer.echo(f"Bot directory ready: {target.resolve()}\nNext: zoryx run --dir {target}")


@app.command()
def doctor(bot_dir: DirOption = Path(".")) -> None:
    """Check a bot directory; the exit code is 0 when everything passes."""
    from .doctor import run_checks

    checks = run_checks(bot_dir)
    for check in checks:
        mark = "✗" if not check.ok else ("!" if check.warning else "✓")
        typer.echo(f"{mark} {check.name}: {check.detail}")
    failed = [c for c in checks if not c.ok]
    typer.echo("All checks passed." if not failed else f"{len(failed)} check(s) failed.")
    raise typer.Exit(1 if failed else 0)


@app.command()
def sandbox(
    port: Annotated[int, typer.Option(help="Port (0 picks a free one)")] = 8765,
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    world: Annotated[str, typer.Option(help="World: demo or empty")] = "demo",
    shards: Annotated[int, typer.Option(help="Recommended shard count")] = 1,
    strict: Annotated[bool, typer.Option(help="Enforce rate limits with real 429s")] = False,
    simulate: Annotated[float, typer.Option(help="Activity simulator actions per minute")] = 0.0,
    guilds: Annotated[int, typer.Option(help="Scale world: number of guilds")] = 0,
    members: Annotated[int, typer.Option(help="Scale world: members per guild")] = 0,
    channels: Annotated[int, typer.Option(help="Scale world: channels per guild")] = 3,
) -> None:
    """Run the sandbox Discord standalone and print how to connect a bot to it."""
    from .sandbox.standalone import run_standalone

    run_standalone(
        host=host,
        port=port,
        world=world,
        shards=shards,
        strict=strict,
        simulate=simulate,
        guilds=guilds,
        members=members,
        channels=channels,
    )


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
