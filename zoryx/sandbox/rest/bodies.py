"""Reading REST request bodies with a size cap, as Discord does.

Discord refuses a request body over its limit with ``413`` ``{"code": 40005, "message":
"Request entity too large"}`` and a body that is not valid JSON with ``400`` code ``50109``.
The sandbox does the same, and stops reading at the cap: a declared ``Content-Length`` over
the limit is refused before any byte is read, and a chunked body is refused as soon as the
bytes received pass the limit, so a flood of huge bodies never sits in memory.

Limits (per request):

* JSON bodies: :data:`JSON_BODY_LIMIT` (1 MiB, far above any real Discord JSON payload);
  routes taking base64 image data (avatars, icons, banners, emojis) raise it to
  :data:`IMAGE_BODY_LIMIT`.
* ``multipart/form-data`` uploads: :data:`UPLOAD_BODY_LIMIT`, Discord's default upload limit
  (:data:`~zoryx.sandbox.uploads.MAX_UPLOAD_BYTES`, 25 MiB) for the whole request, files and
  ``payload_json`` together.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web

from ..errors import DiscordAPIError, bad_json
from ..uploads import MAX_UPLOAD_BYTES

JSON_BODY_LIMIT = 1 << 20
IMAGE_BODY_LIMIT = 16 << 20
UPLOAD_BODY_LIMIT = MAX_UPLOAD_BYTES
_CHUNK = 64 << 10
_PART_OVERHEAD = 64  # boundary line and blank lines around each part's headers


@dataclass
class UploadedFile:
    field: str
    filename: str
    content_type: str | None
    data: bytes


def too_large() -> DiscordAPIError:
    return DiscordAPIError(413, 40005, "Request entity too large")


def bad_request() -> DiscordAPIError:
    return DiscordAPIError(400, 0, "400: Bad Request")


def limit_for(request: web.Request, json_limit: int) -> int:
    """The byte cap for this request's body: uploads get Discord's upload limit."""
    if request.content_type.startswith("multipart/"):
        return max(json_limit, UPLOAD_BODY_LIMIT)
    return json_limit


async def read_body(request: web.Request, json_limit: int) -> tuple[Any, list[UploadedFile]]:
    """The parsed JSON body (or multipart ``payload_json``/form fields) and uploaded files.

    Raises 413 40005 past the cap, 400 50109 for invalid JSON, 400 for broken multipart.
    """
    if not request.can_read_body:
        return None, []
    limit = limit_for(request, json_limit)
    declared = request.content_length
    if declared is not None and declared > limit:
        raise too_large()
    if request.content_type.startswith("multipart/"):
        try:
            return await _read_multipart(request, limit)
        except DiscordAPIError:
            raise
        except (ValueError, AssertionError, LookupError):  # a malformed form
            raise bad_request() from None
    raw = await _read_capped(request, limit)
    if not raw:
        return None, []
    return loads(raw), []


async def _read_capped(request: web.Request, limit: int) -> bytearray:
    buffer = bytearray()
    async for chunk in request.content.iter_chunked(_CHUNK):
        if len(buffer) + len(chunk) > limit:
            raise too_large()
        buffer += chunk
    return buffer


async def _read_multipart(request: web.Request, limit: int) -> tuple[Any, list[UploadedFile]]:
    body: Any = None
    files: list[UploadedFile] = []
    form: dict[str, str] = {}  # plain form fields (e.g. Create Guild Sticker's name/tags)
    used = 0
    reader = await request.multipart()
    while True:
        part = await reader.next()
        if part is None:
            break
        if not isinstance(part, BodyPartReader):  # a nested multipart: not Discord's shape
            raise bad_request()
        used += _PART_OVERHEAD + sum(len(k) + len(v) + 4 for k, v in part.headers.items())
        data = bytearray()
        while chunk := await part.read_chunk(_CHUNK):
            used += len(chunk)
            if used > limit:
                raise too_large()
            data += chunk
        if used > limit:
            raise too_large()
        name = part.name or ""
        if name == "payload_json":
            body = loads(data)
        elif part.filename:
            ctype = part.headers.get("Content-Type")
            files.append(UploadedFile(name, part.filename or "file", ctype, bytes(data)))
        elif name:
            form[name] = data.decode("utf-8", "replace")
    if body is None and form:
        body = form
    return body, files


def loads(raw: bytes | bytearray) -> Any:
    """Parse JSON like Discord: anything unparsable (bad UTF-8, too deeply nested) is 50109."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise bad_json() from None
