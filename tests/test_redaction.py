"""The shared redactor: which secrets it knows, and the forms of them it still finds
(wrapped over lines, escaped in a repr, cut in half, split into token parts)."""

from __future__ import annotations

import base64
import json
import logging
import secrets
import string
from pathlib import Path

import pytest

from zoryx.config import load_config, load_env
from zoryx.config import secrets as secret_values
from zoryx.redaction import REDACTED, Redactor, default_redactor, redactor_of

_ALPHABET = string.ascii_letters + string.digits + "_-"


def random_text(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def bot_token() -> str:
    """A Discord bot token's shape: base64(18-digit id) . 6 chars . 38 chars (random)."""
    bot_id = str(10**17 + secrets.randbelow(9 * 10**17))
    first = base64.b64encode(bot_id.encode()).decode().rstrip("=")
    return f"{first}.{random_text(6)}.{random_text(38)}"


def google_key() -> str:
    return "AIza" + random_text(35)


@pytest.fixture
def token() -> str:
    return bot_token()


@pytest.fixture
def key() -> str:
    return google_key()


def test_each_part_of_a_token_is_redacted_on_its_own(token: str) -> None:
    # WEBHOOK-style secret: not matched by the token shape once cut into its parts.
    redactor = Redactor([token])
    for part in token.split("."):
        out = redactor.redact(f"id={part}!")
        assert part not in out and out == f"id={REDACTED}!"


def test_a_wrapped_secret_is_redacted(key: str) -> None:
    redactor = Redactor([key])
    wrapped = {
        "newline": f"key={key[:7]}\n{key[7:]} end",
        "indented": f"key={key[:20]}\n        {key[20:]} end",
        "repr escape": repr(f"{key[:13]}\n{key[13:]}"),
        "spaces": f"{key[:3]} {key[3:9]}  {key[9:]}",
    }
    for name, text in wrapped.items():
        out = redactor.redact(text)
        assert REDACTED in out, name
        # not even the short piece before the line break survives
        assert key[:7] not in out and key[-7:] not in out, (name, out)


def test_twelve_characters_of_a_long_secret_are_redacted(key: str) -> None:
    # A secret-named value that has no known shape (so only the fragment rule applies).
    secret = random_text(40)
    redactor = Redactor([secret, key])
    for piece in (secret[:12], secret[5:30], secret[-12:], key[-12:]):
        out = redactor.redact(f"https://example.invalid/v1?key={piece}")
        assert piece not in out and out.endswith(REDACTED), piece
    # eleven characters are not a fragment: ordinary text is left alone
    assert redactor.redact(f"x {secret[:11]} y") == f"x {secret[:11]} y"


def test_short_secrets_are_whole_matches_only_and_tiny_ones_are_ignored() -> None:
    short = random_text(16)  # below the 24 characters that enable fragments
    redactor = Redactor([short, "abc"])
    assert redactor.redact(f"a {short} b") == f"a {REDACTED} b"
    assert redactor.redact(f"a {short[:12]} b") == f"a {short[:12]} b"
    assert redactor.redact("abc abc") == "abc abc"  # under MIN_SECRET_LENGTH


def test_unknown_tokens_and_keys_are_redacted_by_shape(token: str, key: str) -> None:
    text = f"token {token} and key {key}."
    assert default_redactor.redact(text) == f"token {REDACTED} and key {REDACTED}."


def test_redactor_of_finds_the_bot_shared_one() -> None:
    shared = Redactor(["x" * 10])

    class Handles:
        redactor = shared

    class Services:
        logging = Handles()

    class Bot:
        services = Services()

    assert redactor_of(Bot()) is shared and redactor_of(Services()) is shared
    assert redactor_of(None) is default_redactor


def test_every_secret_named_setting_is_a_secret(tmp_path: Path, token: str, key: str) -> None:
    webhook, db_password, redis_pw, nested = (random_text(n) for n in (30, 14, 18, 26))
    (tmp_path / ".env").write_text(
        "\n".join(
            [
                f"WEBHOOK_TOKEN={token}",
                f"GEMINI_API_KEY={key}",
                f"STRIPE_SECRET={webhook}",
                f"DB_PASSWORD={db_password}",
                f"REDIS_URL=redis://:{redis_pw}@localhost:6379/0",
                "OPENAI_API_KEY=your_key_here",  # a placeholder is not a secret
                "GEMINI_MODEL=gemini-2.5-flash-lite",
                "BOT_OWNER_ID=123456789012345678",
            ]
        )
    )
    config = {"ai": {"apiKey": nested, "model": "flash-model-name"}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    found = set(secret_values(load_env(tmp_path, environ={}), load_config(tmp_path)))
    assert {token, key, webhook, db_password, redis_pw, nested} <= found
    assert not found & {"your_key_here", "gemini-2.5-flash-lite", "flash-model-name"}
    assert "123456789012345678" not in found


def test_log_records_lose_wrapped_and_partial_secrets(key: str) -> None:
    from zoryx.logs import RedactingFilter

    redacting = RedactingFilter([key])
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "cut: %s", (key[:15],), None)
    redacting.filter(record)
    assert record.getMessage() == f"cut: {REDACTED}"
