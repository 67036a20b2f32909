"""The sandbox CDN: uploaded attachments and images, and a placeholder PNG for the rest.

``/cdn/attachments/{channel}/{id}/{filename}`` (files on messages) and
``/cdn/ephemeral-attachments/{channel}/{id}/{filename}`` (files given to slash options and
modals) serve the bytes users uploaded, with their content type; an unknown or evicted file,
or a wrong file name, answers 404 as Discord's CDN does.

Uploaded images come back from the paths discord.py builds for them (see :mod:`.assets`):
``/cdn/emojis/{id}.{ext}`` and ``/cdn/stickers/{id}.{ext}`` (404 once the emoji or sticker
is gone), ``/cdn/{icons|banners|splashes|discovery-splashes|role-icons|avatars}/{id}/{hash}.{ext}``
and ``/cdn/guilds/{guild}/users/{user}/{avatars|banners}/{hash}.{ext}``. The extension and
``?size=`` are ignored: the uploaded bytes are served as they are. Assets the sandbox made
up itself (world builders, evicted uploads) get the placeholder.

``use_sandbox`` points ``discord.Asset.BASE`` at ``{url}/cdn`` so that avatars, icons,
emojis and banners resolve here; ``await asset.read()`` then returns a valid image.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from . import assets

if TYPE_CHECKING:
    from .state import SandboxState

CDN_PREFIX = "/cdn"
_SIZE = 16
_FILL = (0x58, 0x65, 0xF2)  # blurple
_MARK = (0xFF, 0xFF, 0xFF)
_CACHE = {"Cache-Control": "public, max-age=86400"}
Rgb = tuple[int, int, int]
# Folders whose paths end in ``{object_id}/{hash}.{ext}``.
HASHED_FOLDERS = (
    "icons",
    "banners",
    "splashes",
    "discovery-splashes",
    "role-icons",
    "avatars",
)


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def make_png(size: int = _SIZE, fill: Rgb = _FILL, mark: Rgb = _MARK) -> bytes:
    """A ``size``×``size`` RGB PNG: a ``fill`` square with a ``mark`` diagonal cross."""
    rows = bytearray()
    for y in range(size):
        rows.append(0)  # filter type: none
        for x in range(size):
            rows.extend(mark if x == y or x == size - 1 - y else fill)
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _chunk(b"IEND", b"")
    )


def make_gif(color: Rgb) -> bytes:
    """A valid 1×1 GIF89a of one ``color`` (Discord treats a GIF upload as animated)."""
    screen = struct.pack("<HHBBB", 1, 1, 0x80, 0, 0)  # global table of 2 colours
    table = bytes(color) + b"\x00\x00\x00"
    image = b"," + struct.pack("<HHHHB", 0, 0, 1, 1, 0)
    # LZW, minimum code size 2: CLEAR(4), index 0, END(5) packed into 3-bit codes.
    pixels = b"\x02\x02\x44\x01\x00"
    return b"GIF89a" + screen + table + image + pixels + b";"


PLACEHOLDER_PNG = make_png()


def _placeholder() -> web.Response:
    return web.Response(body=PLACEHOLDER_PNG, content_type="image/png", headers=_CACHE)


def _asset_response(data: bytes) -> web.Response:
    return web.Response(body=data, headers={**_CACHE, "Content-Type": assets.media_type(data)})


def _not_found() -> web.Response:
    return web.Response(status=404, text="Not Found")


async def _asset(request: web.Request) -> web.Response:
    return _placeholder()


def _snowflake_stem(filename: str) -> int | None:
    stem = filename.split(".", 1)[0]
    return int(stem) if stem.isascii() and stem.isdigit() else None


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _expression_handler(state: SandboxState, kind: str) -> Handler:
    """``/emojis/{id}.{ext}`` and ``/stickers/{id}.{ext}``: 404 unless the expression exists."""
    exists = assets.emoji_exists if kind == assets.EMOJI else assets.sticker_exists

    async def expression(request: web.Request) -> web.StreamResponse:
        item_id = _snowflake_stem(request.match_info["filename"])
        if item_id is None or not exists(state, item_id):
            if item_id is not None:
                state.assets.discard(kind, item_id)
            return _not_found()
        data = state.assets.get(kind, item_id)
        return _placeholder() if data is None else _asset_response(data)

    return expression


def _hashed_handler(state: SandboxState) -> Handler:
    """``.../{hash}.{ext}``: the uploaded image with that hash, else the placeholder."""

    async def hashed(request: web.Request) -> web.StreamResponse:
        digest = request.match_info["filename"].split(".", 1)[0]
        data = state.assets.get(assets.IMAGE, digest)
        return _placeholder() if data is None else _asset_response(data)

    return hashed


def _attachment_handler(state: SandboxState) -> Handler:
    async def attachment(request: web.Request) -> web.StreamResponse:
        raw_id = request.match_info["attachment_id"]
        entry = (
            state.attachments.get(int(raw_id)) if raw_id.isascii() and raw_id.isdigit() else None
        )
        if entry is None or entry[0] != request.match_info["filename"]:
            return _not_found()
        _, ctype, data = entry
        headers = dict(_CACHE)
        if ctype:
            headers["Content-Type"] = ctype
        return web.Response(body=data, headers=headers)

    return attachment


def install_cdn(app: web.Application, state: SandboxState | None = None) -> None:
    """Serve the attachments and uploaded images of ``state``, and ``GET /cdn/{anything}``
    else with :data:`PLACEHOLDER_PNG`."""
    if state is not None:
        handler = _attachment_handler(state)
        for folder in ("attachments", "ephemeral-attachments"):
            path = f"{CDN_PREFIX}/{folder}/{{channel_id}}/{{attachment_id}}/{{filename}}"
            app.router.add_get(path, handler)
        app.router.add_get(
            f"{CDN_PREFIX}/emojis/{{filename}}", _expression_handler(state, assets.EMOJI)
        )
        app.router.add_get(
            f"{CDN_PREFIX}/stickers/{{filename}}", _expression_handler(state, assets.STICKER)
        )
        hashed = _hashed_handler(state)
        for folder in HASHED_FOLDERS:
            app.router.add_get(f"{CDN_PREFIX}/{folder}/{{object_id}}/{{filename}}", hashed)
        member_path = "/guilds/{guild_id}/users/{user_id}/{folder:avatars|banners}/{filename}"
        app.router.add_get(CDN_PREFIX + member_path, hashed)
    app.router.add_get(CDN_PREFIX + "/{tail:.*}", _asset)
