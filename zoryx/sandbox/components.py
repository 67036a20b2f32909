"""Message components as Discord stores and returns them.

Discord does not echo a bot's components verbatim: snowflakes come back as strings (a
select's ``default_values`` ids, emoji ids, a premium button's ``sku_id``), whatever type the
bot sent them as, and every component carries a numeric ``id``, generated sequentially from 1
when the bot gave none (skipping the ids the bot did give).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# Keys under which a component holds other components.
_CHILD_LISTS = ("components",)
_CHILD_ONE = ("accessory", "component")


def _children(component: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for key in _CHILD_LISTS:
        for child in component.get(key) or ():
            if isinstance(child, dict):
                yield child
    for key in _CHILD_ONE:
        child = component.get(key)
        if isinstance(child, dict):
            yield child


def _walk(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every component, depth first in document order (a row before its children)."""
    for component in components:
        if isinstance(component, dict):
            yield component
            yield from _walk(list(_children(component)))


def _snowflake(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _emoji(emoji: Any) -> Any:
    if isinstance(emoji, dict) and emoji.get("id") is not None:
        return {**emoji, "id": _snowflake(emoji["id"])}
    return emoji


def _copy(component: dict[str, Any]) -> dict[str, Any]:
    out = dict(component)
    for key in _CHILD_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [_copy(c) if isinstance(c, dict) else c for c in out[key]]
    for key in _CHILD_ONE:
        if isinstance(out.get(key), dict):
            out[key] = _copy(out[key])
    if "emoji" in out:
        out["emoji"] = _emoji(out["emoji"])
    if "sku_id" in out:
        out["sku_id"] = _snowflake(out["sku_id"])
    if isinstance(out.get("options"), list):
        out["options"] = [
            {**o, "emoji": _emoji(o["emoji"])} if isinstance(o, dict) and "emoji" in o else o
            for o in out["options"]
        ]
    if isinstance(out.get("default_values"), list):
        out["default_values"] = [
            {**v, "id": _snowflake(v.get("id"))} if isinstance(v, dict) else v
            for v in out["default_values"]
        ]
    return out


def stored_components(components: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """A copy of ``components`` the way Discord stores them (see the module docstring)."""
    out = [_copy(c) if isinstance(c, dict) else c for c in components or []]
    taken = {c["id"] for c in _walk(out) if isinstance(c.get("id"), int)}
    next_id = 1
    for component in _walk(out):
        if component.get("id") is None:
            while next_id in taken:
                next_id += 1
            component["id"] = next_id
            taken.add(next_id)
    return out


__all__ = ["stored_components"]
