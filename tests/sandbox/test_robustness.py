"""The sandbox under hostile input: huge and malformed bodies, mistyped identify, exposure.

Bodies are checked like Discord does: the token first, then the body read with a cap
(413 40005 past it, 400 50109 for invalid JSON), never a 500 and never a whole flood held
in memory. The sandbox runs on a thread of this process, so this process's RSS is the
server's memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import signal
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import psutil
import pytest

from zoryx.sandbox import Sandbox
from zoryx.sandbox.constants import InteractionType
from zoryx.sandbox.interactions import InteractionRecord
from zoryx.sandbox.rest.bodies import JSON_BODY_LIMIT, UPLOAD_BODY_LIMIT

from .helpers import on_sandbox
from .test_standalone import start_server

MiB = 1 << 20
FLOOD = 60 * MiB
CHUNK = b"x" * (64 << 10)


@contextlib.contextmanager
def peak_rss() -> Iterator[dict[str, int]]:
    """Sample this process's RSS from a thread; ``["growth"]`` is the peak over the start."""
    proc = psutil.Process()
    result = {"start": proc.memory_info().rss, "peak": 0, "growth": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.002):
            result["peak"] = max(result["peak"], proc.memory_info().rss)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield result
    finally:
        done.set()
        thread.join(10)
        result["growth"] = max(0, result["peak"] - result["start"])


class Flood:
    """A streamed (chunked) request body of ``size`` bytes that never sits in memory.

    It stops once ``answered`` is set, and counts what it produced before that.
    """

    def __init__(self, size: int, head: bytes = b"", tail: bytes = b"") -> None:
        self.size, self.head, self.tail = size, head, tail
        self.answered = asyncio.Event()
        self.sent = 0

    async def chunks(self) -> AsyncIterator[bytes]:
        yield self.head
        while self.sent < self.size and not self.answered.is_set():
            self.sent += len(CHUNK)
            yield CHUNK
            await asyncio.sleep(0)
        if not self.answered.is_set():
            yield self.tail


async def post_flood(
    http: aiohttp.ClientSession, url: str, ctype: str, flood: Flood
) -> tuple[int, dict[str, Any]]:
    async with http.post(url, data=flood.chunks(), headers={"Content-Type": ctype}) as resp:
        flood.answered.set()
        return resp.status, await resp.json()


def multipart_flood(size: int) -> tuple[str, Flood]:
    boundary = "floodboundary"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="payload_json"\r\n'
        "Content-Type: application/json\r\n\r\n"
        '{"content": "hi"}\r\n'
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="files[0]"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", Flood(size, head, tail)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        yield session


async def make_webhook(sandbox: Sandbox, http: aiohttp.ClientSession) -> dict[str, Any]:
    channel = sandbox.channel_id("#general")
    async with http.post(
        f"{sandbox.api_url}/channels/{channel}/webhooks",
        json={"name": "Flood target"},
        headers={"Authorization": f"Bot {sandbox.token}"},
    ) as resp:
        assert resp.status == 200, await resp.text()
        return dict(await resp.json())


