"""Value checks used by the config schema.

Each check is a callable ``(key_path, raw_value) -> clean_value`` that raises
:class:`ConfigError` naming ``key_path`` when the value is unusable.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

from ._errors import ConfigError

__all__ = [
    "Check",
    "boolean",
    "choice",
    "command_name",
    "command_names",
    "command_renames",
    "describe_value",
    "fail",
    "id_list",
    "integer",
    "number",
    "permission_map",
    "string_list",
    "template",
    "text",
]

Check = Callable[[str, object], Any]

_MAX_SHOWN = 60


def describe_value(value: object) -> str:
    """Render a raw value the way the user wrote it (JSON), shortened."""
    try:
        shown = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        shown = repr(value)
    return shown if len(shown) <= _MAX_SHOWN else shown[: _MAX_SHOWN - 3] + "..."


def fail(path: str, expected: str, value: object) -> NoReturn:
    """Raise the standard "<path> must be <expected>, got <value>" error."""
    raise ConfigError(f"{path} must be {expected}, got {describe_value(value)}", key=path)


def integer(lo: int, hi: int) -> Check:
    """An integer in ``[lo, hi]`` (JSON booleans are not integers)."""

    def check(path: str, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            fail(path, f"an integer between {lo} and {hi}", value)
        return value

    return check


def number(lo: float, hi: float, *, above_lo: bool = False) -> Check:
    """A number in ``[lo, hi]`` (or ``(lo, hi]`` with ``above_lo``), returned as float."""
    low = "greater than" if above_lo else "at least"

    def check(path: str, value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            fail(path, f"a number {low} {lo:g} and at most {hi:g}", value)
        as_float = float(value)
        if not (as_float > lo if above_lo else as_float >= lo) or not as_float <= hi:
            fail(path, f"a number {low} {lo:g} and at most {hi:g}", value)
        return as_float

    return check


def boolean(path: str, value: object) -> bool:
    """A JSON ``true``/``false``."""
    if not isinstance(value, bool):
        fail(path, "true or false", value)
    return value


def text(max_len: int, *, allow_empty: bool = False) -> Check:
    """A string of at most ``max_len`` characters; non-blank unless ``allow_empty``."""
    what = f"a string of at most {max_len} characters"
    if not allow_empty:
        what = f"a non-empty string of at most {max_len} characters"

    def check(path: str, value: object) -> str:
        if not isinstance(value, str) or len(value) > max_len:
            fail(path, what, value)
        if not allow_empty and not value.strip():
            fail(path, what, value)
        return value

    return check


def choice(options: Iterable[str], *, upper: bool = False) -> Check:
    """One of ``options`` (case-insensitive); normalised to lower (or upper) case."""
    opts = tuple(options)
    listed = ", ".join(f'"{o}"' for o in opts)

    def check(path: str, value: object) -> str:
        if isinstance(value, str):
            norm = value.strip().upper() if upper else value.strip().lower()
            if norm in opts:
                return norm
        fail(path, f"one of {listed}", value)

    return check


def template(max_len: int, variables: Iterable[str]) -> Check:
    """A non-empty string using only ``{name}`` placeholders from ``variables``."""
    allowed = tuple(variables)
    base = text(max_len)
    listed = ", ".join("{" + v + "}" for v in allowed)

    def check(path: str, value: object) -> str:
        result: str = base(path, value)
        try:
            names = [f for _, f, _, _ in string.Formatter().parse(result) if f is not None]
        except ValueError as exc:
            raise ConfigError(
                f"{path} is not a valid template ({exc}); write literal braces as {{{{ }}}}",
                key=path,
            ) from None
        for name in names:
            if name not in allowed:
                raise ConfigError(
                    f'{path} uses unknown variable "{{{name}}}"; allowed: {listed}', key=path
                )
        return result

    return check


def _discord_id(path: str, value: object) -> int:
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**64:
        fail(path, "a Discord ID (a positive integer)", value)
    return value


def id_list(path: str, value: object) -> list[int]:
    """A list of Discord IDs (integers, or digit strings which are converted)."""
    if not isinstance(value, list):
        fail(path, "a list of Discord IDs", value)
    return [_discord_id(f"{path}[{i}]", item) for i, item in enumerate(value)]


def string_list(path: str, value: object) -> list[str]:
    """A list of non-empty strings."""
    if not isinstance(value, list):
        fail(path, "a list of strings", value)
    item_check = text(200)
    return [item_check(f"{path}[{i}]", item) for i, item in enumerate(value)]


def permission_map(path: str, value: object) -> dict[str, list[int]]:
    """An object mapping command names to lists of role IDs."""
    if not isinstance(value, dict):
        fail(path, "an object mapping command names to lists of role IDs", value)
    result: dict[str, list[int]] = {}
    for name, roles in value.items():
        if not name.strip():
            fail(path, "an object whose keys are command names", value)
        result[name] = id_list(f"{path}.{name}", roles)
    return result


_COMMAND_NAME = re.compile(r"^[a-z0-9_-]{1,32}$")
_COMMAND_NAME_TEXT = "a command name (1-32 lowercase letters, digits, - or _)"


def command_name(path: str, value: object) -> str:
    """A command name that is valid both as a prefix and as a slash command name."""
    if not isinstance(value, str) or not _COMMAND_NAME.match(value.strip().lower()):
        fail(path, _COMMAND_NAME_TEXT, value)
    return value.strip().lower()


def command_names(path: str, value: object) -> list[str]:
    """A list of command names, without repeats."""
    if not isinstance(value, list):
        fail(path, "a list of command names", value)
    names: list[str] = []
    for i, item in enumerate(value):
        name = command_name(f"{path}[{i}]", item)
        if name in names:
            raise ConfigError(f'{path} lists "{name}" twice', key=f"{path}[{i}]")
        names.append(name)
    return names


def command_renames(path: str, value: object) -> dict[str, str]:
    """An object mapping command names to new command names (no two to the same name)."""
    if not isinstance(value, dict):
        fail(path, 'an object mapping command names to new names, like {"help": "zhelp"}', value)
    result: dict[str, str] = {}
    for old, new in value.items():
        source = command_name(f"{path} key", old)
        target = command_name(f"{path}.{old}", new)
        if target in result.values():
            raise ConfigError(f'{path} renames two commands to "{target}"', key=f"{path}.{old}")
        result[source] = target
    return result
