"""Finding secrets in text, the one redactor every stored or shown error text goes through.

:class:`Redactor` replaces with ``[REDACTED]``:

* each secret it was given (values of at least :data:`MIN_SECRET_LENGTH` characters),
  also when it is wrapped: whitespace or a literal ``\\n`` / ``\\r`` / ``\\t`` escape
  (as in a ``repr``) may sit between any two of its characters;
* the dot-separated parts of a secret (a Discord token's id, timestamp and HMAC parts)
  that are at least :data:`MIN_SECRET_LENGTH` long;
* any run of :data:`FRAGMENT` or more consecutive characters of a secret of at least
  :data:`LONG_SECRET` characters (half a key cut off by a truncated URL or message);
* strings shaped like a Discord bot token or a Google API key, known or not.

The patterns are compiled once per secret set; :meth:`Redactor.redact` does a couple of
regex passes plus a set lookup per candidate fragment, so a few kilobytes of text with
ten secrets take well under a millisecond.

The running bot shares one instance, ``bot.services.logging.redactor`` (the log
filter); services that store or publish error texts get it with :func:`redactor_of`.
"""

from __future__ import annotations

import re
import string
import threading
from collections.abc import Iterable
from typing import Any

__all__ = [
    "FRAGMENT",
    "LONG_SECRET",
    "MIN_SECRET_LENGTH",
    "REDACTED",
    "Redactor",
    "default_redactor",
    "redactor_of",
    "secret_parts",
]

REDACTED = "[REDACTED]"
#: Secrets shorter than this are not redacted (it would shred every log line).
MIN_SECRET_LENGTH = 6
#: Secrets at least this long are also redacted piecewise ...
LONG_SECRET = 24
#: ... wherever this many of their consecutive characters appear.
FRAGMENT = 12

# Between two characters of a wrapped secret: whitespace, or a literal \n \r \t escape.
_GAP = r"(?:\s|\\[nrt])*"
_B64 = r"[A-Za-z0-9_-]"
_B64_CHARS = frozenset(string.ascii_letters + string.digits + "_-")
# Shapes are found from a literal start (fast): a Discord bot token, base64(user id) .
# timestamp . HMAC, from its middle part; a Google API key; a legacy MFA token.
_TOKEN_MIDDLE = re.compile(rf"\.{_B64}{{4,}}+(?=\.)")
_TOKEN_OUTER = 20
_IN, _OUT = ord("a"), ord(" ")
_RUN = bytes([_IN]) * FRAGMENT
_GRAM = FRAGMENT // 2
_GOOGLE_KEY = re.compile(rf"AIza{_B64}{{30,}}")
_MFA_TOKEN = re.compile(rf"mfa\.{_B64}{{20,}}")


def secret_parts(secrets: Iterable[str]) -> list[str]:
    """The redactable values of ``secrets``: each one and its dot-separated parts that are
    at least :data:`MIN_SECRET_LENGTH` long, longest first, without duplicates."""
    found: set[str] = set()
    for secret in secrets:
        value = secret.strip()
        candidates = [value, *value.split(".")] if "." in value else [value]
        found.update(c for c in candidates if len(c) >= MIN_SECRET_LENGTH)
    return sorted(found, key=lambda s: (-len(s), s))


def _wrapped(secret: str) -> str:
    """A pattern for ``secret`` with optional wrapping between its characters."""
    return _GAP.join(re.escape(ch) for ch in secret)


class _Compiled:
    """Everything :meth:`Redactor.redact` needs for one set of secrets (immutable)."""

    __slots__ = ("ascii_mask", "fragments", "grams", "whole")

    def __init__(self, secrets: Iterable[str]) -> None:
        values = secret_parts(secrets)
        self.whole = re.compile("|".join(_wrapped(v) for v in values)) if values else None
        long = [v for v in values if len(v) >= LONG_SECRET]
        self.fragments = frozenset(
            v[i : i + FRAGMENT] for v in long for i in range(len(v) - FRAGMENT + 1)
        )
        # Every fragment holds a _GRAM-long piece at a position that is a multiple of
        # _GRAM from the start of its run: only those are looked up, then verified.
        self.grams = frozenset(v[i : i + _GRAM] for v in long for i in range(len(v) - _GRAM + 1))
        # A fragment can only occur inside a run of characters that long secrets contain.
        # Runs are found with bytes.find on a mask of the text: b"a" where the character
        # is one of those, b" " elsewhere (non-ASCII characters are never fragment
        # characters: the whole-secret pattern covers secrets that have any).
        present = {ord(ch) for ch in "".join(long) if ch.isascii()}
        self.ascii_mask = bytes(_IN if b in present else _OUT for b in range(256))


