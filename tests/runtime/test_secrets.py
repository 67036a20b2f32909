"""The bot token never reaches the logs, the metrics or Discord, even when code leaks it."""

from __future__ import annotations

import logging
from pathlib import Path

from zoryx.runtime import Runtime
from zoryx.sandbox import WORLDS, Sandbox, use_sandbox

LEAKY = """
import logging
from discord.ext import commands

log = logging.getLogger("leaky")


@commands.command()
async def leak(ctx):
    token = ctx.bot.http.token
    log.info("the token is %s", token)
    log.warning("inline token " + token)
    raise RuntimeError("boom " + token)


async def setup(bot):
    bot.add_command(leak)
"""


async def test_token_is_redacted_everywhere(tmp_path: Path) -> None:
    (tmp_path / "extensions").mkdir()
    (tmp_path / "extensions" / "leaky.py").write_text(LEAKY)
    sandbox = Sandbox(world=WORLDS["empty"])
    sandbox.start_in_thread()
    try:
        with use_sandbox(sandbox.url):
            # Live mode (a real-looking token in the environment), pointed at the sandbox.
            rt = Runtime(tmp_path, console_logging=False, environ={"DISCORD_TOKEN": sandbox.token})
            await rt.start()
            assert rt.sandbox is None and not rt.ready.sandbox  # type: ignore[union-attr]
            try:
                await sandbox.user("alice").say("#general", "!leak")
                reply = await sandbox.expect_message("#general")
                assert sandbox.token not in reply.text()
                assert "RuntimeError" in reply.text()
                errors = rt.services.metrics.recent_errors()
                assert errors and all(sandbox.token not in (e.error or "") for e in errors)
                logging.getLogger("leaky").error("direct %s", sandbox.token)
            finally:
                await rt.shutdown()
    finally:
        sandbox.stop_thread()
    for name in ("current_run.log", "permanent.log"):
        text = (tmp_path / "botlogs" / name).read_text()
        assert "the token is [REDACTED]" in text
        assert sandbox.token not in text
        assert sandbox.token.split(".")[0] not in text
