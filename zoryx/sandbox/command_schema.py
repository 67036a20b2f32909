"""Discord's rules for registering application commands (what ``PUT .../commands`` accepts).

Chat-input (type 1) command and option names follow Discord's lowercase naming pattern;
user (type 2) and message (type 3) context-menu names may be mixed case and contain spaces,
have no description (absent or ``""``) and no options. Options are checked for their type,
nesting (subcommand groups hold subcommands, which hold plain options), the order of
required options, choices, value and length bounds, channel types and autocomplete.
Every failure is Discord's 400 50035 Invalid Form Body with the offending field.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any

from .constants import ChannelType
from .errors import DiscordAPIError, invalid_form

CHAT_INPUT, USER, MESSAGE = 1, 2, 3
SUB_COMMAND, SUB_GROUP = 1, 2
STRING, INTEGER, NUMBER, CHANNEL = 3, 4, 10, 7
OPTION_TYPES = frozenset(range(1, 12))
MAX_OPTIONS = 25
MAX_CHOICES = 25
MAX_SAFE_INTEGER = 2**53
MAX_STRING_LENGTH = 6000
MAX_TOTAL_CHARACTERS = 8000
CHANNEL_TYPES = frozenset(int(t) for t in ChannelType) | {14, 16}


def is_chat_input_name(name: str) -> bool:
    """Discord's ``^[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$``, lowercase where possible.

    Python's ``re`` has no ``\\p{…}`` classes, so characters are checked one by one: letters,
    numbers and combining marks (the Devanagari and Thai signs) pass, and a letter with a
    lowercase variant must be that variant.
    """
    if not 1 <= len(name) <= 32:
        return False
    for ch in name:
        if ch in "-_'":
            continue
        if unicodedata.category(ch)[0] not in "LNM":
            return False
        if ch.lower() != ch:
            return False
    return True


def is_context_menu_name(name: str) -> bool:
    """User and message command names: 1-32 characters, mixed case and spaces allowed."""
    return 1 <= len(name) <= 32 and bool(name.strip()) and name.isprintable()


def _field(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _bad_name(field: str) -> DiscordAPIError:
    return invalid_form(field, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")


def _bad_length(field: str, low: int, high: int) -> DiscordAPIError:
    return invalid_form(
        field, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length."
    )


def _check_localized(
    body: dict[str, Any], key: str, field: str, check: Any, low: int = 1, high: int = 100
) -> None:
    values = body.get(f"{key}_localizations")
    if values is None:
        return
    if not isinstance(values, dict):
        raise invalid_form(
            f"{field}_localizations",
            "DICT_TYPE_CONVERT",
            "Only dictionaries may be used in a DictType",
        )
    for locale, text in values.items():
        where = f"{field}_localizations.{locale}"
        if check is not None:
            if not isinstance(text, str) or not check(text):
                raise _bad_name(where)
        elif not isinstance(text, str) or not low <= len(text) <= high:
            raise _bad_length(where, low, high)


def validate_command(body: Any, index: str = "") -> None:
    """Raise 400 50035 unless ``body`` is a command Discord would register."""
    if not isinstance(body, dict):
        raise invalid_form(
            index or "_", "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType"
        )
    ctype = body.get("type", CHAT_INPUT)
    if ctype is None:
        ctype = CHAT_INPUT
    if isinstance(ctype, bool) or ctype not in (CHAT_INPUT, USER, MESSAGE):
        raise invalid_form(
            _field(index, "type"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3}."
        )
    name = body.get("name")
    check = is_chat_input_name if ctype == CHAT_INPUT else is_context_menu_name
    if not isinstance(name, str) or not check(name):
        raise _bad_name(_field(index, "name"))
    _check_localized(body, "name", _field(index, "name"), check)
    desc = body.get("description")
    if ctype == CHAT_INPUT:
        if not isinstance(desc, str) or not 1 <= len(desc) <= 100:
            raise _bad_length(_field(index, "description"), 1, 100)
        _check_localized(body, "description", _field(index, "description"), None)
        _check_options(body.get("options"), _field(index, "options"), depth=0)
        total = _characters(body)
        if total > MAX_TOTAL_CHARACTERS:
            raise invalid_form(
                index or "_",
                "APPLICATION_COMMAND_TOO_LARGE",
                f"Command exceeds maximum size ({MAX_TOTAL_CHARACTERS})",
            )
        return
    if desc not in (None, ""):
        raise invalid_form(
            _field(index, "description"),
            "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION_INVALID",
            "Context menu commands cannot have description",
        )
    if body.get("options"):
        raise invalid_form(
            _field(index, "options"),
            "APPLICATION_COMMAND_CONTEXT_MENU_OPTIONS_INVALID",
            "Context menu commands cannot have options",
        )


def check_unique_names(commands: list[dict[str, Any]]) -> None:
    """Within one bulk overwrite, a (type, name) pair may appear once."""
    seen: set[tuple[int, str]] = set()
    for i, cmd in enumerate(commands):
        key = (int(cmd.get("type") or CHAT_INPUT), str(cmd.get("name")))
        if key in seen:
            raise invalid_form(
                f"{i}.name",
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                f"Application command names must be unique ({key[1]!r})",
            )
        seen.add(key)


def _characters(node: dict[str, Any]) -> int:
    """Name, description and choice characters of a command and all its options."""
    total = len(str(node.get("name") or "")) + len(str(node.get("description") or ""))
    for choice in node.get("choices") or []:
        total += len(str(choice.get("name"))) + len(str(choice.get("value")))
    for opt in node.get("options") or []:
        total += _characters(opt)
    return total


def _check_options(options: Any, field: str, depth: int) -> None:
    if options is None:
        return
    if not isinstance(options, list):
        raise invalid_form(field, "BASE_TYPE_ARRAY", "Must be an array.")
    if len(options) > MAX_OPTIONS:
        raise invalid_form(
            field, "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_OPTIONS} or fewer in length."
        )
    names: set[str] = set()
    seen_optional = False
    kinds = set()
    for i, opt in enumerate(options):
        where = f"{field}.{i}"
        if not isinstance(opt, dict):
            raise invalid_form(
                where, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType"
            )
        otype = opt.get("type")
        if isinstance(otype, bool) or otype not in OPTION_TYPES:
            raise invalid_form(
                f"{where}.type", "BASE_TYPE_CHOICES", "Value must be one of {1, 2, …, 11}."
            )
        oname = opt.get("name")
        if not isinstance(oname, str) or not is_chat_input_name(oname):
            raise _bad_name(f"{where}.name")
        _check_localized(opt, "name", f"{where}.name", is_chat_input_name)
        if oname in names:
            raise invalid_form(
                f"{where}.name",
                "APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS",
                f"Option name {oname!r} is already used in these options",
            )
        names.add(oname)
        desc = opt.get("description")
        if not isinstance(desc, str) or not 1 <= len(desc) <= 100:
            raise _bad_length(f"{where}.description", 1, 100)
        _check_localized(opt, "description", f"{where}.description", None)
        nested = otype in (SUB_COMMAND, SUB_GROUP)
        kinds.add(nested)
        if nested:
            _check_nesting(opt, otype, where, depth)
            continue
        if opt.get("required"):
            if seen_optional:
                raise invalid_form(
                    f"{where}.required",
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            seen_optional = True
        _check_value_rules(opt, otype, where)
    if len(kinds) > 1:
        raise invalid_form(
            field,
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "Sub-command and sub-command group option types are mutually exclusive to all "
            "other types",
        )


def _check_nesting(opt: dict[str, Any], otype: int, where: str, depth: int) -> None:
    children = opt.get("options") or []
    if otype == SUB_GROUP:
        if depth != 0:
            raise invalid_form(
                f"{where}.type",
                "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                "Sub-command groups can only be nested in a command",
            )
        if any(isinstance(c, dict) and c.get("type") != SUB_COMMAND for c in children):
            raise invalid_form(
                f"{where}.options",
                "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                "Sub-command groups can only contain sub-commands",
            )
    elif depth > 1:
        raise invalid_form(
            f"{where}.type",
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "Sub-commands can only be nested in a command or a sub-command group",
        )
    elif any(isinstance(c, dict) and c.get("type") in (SUB_COMMAND, SUB_GROUP) for c in children):
        raise invalid_form(
            f"{where}.options",
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "Sub-commands cannot contain sub-commands",
        )
    for key in ("choices", "min_value", "max_value", "min_length", "max_length", "channel_types"):
        if opt.get(key) is not None:
            raise invalid_form(
                f"{where}.{key}",
                "APPLICATION_COMMAND_OPTION_FIELD_INVALID",
                f"{key} is only valid on value options",
            )
    _check_options(children, f"{where}.options", depth + 1)


def _is_number(value: Any, integer: bool) -> bool:
    if isinstance(value, bool):
        return False
    if integer:
        return isinstance(value, int)
    return isinstance(value, int | float) and math.isfinite(value)


def _check_value_rules(opt: dict[str, Any], otype: int, where: str) -> None:
    numeric = otype in (INTEGER, NUMBER)
    allowed = {
        "choices": otype in (STRING, INTEGER, NUMBER),
        "autocomplete": otype in (STRING, INTEGER, NUMBER),
        "min_value": numeric,
        "max_value": numeric,
        "min_length": otype == STRING,
        "max_length": otype == STRING,
        "channel_types": otype == CHANNEL,
    }
    for key, ok in allowed.items():
        if opt.get(key) not in (None, False, []) and not ok:
            raise invalid_form(
                f"{where}.{key}",
                "APPLICATION_COMMAND_OPTION_FIELD_INVALID",
                f"{key} is not valid for options of type {otype}",
            )
    choices = opt.get("choices")
    if choices:
        if opt.get("autocomplete"):
            raise invalid_form(
                f"{where}.autocomplete",
                "AUTOCOMPLETE_AND_CHOICES_MUTUALLY_EXCLUSIVE",
                "Autocomplete cannot be set for options with choices",
            )
        _check_choices(choices, otype, f"{where}.choices")
    if numeric:
        bounds = {}
        for key in ("min_value", "max_value"):
            value = opt.get(key)
            if value is None:
                continue
            if not _is_number(value, integer=False):
                raise invalid_form(
                    f"{where}.{key}", "NUMBER_TYPE_COERCE", f"Value {value!r} is not a number."
                )
            if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
                raise invalid_form(
                    f"{where}.{key}",
                    "NUMBER_TYPE_MAX" if value > 0 else "NUMBER_TYPE_MIN",
                    f"Must be between {-MAX_SAFE_INTEGER} and {MAX_SAFE_INTEGER}.",
                )
            bounds[key] = value
        if (
            "min_value" in bounds
            and "max_value" in bounds
            and bounds["min_value"] > bounds["max_value"]
        ):
            raise invalid_form(
                f"{where}.min_value",
                "APPLICATION_COMMAND_OPTION_MIN_MAX_INVALID",
                "min_value must be less than or equal to max_value",
            )
    if otype == STRING:
        lengths = {}
        for key, low in (("min_length", 0), ("max_length", 1)):
            value = opt.get(key)
            if value is None:
                continue
            if not _is_number(value, integer=True) or not low <= value <= MAX_STRING_LENGTH:
                raise invalid_form(
                    f"{where}.{key}",
                    "NUMBER_TYPE_MAX",
                    f"Must be an integer between {low} and {MAX_STRING_LENGTH}.",
                )
            lengths[key] = value
        if (
            "min_length" in lengths
            and "max_length" in lengths
            and lengths["min_length"] > lengths["max_length"]
        ):
            raise invalid_form(
                f"{where}.min_length",
                "APPLICATION_COMMAND_OPTION_MIN_MAX_INVALID",
                "min_length must be less than or equal to max_length",
            )
    if otype == CHANNEL and opt.get("channel_types") is not None:
        types = opt["channel_types"]
        if not isinstance(types, list):
            raise invalid_form(f"{where}.channel_types", "BASE_TYPE_ARRAY", "Must be an array.")
        for i, value in enumerate(types):
            if isinstance(value, bool) or value not in CHANNEL_TYPES:
                raise invalid_form(
                    f"{where}.channel_types.{i}",
                    "BASE_TYPE_CHOICES",
                    f"Value must be one of {sorted(CHANNEL_TYPES)}.",
                )


def _check_choices(choices: Any, otype: int, field: str) -> None:
    if not isinstance(choices, list):
        raise invalid_form(field, "BASE_TYPE_ARRAY", "Must be an array.")
    if len(choices) > MAX_CHOICES:
        raise invalid_form(
            field, "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_CHOICES} or fewer in length."
        )
    for i, choice in enumerate(choices):
        where = f"{field}.{i}"
        if not isinstance(choice, dict):
            raise invalid_form(
                where, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType"
            )
        name = choice.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise _bad_length(f"{where}.name", 1, 100)
        _check_localized(choice, "name", f"{where}.name", None)
        value = choice.get("value")
        if otype == STRING:
            if not isinstance(value, str) or not 1 <= len(value) <= 100:
                raise _bad_length(f"{where}.value", 1, 100)
        elif not _is_number(value, integer=otype == INTEGER):
            code = "NUMBER_TYPE_COERCE"
            kind = "an integer" if otype == INTEGER else "a number"
            raise invalid_form(f"{where}.value", code, f"Value {value!r} is not {kind}.")
        elif not -MAX_SAFE_INTEGER <= float(value) <= MAX_SAFE_INTEGER:  # type: ignore[arg-type]
            raise invalid_form(
                f"{where}.value",
                "NUMBER_TYPE_MAX",
                f"Must be between {-MAX_SAFE_INTEGER} and {MAX_SAFE_INTEGER}.",
            )
