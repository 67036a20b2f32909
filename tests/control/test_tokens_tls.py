"""Control tokens (roles, revocation) and the optional TCP listener (TLS only)."""

from __future__ import annotations

import asyncio
import json
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from zoryx.config import ConfigError
from zoryx.control import ControlRefused, RemoteSource
from zoryx.readmodel import ActionFailed
from zoryx.runtime import Runtime

from .conftest import new_runtime, zoryx


async def create_token(bot_dir: Path, role: str, name: str) -> str:
    result = await asyncio.to_thread(
        zoryx, "token", "create", "--role", role, "--name", name, str(bot_dir)
    )
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert token.startswith("zxc_") and len(token) > 40
    return token


async def test_token_file_keeps_hashes_only_and_list_never_shows_them(bot_dir: Path) -> None:
    token = await create_token(bot_dir, "helper", "alice")
    path = bot_dir / "data" / "control_tokens.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert token not in text and token.removeprefix("zxc_") not in text
    (record,) = json.loads(text)["tokens"]
    assert (record["name"], record["role"]) == ("alice", "helper")
    listed = await asyncio.to_thread(zoryx, "token", "list", str(bot_dir))
    assert listed.returncode == 0 and "alice" in listed.stdout and "helper" in listed.stdout
    assert record["sha256"] not in listed.stdout
    again = await asyncio.to_thread(
        zoryx, "token", "create", "--role", "owner", "--name", "alice", str(bot_dir)
    )
    assert again.returncode == 1 and "exists already" in again.stderr


async def test_a_visitor_token_reads_but_may_not_write(runtime: Runtime) -> None:
    token = await create_token(runtime.bot_dir, "visitor", "guest")
    source = await RemoteSource.open(runtime.bot_dir, token)
    try:
        assert source.info.role == "visitor"
        assert (await source.read("status"))["ready"] is True
        assert "ping" in await source.act("read_file", relative="extensions/ping.py")
        with pytest.raises(ActionFailed) as refused:
            await source.act("write_file", relative="extensions/new.py", text="X = 1\n")
        assert refused.value.kind == "PermissionDenied"
        assert not (runtime.bot_dir / "extensions" / "new.py").exists()
        records = await runtime.bot.operator.audit.recent(5)
        assert any(
            (r.actor, r.role, r.source, r.action, r.ok)
            == ("guest", "visitor", "console-attach", "write_file", False)
            for r in records
        )
    finally:
        await source.close()


async def test_a_revoked_token_is_refused_at_once_even_on_an_open_connection(
    runtime: Runtime,
) -> None:
    token = await create_token(runtime.bot_dir, "helper", "bob")
    source = await RemoteSource.open(runtime.bot_dir, token, reconnect=False)
    try:
        assert (await source.act("reload_extension", name="ping"))["name"] == "ping"
        revoked = await asyncio.to_thread(zoryx, "token", "revoke", "bob", str(runtime.bot_dir))
        assert revoked.returncode == 0, revoked.stderr
        with pytest.raises(ActionFailed) as refused:
            await source.act("reload_extension", name="ping")
        assert refused.value.kind == "TokenRevoked"
    finally:
        await source.close()
    with pytest.raises(ControlRefused) as again:
        await RemoteSource.open(runtime.bot_dir, token)
    assert again.value.status == 401
    with pytest.raises(ControlRefused):
        await RemoteSource.open(runtime.bot_dir, "zxc_" + "A" * 43)


async def test_tcp_without_tls_is_refused(bot_dir: Path) -> None:
    rt = new_runtime(bot_dir, {"ZORYX_CONTROL_TCP": "127.0.0.1:0"})
    try:
        with pytest.raises(ConfigError, match="without TLS"):
            await rt.start()
    finally:
        await rt.shutdown("test done")
    assert not (bot_dir / "data" / "zoryx.sock").exists()


def self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
async def test_tcp_with_tls_takes_tokens_only(bot_dir: Path, tmp_path: Path) -> None:
    cert, key = await asyncio.to_thread(self_signed, tmp_path)
    token = await create_token(bot_dir, "helper", "remote")
    environ = {
        "ZORYX_CONTROL_TCP": "127.0.0.1:0",
        "ZORYX_CONTROL_TLS_CERT": str(cert),
        "ZORYX_CONTROL_TLS_KEY": str(key),
    }
    rt = new_runtime(bot_dir, environ)
    await rt.start()
    try:
        host, port = rt.control.tcp_address
        target = f"tcp://{host}:{port}"
        source = await RemoteSource.open(target, token, cafile=str(cert))
        try:
            assert (source.info.via, source.info.role) == ("tcp", "helper")
            assert (await source.read("status"))["ready"] is True
        finally:
            await source.close()
        with pytest.raises(ControlRefused) as anonymous:
            await RemoteSource.open(target, token="", cafile=str(cert))
        assert anonymous.value.status == 401
    finally:
        await rt.shutdown("test done")
