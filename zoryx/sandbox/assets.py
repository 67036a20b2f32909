"""Uploaded image bytes that the sandbox CDN serves back, as Discord's CDN does.

Emojis and stickers are kept by their id (the CDN path holds only the id); guild icons,
banners, splashes, role icons and avatars are kept by their hash (the CDN path ends with
it), and that hash is what the object's ``icon``/``banner``/``avatar`` field holds. The
store is an LRU bounded by total bytes and by item count; an evicted image falls back to
the CDN's placeholder, as does every asset the sandbox generated itself.
"""

from __future__ import annotations

import base64
import binascii
from collections import OrderedDict
from typing import TYPE_CHECKING

from . import guild_ops as ops

if TYPE_CHECKING:
    from .state import GuildState, SandboxState

EMOJI = "emoji"
STICKER = "sticker"
IMAGE = "image"
_MEDIA_TYPES = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
}


class AssetStore:
    """An LRU of asset bytes keyed by ``(kind, key)``.

    Args:
        max_bytes: Total bytes kept; the least recently used items go first.
        max_items: Items kept, whatever their size.
    """

    def __init__(self, *, max_bytes: int = 64 << 20, max_items: int = 10_000) -> None:
        self.max_bytes = max_bytes
        self.max_items = max_items
        self.total_bytes = 0
        self._items: OrderedDict[tuple[str, str], bytes] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def put(self, kind: str, key: str | int, data: bytes) -> None:
        """Keep ``data`` (a single item over ``max_bytes`` is not kept at all)."""
        self.discard(kind, key)
        if len(data) > self.max_bytes:
            return
        self._items[(kind, str(key))] = data
        self.total_bytes += len(data)
        while self.total_bytes > self.max_bytes or len(self._items) > self.max_items:
            _, old = self._items.popitem(last=False)
            self.total_bytes -= len(old)

    def get(self, kind: str, key: str | int) -> bytes | None:
        item = (kind, str(key))
        data = self._items.get(item)
        if data is not None:
            self._items.move_to_end(item)
        return data

    def discard(self, kind: str, key: str | int) -> None:
        old = self._items.pop((kind, str(key)), None)
        if old is not None:
            self.total_bytes -= len(old)


def media_type(data: bytes) -> str:
    """The ``Content-Type`` of stored asset bytes (Lottie stickers are JSON)."""
    kind = ops.image_kind(data)
    if kind is not None:
        return _MEDIA_TYPES[kind]
    if data.lstrip()[:1] == b"{":
        return "application/json"
    return "application/octet-stream"


# -- recording uploads -------------------------------------------------------------------------
def keep_image(state: SandboxState, data: bytes, *, animated: bool = False) -> str:
    """Store an uploaded image under its hash (``a_`` prefix when animated); returns it."""
    digest = ops.image_hash(data, animated=animated)
    state.assets.put(IMAGE, digest, data)
    return digest


def keep_data_uri(state: SandboxState, data_uri: str | None, digest: str | None) -> None:
    """Store the image of a ``data:`` URI under an already computed hash (webhook avatars).

    A URI that does not decode to an image stores nothing (the CDN then serves its
    placeholder for that hash).
    """
    if data_uri is None or digest is None or ";base64," not in data_uri:
        return
    try:
        data = base64.b64decode(data_uri.split(";base64,", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        return
    if ops.image_kind(data) is not None:
        state.assets.put(IMAGE, digest, data)


def keep_emoji(state: SandboxState, emoji_id: int | str, data: bytes) -> None:
    state.assets.put(EMOJI, emoji_id, data)


def keep_sticker(state: SandboxState, sticker_id: int | str, data: bytes) -> None:
    state.assets.put(STICKER, sticker_id, data)


# -- deleting expressions (their images go with them) ------------------------------------------
def delete_emoji(state: SandboxState, guild: GuildState, emoji_id: int) -> None:
    """Delete a custom emoji (GUILD_EMOJIS_UPDATE) and drop its image."""
    ops.delete_emoji(state, guild, emoji_id)
    state.assets.discard(EMOJI, emoji_id)


def delete_sticker(state: SandboxState, guild: GuildState, sticker_id: int) -> None:
    """Delete a guild sticker (GUILD_STICKERS_UPDATE) and drop its file."""
    ops.delete_sticker(state, guild, sticker_id)
    state.assets.discard(STICKER, sticker_id)


# -- lookups for the CDN -----------------------------------------------------------------------
def emoji_exists(state: SandboxState, emoji_id: int) -> bool:
    return any(emoji_id in guild.emojis for guild in state.guilds.values())


def sticker_exists(state: SandboxState, sticker_id: int) -> bool:
    return any(sticker_id in guild.stickers for guild in state.guilds.values())
