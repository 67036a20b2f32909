"""Version strings and requirement specifiers (``>=1.0``, ``>1``, ``==2.5.1``, ``<=3``,
``<3``, ``!=1.4``, comma-joined like ``>=1.0,<2``, ``==1.*`` wildcards; ``*`` or an empty
string means any version; a bare version means ``==``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

_VERSION = re.compile(
    r"^\s*v?(?P<release>\d+(?:\.\d+)*)"
    r"(?:[-_.]?(?P<pre>a|alpha|b|beta|c|rc|pre|preview|dev)[-_.]?(?P<pre_n>\d*))?"
    r"(?:\+[0-9a-z.]+)?\s*$",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r"^\s*(?P<op>>=|<=|==|!=|>|<)?\s*(?P<version>[^\s,]+)\s*$")
_PRE_RANK = {
    "dev": 0,
    "a": 1,
    "alpha": 1,
    "b": 2,
    "beta": 2,
    "c": 3,
    "rc": 3,
    "pre": 3,
    "preview": 3,
}
OPERATORS = (">=", "<=", "==", "!=", ">", "<")


class VersionError(ValueError):
    """A version or specifier that cannot be parsed."""


@dataclass(frozen=True, order=True)
class Version:
    """A comparable version: release numbers (trailing zeros ignored) then pre-release."""

    release: tuple[int, ...]
    pre: tuple[int, int]  # (rank, number); a final release ranks above every pre-release
    text: str = field(default="", compare=False)

    def __str__(self) -> str:
        return self.text


def parse_version(text: object) -> Version:
    """``"1.2"`` → Version; raises :class:`VersionError` for anything else."""
    raw = str(text).strip() if isinstance(text, str | int | float) else None
    match = _VERSION.match(raw) if raw is not None else None
    if raw is None or match is None:
        raise VersionError(f"not a version: {text!r}")
    release = tuple(int(p) for p in match["release"].split("."))
    while len(release) > 1 and release[-1] == 0:
        release = release[:-1]
    pre = (99, 0)
    if match["pre"]:
        pre = (_PRE_RANK[match["pre"].lower()], int(match["pre_n"] or 0))
    return Version(release, pre, raw)


@dataclass(frozen=True)
class Clause:
    op: str
    version: str

    def __str__(self) -> str:
        return f"{self.op}{self.version}"

    def matches(self, version: Version) -> bool:
        if self.version.endswith(".*"):
            if self.op not in ("==", "!="):
                raise VersionError(f"wildcards only work with == and !=: {self}")
            prefix = parse_version(self.version[:-2]).release
            padded = version.release + (0,) * max(0, len(prefix) - len(version.release))
            hit = padded[: len(prefix)] == prefix
            return hit if self.op == "==" else not hit
        target = parse_version(self.version)
        compare: dict[str, Callable[[Version, Version], bool]] = {
            ">=": lambda a, b: a >= b,
            "<=": lambda a, b: a <= b,
            ">": lambda a, b: a > b,
            "<": lambda a, b: a < b,
            "==": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
        }
        return compare[self.op](version, target)


@dataclass(frozen=True)
class Specifier:
    """All clauses must hold. ``Specifier(())`` accepts any version."""

    clauses: tuple[Clause, ...]

    def __str__(self) -> str:
        return ",".join(str(c) for c in self.clauses) or "any version"

    def contains(self, version: object) -> bool:
        """Whether ``version`` satisfies every clause (an unparsable version satisfies
        only the empty specifier)."""
        if not self.clauses:
            return True
        try:
            parsed = parse_version(version)
        except VersionError:
            return False
        return all(c.matches(parsed) for c in self.clauses)


def parse_specifier(text: object) -> Specifier:
    """``">=1.0,<2"`` → Specifier; ``None``, ``""`` and ``"*"`` accept anything."""
    if text is None:
        return Specifier(())
    if not isinstance(text, str):
        raise VersionError(f"a version requirement must be a string, not {text!r}")
    if text.strip() in ("", "*"):
        return Specifier(())
    clauses = []
    for part in text.split(","):
        match = _CLAUSE.match(part)
        if match is None:
            raise VersionError(f"bad version requirement {text!r}")
        op, version = match["op"] or "==", match["version"]
        if version.endswith(".*"):
            parse_version(version[:-2])
            if op not in ("==", "!="):
                raise VersionError(f"wildcards only work with == and !=: {text!r}")
        else:
            parse_version(version)
        clauses.append(Clause(op, version))
    return Specifier(tuple(clauses))
