"""What a new user meets in the first hour: the CLI's directory handling and start-up output.

The processes are real ``python -m zoryx`` processes; nothing waits on a clock, every
step waits for a line the process prints (or for it to exit).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zoryx import cli
from zoryx.runtime import Runtime
from zoryx.voice_warnings import missing_voice_libraries, uses_voice

ZORYX = [sys.executable, "-m", "zoryx"]
ENV = {**os.environ, "PYTHONUNBUFFERED": "1", "DISCORD_TOKEN": ""}
VOICE_WARNING = "voice will NOT be supported"


def zoryx(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ZORYX, *args], capture_output=True, text=True, timeout=timeout, env=ENV)


def start_headless(bot_dir: Path) -> tuple[subprocess.Popen[str], list[str]]:
    """Start ``zoryx run --headless`` and return it with its stdout up to the ready line."""
    proc = subprocess.Popen(
        [*ZORYX, "run", "--headless", "--dir", str(bot_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("Zoryx ready"):
            return proc, lines
    proc.kill()
    _, err = proc.communicate(timeout=30)
    raise AssertionError(f"no ready line: {''.join(lines)} {err}")


def stop(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


@pytest.mark.parametrize(
    "command",
    [("run", "--headless"), ("run", "--no-headless"), ("tui",), ("doctor",)],
    ids=lambda c: " ".join(c),
)
def test_a_missing_bot_dir_is_refused_with_a_hint(tmp_path: Path, command: tuple[str]) -> None:
    missing = tmp_path / "no-such-bot"
    result = zoryx(*command, "--dir", str(missing))
    assert result.returncode != 0
    message = one_line(result.stderr)
    assert f"zoryx init {missing}" in message
    assert not missing.exists(), "nothing is created for a directory that does not exist"


def test_a_second_process_is_refused_and_a_killed_one_leaves_no_lock(tmp_path: Path) -> None:
    assert zoryx("init", str(tmp_path)).returncode == 0
    first, _ = start_headless(tmp_path)
    try:
        for command in (("run", "--headless"), ("tui",)):
            second = zoryx(*command, "--dir", str(tmp_path))
            assert second.returncode == 1, second.stdout
            message = one_line(second.stderr)
            assert f"in use by process {first.pid}" in message
    finally:
        first.kill()
        first.communicate(timeout=60)
    assert first.returncode == -signal.SIGKILL
    assert (tmp_path / "data" / "zoryx.lock").read_text().strip() == str(first.pid)
    third, _ = start_headless(tmp_path)  # the dead process's lock does not block
    code, _, err = stop(third)
    assert code == 0, err


def test_headless_prints_ready_once_and_no_voice_warnings(tmp_path: Path) -> None:
    assert zoryx("init", str(tmp_path)).returncode == 0
    proc, before = start_headless(tmp_path)
    code, out, err = stop(proc)
    assert code == 0, err
    output = "".join(before) + out
    assert output.count("Zoryx ready") == 1, output
    assert VOICE_WARNING not in output + err
    log = (tmp_path / "botlogs" / "current_run.log").read_text()
    assert log.count("Zoryx ready") == 1


VOICE_EXTENSION = """
import discord
from discord.ext import commands


@commands.command()
async def join(ctx):
    await ctx.author.voice.channel.connect(cls=discord.VoiceClient)


async def setup(bot):
    bot.add_command(join)
"""


@pytest.mark.skipif(not missing_voice_libraries(), reason="voice libraries are installed")
async def test_a_bot_that_uses_voice_still_gets_the_warning(bot_dir: Path) -> None:
    (bot_dir / "extensions" / "music.py").write_text(VOICE_EXTENSION)
    rt = Runtime(bot_dir, console_logging=False, environ={}, sandbox_world="empty")
    await rt.start()
    await rt.shutdown("test done")
    log = (bot_dir / "botlogs" / "current_run.log").read_text()
    warnings = [line for line in log.splitlines() if VOICE_WARNING in line]
    assert warnings and all("music" in line for line in warnings), log


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import discord\nasync def f(ctx):\n    await ctx.voice_client.disconnect()\n", True),
        ("from discord import FFmpegPCMAudio\n", True),
        ("import discord\nclient = discord.VoiceClient\n", True),
        ("async def f(ctx):\n    await ctx.send('connect to voice')\n", False),
        ("def broken(:\n", False),
    ],
)
def test_uses_voice(source: str, expected: bool) -> None:
    assert uses_voice(source) is expected


def test_init_adds_examples_only_to_a_new_directory(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    assert zoryx("init", str(fresh)).returncode == 0
    examples = sorted(p.name for p in (fresh / "extensions").glob("*.py"))
    assert examples, "a new directory gets the example extensions"
    (fresh / "extensions" / examples[0]).unlink()
    again = zoryx("init", str(fresh))
    assert again.returncode == 0
    assert not (fresh / "extensions" / examples[0]).exists(), "a deleted example came back"
    assert "only added to a new directory" in again.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    assert zoryx("init", str(empty)).returncode == 0
    assert sorted(p.name for p in (empty / "extensions").glob("*.py")) == examples


def test_doctor_reports_extension_syntax_errors(tmp_path: Path) -> None:
    assert zoryx("init", str(tmp_path)).returncode == 0
    ext = tmp_path / "extensions"
    (ext / "broken.py").write_text("x = 1\n\ndef f(:\n    pass\n")
    (ext / "shop").mkdir()
    (ext / "shop" / "__init__.py").write_text("from .items import ITEMS\n")
    (ext / "shop" / "items.py").write_text("ITEMS = [\n")
    result = zoryx("doctor", "--dir", str(tmp_path))
    assert result.returncode == 1
    line = next(x for x in result.stdout.splitlines() if "extension syntax" in x)
    assert line.startswith("✗")
    assert "extensions/broken.py line 3: invalid syntax" in line
    assert "extensions/shop/items.py line 1: '[' was never closed" in line


def test_doctor_reports_unknown_builtin_command_names(tmp_path: Path) -> None:
    assert zoryx("init", str(tmp_path)).returncode == 0
    config = json.loads((tmp_path / "config.json").read_text())
    config["builtin_commands"] = {"disabled": ["halp"], "renamed": {}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    result = zoryx("doctor", "--dir", str(tmp_path))
    assert result.returncode == 1
    line = next(x for x in result.stdout.splitlines() if "builtin_commands" in x)
    assert line.startswith("✗") and "halp" in line


def test_run_headless_is_a_switch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, Path]] = []

    def fake_tui(bot_dir: Path) -> None:
        calls.append(("tui", bot_dir))

    def fake_headless(bot_dir: Path, **options: object) -> int:
        calls.append(("headless", bot_dir))
        return 0

    monkeypatch.setattr(cli, "tui", fake_tui)
    monkeypatch.setattr("zoryx.runtime.run_headless", fake_headless)
    runner = CliRunner()
    help_text = runner.invoke(cli.app, ["run", "--help"]).output
    assert "--no-headless" in help_text
    for flag, face in (("--no-headless", "tui"), ("--headless", "headless"), (None, "headless")):
        args = ["run", "--dir", str(tmp_path)] + ([flag] if flag else [])
        result = runner.invoke(cli.app, args)
        assert result.exit_code == 0, result.output
        assert calls.pop() == (face, tmp_path.resolve())
