"""Attaching to a running bot over its control socket: reads, actions, events, loss."""

from __future__ import annotations

import asyncio
import os
import pwd
import stat
from pathlib import Path
from typing import Any

import pytest

from zoryx.control import RemoteSource
from zoryx.readmodel import ActionFailed, SourceLost, UnknownView
from zoryx.runtime import Runtime

from .conftest import new_runtime, wait_for, zoryx


async def test_hello_read_act_and_the_audit_names_the_attached_operator(
    runtime: Runtime,
) -> None:
    source = await RemoteSource.open(runtime.bot_dir)
    try:
        info = source.info
        assert (info.pid, info.via, info.role) == (os.getpid(), "socket", "owner")
        assert info.name == str(runtime.bot.user) and info.bot_dir == str(runtime.bot_dir)
        status = await source.read("status")
        assert status["ready"] is True and status["guilds"] == len(runtime.bot.guilds)

        audit: list[dict[str, Any]] = []
        source.subscribe("audit", audit.append)
        await source.flush()
        reloaded = await source.act("reload_extension", name="ping")
        assert reloaded["name"] == "ping" and reloaded["state"] == "loaded"
        await wait_for(lambda: audit)
        me = pwd.getpwuid(os.geteuid()).pw_name
        assert audit[0]["action"] == "reload_extension" and audit[0]["ok"] is True
        assert (audit[0]["actor"], audit[0]["source"]) == (me, "console-attach")
        stored = await runtime.bot.operator.audit.recent(5)
        assert any(
            r.action == "reload_extension" and r.source == "console-attach" and r.actor == me
            for r in stored
        )

        with pytest.raises(UnknownView):
            await source.read("no such view")
        with pytest.raises(ActionFailed) as unknown:
            await source.act("format_disk")
        assert unknown.value.kind == "UnknownAction"
        with pytest.raises(ActionFailed) as bad:
            await source.act("reload_extension", name="ping", force=True)
        assert bad.value.kind == "InvalidParams" and "force" in str(bad.value)
        with pytest.raises(ActionFailed) as failed:
            await source.act("unload_extension", name="never_loaded")
        assert failed.value.kind == "OperatorError" and "not loaded" in str(failed.value)
    finally:
        await source.close()


async def test_the_socket_is_private_and_removed_at_shutdown(bot_dir: Path) -> None:
    rt = new_runtime(bot_dir)
    await rt.start()
    path = bot_dir / "data" / "zoryx.sock"
    try:
        info = os.lstat(path)
        assert stat.S_ISSOCK(info.st_mode)
        assert stat.S_IMODE(info.st_mode) == 0o600 and info.st_uid == os.geteuid()
    finally:
        await rt.shutdown("test done")
    assert not await asyncio.to_thread(os.path.lexists, path)


async def test_a_lost_bot_is_announced_and_the_source_reconnects(bot_dir: Path) -> None:
    first = new_runtime(bot_dir)
    await first.start()
    source = await RemoteSource.open(bot_dir)
    states: list[str] = []
    source.subscribe("lifecycle", lambda event: states.append(event["state"]))
    second: Runtime | None = None
    try:
        await first.shutdown("restart")
        await wait_for(lambda: states == ["lost"])
        assert not source.connected
        with pytest.raises(SourceLost):
            await source.read("status")

        second = new_runtime(bot_dir)
        await second.start()
        await wait_for(lambda: states == ["lost", "connected"])
        assert source.connected
        assert (await source.read("status"))["ready"] is True
    finally:
        await source.close()
        if second is not None:
            await second.shutdown("test done")


async def test_many_readers_share_one_connection(runtime: Runtime) -> None:
    source = await RemoteSource.open(runtime.bot_dir)
    try:
        results = await asyncio.gather(*(source.read("status") for _ in range(50)))
        assert all(r["ready"] for r in results)
    finally:
        await source.close()


async def test_ctl_say_sends_as_the_bot(runtime: Runtime) -> None:
    channel = runtime.bot.guilds[0].text_channels[0]
    result = await asyncio.to_thread(
        zoryx, "ctl", str(runtime.bot_dir), "say", str(channel.id), "hello", "from", "the", "shell"
    )
    assert result.returncode == 0, result.stderr
    message_id = int(result.stdout.split()[2])  # "sent message <id> to channel <id>"
    message = await channel.fetch_message(message_id)
    assert message.content == "hello from the shell"
    assert message.author.id == runtime.bot.user.id
