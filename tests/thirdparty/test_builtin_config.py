"""config.json ``builtin_commands``: turn built-in commands off, or rename them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from zoryx.builtin_commands import builtin_catalog
from zoryx.config import ConfigError, describe_keys, parse_config
from zoryx.runtime import Runtime
from zoryx.sandbox.errors import DiscordAPIError

from .conftest import LogRecords, make_bot_dir, say, slash, title


async def test_disabled_builtins_are_gone_as_prefix_and_slash_commands(start: Any) -> None:
    rt = await start(templates=(), config={"builtin_commands": {"disabled": ["stats", "botinfo"]}})
    bot = rt.bot
    assert bot.get_command("stats") is None and bot.tree.get_command("stats") is None
    assert bot.get_command("botinfo") is None
    with pytest.raises(DiscordAPIError):
        await rt.sandbox.user("alice").slash("stats", "#general")  # type: ignore[union-attr]
    assert title(await say(rt, "alice", "!shardinfo"))  # the others still answer


async def test_disabling_an_alias_keeps_its_command(start: Any) -> None:
    aliases = [e for e in builtin_catalog().values() if e.is_alias]
    if not aliases:
        pytest.skip("no built-in command has an alias")
    alias = aliases[0]
    rt = await start(templates=(), config={"builtin_commands": {"disabled": [alias.name]}})
    assert rt.bot.get_command(alias.name) is None
    command = rt.bot.get_command(alias.command)
    assert command is not None and alias.name not in command.aliases
    assert title(await say(rt, "alice", f"!{alias.command}"))


async def test_renamed_builtin_answers_under_its_new_name_next_to_a_template_help(
    start: Any, logs: LogRecords
) -> None:
    rt = await start(
        templates=("general",), config={"builtin_commands": {"renamed": {"help": "zhelp"}}}
    )
    builtin = title(await say(rt, "alice", "!zhelp"))
    assert builtin and builtin != "Template help"
    assert title(await slash(rt, "alice", "zhelp")) == builtin
    assert title(await say(rt, "alice", "!help")) == "Template help"
    assert title(await slash(rt, "alice", "help")) == "Template help"
    # help was renamed away, so the template's help replaces nothing (botinfo still does).
    replaced = [m for m in logs.messages(logger="zoryx.commands") if "replaces" in m]
    assert not any("'help'" in m for m in replaced)
    assert any("'botinfo'" in m for m in replaced)


async def test_an_unknown_builtin_name_stops_start_up_with_a_clear_error(tmp_path: Path) -> None:
    config = {"builtin_commands": {"disabled": ["stats"], "renamed": {"halp": "assist"}}}
    bot_dir = make_bot_dir(tmp_path, templates=(), config=config)
    rt = Runtime(bot_dir, console_logging=False, environ={}, sandbox_world="empty")
    with pytest.raises(ConfigError) as caught:
        await rt.start()
    message = str(caught.value)
    assert "builtin_commands.renamed.halp" in message
    assert 'no built-in command or alias "halp"' in message and 'did you mean "help"' in message
    assert rt.services is None  # refused before anything was opened


async def test_renaming_onto_a_builtin_name_is_refused(tmp_path: Path) -> None:
    config = {"builtin_commands": {"renamed": {"help": "stats"}}}
    rt = Runtime(
        make_bot_dir(tmp_path, templates=(), config=config),
        console_logging=False,
        environ={},
        sandbox_world="empty",
    )
    with pytest.raises(ConfigError, match='"stats" is already the built-in command "stats"'):
        await rt.start()


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"disabled": "help"}, "builtin_commands.disabled must be a list of command names"),
        ({"disabled": ["Two words"]}, "builtin_commands.disabled[0] must be a command name"),
        ({"renamed": {"help": "a", "stats": "a"}}, 'renames two commands to "a"'),
        ({"disabled": ["help"], "renamed": {"help": "h"}}, '"help" is both disabled and renamed'),
    ],
)
def test_the_section_is_validated(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_config({"builtin_commands": section})


def test_the_sections_are_documented_config_keys() -> None:
    keys = {k.path: k for k in describe_keys()}
    assert keys["builtin_commands.disabled"].default == []
    assert keys["builtin_commands.renamed"].default == {}
    assert keys["command_sync.auto_sync"].default is True
    assert keys["command_sync.debounce"].default > 0
