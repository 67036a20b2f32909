"""Matching helpers for the diff: pair items of two snapshots, find the ones that moved,
and render values (permissions, images) the way a user reads them."""

from __future__ import annotations

import base64
import binascii
import hashlib
from bisect import bisect_left
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import discord

Item = dict[str, Any]
#: discord.py's names for some flags differ from the ones Discord's client shows.
_SHOWN_AS = {
    "read_messages": "view_channel",
    "external_emojis": "use_external_emojis",
    "external_stickers": "use_external_stickers",
}
Pair = tuple[Item, Item]


def match(
    before: Sequence[Item],
    after: Sequence[Item],
    key: Callable[[Item], Hashable],
    id_key: str = "id",
) -> tuple[list[Pair], list[Item], list[Item]]:
    """``(pairs, removed, added)``: items paired by ID first, then by ``key`` (name and
    type); equal keys pair in list order. ``pairs`` keep ``after``'s order."""
    after_ids = {item[id_key]: item for item in after}
    paired: dict[Any, Item] = {}  # after id -> before item
    unmatched: list[Item] = []
    for item in before:
        other = after_ids.get(item[id_key])
        if other is not None and other[id_key] not in paired:
            paired[other[id_key]] = item
        else:
            unmatched.append(item)
    pool: dict[Hashable, list[Item]] = {}
    for item in after:
        if item[id_key] not in paired:
            pool.setdefault(key(item), []).append(item)
    removed: list[Item] = []
    for item in unmatched:
        candidates = pool.get(key(item))
        if candidates:
            paired[candidates.pop(0)[id_key]] = item
        else:
            removed.append(item)
    pairs = [(paired[item[id_key]], item) for item in after if item[id_key] in paired]
    added = [item for item in after if item[id_key] not in paired]
    return pairs, removed, added


def moved(pairs: Sequence[Pair], before_order: Sequence[Item]) -> set[int]:
    """IDs (``after`` side) of the paired items that changed place relative to the others.

    ``pairs`` are in ``after``'s order; the fewest items that must move to turn the
    ``before`` order into it are those outside a longest increasing run of their
    ``before`` ranks, so one role dragged to the top is one change, not fifty.
    """
    rank = {id(item): i for i, item in enumerate(before_order)}
    ranks = [rank[id(b)] for b, _ in pairs]
    tails: list[int] = []  # tails[k]: smallest rank ending an increasing run of k+1
    tail_at: list[int] = []  # index into ranks of that tail
    parent = [-1] * len(ranks)
    for i, value in enumerate(ranks):
        k = bisect_left(tails, value)
        if k == len(tails):
            tails.append(value)
            tail_at.append(i)
        else:
            tails[k] = value
            tail_at[k] = i
        parent[i] = tail_at[k - 1] if k > 0 else -1
    keep: set[int] = set()
    i = tail_at[-1] if tail_at else -1
    while i != -1:
        keep.add(i)
        i = parent[i]
    return {pairs[i][1]["id"] for i in range(len(pairs)) if i not in keep}


def permission_names(value: int | None) -> list[str] | None:
    """The permission flags set in ``value``, by name (sorted)."""
    if value is None:
        return None
    return sorted(_SHOWN_AS.get(name, name) for name, on in discord.Permissions(value) if on)


def image_summary(value: str | None) -> str | None:
    """A short identity of a base64 image: its size and the start of its SHA-256."""
    if value is None:
        return None
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return "unreadable image"
    return f"{len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()[:12]}"


def names_of(ids: Sequence[int], table: dict[int, str]) -> list[str]:
    """Role (or channel) names for ``ids``; an unknown ID is shown as the number."""
    return sorted(table.get(i, str(i)) for i in ids)
