"""Which settings are secrets: secret-named keys, URL passwords, and placeholders that are not.

Used to build the list of values the shared redactor hides (:func:`zoryx.config.secrets`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

__all__ = ["config_secrets", "is_placeholder", "is_secret_key", "setting_secrets"]

_PLACEHOLDER_WORDS = frozenset(
    {
        "token",
        "bottoken",
        "discordtoken",
        "changeme",
        "changemeplease",
        "placeholder",
        "none",
        "null",
        "xxx",
        "secret",
        "apikey",
        "geminiapikey",
        "id",
        "ownerid",
    }
)
# A key names a secret when one of its words is one of these, or ends with one of the
# endings (DBPASSWORD, BOTTOKEN): GEMINI_API_KEY, clientSecret, REDIS_PASSWORD, ...
_SECRET_WORDS = frozenset(
    {
        "AUTH",
        "CREDENTIAL",
        "CREDENTIALS",
        "KEY",
        "KEYS",
        "PASS",
        "PASSPHRASE",
        "PASSWD",
        "PASSWORD",
        "PWD",
        "SECRET",
        "SECRETS",
        "TOKEN",
        "TOKENS",
    }
)
_SECRET_ENDINGS = ("APIKEY", "CREDENTIALS", "PASSWORD", "PASSWD", "SECRET", "TOKEN")
_KEY_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def is_placeholder(value: str) -> bool:
    """True for example values such as ``Bot_Token``, ``your_token_here`` or ``<token>``."""
    stripped = value.strip()
    if not stripped or (stripped.startswith("<") and stripped.endswith(">")):
        return True
    norm = re.sub(r"[^a-z0-9]", "", stripped.lower())
    return norm.startswith("your") or norm in _PLACEHOLDER_WORDS


def is_secret_key(name: str) -> bool:
    """True for names of secrets: ``DISCORD_TOKEN``, ``GEMINI_API_KEY``, ``apiKey``,
    ``DB_PASSWORD``, ``SHARD_IPC_SECRET``, ``GOOGLE_CREDENTIALS``, ``SSH_AUTH``…"""
    words = [w.upper() for w in _KEY_WORDS.findall(name)]
    return any(w in _SECRET_WORDS or w.endswith(_SECRET_ENDINGS) for w in words)


def _url_password(value: str) -> str | None:
    """The password of a URL such as ``redis://:pw@host:6379/0``, if it has one."""
    if "://" not in value or "@" not in value:
        return None
    try:
        password = urlsplit(value).password
    except ValueError:
        return None
    return password or None


def setting_secrets(key: str, value: str) -> Iterator[str]:
    """The secrets in one setting: the value of a secret-named key, and any URL password."""
    value = value.strip()
    if not value:
        return
    if is_secret_key(key) and not is_placeholder(value):
        yield value
    password = _url_password(value)
    if password is not None and not is_placeholder(password):
        yield password
        if unquote(password) != password:
            yield unquote(password)


def _walk(name: str, value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield from setting_secrets(name, value)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk(str(key), item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _walk(name, item)


def config_secrets(config: Mapping[str, Any]) -> list[str]:
    """Secrets in config.json data (nested sections and lists included)."""
    return list(_walk("", config))
