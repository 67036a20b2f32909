"""Files that sandbox users upload: in messages, slash ``attachment`` options and modals.

An :class:`Upload` is what a driven user picks from their disk. The sandbox stores its bytes
(:meth:`SandboxState.store_attachment`) and describes it with Discord's attachment object,
whose ``url`` points at the sandbox CDN (``/cdn/attachments/...``, or
``/cdn/ephemeral-attachments/...`` for files given to slash options and modals, which Discord
does not keep on a message), so ``discord.Attachment.read()``/``save()`` download it.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import struct
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import payloads
from .errors import DiscordAPIError, invalid_form

if TYPE_CHECKING:
    from .state import SandboxState

#: Discord's default upload limit (``attachment_size_limit`` of interactions), in bytes.
MAX_UPLOAD_BYTES = 26_214_400
MAX_FILES = 10


@dataclass(frozen=True)
class Upload:
    """A file a driven user attaches: its name, bytes and optional type and alt text."""

    filename: str
    data: bytes
    content_type: str | None = None
    description: str | None = None

    def guessed_type(self) -> str | None:
        if self.content_type:
            return self.content_type
        guessed, _ = mimetypes.guess_type(self.filename)
        if guessed and guessed.startswith("text/"):
            return f"{guessed}; charset=utf-8"
        return guessed


UploadLike = Upload | tuple[str, bytes] | dict[str, Any]


def as_upload(value: Any, field: str = "file") -> Upload:
    """An :class:`Upload` from an ``Upload``, a ``(filename, bytes)`` pair or a JSON object.

    The JSON form (used by the control API) is ``{"filename", "content_base64"}`` or
    ``{"filename", "content"}`` (text, sent as UTF-8), with optional ``content_type`` and
    ``description``. Anything else answers 400 50035 naming ``field``.
    """
    if isinstance(value, Upload):
        upload = value
    elif _is_pair(value):
        upload = Upload(value[0], bytes(value[1]))
    elif isinstance(value, dict):
        upload = _from_json(value, field)
    else:
        raise invalid_form(
            field,
            "MODEL_TYPE_CONVERT",
            "A file must be an Upload, a (filename, bytes) pair or "
            '{"filename", "content_base64" | "content"}.',
        )
    name = upload.filename
    if not isinstance(name, str) or not name.strip() or "/" in name or len(name) > 1024:
        raise invalid_form(f"{field}.filename", "BASE_TYPE_BAD_LENGTH", "Invalid file name.")
    if len(upload.data) > MAX_UPLOAD_BYTES:
        raise DiscordAPIError(
            413, 40005, f"Request entity too large: {name!r} is over {MAX_UPLOAD_BYTES} bytes"
        )
    return upload


def _from_json(value: dict[str, Any], field: str) -> Upload:
    name = value.get("filename")
    if not isinstance(name, str):
        raise invalid_form(f"{field}.filename", "BASE_TYPE_REQUIRED", "This field is required")
    if isinstance(value.get("content_base64"), str):
        try:
            data = base64.b64decode(value["content_base64"], validate=True)
        except (binascii.Error, ValueError):
            raise invalid_form(
                f"{field}.content_base64", "BASE_TYPE_BASE64", "Must be valid base64."
            ) from None
    elif isinstance(value.get("content"), str):
        data = value["content"].encode()
    else:
        raise invalid_form(
            f"{field}.content_base64",
            "BASE_TYPE_REQUIRED",
            'One of "content_base64" or "content" (text) is required',
        )
    ctype, desc = value.get("content_type"), value.get("description")
    for key, item in (("content_type", ctype), ("description", desc)):
        if item is not None and not isinstance(item, str):
            raise invalid_form(f"{field}.{key}", "BASE_TYPE_STRING", "Must be a string.")
    return Upload(name, data, ctype, desc)


def as_uploads(values: Any, field: str = "files") -> list[Upload]:
    """One file or a list of files (at most 10, Discord's limit per message or component)."""
    if values is None:
        return []
    if isinstance(values, Upload | dict) or _is_pair(values):
        values = [values]
    if not isinstance(values, list | tuple):
        raise invalid_form(field, "BASE_TYPE_ARRAY", "Must be an array of files.")
    if len(values) > MAX_FILES:
        raise invalid_form(
            field, "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_FILES} or fewer in length."
        )
    return [as_upload(item, f"{field}.{i}") for i, item in enumerate(values)]


def _is_pair(value: Any) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], bytes | bytearray)
    )


def cdn_root(state: SandboxState) -> str:
    """The sandbox's root URL: ``state.base_url`` is its REST base, ``{root}/api/v10``."""
    return state.base_url.split("/api/", 1)[0]


def store(
    state: SandboxState, channel_id: int, upload: Upload, *, ephemeral: bool = False
) -> dict[str, Any]:
    """Keep the file's bytes and return Discord's attachment object for it."""
    ctype = upload.guessed_type()
    aid = state.store_attachment(upload.filename, ctype, upload.data)
    folder = "ephemeral-attachments" if ephemeral else "attachments"
    quoted = urllib.parse.quote(upload.filename)
    url = f"{cdn_root(state)}/cdn/{folder}/{channel_id}/{aid}/{quoted}"
    out = payloads.attachment(
        aid,
        upload.filename,
        len(upload.data),
        url,
        content_type=ctype,
        description=upload.description,
        ephemeral=ephemeral,
    )
    size = image_size(upload.data)
    if size is not None:
        out["width"], out["height"] = size
    return out


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG or GIF (Discord reports them for images), else ``None``."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    return None
