"""The example extensions ``zoryx init`` ships work end to end on the sandbox."""

from __future__ import annotations

from pathlib import Path

from zoryx.bootstrap import init_bot_dir
from zoryx.runtime import Runtime


async def test_shipped_examples(tmp_path: Path) -> None:
    init_bot_dir(tmp_path)
    rt = Runtime(tmp_path, console_logging=False, environ={}, sandbox_world="demo")
    await rt.start()
    try:
        sb = rt.sandbox
        alice = sb.user("alice")
        await alice.say("#bot-commands", "!hello")
        assert "Hello, Alice" in (await sb.expect_message("#bot-commands")).content
        roll = await (await alice.slash("roll", "#bot-commands", dice=3, sides=6)).response()
        assert roll.content.startswith("🎲") and roll.content.count("+") == 2

        await alice.say("#bot-commands", "!note add buy milk")
        assert "Saved note #1" in (await sb.expect_message("#bot-commands")).content
        await alice.say("#bot-commands", "!note")
        assert "buy milk" in (await sb.expect_message("#bot-commands")).content
        guild_id = sb.guild("Zoryx Lounge").id
        assert (tmp_path / "data" / str(guild_id) / "guild.db").exists()

        await sb.create_user("newcomer")
        await sb.add_member("newcomer", "Zoryx Lounge")
        welcome = await sb.expect_message("#welcome", guild="Zoryx Lounge")
        assert "Welcome to **Zoryx Lounge**" in welcome.content
    finally:
        await rt.shutdown()
