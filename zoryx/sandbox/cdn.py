"""The sandbox CDN: uploaded attachments, and a placeholder PNG for every other asset.

``/cdn/attachments/{channel}/{id}/{filename}`` (files on messages) and
``/cdn/ephemeral-attachments/{channel}/{id}/{filename}`` (files given to slash options and
modals) serve the bytes users uploaded, with their content type; an unknown or evicted file,
or a wrong file name, answers 404 as Discord's CDN does.

``use_sandbox`` points ``discord.Asset.BASE`` at ``{url}/cdn`` so that avatars, icons,
emojis and banners resolve here; ``await asset.read()`` then returns a valid image.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from .state import SandboxState

CDN_PREFIX = "/cdn"
_SIZE = 16
_FILL = (0x58, 0x65, 0xF2)  # blurple
_MARK = (0xFF, 0xFF, 0xFF)


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def make_png(size: int = _SIZE) -> bytes:
    """A ``size``×``size`` RGB PNG: a blurple square with a light diagonal mark."""
    rows = bytearray()
    for y in range(size):
        rows.append(0)  # filter type: none
        for x in range(size):
            rows.extend(_MARK if x == y or x == size - 1 - y else _FILL)
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _chunk(b"IEND", b"")
    )


PLACEHOLDER_PNG = make_png()


async def _asset(request: web.Request) -> web.Response:
    return web.Response(
        body=PLACEHOLDER_PNG,
        content_type="image/png",
        headers={"Cache-Control": "public, max-age=86400"},
    )


def _attachment_handler(
    state: SandboxState,
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def attachment(request: web.Request) -> web.StreamResponse:
        raw_id = request.match_info["attachment_id"]
        entry = (
            state.attachments.get(int(raw_id)) if raw_id.isascii() and raw_id.isdigit() else None
        )
        if entry is None or entry[0] != request.match_info["filename"]:
            return web.Response(status=404, text="Not Found")
        _, ctype, data = entry
        headers = {"Cache-Control": "public, max-age=86400"}
        if ctype:
            headers["Content-Type"] = ctype
        return web.Response(body=data, headers=headers)

    return attachment


def install_cdn(app: web.Application, state: SandboxState | None = None) -> None:
    """Serve stored attachments of ``state`` and ``GET /cdn/{anything}`` with
    :data:`PLACEHOLDER_PNG`."""
    if state is not None:
        handler = _attachment_handler(state)
        for folder in ("attachments", "ephemeral-attachments"):
            path = f"{CDN_PREFIX}/{folder}/{{channel_id}}/{{attachment_id}}/{{filename}}"
            app.router.add_get(path, handler)
    app.router.add_get(CDN_PREFIX + "/{tail:.*}", _asset)
