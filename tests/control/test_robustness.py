"""Hostile or broken peers never crash the control server, leak descriptors, or get a
traceback; the bot answers a normal client afterwards. Runs against a real
``zoryx run --headless`` process."""

from __future__ import annotations

import inspect
import json
import socket
import string
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zoryx.control.protocol import METHODS, TOPICS
from zoryx.readmodel import VIEWS, views_bot, views_world

from .conftest import HeadlessBot
from .rawws import BINARY, PING, TEXT, Closed, RawWS, raw_connect

FUZZ = settings(
    max_examples=60,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the work tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def assert_answers(bot: HeadlessBot) -> None:
    """The bot still answers a normal client (and is still running)."""
    assert bot.process.poll() is None, "the bot process died"
    ws = RawWS(bot.socket)
    try:
        assert ws.status == 101
        reply = ws.request(1, "hello")
        assert reply["result"]["pid"] == bot.process.pid
    finally:
        ws.close()


def answer_to(ws: RawWS, request_id: Any) -> dict[str, Any]:
    """The answer to ``request_id``, skipping pushed events."""
    while True:
        message = ws.recv_message()
        if "event" not in message:
            assert message.get("id") == request_id, message
            return message


def hang_up_and_drain(sock: socket.socket) -> bytes:
    sock.shutdown(socket.SHUT_WR)
    out = b""
    try:
        while chunk := sock.recv(65536):
            out += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return out


@FUZZ
@given(junk=st.binary(min_size=1, max_size=4096))
def test_random_bytes_instead_of_http(headless: HeadlessBot, junk: bytes) -> None:
    sock = raw_connect(headless.socket)
    try:
        try:
            sock.sendall(junk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may hang up first
        assert b"Traceback" not in hang_up_and_drain(sock)
    finally:
        sock.close()
    assert_answers(headless)


@FUZZ
@given(junk=st.binary(min_size=1, max_size=4096))
def test_random_bytes_after_the_handshake(headless: HeadlessBot, junk: bytes) -> None:
    ws = RawWS(headless.socket)
    try:
        assert ws.status == 101
        try:
            ws.sock.sendall(junk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert b"Traceback" not in hang_up_and_drain(ws.sock)
    finally:
        ws.close()
    assert_answers(headless)


@FUZZ
@given(text=st.text(max_size=2000))
def test_random_text_frames_get_an_error_answer(headless: HeadlessBot, text: str) -> None:
    ws = RawWS(headless.socket)
    try:
        ws.send_text(text)
        reply = ws.recv_message()
        assert set(reply) == {"id", "error"} and reply["error"]["kind"] in (
            "ParseError",
            "InvalidRequest",
        )
        assert "Traceback" not in reply["error"]["message"]
        assert ws.request(2, "hello")["result"]["role"] == "owner"  # the connection lives on
    finally:
        ws.close()


def _view_params() -> dict[str, list[str]]:
    assert views_bot and views_world  # imported: every view is registered
    return {
        name: [p for p in inspect.signature(fn).parameters if p != "runtime"]
        for name, fn in VIEWS.items()
    }


VIEW_PARAMS = _view_params()
SMALL = st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=20)
VALUES = st.recursive(
    SMALL | st.floats(allow_nan=False),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def requests(draw: st.DrawFn) -> tuple[Any, Any]:  # (message, id it was built with)
    """A JSON value to send as a request: anything, or a near-valid request."""
    request_id = draw(st.integers(-(2**63), 2**63) | st.text(max_size=10))
    method = draw(st.sampled_from(sorted(METHODS)) | st.text(max_size=12))
    if method == "read":
        view = draw(st.sampled_from(sorted(VIEW_PARAMS)) | st.text(max_size=12))
        names = [*VIEW_PARAMS.get(view, []), "bogus"]
        args = draw(st.dictionaries(st.sampled_from(names), SMALL, max_size=3))
        params: Any = {"view": view, "params": args}
    elif method == "act":  # never a real action: fuzzing must not delete or shut down
        action = draw(st.text(alphabet=string.ascii_uppercase, max_size=12))
        params = {"action": action, "params": draw(VALUES)}
    elif method in ("subscribe", "unsubscribe"):
        params = {"topic": draw(st.sampled_from(sorted(TOPICS)) | st.text(max_size=8))}
    else:
        params = draw(VALUES)
    message = draw(
        st.just({"id": request_id, "method": method, "params": params})
        | st.fixed_dictionaries({"id": st.just(request_id)}, optional={"method": VALUES})
        | VALUES
    )
    return message, request_id


@FUZZ
@given(request=requests())
def test_random_json_requests_get_one_answer_each(
    headless: HeadlessBot, request: tuple[Any, Any]
) -> None:
    message, _ = request
    sent_id = message.get("id") if isinstance(message, dict) else None
    ws = RawWS(headless.socket)
    try:
        ws.send_text(json.dumps(message))
        reply = answer_to(ws, sent_id if type(sent_id) in (int, str) else None)
        assert ("result" in reply) != ("error" in reply)
        if "error" in reply:
            assert "Traceback" not in reply["error"]["message"]
        ws.send_text(json.dumps({"id": 2**70, "method": "hello"}))
        assert answer_to(ws, 2**70)["result"]["pid"] == headless.process.pid
    finally:
        ws.close()


def test_oversized_broken_and_truncated_frames(headless: HeadlessBot) -> None:
    cases = [
        (lambda ws: ws.send_frame(TEXT, b"x" * 1000, declared=64 << 20), 1009),
        (lambda ws: ws.send_frame(TEXT, b"\xff\xfe{}"), 1007),
        (lambda ws: ws.send_frame(PING, b"p" * 200), 1002),  # control frames carry <= 125
    ]
    for send, code in cases:
        ws = RawWS(headless.socket)
        try:
            send(ws)
            with pytest.raises(Closed) as closed:
                ws.recv_message()
            assert closed.value.code == code
        finally:
            ws.close()
    for declared in (10, 70_000, 5 << 20):  # a frame cut short, then the peer hangs up
        ws = RawWS(headless.socket)
        ws.send_frame(TEXT, b'{"id": 1', declared=declared)
        assert b"Traceback" not in hang_up_and_drain(ws.sock)
        ws.close()
    ws = RawWS(headless.socket)
    try:
        ws.send_frame(BINARY, b"\x00\x01")
        assert ws.recv_message()["error"]["kind"] == "InvalidRequest"
    finally:
        ws.close()
    assert_answers(headless)


def test_a_thousand_connections_leave_no_descriptor_behind(headless: HeadlessBot) -> None:
    assert_answers(headless)
    baseline = headless.fd_count()
    for batch in range(20):  # 50 at a time, 1,000 in all, each dropped differently
        peers: list[Any] = []
        for n in range(50):
            kind = (batch * 50 + n) % 4
            if kind == 0:
                peers.append(raw_connect(headless.socket))  # never says anything
            else:
                ws = RawWS(headless.socket)
                if kind == 2 and ws.status == 101:
                    ws.send_text('{"id": 1, "method": "subscribe", "params": {"topic": "log"}}')
                    answer_to(ws, 1)
                elif kind == 3 and ws.status == 101:
                    ws.send_text('{"id": 1, "method": "read", "params": {"view": "status"}}')
                peers.append(ws)  # and then hangs up without a close frame
        for peer in peers:
            peer.close()
    deadline = time.monotonic() + 120
    while headless.fd_count() > baseline + 5 and time.monotonic() < deadline:
        time.sleep(0.1)  # polling the process's descriptor table, with a deadline
    assert headless.fd_count() <= baseline + 5
    assert_answers(headless)
