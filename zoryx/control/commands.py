"""``zoryx status``, ``zoryx ctl`` and ``zoryx token``: a running bot from the shell.

All three reach the bot through its control socket (:class:`RemoteSource`), as its own
user (owner) or with ``$ZORYX_CONTROL_TOKEN``; ``token`` only edits the token file.
Heavy imports happen inside the commands, so ``zoryx --help`` stays fast.
"""

from __future__ import annotations

import asyncio
import enum
import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["register"]

TargetArg = Annotated[
    str,
    typer.Argument(
        help="Bot directory (default: .), unix:PATH or tcp://host:port", show_default=False
    ),
]
EXIT_READY, EXIT_NOT_READY, EXIT_NO_BOT = 0, 1, 2

# zoryx ctl verb -> (operator action, number of arguments; -1: channel id then text)
VERBS: dict[str, tuple[str, int]] = {
    "reload": ("reload_extension", 1),
    "load": ("load_extension", 1),
    "unload": ("unload_extension", 1),
    "say": ("send_message", -1),
    "sync": ("sync_commands", 0),
    "backup": ("backup_databases", 0),
    "shutdown": ("shutdown", 0),
}
USAGE = (
    "usage: zoryx ctl [DIR] reload|load|unload <extension> | say <channel id> <text> | "
    "sync | backup | shutdown [--yes]"
)


class RoleChoice(enum.StrEnum):
    owner = "owner"
    helper = "helper"
    visitor = "visitor"


# -- zoryx status ------------------------------------------------------------------------
async def _status(target: str) -> tuple[int, dict[str, Any]]:
    from zoryx.readmodel import SourceLost, UnknownView

    from .client import RemoteSource
    from .errors import NoBot

    try:
        source = await RemoteSource.open(target, reconnect=False)
    except NoBot as exc:
        return EXIT_NO_BOT, {"state": "no bot", "ready": False, "reason": str(exc)}
    except (SourceLost, ValueError) as exc:
        return EXIT_NOT_READY, {"state": "unreachable", "ready": False, "reason": str(exc)}
    try:
        report: dict[str, Any] = dict(source.hello)
        try:
            report.update(await source.read("status", errors=3))
        except UnknownView:  # a bot from before the status view: hello says enough
            report["state"] = "ready" if report.get("ready") else "starting"
    except SourceLost as exc:
        return EXIT_NOT_READY, {"state": "unreachable", "ready": False, "reason": str(exc)}
    finally:
        await source.close()
    return (EXIT_READY if report.get("ready") else EXIT_NOT_READY), report


def _age(seconds: float) -> str:
    minutes, _ = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {minutes}m" if hours else f"{minutes}m"


def _status_lines(report: dict[str, Any]) -> list[str]:
    state = str(report.get("state", "unknown"))
    if "reason" in report:
        return [f"{state}: {report['reason']}"]
    name = report.get("user") or report.get("name", "?")
    where = "sandbox" if report.get("on_sandbox") else "Discord"
    facts = [f"pid {report.get('pid')}", where]
    if report.get("started_at"):
        facts.append(f"up {_age(time.time() - float(report['started_at']))}")
    if state != "ready":
        return [f"{state}: {name} ({', '.join(facts)})"]
    details = []
    if "guilds" in report:
        details.append(f"{report['guilds']} guild(s)")
    if isinstance(report.get("latency"), int | float):
        details.append(f"latency {report['latency'] * 1000:.0f} ms")
    if report.get("tier"):
        details.append(f"health {report['tier']}")
    lines = [f"ready: {name} — {', '.join(details) or 'connected'} ({', '.join(facts)})"]
    for error in report.get("errors") or []:
        lines.append(f"  last error: {error.get('name')}: {error.get('error')}")
    return lines


