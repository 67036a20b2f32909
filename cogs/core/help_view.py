"""The interactive help menu: plain grouping/pagination functions plus the Discord View.

The top half (``HelpEntry`` … ``page_items``) is plain data logic with no Discord objects,
so it is unit-testable; ``collect_entries`` reads a running bot; ``HelpView`` is the face.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

import zoryx
from zoryx.checks import is_owner_only

from . import embeds

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot

log = logging.getLogger("zoryx.help")

PER_PAGE = 5
HOME = "__home__"
OTHER = "Other"
MAX_CATEGORIES = 24  # a select menu holds 25 options; one is the framework overview

HYBRID, PREFIX, CONVERTED, SLASH = "hybrid", "prefix", "converted", "slash"
MARKERS = {HYBRID: "⚡", PREFIX: "🔸", CONVERTED: "🔹", SLASH: "🔷"}
KIND_LABELS = {
    HYBRID: "prefix and slash",
    PREFIX: "prefix only",
    CONVERTED: "prefix only (converted: slash command limit reached)",
    SLASH: "slash only",
}
CUSTOM_IDS = {
    "category": "zoryx:help:category",
    "prev": "zoryx:help:prev",
    "next": "zoryx:help:next",
    "credits": "zoryx:help:credits",
}


# -- plain data ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class HelpEntry:
    """One command as the help menu lists it."""

    name: str
    kind: str
    description: str
    category: str
    owner_only: bool = False
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HelpCategory:
    """A cog (or "Other") and its commands, sorted by name."""

    name: str
    description: str
    entries: tuple[HelpEntry, ...]

    @property
    def pages(self) -> int:
        return page_count(len(self.entries))


def page_count(total: int, per_page: int = PER_PAGE) -> int:
    """Pages needed for ``total`` items (at least one, so an empty list still shows)."""
    return max(1, math.ceil(total / per_page))


def clamp_page(page: int, total: int, per_page: int = PER_PAGE) -> int:
    """``page`` (0-based) kept inside the valid range."""
    return min(max(page, 0), page_count(total, per_page) - 1)


def page_items(
    entries: Sequence[HelpEntry], page: int, per_page: int = PER_PAGE
) -> tuple[HelpEntry, ...]:
    """The entries shown on ``page`` (0-based, clamped)."""
    page = clamp_page(page, len(entries), per_page)
    return tuple(entries[page * per_page : (page + 1) * per_page])


def group_entries(
    entries: Iterable[HelpEntry], descriptions: dict[str, str] | None = None
) -> list[HelpCategory]:
    """Entries grouped by category: categories by name ("Other" last), entries by name."""
    descriptions = descriptions or {}
    buckets: dict[str, list[HelpEntry]] = {}
    for entry in entries:
        buckets.setdefault(entry.category, []).append(entry)
    names = sorted(buckets, key=lambda n: (n == OTHER, n.lower()))
    return [
        HelpCategory(
            name,
            descriptions.get(name, ""),
            tuple(sorted(buckets[name], key=lambda e: (e.name.lower(), e.kind))),
        )
        for name in names
    ]


def entry_line(entry: HelpEntry, prefix: str) -> tuple[str, str]:
    """``(title, text)`` of one entry: marker + invocation, description + notes."""
    shown = f"/{entry.name}" if entry.kind == SLASH else f"{prefix}{entry.name}"
    text = entry.description or "No description."
    if entry.owner_only:
        text += " · 🔒 bot owner only"
    return f"{MARKERS[entry.kind]} {shown}", text


def legend() -> str:
    return "\n".join(f"{MARKERS[k]} {KIND_LABELS[k]}" for k in (HYBRID, PREFIX, CONVERTED, SLASH))


def kind_of(command: commands.Command[Any, ..., Any]) -> str:
    """How a prefix-side command can be invoked."""
    if command.extras.get("zoryx_converted"):
        return CONVERTED
    if isinstance(command, commands.HybridCommand | commands.HybridGroup):
        return HYBRID if command.app_command is not None else PREFIX
    return PREFIX


# -- reading the bot -----------------------------------------------------------------------
def _short(text: str | None) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line[:100]


def collect_entries(bot: ZoryxBot) -> tuple[list[HelpEntry], dict[str, str]]:
    """Every visible command of the bot (prefix, hybrid, converted, slash-only)."""
    entries: list[HelpEntry] = []
    descriptions: dict[str, str] = {}
    seen_app: set[int] = set()
    hybrid_names = {
        c.name for c in bot.commands if isinstance(c, commands.HybridCommand | commands.HybridGroup)
    }
    for cog_name, cog in bot.cogs.items():
        descriptions[cog_name] = _short(cog.description)
        for app in cog.get_app_commands():
            seen_app.add(id(app))
            entries.append(_app_entry(app, cog_name))
    for command in bot.commands:
        if command.hidden:
            continue
        category = command.cog.qualified_name if command.cog else OTHER
        entries.append(
            HelpEntry(
                command.name,
                kind_of(command),
                _short(command.short_doc or command.description),
                category,
                is_owner_only(command),
                tuple(command.aliases),
            )
        )
    for tree_command in bot.tree.get_commands():
        if id(tree_command) in seen_app or tree_command.name in hybrid_names:
            continue  # already listed, or the slash half of a hybrid command
        if isinstance(tree_command, discord.app_commands.Command | discord.app_commands.Group):
            entries.append(_app_entry(tree_command, OTHER))
    return entries, descriptions


def _app_entry(app: Any, category: str) -> HelpEntry:
    return HelpEntry(app.name, SLASH, _short(getattr(app, "description", "")), category)


# -- embeds --------------------------------------------------------------------------------
def home_embed(
    categories: Sequence[HelpCategory], prefix: str, *, truncated: int = 0
) -> discord.Embed:
    total = sum(len(c.entries) for c in categories)
    embed = embeds.info(
        "📖 Zoryx help",
        f"Pick a category below. Commands start with `{prefix}` (or a mention of the bot, "
        f"where enabled); ⚡ commands also work as slash commands.\n"
        f"Details for one command: `{prefix}help <command>`.",
    )
    lines = [f"**{c.name}** — {len(c.entries)} command(s)" for c in categories]
    if truncated:
        lines.append(f"… and {truncated} more categories (use `{prefix}help <command>`)")
    embed.add_field(name="Categories", value="\n".join(lines)[:1024] or "—", inline=False)
    embed.add_field(name="Legend", value=legend(), inline=False)
    embed.set_footer(text=f"Zoryx {zoryx.__version__} · {total} commands")
    return embed


def category_embed(category: HelpCategory, page: int, prefix: str) -> discord.Embed:
    page = clamp_page(page, len(category.entries))
    embed = embeds.info(f"📂 {category.name}", category.description or None)
    for entry in page_items(category.entries, page):
        title, text = entry_line(entry, prefix)
        embed.add_field(name=title, value=text[:1024], inline=False)
    if not category.entries:
        embed.description = "No commands in this category."
    embed.set_footer(
        text=f"Page {page + 1}/{category.pages} · {len(category.entries)} command(s) · "
        f"{prefix}help <command> for details"
    )
    return embed


def credits_embed() -> discord.Embed:
    embed = embeds.info(
        "✨ Credits",
        "Zoryx is a discord.py bot framework run from the terminal, with a sandbox "
        "Discord for offline development.",
    )
    embed.add_field(name="Made by", value="The Zoryx developers", inline=True)
    embed.add_field(name="License", value="MIT", inline=True)
    embed.add_field(name="Version", value=zoryx.__version__, inline=True)
    embed.add_field(
        name="Built on",
        value=f"discord.py {discord.__version__} by Rapptz and contributors",
        inline=False,
    )
    embed.add_field(
        name="Thanks",
        value="Its feature set follows the earlier framework of the same name.",
        inline=False,
    )
    return embed


# -- the view ------------------------------------------------------------------------------
class HelpView(discord.ui.View):
    """Category dropdown, Prev/Next pages and Credits; only the invoker may use it."""

    TIMEOUT = 180.0

    def __init__(self, author_id: int, categories: Sequence[HelpCategory], prefix: str) -> None:
        super().__init__(timeout=self.TIMEOUT)
        self.author_id = author_id
        self.truncated = max(0, len(categories) - MAX_CATEGORIES)
        self.categories = list(categories)[:MAX_CATEGORIES]
        self.prefix = prefix
        self.current: HelpCategory | None = None
        self.page = 0
        self.message: discord.Message | None = None
        self.category_select.options = (
            [  # type: ignore[assignment]
                discord.SelectOption(
                    label="Zoryx framework", value=HOME, emoji="🏠", description="Overview"
                )
            ]
            + [
                discord.SelectOption(
                    label=c.name[:100],
                    value=c.name[:100],
                    description=f"{len(c.entries)} command(s)",
                )
                for c in self.categories
            ]
        )
        self._sync_buttons()

    def embed(self) -> discord.Embed:
        if self.current is None:
            return home_embed(self.categories, self.prefix, truncated=self.truncated)
        return category_embed(self.current, self.page, self.prefix)

    def _sync_buttons(self) -> None:
        pages = self.current.pages if self.current else 1
        self.prev_button.disabled = self.page <= 0
        self.next_button.disabled = self.page >= pages - 1

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.author_id:
            return True
        await interaction.response.send_message(
            embed=embeds.error("Not your menu", "Run the help command yourself to browse."),
            ephemeral=True,
        )
        return False

    async def _show(self, interaction: discord.Interaction) -> None:
        self._sync_buttons()
        await interaction.response.edit_message(embed=self.embed(), view=self)

    @discord.ui.select(custom_id=CUSTOM_IDS["category"], placeholder="Choose a category", row=0)
    async def category_select(
        self, interaction: discord.Interaction, select: discord.ui.Select[HelpView]
    ) -> None:
        value = select.values[0]
        self.current = next((c for c in self.categories if c.name[:100] == value), None)
        self.page = 0
        await self._show(interaction)

    @discord.ui.button(
        label="Prev", emoji="◀️", style=discord.ButtonStyle.secondary, custom_id=CUSTOM_IDS["prev"]
    )
    async def prev_button(
        self, interaction: discord.Interaction, button: discord.ui.Button[HelpView]
    ) -> None:
        self.page = max(0, self.page - 1)
        await self._show(interaction)

    @discord.ui.button(
        label="Next", emoji="▶️", style=discord.ButtonStyle.secondary, custom_id=CUSTOM_IDS["next"]
    )
    async def next_button(
        self, interaction: discord.Interaction, button: discord.ui.Button[HelpView]
    ) -> None:
        pages = self.current.pages if self.current else 1
        self.page = min(pages - 1, self.page + 1)
        await self._show(interaction)

    @discord.ui.button(
        label="Credits",
        emoji="✨",
        style=discord.ButtonStyle.primary,
        custom_id=CUSTOM_IDS["credits"],
    )
    async def credits_button(
        self, interaction: discord.Interaction, button: discord.ui.Button[HelpView]
    ) -> None:
        await interaction.response.send_message(embed=credits_embed(), ephemeral=True)

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button | discord.ui.Select):
                item.disabled = True
        if self.message is not None:
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(view=self)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        log.error("help menu interaction failed", exc_info=error)
        with contextlib.suppress(discord.HTTPException):
            embed = embeds.error("Something went wrong", "The details are in the bot's log.")
            if interaction.response.is_done():
                await interaction.followup.send(embed=embed, ephemeral=True)
            else:
                await interaction.response.send_message(embed=embed, ephemeral=True)
