"""Example extension that stores data in the guild's own database (data/<guild>/guild.db)."""

from __future__ import annotations

import discord
from discord.ext import commands

__version__ = "1.0.0"
__author__ = "Zoryx"
__description__ = "Per-server notes kept in the guild database."

SCHEMA = """CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    author_id INTEGER NOT NULL,
    text TEXT NOT NULL
)"""


class Notes(commands.Cog):
    """Server notes."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @property
    def db(self):  # type: ignore[no-untyped-def]
        return self.bot.services.db  # type: ignore[attr-defined]

    @commands.hybrid_group(fallback="list", description="Server notes")
    @commands.guild_only()
    async def note(self, ctx: commands.Context) -> None:
        """List this server's notes."""
        assert ctx.guild is not None
        async with self.db.guild_connection(ctx.guild.id) as conn:
            await conn.execute(SCHEMA)
            rows = await conn.fetchall("SELECT id, text FROM notes ORDER BY id DESC LIMIT 10")
        if not rows:
            await ctx.send("No notes yet. Add one with `note add <text>`.")
            return
        # Notes are members' text: list them without pinging anyone they mention.
        await ctx.send(
            "\n".join(f"`#{row[0]}` {row[1]}" for row in rows),
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @note.command(name="add", description="Add a note")
    async def add(self, ctx: commands.Context, *, text: str) -> None:
        """Add a note to this server."""
        assert ctx.guild is not None
        if len(text) > 500:
            raise commands.BadArgument("a note is at most 500 characters")
        async with self.db.guild_connection(ctx.guild.id) as conn:
            await conn.execute(SCHEMA)
            await conn.execute(
                "INSERT INTO notes(author_id, text) VALUES (?, ?)", (ctx.author.id, text)
            )
            row = await conn.fetchone("SELECT last_insert_rowid()")
        await ctx.send(f"📝 Saved note #{row[0]}.")


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Notes(bot))