def status(
    target: TargetArg = ".",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Is the bot running? Exit code 0 ready, 1 not ready or unreachable, 2 no bot there."""
    code, report = asyncio.run(_status(target))
    if as_json:
        typer.echo(json.dumps(report, indent=2, default=str))
    else:
        for line in _status_lines(report):
            typer.echo(line)
    raise typer.Exit(code)


# -- zoryx ctl ----------------------------------------------------------------------------
def _parse_ctl(words: list[str]) -> tuple[str, str, list[str]]:
    """``[DIR] VERB ARGS…`` → (target, verb, args); typer.BadParameter on a bad line."""
    target = "."
    if words and words[0] not in VERBS:
        target, words = words[0], words[1:]
    if not words or words[0] not in VERBS:
        raise typer.BadParameter(USAGE)
    verb, args = words[0], words[1:]
    wanted = VERBS[verb][1]
    if (wanted == -1 and (len(args) < 2 or not args[0].isdigit())) or (
        wanted >= 0 and len(args) != wanted
    ):
        raise typer.BadParameter(USAGE)
    return target, verb, args


def _params(verb: str, args: list[str]) -> dict[str, Any]:
    if verb in ("reload", "load", "unload"):
        return {"name": args[0]}
    if verb == "say":
        return {"channel_id": int(args[0]), "content": " ".join(args[1:])}
    if verb == "shutdown":
        return {"reason": "zoryx ctl shutdown"}
    return {}


def _done(verb: str, args: list[str], result: Any) -> str:
    if verb in ("reload", "load", "unload"):
        return f"{verb}ed {args[0]}"
    if verb == "say":
        return f"sent message {result} to channel {args[0]}"
    if verb == "sync":
        return f"synced {result} slash command(s)"
    if verb == "backup":
        return f"backed up {len(result or [])} database(s)"
    return "the bot is shutting down"


async def _ctl(target: str, verb: str, args: list[str]) -> tuple[int, str]:
    from zoryx.readmodel import ActionFailed, SourceLost

    from .client import RemoteSource
    from .errors import NoBot

    try:
        source = await RemoteSource.open(target, reconnect=False)
    except NoBot as exc:
        return EXIT_NO_BOT, str(exc)
    except (SourceLost, ValueError) as exc:
        return 1, str(exc)
    try:
        result = await source.act(VERBS[verb][0], **_params(verb, args))
    except ActionFailed as exc:
        return 1, f"{verb} refused: {exc}" if exc.kind == "PermissionDenied" else f"{exc}"
    except SourceLost as exc:
        if verb == "shutdown":  # the bot closes its control socket as it shuts down
            return 0, _done(verb, args, None)
        return 1, str(exc)
    finally:
        await source.close()
    return 0, _done(verb, args, result)


def ctl(
    words: Annotated[
        list[str],
        typer.Argument(
            help="[DIR] reload|load|unload <ext> | say <channel id> <text> | sync "
            "| backup | shutdown",
            metavar="[DIR] VERB [ARGS]...",
            show_default=False,
        ),
    ],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Shut down without asking.")] = False,
) -> None:
    """Run an operator action on the running bot, as the console's ':' commands do."""
    target, verb, args = _parse_ctl(words)
    if verb == "shutdown" and not yes:
        typer.confirm(f"Shut down the bot at {target}?", abort=True)
    code, message = asyncio.run(_ctl(target, verb, args))
    typer.echo(message, err=code != 0)
    raise typer.Exit(code)


# -- zoryx token --------------------------------------------------------------------------
token_app = typer.Typer(
    help="Control tokens: who may attach to the bot's control socket, and as what role.",
    no_args_is_help=True,
)
DirArg = Annotated[Path, typer.Argument(help="Bot directory (default: .)", show_default=False)]


def _store(bot_dir: Path) -> Any:
    from .settings import TOKENS_FILE, data_dir_of
    from .tokens import TokenStore

    bot_dir = bot_dir.resolve()
    if not bot_dir.is_dir():
        typer.echo(f"Error: no bot directory at {bot_dir}", err=True)
        raise typer.Exit(2)
    return TokenStore(data_dir_of(bot_dir) / TOKENS_FILE)


@token_app.command("create")
def token_create(
    role: Annotated[RoleChoice, typer.Option(help="What the token may do.")],
    name: Annotated[str, typer.Option(help="Who holds it (shown in the audit trail).")],
    bot_dir: DirArg = Path("."),
) -> None:
    """Create a token and print it (once: only its hash is kept)."""
    from .tokens import TokenError

    store = _store(bot_dir)
    try:
        token = asyncio.run(store.create(name, role.value))
    except TokenError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(token)
    typer.echo(
        f"Token {name!r} ({role.value}) created. It is shown only now: give it to its holder, "
        "who sets ZORYX_CONTROL_TOKEN to it.",
        err=True,
    )


@token_app.command("list")
def token_list(bot_dir: DirArg = Path(".")) -> None:
    """List the tokens: names, roles and creation times (never the tokens)."""
    records = _store(bot_dir).records()
    if not records:
        typer.echo("no control tokens")
        return
    width = max(len(r.name) for r in records)
    for record in records:
        created = time.strftime("%Y-%m-%d %H:%M", time.localtime(record.created))
        typer.echo(f"{record.name:<{width}}  {record.role:<7}  created {created}")


@token_app.command("revoke")
def token_revoke(
    name: Annotated[str, typer.Argument(help="The token's name.")], bot_dir: DirArg = Path(".")
) -> None:
    """Revoke a token; a running bot refuses it from its next request on."""
    from .tokens import TokenError

    try:
        asyncio.run(_store(bot_dir).revoke(name))
    except TokenError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"revoked {name}")


def register(app: typer.Typer) -> None:
    """Add ``status``, ``ctl`` and ``token`` to the ``zoryx`` command line."""
    app.command()(status)
    app.command()(ctl)
    app.add_typer(token_app, name="token")
