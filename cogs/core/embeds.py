"""Embed styles shared by the built-in commands."""

from __future__ import annotations

import discord

SUCCESS = 0x2ECC71
ERROR = 0xE74C3C
WARNING = 0xF1C40F
INFO = 0x5865F2


def success(title: str, description: str | None = None) -> discord.Embed:
    return discord.Embed(title=f"✅ {title}", description=description, color=SUCCESS)


def error(title: str, description: str | None = None) -> discord.Embed:
    return discord.Embed(title=f"❌ {title}", description=description, color=ERROR)


def warning(title: str, description: str | None = None) -> discord.Embed:
    return discord.Embed(title=f"⚠️ {title}", description=description, color=WARNING)


def info(title: str, description: str | None = None) -> discord.Embed:
    return discord.Embed(title=title, description=description, color=INFO)
