"""A placeholder CDN: every ``/cdn/...`` asset is the same small PNG.

``use_sandbox`` points ``discord.Asset.BASE`` at ``{url}/cdn`` so that avatars, icons,
emojis and banners resolve here; ``await asset.read()`` then returns a valid image.
"""

from __future__ import annotations

import struct
import zlib

from aiohttp import web

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


def install_cdn(app: web.Application) -> None:
    """Serve ``GET /cdn/{anything}`` with :data:`PLACEHOLDER_PNG`."""
    app.router.add_get(CDN_PREFIX + "/{tail:.*}", _asset)
