"""Per-server settings: setprefix, mentionprefix, serversettings and config (role rules)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from zoryx.checks import covered_commands, is_owner_only

from . import embeds
from ._common import (
    Ctx,
    guild_or_bot_owner,
    guild_prefix,
    join_lines,
    needs_permission,
    owner_exempt_cooldown,
)

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot

log = logging.getLogger("zoryx.settings")

MAX_PREFIX = 5
RESET_WORDS = frozenset({"reset", "default"})
CLEAR_WORDS = frozenset({"none", "clear", "remove", "everyone"})


def check_prefix(prefix: str) -> str:
    """A valid custom prefix (1-5 characters, no whitespace) or BadArgument."""
    if not 1 <= len(prefix) <= MAX_PREFIX or any(ch.isspace() for ch in prefix):
        raise commands.BadArgument(
            f"A prefix is 1-{MAX_PREFIX} characters without spaces (got `{prefix}`)."
        )
    return prefix


class ClearRule:
    """What ``config <command> none`` passes instead of a role."""

    def __repr__(self) -> str:
        return "none"


CLEAR = ClearRule()


class RoleOrNone(commands.Converter[Any]):
    """A role (mention, id or name), or one of ``none``/``clear`` to remove a rule."""

    async def convert(self, ctx: Ctx, argument: str) -> discord.Role | ClearRule:
        if argument.strip().lower() in CLEAR_WORDS:
            return CLEAR
        return await commands.RoleConverter().convert(ctx, argument.strip())


def role_names(guild: discord.Guild, role_ids: list[int]) -> list[str]:
    out = []
    for rid in role_ids:
        role = guild.get_role(int(rid))
        out.append(f"@{role.name}" if role else f"deleted role ({rid})")
    return out


def _names(guild: discord.Guild, role_ids: list[int]) -> str:
    return ", ".join(role_names(guild, role_ids))


def _coverage(command: commands.Command) -> str:  # type: ignore[type-arg]
    """A line saying which commands a rule on ``command`` covers (groups: every subcommand).

    A rule on a group and a rule on one of its subcommands both apply to that subcommand.
    """
    subcommands = covered_commands(command)[1:]
    if not subcommands:
        return ""
    shown = ", ".join(subcommands[:20]) + (" …" if len(subcommands) > 20 else "")
    return f"It covers {command.qualified_name} and its subcommands: {shown}.\n"


class Settings(commands.Cog):
    """Server settings: prefix, @mention prefix and per-command role rules."""

    def __init__(self, bot: ZoryxBot) -> None:
        self.bot = bot

    @property
    def db(self) -> Any:
        return self.bot.services.db

    # -- prefix --------------------------------------------------------------------------
    @commands.hybrid_command(description="Set this server's command prefix (or 'reset')")
    @app_commands.describe(prefix="1-5 characters without spaces, or 'reset'")
    @app_commands.guild_only()
    @commands.guild_only()
    @needs_permission("manage_guild", "Administrator or Manage Server")
    @owner_exempt_cooldown(5, 10)
    async def setprefix(self, ctx: Ctx, prefix: str) -> None:
        """Set the command prefix used in this server; `setprefix reset` restores the default."""
        assert ctx.guild is not None
        default = self.bot.prefixes.default_prefix
        if prefix.lower() in RESET_WORDS:
            await self.db.set_prefix(ctx.guild.id, None)
            log.info("%s reset the prefix of guild %s", ctx.author, ctx.guild.id)
            await ctx.send(
                embed=embeds.success("Prefix reset", f"Commands now start with `{default}`.")
            )
            return
        check_prefix(prefix)
        await self.db.set_prefix(ctx.guild.id, prefix)
        log.info("%s set the prefix of guild %s to %r", ctx.author, ctx.guild.id, prefix)
        await ctx.send(
            embed=embeds.success(
                "Prefix changed",
                f"Commands now start with `{prefix}` here, e.g. `{prefix}help`. "
                "Slash commands work as before.",
            )
        )

    # -- mention prefix ------------------------------------------------------------------
    @commands.hybrid_group(
        invoke_without_command=True, description="Control the @mention prefix here"
    )
    @app_commands.guild_only()
    @commands.guild_only()
    @needs_permission("administrator", "Administrator")
    async def mentionprefix(self, ctx: Ctx) -> None:
        """Enable, disable or show whether `@bot command` works in this server."""
        await self._mention_status(ctx)

    @mentionprefix.command(name="enable", description="Allow @bot as a prefix here")
    @commands.guild_only()
    @needs_permission("administrator", "Administrator")
    @owner_exempt_cooldown(5, 10)
    async def mention_enable(self, ctx: Ctx) -> None:
        """Let members run commands as `@bot command` here."""
        assert ctx.guild is not None
        await self.db.set_mention_prefix(ctx.guild.id, True)
        await ctx.send(embed=embeds.success("Mention prefix enabled", self._mention_hint(ctx)))

    @mentionprefix.command(name="disable", description="Stop @bot working as a prefix here")
    @commands.guild_only()
    @needs_permission("administrator", "Administrator")
    @owner_exempt_cooldown(5, 10)
    async def mention_disable(self, ctx: Ctx) -> None:
        """Ignore `@bot command` in this server (the prefix and slash still work)."""
        assert ctx.guild is not None
        await self.db.set_mention_prefix(ctx.guild.id, False)
        prefix = await guild_prefix(self.bot, ctx.guild)
        await ctx.send(
            embed=embeds.success(
                "Mention prefix disabled", f"Use `{prefix}command` or slash commands here."
            )
        )

    @mentionprefix.command(name="status", description="Show the @mention prefix setting")
    @commands.guild_only()
    @needs_permission("administrator", "Administrator")
    @owner_exempt_cooldown(5, 10)
    async def mention_status(self, ctx: Ctx) -> None:
        """Show whether the mention prefix is on here, and where that setting comes from."""
        await self._mention_status(ctx)

    def _mention_hint(self, ctx: Ctx) -> str:
        me = self.bot.user.mention if self.bot.user else "@bot"
        return f"Members can now use {me} `help` here."

    async def _mention_status(self, ctx: Ctx) -> None:
        assert ctx.guild is not None
        _, enabled = await self.bot.prefixes.for_guild(ctx.guild.id)
        own = await self.db.get_mention_prefix(ctx.guild.id)
        source = "server setting" if own is not None else "global default (config.json)"
        embed = embeds.info(
            "📣 Mention prefix", f"**{'Enabled' if enabled else 'Disabled'}** ({source})."
        )
        embed.add_field(name="Ways to run commands", value=await self._invocations(ctx.guild))
        await ctx.send(embed=embed)

    async def _invocations(self, guild: discord.Guild) -> str:
        prefix, mention = await self.bot.prefixes.for_guild(guild.id)
        lines = [f"• `{prefix}command`", "• `/command` (slash)"]
        if mention and self.bot.user is not None:
            lines.insert(1, f"• {self.bot.user.mention} `command`")
        return "\n".join(lines)

    # -- overview ------------------------------------------------------------------------
    @commands.hybrid_command(description="Show every bot setting for this server")
    @app_commands.guild_only()
    @commands.guild_only()
    @needs_permission("administrator", "Administrator")
    @owner_exempt_cooldown(5, 10)
    async def serversettings(self, ctx: Ctx) -> None:
        """Prefix, mention prefix and command role rules of this server."""
        guild = ctx.guild
        assert guild is not None
        own_prefix = await self.db.get_prefix(guild.id)
        prefix, mention = await self.bot.prefixes.for_guild(guild.id)
        own_mention = await self.db.get_mention_prefix(guild.id)
        rules = await self.db.list_command_permissions(guild.id)
        embed = embeds.info(f"⚙️ Settings for {guild.name}")
        embed.add_field(name="Prefix", value=f"`{prefix}`" + ("" if own_prefix else " (default)"))
        embed.add_field(
            name="Mention prefix",
            value=("Enabled" if mention else "Disabled")
            + ("" if own_mention is not None else " (default)"),
        )
        embed.add_field(name="Members", value=str(guild.member_count or 0))
        lines = [
            f"`{name}` → {', '.join(role_names(guild, roles))}"
            for name, roles in sorted(rules.items())
        ]
        embed.add_field(
            name="Command permissions",
            value=join_lines(lines, empty="No role rules: every command is open."),
            inline=False,
        )
        embed.add_field(name="Ways to run commands", value=await self._invocations(guild))
        embed.set_footer(text=f"Server ID {guild.id}")
        await ctx.send(embed=embed)

    # -- command role rules --------------------------------------------------------------
    @commands.hybrid_command(description="Limit a command to roles in this server")
    @app_commands.describe(
        command="The command to configure", role="A role to allow, or 'none' to open it again"
    )
    @app_commands.guild_only()
    @commands.guild_only()
    @guild_or_bot_owner()
    @owner_exempt_cooldown(5, 10)
    async def config(
        self,
        ctx: Ctx,
        command: str | None = None,
        role: RoleOrNone = None,  # type: ignore[assignment]  # not Optional: bad roles error
    ) -> None:
        """`config` lists the rules, `config <command> <role>` adds a role,
        `config <command> none` removes the rule."""
        guild = ctx.guild
        assert guild is not None
        if command is None:
            await self._list_rules(ctx, guild)
            return
        target = self.bot.get_command(command.strip())
        if target is None:
            raise commands.BadArgument(f"There is no command called `{command}`.")
        if is_owner_only(target):
            raise commands.BadArgument(
                f"`{target.qualified_name}` is for the bot owner only; roles cannot open it."
            )
        name = target.qualified_name
        current = await self.db.get_command_roles(guild.id, name)
        fallback = list(self.bot.services.config.command_permissions.get(name, []))
        if role is CLEAR:
            await self.db.set_command_roles(guild.id, name, [])
            text = f"Everyone can use `{name}` here again."
            if fallback:  # the permission policy falls back to config.json's rule
                text = f"The global rule from config.json applies again: {_names(guild, fallback)}."
            await ctx.send(embed=embeds.success("Rule removed", text))
            return
        if role is None:  # only a command: show its rule
            if current:
                text = _names(guild, current)
            elif fallback:
                text = f"{_names(guild, fallback)} (global rule from config.json)"
            else:
                text = "No rule: everyone can use it."
            if current or fallback:
                text += "\n" + _coverage(target).strip()
            await ctx.send(embed=embeds.info(f"🔐 `{name}`", text))
            return
        assert isinstance(role, discord.Role)
        roles = sorted({*current, role.id})
        await self.db.set_command_roles(guild.id, name, roles)
        log.info("%s limited %s in guild %s to roles %s", ctx.author, name, guild.id, roles)
        await ctx.send(
            embed=embeds.success(
                "Rule saved",
                f"`{name}` now needs one of: {_names(guild, roles)}.\n"
                f"{_coverage(target)}The server owner and administrators always pass.",
            )
        )

    async def _list_rules(self, ctx: Ctx, guild: discord.Guild) -> None:
        rules = await self.db.list_command_permissions(guild.id)
        lines = [f"`{name}` → {_names(guild, roles)}" for name, roles in sorted(rules.items())]
        for name, roles in sorted(self.bot.services.config.command_permissions.items()):
            if roles and not rules.get(name):
                lines.append(f"`{name}` → {_names(guild, list(roles))} (config.json)")
        prefix = await guild_prefix(self.bot, guild)
        embed = embeds.info(
            "🔐 Command permissions",
            join_lines(lines, limit=4000, empty="No role rules: every command is open."),
        )
        embed.set_footer(
            text=f"{prefix}config <command> <role> adds a role · {prefix}config <command> none"
            " removes the rule"
        )
        await ctx.send(embed=embed)

    @config.autocomplete("command")
    async def _config_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        names = sorted({c.qualified_name for c in self.bot.walk_commands() if not is_owner_only(c)})
        return [app_commands.Choice(name=n, value=n) for n in names if current.lower() in n][:25]


async def setup(bot: ZoryxBot) -> None:
    await bot.add_cog(Settings(bot))
