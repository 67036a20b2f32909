"""The runtime's sandbox used from outside: published for other processes, or attached to.

- ``zoryx run``/``zoryx tui`` publish the sandbox they start: ``data/sandbox.json`` (0600)
  holds its URL and control token, and ``zoryx run`` prints them.
- A runtime given ``ZORYX_SANDBOX_URL`` + ``ZORYX_SANDBOX_TOKEN`` attaches to a sandbox
  another process runs, and still knows it is on a sandbox, not live Discord.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from zoryx.runtime import Runtime
from zoryx.sandbox import WORLDS, Sandbox
from zoryx.sandbox.link import SandboxAttachError


async def _say_and_read_reply(control_url: str, token: str, content: str) -> list[dict[str, Any]]:
    """Act as alice over the control API and long-poll for the bot's answer."""
    headers = {"Authorization": f"Sandbox {token}"}
    body = {"user": "alice", "channel": "#general", "content": content}
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.post(f"{control_url}/act/say", json=body) as response:
            assert response.status == 200, await response.text()
            said = await response.json()
        messages = f"{control_url}/channels/{said['channel_id']}/messages"
        params = {"after": said["id"], "wait": "10"}
        async with http.get(messages, params=params) as response:
            assert response.status == 200
            replies: list[dict[str, Any]] = await response.json()
    return replies


async def test_embedded_sandbox_is_published_in_a_private_file(runtime: Runtime) -> None:
    path = runtime.services.data_dir / "sandbox.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    info = json.loads(path.read_text())
    sandbox = runtime.sandbox
    assert info["url"] == sandbox.url and info["control_token"] == sandbox.control_token
    assert info["env"] == {
        "ZORYX_SANDBOX_URL": sandbox.url,
        "ZORYX_SANDBOX_TOKEN": sandbox.control_token,
    }
    assert not list(path.parent.glob(".sandbox.json.*"))  # no temp file left behind
    # Everything needed to drive the bot's sandbox from another process is in the file.
    replies = await _say_and_read_reply(info["control_url"], info["control_token"], "!ping")
    assert [r["content"] for r in replies] == ["pong v1"]
    assert runtime.services.is_sandbox and runtime.services.sandbox_url == sandbox.url
    await runtime.shutdown("test done")
    assert not path.exists()


async def test_runtime_attaches_to_a_sandbox_run_elsewhere(bot_dir: Path) -> None:
    sandbox = Sandbox(world=WORLDS["empty"])
    sandbox.start_in_thread()
    try:
        environ = {"ZORYX_SANDBOX_URL": sandbox.url, "ZORYX_SANDBOX_TOKEN": sandbox.control_token}
        runtime = Runtime(bot_dir, console_logging=False, environ=environ)
        ready = await runtime.start()
        try:
            assert runtime.sandbox is None  # nothing embedded: the sandbox runs elsewhere
            assert runtime.on_sandbox and runtime.services.is_sandbox
            assert runtime.services.sandbox_url == sandbox.url
            assert ready.sandbox and "live Discord" not in ready.line()
            assert f"SANDBOX Discord at {sandbox.url}" in ready.line()
            assert sandbox.state.owner_user_id in runtime.services.owner_ids
            assert [s.app.bot_id for s in sandbox.gateway.live_sessions()] == [sandbox.bot_id]
            replies = await _say_and_read_reply(
                f"{sandbox.url}/_sandbox", sandbox.control_token, "!ping"
            )
            assert [r["content"] for r in replies] == ["pong v1"]
            assert not (runtime.services.data_dir / "sandbox.json").exists()
        finally:
            await runtime.shutdown("test done")
    finally:
        sandbox.stop_thread()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_attaching_fails_with_a_clear_reason(bot_dir: Path) -> None:
    sandbox = Sandbox(world=WORLDS["empty"])
    sandbox.start_in_thread()
    try:
        wrong = {"ZORYX_SANDBOX_URL": sandbox.url, "ZORYX_SANDBOX_TOKEN": "not-the-token"}
        with pytest.raises(SandboxAttachError, match="wrong control token"):
            await Runtime(bot_dir, console_logging=False, environ=wrong).start()
        assert sandbox.gateway.identify_count == 0
    finally:
        sandbox.stop_thread()
    gone = {"ZORYX_SANDBOX_URL": f"http://127.0.0.1:{_closed_port()}", "ZORYX_SANDBOX_TOKEN": "x"}
    with pytest.raises(SandboxAttachError, match="cannot reach the sandbox"):
        await Runtime(bot_dir, console_logging=False, environ=gone).start()


def test_zoryx_run_prints_the_control_api_and_removes_the_file_on_exit(tmp_path: Path) -> None:
    zoryx = [sys.executable, "-m", "zoryx"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for key in ("DISCORD_TOKEN", "ZORYX_SANDBOX_URL", "ZORYX_SANDBOX_TOKEN"):
        env.pop(key, None)
    subprocess.run([*zoryx, "init", str(tmp_path)], check=True, capture_output=True, env=env)
    proc = subprocess.Popen(
        [*zoryx, "run", "--headless", "--world", "empty", "--dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        printed: list[str] = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not any("readable by you" in p for p in printed):
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            printed.append(line)
        text = "".join(printed)
        info = json.loads((tmp_path / "data" / "sandbox.json").read_text())
        assert f"Sandbox control API: {info['url']}/_sandbox" in text
        assert f"control token: {info['control_token']}" in text
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        assert not (tmp_path / "data" / "sandbox.json").exists()
        log = (tmp_path / "botlogs" / "current_run.log").read_text()
        assert info["control_token"] not in log
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_sandbox_link_settings_are_checked() -> None:
    from zoryx.config import ConfigError, parse_env, secrets

    env = parse_env(
        {
            "DISCORD_TOKEN": "a.real.looking.token",
            "ZORYX_SANDBOX_URL": "http://127.0.0.1:8765/",
            "ZORYX_SANDBOX_TOKEN": "control-secret",
        }
    )
    assert env.sandbox and env.sandbox_url == "http://127.0.0.1:8765"
    assert "control-secret" in secrets(env) and "control-secret" not in repr(env)
    with pytest.raises(ConfigError) as missing:
        parse_env({"ZORYX_SANDBOX_URL": "http://127.0.0.1:8765"})
    assert missing.value.key == "ZORYX_SANDBOX_TOKEN"
    with pytest.raises(ConfigError) as bad:
        parse_env({"ZORYX_SANDBOX_URL": "127.0.0.1:8765", "ZORYX_SANDBOX_TOKEN": "x"})
    assert bad.value.key == "ZORYX_SANDBOX_URL"
    assert not parse_env({"DISCORD_TOKEN": "a.real.looking.token"}).sandbox