# -- body size --------------------------------------------------------------------------------
async def test_parallel_huge_bodies_are_refused_without_holding_them(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    hook = await make_webhook(sandbox, http)
    execute = f"{sandbox.api_url}/webhooks/{hook['id']}/{hook['token']}"
    wrong_token = f"{sandbox.api_url}/webhooks/{hook['id']}/not-the-token"
    json_floods = [Flood(FLOOD) for _ in range(4)]
    parts = [multipart_flood(FLOOD) for _ in range(4)]
    with peak_rss() as rss:
        answers = await asyncio.gather(
            *(post_flood(http, execute, "application/json", f) for f in json_floods),
            *(post_flood(http, wrong_token, ctype, f) for ctype, f in parts),
        )
    for status, body in answers[:4]:
        assert (status, body) == (413, {"code": 40005, "message": "Request entity too large"})
    for status, body in answers[4:]:
        assert status == 401 and body["code"] == 50027  # the token, before any body
    # The server answered long before the 60 MiB were sent, and held little of them.
    assert all(f.sent < FLOOD // 2 for f in json_floods)
    assert all(f.sent < FLOOD // 2 for _, f in parts)
    assert rss["growth"] < 100 * MiB, f"RSS grew by {rss['growth'] / MiB:.0f} MiB"
    assert not any(m.raw.get("webhook_id") == hook["id"] for m in sandbox.messages("#general"))


async def test_uploads_are_capped_at_discords_upload_limit(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    hook = await make_webhook(sandbox, http)
    execute = f"{sandbox.api_url}/webhooks/{hook['id']}/{hook['token']}?wait=true"
    ctype, flood = multipart_flood(UPLOAD_BODY_LIMIT + MiB)
    status, body = await post_flood(http, execute, ctype, flood)
    assert (status, body["code"]) == (413, 40005)
    # A file well under the limit still goes through, over the JSON cap.
    form = aiohttp.FormData()
    form.add_field("payload_json", json.dumps({"content": "big file"}))
    form.add_field("files[0]", b"\0" * (2 * JSON_BODY_LIMIT), filename="ok.bin")
    async with http.post(execute, data=form) as resp:
        assert resp.status == 200, await resp.text()
        sent = await resp.json()
    assert sent["attachments"][0]["size"] == 2 * JSON_BODY_LIMIT


async def test_a_declared_oversized_body_is_refused_before_it_is_sent(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    hook = await make_webhook(sandbox, http)
    reader, writer = await asyncio.open_connection(sandbox.host, sandbox.port)
    try:
        writer.write(
            (
                f"POST /api/v10/webhooks/{hook['id']}/{hook['token']} HTTP/1.1\r\n"
                f"Host: {sandbox.host}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {FLOOD}\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        # No byte of the body is sent: a server waiting for it would never answer.
        status_line = await asyncio.wait_for(reader.readline(), 20)
        assert status_line.startswith(b"HTTP/1.1 413"), status_line
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


# -- malformed JSON -------------------------------------------------------------------------
BAD_BODIES = {
    "truncated": b'{"content": "hi"',
    "not UTF-8": b'{"content": "\xff\xfe"}',
    "too deep": b"[" * 100_000,
}


@pytest.mark.parametrize("raw", list(BAD_BODIES.values()), ids=list(BAD_BODIES))
async def test_malformed_json_answers_400_50109_on_every_kind_of_route(
    sandbox: Sandbox, http: aiohttp.ClientSession, raw: bytes
) -> None:
    hook = await make_webhook(sandbox, http)
    channel, guild = sandbox.channel_id("#general"), sandbox.guild().id
    owner = sandbox.user("owner").id

    def interaction() -> InteractionRecord:
        data = {"id": "1", "name": "probe", "type": 1}
        return sandbox.state.interactions.create(
            sandbox.app_info, InteractionType.APPLICATION_COMMAND, owner, channel, data
        )

    record = await on_sandbox(sandbox, interaction)
    bot = {"Authorization": f"Bot {sandbox.token}"}
    by_token = f"{sandbox.api_url}/webhooks/{hook['id']}/{hook['token']}"
    callback = f"{sandbox.api_url}/interactions/{record.id}/{{}}/callback"
    calls = [
        ("POST", f"{sandbox.api_url}/channels/{channel}/messages", bot),
        ("PATCH", f"{sandbox.api_url}/guilds/{guild}", bot),
        ("POST", f"{sandbox.api_url}/channels/{channel}/webhooks", bot),
        ("POST", by_token, {}),
        ("PATCH", by_token, {}),
        ("POST", callback.format(record.token), {}),
    ]
    for method, url, headers in calls:
        async with http.request(
            method, url, data=raw, headers={**headers, "Content-Type": "application/json"}
        ) as resp:
            assert resp.status == 400, (method, url, await resp.text())
            assert (await resp.json())["code"] == 50109
    form = aiohttp.FormData()
    form.add_field("payload_json", io.BytesIO(raw), content_type="application/json")
    form.add_field("files[0]", b"data", filename="a.txt")
    async with http.post(by_token, data=form) as resp:
        assert (resp.status, (await resp.json())["code"]) == (400, 50109)
    # Without the right token the body is never looked at.
    for url, status, code in (
        (f"{sandbox.api_url}/webhooks/{hook['id']}/wrong", 401, 50027),
        (callback.format("wrong"), 404, 10062),
    ):
        async with http.post(url, data=raw, headers={"Content-Type": "application/json"}) as resp:
            assert (resp.status, (await resp.json())["code"]) == (status, code)
    assert record.response_type is None  # no callback was accepted


# -- gateway identify -------------------------------------------------------------------------
async def gateway_close(sandbox: Sandbox, *payloads: dict[str, Any]) -> int | None:
    """Connect, send ``payloads`` after HELLO (and READY for a valid identify), and return
    the close code the sandbox ends the connection with."""
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{sandbox.gateway_url}?v=10&encoding=json") as ws,
    ):
        hello = await ws.receive_json(timeout=10)
        assert hello["op"] == 10
        for payload in payloads:
            await ws.send_str(json.dumps(payload))
            if payload is not payloads[-1]:
                ready = await ws.receive_json(timeout=10)
                assert ready["t"] == "READY", ready
        while True:
            msg = await asyncio.wait_for(ws.receive(), 10)
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                return ws.close_code
            assert msg.type == aiohttp.WSMsgType.TEXT, msg


def identify(sandbox: Sandbox, **changes: Any) -> dict[str, Any]:
    data = {
        "token": sandbox.token,
        "intents": 513,
        "properties": {"os": "linux", "browser": "test", "device": "test"},
        "shard": [0, 1],
        **changes,
    }
    return {"op": 2, "d": data}


WRONG_TYPES = {
    "token as int": {"token": 12345},
    "intents as string": {"intents": "513"},
    "properties not an object": {"properties": "linux"},
    "shard not a list": {"shard": "0,1"},
    "shard of one": {"shard": [0]},
    "shard with a string": {"shard": [0, "1"]},
    "large_threshold as string": {"large_threshold": "250"},
    "presence not an object": {"presence": ["online"]},
}


@pytest.mark.parametrize("changes", list(WRONG_TYPES.values()), ids=list(WRONG_TYPES))
async def test_identify_with_wrong_types_closes_4002_without_a_traceback(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture, changes: dict[str, Any]
) -> None:
    caplog.set_level(logging.DEBUG)
    assert await gateway_close(sandbox, identify(sandbox, **changes)) == 4002
    assert not [r for r in caplog.records if r.exc_info], caplog.text
    assert "Traceback" not in caplog.text
    assert sandbox.gateway.identify_count == 0


@pytest.fixture
def sandbox_options() -> dict[str, Any]:
    return {"max_concurrency": 3}


async def test_identify_close_codes_follow_discord(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    not_an_object = {"op": 2, "d": ["token"]}
    assert await gateway_close(sandbox, not_an_object) == 4002
    assert await gateway_close(sandbox, identify(sandbox, token="wrong")) == 4004
    assert await gateway_close(sandbox, identify(sandbox, shard=[2, 2])) == 4010
    assert await gateway_close(sandbox, identify(sandbox, intents=1 << 40)) == 4013
    assert await gateway_close(sandbox, identify(sandbox, intents=-1)) == 4013
    # Once identified, other send events with wrong types are decode errors too.
    # (Each identify in its own max_concurrency bucket: one per bucket per 5 s.)
    members = {"op": 8, "d": {"guild_id": "abc", "limit": 0}}
    assert await gateway_close(sandbox, identify(sandbox, shard=[0, 3]), members) == 4002
    voice = {"op": 4, "d": {"guild_id": str(sandbox.guild().id), "self_mute": "yes"}}
    assert await gateway_close(sandbox, identify(sandbox, shard=[1, 3]), voice) == 4002
    presence = {"op": 3, "d": {"status": 1, "activities": []}}
    assert await gateway_close(sandbox, identify(sandbox, shard=[2, 3]), presence) == 4002
    assert not [r for r in caplog.records if r.exc_info], caplog.text


# -- exposure warning ---------------------------------------------------------------------------
async def stop_server(proc: asyncio.subprocess.Process) -> str:
    """SIGINT the standalone server and return everything it wrote on stderr."""
    assert proc.stderr is not None
    proc.send_signal(signal.SIGINT)
    try:
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return err.decode()


async def test_a_non_loopback_host_prints_a_loud_warning() -> None:
    proc, banner = await start_server("--host", "0.0.0.0", "--port", "0", "--world", "empty")
    errors = await stop_server(proc)
    assert "running at http://0.0.0.0:" in banner
    lines = [line for line in errors.splitlines() if line.strip()]
    assert lines[0].startswith("!!!!") and len(lines) >= 6, errors
    assert "WARNING" in errors and "0.0.0.0" in errors
    assert "NO real authentication" in errors
    assert "anyone on the network" in errors and "act as the bot" in errors
    assert "Traceback" not in errors


async def test_the_default_loopback_host_prints_no_warning() -> None:
    proc, _ = await start_server("--port", "0", "--world", "empty")
    errors = await stop_server(proc)
    assert "WARNING" not in errors and "!!!!" not in errors, errors


# -- non-ASCII digits -----------------------------------------------------------------------
async def test_non_ascii_digits_are_not_ids(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    """'²' passes ``str.isdigit()`` but ``int('²')`` raises: a 4xx, never a 500."""
    hook = await make_webhook(sandbox, http)
    channel = sandbox.channel_id("#general")
    bot = {"Authorization": f"Bot {sandbox.token}"}
    control = {"Authorization": f"Sandbox {sandbox.control_token}"}
    api, root = sandbox.api_url, sandbox.url
    calls: list[tuple[str, str, dict[str, str], Any, int]] = [
        ("GET", f"{api}/channels/²/messages", bot, None, 404),
        ("GET", f"{api}/channels/{channel}/messages/pins?limit=²", bot, None, 400),
        ("POST", f"{api}/users/@me/channels", bot, {"recipient_id": "²"}, 400),
        (
            "POST",
            f"{api}/webhooks/{hook['id']}/{hook['token']}?thread_id=²",
            {},
            {"content": "x"},
            400,
        ),
        ("GET", f"{root}/cdn/attachments/{channel}/²/file.txt", {}, None, 404),
        ("GET", f"{root}/_sandbox/channels/{channel}/messages?after=²", control, None, 400),
    ]
    for method, url, headers, body, status in calls:
        async with http.request(method, url, json=body, headers=headers) as resp:
            assert resp.status == status, (method, url, await resp.text())
