"""Example extension: greets new members in the server's system channel."""

from __future__ import annotations

import discord
from discord.ext import commands

__version__ = "1.0.0"
__author__ = "Zoryx"
__description__ = "Welcomes members who join."


class Welcome(commands.Cog):
    """Member welcome messages."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        channel = member.guild.system_channel
        if channel is not None and channel.permissions_for(member.guild.me).send_messages:
            # Ping the newcomer only, whatever the server's name says.
            await channel.send(
                f"Welcome to **{member.guild.name}**, {member.mention}! 🎉",
                allowed_mentions=discord.AllowedMentions(
                    everyone=False, roles=False, users=[member], replied_user=False
                ),
            )


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Welcome(bot))
