"""Issue #13, end to end: secrets in error texts reach nobody and nothing.

A real ``zoryx run --headless`` process, attached to a sandbox Discord run here, loads
extensions whose load errors and command errors contain the secrets of ``.env`` (see
:mod:`.secrets_bot`). A member and the owner run every command that lists failed
extensions or recorded errors. Then every file the bot wrote (data, SQLite databases,
backups, logs), its stdout/stderr and everything the sandbox received are searched for
each secret, each token part and each 12-character window of the long secrets: nothing
may be found. Members see that an extension failed but no exception text; the owner
sees the redacted text; the data files are private (0600).

The console's Plugins pane is checked the same way, in process.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

from cogs.core._common import FAILED_FOR_MEMBERS
from zoryx.redaction import REDACTED
from zoryx.runtime import Runtime
from zoryx.sandbox import WORLDS, Sandbox, SandboxMessage
from zoryx.testing import eventually

from .secrets_bot import FAILING, Secrets, find_leaks, stored_files, write_bot_dir

#: From the exception messages of the extensions (never shown to members).
MESSAGE_WORDS = ("Client Error", "not valid", "signature", "timed out", "upstream", "reach")
#: Load errors start with the exception type: members see neither.
EXCEPTION_WORDS = ("RuntimeError", "ValueError", "PermissionError", "TimeoutError", *MESSAGE_WORDS)


def start_bot(bot_dir: Path, out: Path, err: Path) -> subprocess.Popen[bytes]:
    """``zoryx run --headless`` with a umask that lets others read new files (the usual
    one), so that private files are the bot's own doing."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "ZORYX_"))}
    env["PYTHONUNBUFFERED"] = "1"
    script = 'umask 022 && exec "$0" -m zoryx run --headless --dir "$1"'
    with out.open("wb") as stdout, err.open("wb") as stderr:
        return subprocess.Popen(
            ["sh", "-c", script, sys.executable, str(bot_dir)],
            stdout=stdout,
            stderr=stderr,
            env=env,
        )


async def command(sandbox: Sandbox, user: str, text: str) -> str:
    """Say ``text`` as ``user`` in #general and return the bot's reply (content + embeds)."""
    await sandbox.user(user).say("#general", text)
    reply: SandboxMessage = await sandbox.expect_message("#general", timeout=60)
    return reply.text()


def _exited(proc: subprocess.Popen[bytes]) -> bool:
    return proc.poll() is not None


