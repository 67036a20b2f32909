"""Counting global chat-input (slash) commands against Discord's limit.

Discord allows 100 global chat-input commands per application. A command group counts
once however many subcommands it has; context-menu commands have their own limits and
do not count; guild-only commands do not count either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext.commands.hybrid import HybridAppCommand

Status = Literal["ok", "warning", "over"]


@dataclass(frozen=True, slots=True)
class SlashCount:
    """The global chat-input commands of a command tree, by kind (``total`` is what counts)."""

    total: int
    pure: int
    hybrid: int
    groups: int


def is_hybrid(command: Any) -> bool:
    """True for the slash half of a ``commands.hybrid_command``."""
    return isinstance(command, HybridAppCommand)


def is_pure_command(command: Any) -> bool:
    """A top-level ``app_commands.Command`` that is not the slash half of a hybrid command."""
    return (
        isinstance(command, app_commands.Command)
        and command.parent is None
        and not is_hybrid(command)
    )


def global_chat_input(tree: app_commands.CommandTree[Any]) -> list[Any]:
    """The global chat-input commands and groups currently in ``tree``."""
    return list(tree.get_commands(guild=None, type=discord.AppCommandType.chat_input))


def count(tree: app_commands.CommandTree[Any]) -> SlashCount:
    items = global_chat_input(tree)
    groups = sum(isinstance(c, app_commands.Group) for c in items)
    hybrid = sum(is_hybrid(c) for c in items)
    return SlashCount(len(items), len(items) - groups - hybrid, hybrid, groups)


def status_for(total: int, warning: int, safe: int) -> Status:
    """``ok`` below the warning threshold, ``warning`` below the safe limit, else ``over``."""
    if total < warning:
        return "ok"
    if total < safe:
        return "warning"
    return "over"


def bar(value: int, limit: int, width: int = 20) -> str:
    """A text progress bar such as ``████████░░░░ 62/100``."""
    limit = max(limit, 1)
    filled = min(width, round(width * value / limit))
    return f"{'█' * filled}{'░' * (width - filled)} {value}/{limit}"
