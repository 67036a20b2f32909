"""Read-only snapshots handed to test code (copies, safe across threads)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SandboxMessage:
    """A message as the sandbox stored it."""

    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def of(cls, data: dict[str, Any]) -> SandboxMessage:
        return cls(copy.deepcopy(data))

    @property
    def id(self) -> int:
        return int(self.raw["id"])

    @property
    def channel_id(self) -> int:
        return int(self.raw["channel_id"])

    @property
    def author_id(self) -> int:
        return int(self.raw["author"]["id"])

    @property
    def content(self) -> str:
        return str(self.raw.get("content") or "")

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return list(self.raw.get("embeds") or [])

    @property
    def components(self) -> list[dict[str, Any]]:
        return list(self.raw.get("components") or [])

    @property
    def attachments(self) -> list[dict[str, Any]]:
        return list(self.raw.get("attachments") or [])

    @property
    def flags(self) -> int:
        return int(self.raw.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & (1 << 6))

    def text(self) -> str:
        """Content plus embed titles, descriptions and fields, for loose assertions."""
        parts = [self.content]
        for embed in self.embeds:
            parts += [str(embed.get("title") or ""), str(embed.get("description") or "")]
            for fld in embed.get("fields") or []:
                parts += [str(fld.get("name")), str(fld.get("value"))]
            footer = embed.get("footer") or {}
            parts.append(str(footer.get("text") or ""))
        return "\n".join(p for p in parts if p)

    def custom_ids(self) -> list[str]:
        """Every component custom_id in the message, depth first."""
        out: list[str] = []

        def walk(items: list[dict[str, Any]]) -> None:
            for item in items:
                if item.get("custom_id"):
                    out.append(item["custom_id"])
                walk(item.get("components") or [])
                if isinstance(item.get("component"), dict):
                    walk([item["component"]])
                if isinstance(item.get("accessory"), dict):
                    walk([item["accessory"]])

        walk(self.components)
        return out


@dataclass(frozen=True)
class InteractionResult:
    """How the bot answered an interaction."""

    type: int | None
    data: dict[str, Any] | None
    message: SandboxMessage | None
    ephemeral: bool
    followups: list[SandboxMessage]

    @property
    def content(self) -> str:
        return self.message.content if self.message else str((self.data or {}).get("content") or "")

    def text(self) -> str:
        return self.message.text() if self.message else self.content

    @property
    def choices(self) -> list[dict[str, Any]]:
        """The choices the bot offered in answer to an autocomplete interaction."""
        return list((self.data or {}).get("choices") or [])