def private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_no_secret_reaches_members_files_logs_or_discord(tmp_path: Path) -> None:
    values = Secrets.generate()
    sandbox = Sandbox(world=WORLDS["empty"])
    sandbox.start_in_thread()
    bot_dir = tmp_path / "bot"
    link = [f"ZORYX_SANDBOX_URL={sandbox.url}", f"ZORYX_SANDBOX_TOKEN={sandbox.control_token}"]
    write_bot_dir(bot_dir, values, link)
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    proc = start_bot(bot_dir, out, err)
    try:
        await eventually(lambda: "Zoryx ready" in out.read_text() or _exited(proc), timeout=120)
        assert proc.poll() is None, err.read_text()
        member, owner = "alice", "owner"

        # -- a member: failed, but not why ------------------------------------------------
        for name in FAILING:
            reply = await command(sandbox, member, f"!pr_info {name}")
            assert FAILED_FOR_MEMBERS in reply, reply
            assert not any(word in reply for word in EXCEPTION_WORDS), reply
        listing = await command(sandbox, member, "!extensions")
        assert "failed" in listing and "the reason is shown to bot owners" in listing
        assert not any(word in listing for word in EXCEPTION_WORDS), listing
        assert "gemini_bad" in await command(sandbox, member, "!pr_list")
        for text in ("!ask", "!db", "!integritycheck", "!fw_errors", "!eh_history", "!pr_validate"):
            reply = await command(sandbox, member, text)  # a generic reply or a refusal
            assert not any(word in reply for word in MESSAGE_WORDS), (text, reply)

        # -- the owner: the redacted reasons ----------------------------------------------
        for name in FAILING:
            reply = await command(sandbox, owner, f"!pr_info {name}")
            assert FAILED_FOR_MEMBERS not in reply and "Error" in reply, reply
        assert REDACTED in await command(sandbox, owner, "!pr_info gemini_bad")
        assert REDACTED in await command(sandbox, owner, "!extensions")
        for text in ("!pr_list", "!pr_validate", "!ask", "!fw_diagnostics"):
            await command(sandbox, owner, text)
        load = await command(sandbox, owner, "!load gemini_bad")
        assert "Traceback" in load and REDACTED in load, load
        assert REDACTED in await command(sandbox, owner, "!integritycheck")
        assert REDACTED in await command(sandbox, owner, "!fw_errors")
        # The hook runs after the command error, on the hook worker: ask until it shows.
        for _ in range(30):
            history = await command(sandbox, owner, "!eh_history")
            if "could not post" in history:
                break
        assert f"hook could not post with token {REDACTED}" in history, history
        assert await command(sandbox, owner, "!writereports") == "reports written"
        wal = bot_dir / "data" / "main.db-wal"
        assert wal.exists() and private(wal)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 120)
        sandbox.stop_thread()
    assert code == 0, err.read_text()

    # -- nothing, anywhere ------------------------------------------------------------------
    sources: dict[str, bytes | str] = {
        str(path.relative_to(bot_dir)): path.read_bytes() for path in stored_files(bot_dir)
    }
    sources["stdout"], sources["stderr"] = out.read_bytes(), err.read_bytes()
    for channel, messages in sandbox.state.messages.items():
        sources[f"sandbox channel {channel}"] = json.dumps(list(messages.values()))
    for number, (_, _, data) in sandbox.state.attachments.items():
        sources[f"sandbox attachment {number}"] = data
    assert find_leaks(sources, values.needles(sandbox.control_token)) == []

    # -- what was stored is redacted, and private ---------------------------------------------
    data = bot_dir / "data"
    registry = json.loads((data / "plugin_registry.json").read_text())
    assert REDACTED in registry["plugins"]["gemini_bad"]["error"]
    assert REDACTED in (data / "framework_diagnostics.json").read_text()
    with sqlite3.connect(data / "main.db") as conn:
        details = conn.execute(
            "SELECT detail FROM audit_log WHERE action = 'load_extension'"
        ).fetchall()
    assert any(REDACTED in detail for (detail,) in details), details
    backups = list(data.rglob("main_*.db"))
    logs = list((bot_dir / "botlogs").glob("*.log"))
    assert backups and logs
    loose = [p for p in [*data.rglob("*"), *logs] if p.is_file() and not private(p)]
    assert loose == [], "files others can read"


async def test_console_plugins_pane_shows_only_redacted_errors(tmp_path: Path) -> None:
    from tests.tui.conftest import screen_text, show, wait_for_text
    from tests.tui.test_plugins_pane import select_row
    from tui.app import ZoryxConsole

    values = Secrets.generate()
    bot_dir = write_bot_dir(tmp_path / "bot", values)
    runtime = Runtime(bot_dir, console_logging=False, environ={}, sandbox_world="empty")
    app = ZoryxConsole(runtime=runtime)
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        try:
            await asyncio.wait_for(app.ready_event.wait(), 60)
            await show(pilot, "plugins")
            shown: dict[str, bytes | str] = {}
            for name in FAILING:
                await select_row(pilot, f"ext:{name}")
                await pilot.press("l")  # load again: the pane shows the error and traceback
                await wait_for_text(pilot, f"load {name} failed", timeout=30)
                trace = app.query_one("#plg-traceback").text
                shown[name] = screen_text(app) + "\n" + trace
                assert "Traceback" in trace and "Error" in shown[name]
        finally:
            await app.action_quit()
            await asyncio.wait_for(app.shutdown_finished.wait(), 60)
    assert REDACTED in shown["gemini_bad"]
    assert find_leaks(shown, values.needles()) == []