class Redactor:
    """Replaces secrets (see the module docstring) with ``[REDACTED]``; thread-safe.

    Args:
        secrets: The literal values to hide; token shapes are hidden in any case.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._compiled = _Compiled(secrets)

    def set_secrets(self, secrets: Iterable[str]) -> None:
        """Replace the list of literal secrets to hide."""
        compiled = _Compiled(secrets)
        with self._lock:
            self._compiled = compiled

    def redact(self, text: str) -> str:
        """``text`` with every secret, part, wrapped copy, fragment and shape replaced."""
        compiled = self._compiled
        if compiled.whole is not None:
            text = compiled.whole.sub(REDACTED, text)
        if compiled.fragments:
            text = _replace(text, _fragment_spans(text, compiled))
        text = _replace(text, _token_spans(text))
        text = _GOOGLE_KEY.sub(REDACTED, text)
        return _MFA_TOKEN.sub(_unless_inside_word, text)

    def redact_optional(self, text: str | None) -> str | None:
        """:meth:`redact` that passes ``None`` through (for optional error fields)."""
        return None if text is None else self.redact(text)


def _fragment_spans(text: str, compiled: _Compiled) -> list[tuple[int, int]]:
    """Where runs of :data:`FRAGMENT` or more characters of a long secret are."""
    fragments, grams = compiled.fragments, compiled.grams
    spans: list[tuple[int, int]] = []
    for start, end in _runs(text, compiled):
        checked = start  # windows starting before this were looked up already
        for gram in range(start, end - _GRAM + 1, _GRAM):
            if text[gram : gram + _GRAM] not in grams:
                continue
            # A fragment holding this piece starts at most _GRAM characters before it.
            first, last = max(checked, gram - _GRAM), min(gram, end - FRAGMENT)
            for i in range(first, last + 1):
                if text[i : i + FRAGMENT] in fragments:
                    spans.append((i, i + FRAGMENT))
            checked = max(checked, last + 1)
    return spans


def _runs(text: str, compiled: _Compiled) -> list[tuple[int, int]]:
    """``(start, end)`` of each run of at least :data:`FRAGMENT` characters that occur in
    long secrets."""
    # "replace" turns each non-ASCII character into one "?", so offsets stay the same.
    mask = text.encode("ascii", "replace").translate(compiled.ascii_mask)
    out: list[tuple[int, int]] = []
    start = mask.find(_RUN)
    while start >= 0:  # each hit starts a run: an earlier start would have been found
        end = mask.find(b" ", start + FRAGMENT)
        if end < 0:
            end = len(mask)
        out.append((start, end))
        start = mask.find(_RUN, end)
    return out


def _token_spans(text: str) -> list[tuple[int, int]]:
    """Where Discord-token-shaped strings are: 20+ . 4+ . 20+ base64 characters, the
    outer parts running to the ends of their word."""
    spans: list[tuple[int, int]] = []
    size = len(text)
    for middle in _TOKEN_MIDDLE.finditer(text):
        start = middle.start()
        while start > 0 and text[start - 1] in _B64_CHARS:
            start -= 1
        if middle.start() - start < _TOKEN_OUTER:
            continue
        after = end = middle.end() + 1  # past the second dot
        while end < size and text[end] in _B64_CHARS:
            end += 1
        if end - after >= _TOKEN_OUTER:
            spans.append((start, end))
    return spans


def _replace(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each span (merged where they touch) replaced by ``[REDACTED]``."""
    if not spans:
        return text
    out: list[str] = []
    last = 0
    for start, end in sorted(spans):
        if out and start <= last:  # overlaps or touches the span just replaced
            if end > last:
                last = end
            continue
        out += (text[last:start], REDACTED)
        last = end
    out.append(text[last:])
    return "".join(out)


def _unless_inside_word(match: re.Match[str]) -> str:
    start = match.start()
    inside = start > 0 and match.string[start - 1] in _B64_CHARS
    return match.group() if inside else REDACTED


#: Hides token and API-key shapes; for code that runs without a bot (unit tests, tools).
default_redactor = Redactor()


def redactor_of(holder: Any) -> Redactor:
    """The shared redactor of a bot or its services (``services.logging.redactor``).

    Falls back to :data:`default_redactor` when logging is not set up (bare services in
    unit tests), which still hides token and API-key shapes.
    """
    services = getattr(holder, "services", holder)
    handles = getattr(services, "logging", None)
    redactor = getattr(handles, "redactor", None)
    return redactor if isinstance(redactor, Redactor) else default_redactor
