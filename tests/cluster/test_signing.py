"""Signed bus messages: what passes, what is refused and why (property tests)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zoryx.cluster import REASONS, Rejected, Signer

SECRET = "fleet-secret-0123456789"
PROPS = settings(
    max_examples=200,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the work tree
    suppress_health_check=[HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=20,
)
bodies = st.dictionaries(st.text(max_size=12), json_values, max_size=6)
labels = st.text(min_size=1, max_size=30)


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def reason(signer: Signer, raw: bytes) -> str:
    with pytest.raises(Rejected) as info:
        signer.open(raw)
    assert info.value.reason in REASONS
    return info.value.reason


@PROPS
@given(kind=labels, sender=labels, body=bodies)
def test_sealed_messages_open_once_with_their_content(
    kind: str, sender: str, body: dict[str, Any]
) -> None:
    signer = Signer(SECRET)
    raw = signer.seal(kind, sender, body)
    envelope = signer.open(raw)
    assert (envelope.kind, envelope.sender, envelope.body) == (kind, sender, body)
    assert reason(signer, raw) == "replayed"
    # another cluster with the same secret accepts it (once) as well
    other = Signer(SECRET)
    assert other.open(raw).body == body
    assert reason(other, raw) == "replayed"


@PROPS
@given(body=bodies, data=st.data())
def test_any_changed_byte_is_refused(body: dict[str, Any], data: st.DataObject) -> None:
    raw = Signer(SECRET, clock=Clock()).seal("beat", "cluster-1", body)  # fixed length
    index = data.draw(st.integers(0, len(raw) - 1), label="index")
    new = data.draw(st.integers(0, 255).filter(lambda b: b != raw[index]), label="byte")
    forged = raw[:index] + bytes([new]) + raw[index + 1 :]
    assert reason(Signer(SECRET, clock=Clock()), forged) in (
        "malformed",
        "unsigned",
        "bad_signature",
    )


@PROPS
@given(body=bodies, data=st.data())
def test_truncated_messages_are_refused(body: dict[str, Any], data: st.DataObject) -> None:
    raw = Signer(SECRET, clock=Clock()).seal("beat", "cluster-1", body)  # fixed length
    cut = data.draw(st.integers(0, len(raw) - 1), label="cut")
    assert reason(Signer(SECRET, clock=Clock()), raw[:cut]) in ("malformed", "bad_signature")


@PROPS
@given(body=bodies, secret=st.text(min_size=16, max_size=40).filter(lambda s: s != SECRET))
def test_other_secret_is_a_bad_signature_both_ways(body: dict[str, Any], secret: str) -> None:
    ours, theirs = Signer(SECRET), Signer(secret)
    assert reason(ours, theirs.seal("join", "intruder", body)) == "bad_signature"
    assert reason(theirs, ours.seal("join", "cluster-0", body)) == "bad_signature"


@PROPS
@given(junk=st.binary(max_size=2048))
def test_garbage_is_refused_without_other_errors(junk: bytes) -> None:
    assert reason(Signer(SECRET), junk) in ("malformed", "unsigned", "bad_signature")
    assert reason(Signer(SECRET), b"Z1." + junk) in ("malformed", "bad_signature")


@PROPS
@given(envelope=st.fixed_dictionaries({"kind": labels, "from": labels, "body": bodies}))
def test_unsigned_json_is_counted_as_unsigned(envelope: dict[str, Any]) -> None:
    raw = json.dumps({**envelope, "v": 1, "ts": 1.0, "nonce": "n" * 32}).encode()
    assert reason(Signer(SECRET), raw) == "unsigned"
    assert reason(Signer(SECRET), b"  " + raw) == "unsigned"


def test_oversized_messages_are_refused_before_anything_else() -> None:
    signer = Signer(SECRET)
    assert reason(signer, b"Z1." + b"a" * (1 << 20)) == "oversized"
    assert reason(signer, b"{" + b" " * (1 << 20)) == "oversized"
    with pytest.raises(ValueError, match="exceeds"):
        signer.seal("broadcast", "cluster-0", {"text": "x" * (1 << 20)})
    # the largest accepted message still opens
    small = Signer(SECRET, max_bytes=400, clock=Clock())  # fixed-length timestamps
    raw = small.seal("beat", "c", {"pad": ""})
    raw = small.seal("beat", "c", {"pad": "x" * (400 - len(raw))})
    assert len(raw) == 400 and small.open(raw).body["pad"]


@PROPS
@given(skew=st.floats(min_value=-3600, max_value=3600))
def test_messages_outside_the_window_are_stale(skew: float) -> None:
    sender_clock, receiver_clock = Clock(), Clock()
    raw = Signer(SECRET, clock=sender_clock).seal("beat", "cluster-1", {})
    receiver_clock.now += skew
    receiver = Signer(SECRET, window=60.0, clock=receiver_clock)
    if abs(skew) > 60.0:
        assert reason(receiver, raw) == "stale"
    else:
        assert receiver.open(raw).sender == "cluster-1"


def test_signed_but_wrongly_shaped_envelopes_are_malformed() -> None:
    import hashlib
    import hmac

    def forge(payload: bytes) -> bytes:
        mac = hmac.new(SECRET.encode(), payload, hashlib.sha256).hexdigest().encode()
        return b"Z1." + mac + b"." + payload

    good = {"v": 1, "kind": "beat", "from": "c", "ts": 1.0, "nonce": "n", "body": {}}
    signer = Signer(SECRET, clock=Clock(1.0))
    for bad in (
        b"not json",
        b"[]",
        b"\xff\xfe",
        json.dumps({**good, "v": 2}).encode(),
        json.dumps({**good, "ts": "now"}).encode(),
        json.dumps({**good, "ts": True}).encode(),
        json.dumps({**good, "body": []}).encode(),
        json.dumps({**good, "from": ""}).encode(),
        json.dumps({**good, "nonce": 5}).encode(),
        b'{"v":1,"kind":"beat","from":"c","ts":NaN,"nonce":"n","body":{}}',
        b'{"v":1,"kind":"beat","from":"c","ts":1e999,"nonce":"n","body":{}}',
        b'{"v":1,"kind":"beat","from":"c","ts":' + b"9" * 400 + b',"nonce":"n","body":{}}',
        b"[" * 100_000,
    ):
        assert reason(signer, forge(bad)) == "malformed", bad[:60]
    assert signer.open(forge(json.dumps(good).encode())).kind == "beat"


def test_signature_hex_case_matters() -> None:
    raw = Signer(SECRET).seal("beat", "c", {})
    upper = raw[:3] + raw[3:67].upper() + raw[67:]
    assert upper != raw
    assert reason(Signer(SECRET), upper) == "bad_signature"


def test_nonce_cache_is_bounded_and_still_refuses_every_replay() -> None:
    clock = Clock()
    sender = Signer(SECRET, clock=clock)
    receiver = Signer(SECRET, clock=clock, max_nonces=50)
    sent = []
    for _ in range(400):
        clock.now += 0.01
        raw = sender.seal("beat", "c", {})
        receiver.open(raw)
        sent.append(raw)
        assert receiver.nonces <= 50
    for raw in sent:  # forgotten nonces included: none opens twice
        assert reason(receiver, raw) == "replayed"
    clock.now += 0.01
    assert receiver.open(sender.seal("beat", "c", {})).kind == "beat"  # new ones still pass


def test_old_nonces_are_forgotten_after_the_window() -> None:
    clock = Clock()
    sender = Signer(SECRET, clock=clock)
    receiver = Signer(SECRET, clock=clock, window=10.0)
    for _ in range(30):
        receiver.open(sender.seal("beat", "c", {}))
    clock.now += 11
    receiver.open(sender.seal("beat", "c", {}))
    assert receiver.nonces == 1


def test_secret_never_shown() -> None:
    signer = Signer(SECRET)
    assert SECRET not in repr(signer)
    raw = signer.seal("beat", "c", {"x": 1})
    assert SECRET.encode() not in raw
    with pytest.raises(Rejected) as info:
        Signer("another-secret-value").open(raw)
    assert SECRET not in str(info.value) and SECRET not in repr(info.value)
