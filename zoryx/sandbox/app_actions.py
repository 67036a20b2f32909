"""Driver actions for application commands beyond plain slash commands.

Mixed into :class:`~.driver.SandboxUser`: run a user or message context-menu command on a
target, and type into an autocomplete option. What Discord's client would refuse raises
:class:`~.app_validation.ClientRefusal` and no interaction reaches the bot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .constants import InteractionType
from .views import SandboxMessage

if TYPE_CHECKING:
    from .driver import InteractionHandle, Sandbox
    from .interactions import InteractionRecord
    from .lookup import ChannelRef


class AppCommandActions:
    """Context menus and autocomplete for a driven user (``sandbox`` and ``id`` given)."""

    sandbox: Sandbox
    id: int

    async def context_menu(
        self,
        name: str,
        target: Any,
        channel: ChannelRef | None = None,
        *,
        in_guild: int | str | None = None,
    ) -> InteractionHandle:
        """Run the bot's context-menu command ``name`` (e.g. ``"Show Join Date"``).

        Args:
            name: The command's name as registered (mixed case and spaces allowed).
            target: A :class:`SandboxMessage` runs the *message* command on that message (in
                its channel); a user (name, id, :class:`SandboxUser`) runs the *user* command.
            channel: Where a user command is run (default ``#general`` of ``in_guild``);
                ignored for message commands, which run in the message's channel.
            in_guild: Guild used to resolve a channel name.
        """
        from .driver import InteractionHandle

        sb = self.sandbox
        if isinstance(target, SandboxMessage):
            cid = target.channel_id
            message_id: int | None = target.id
            user_ref: int | str = 0
        else:
            cid = sb.channel_id(channel if channel is not None else "#general", in_guild)
            message_id = None
            user_ref = target.id if hasattr(target, "id") else target

        async def run() -> InteractionRecord:
            from .slash import build_context_menu_data

            state = sb.state
            if message_id is not None:
                message = state.message_or_404(cid, message_id)
                data = build_context_menu_data(
                    state, sb.app_info, cid, name, self.id, target_message=message
                )
            else:
                uid = int(state.find_user(user_ref)["id"])
                data = build_context_menu_data(
                    state, sb.app_info, cid, name, self.id, target_user=uid
                )
            return state.interactions.create(
                sb.app_info, InteractionType.APPLICATION_COMMAND, self.id, cid, data
            )

        return InteractionHandle(sb, await sb.call(run))

    async def autocomplete(
        self,
        command: str,
        focused: str,
        typed: str = "",
        channel: ChannelRef = "#general",
        /,
        *,
        in_guild: int | str | None = None,
        **options: Any,
    ) -> InteractionHandle:
        """Type ``typed`` into the autocomplete option ``focused`` of a slash command.

        The bot answers with choices: ``(await handle.response()).choices``. Other options
        already filled in are given as keywords and checked as for :meth:`slash`; required
        ones may still be missing, as while typing in Discord.
        """
        from .driver import InteractionHandle

        sb = self.sandbox
        cid = sb.channel_id(channel, in_guild)
        values = {**options, focused: typed}

        async def run() -> InteractionRecord:
            from .slash import build_command_data

            data = build_command_data(
                sb.state, sb.app_info, cid, command, values, user_id=self.id, focused=focused
            )
            return sb.state.interactions.create(
                sb.app_info, InteractionType.AUTOCOMPLETE, self.id, cid, data
            )

        return InteractionHandle(sb, await sb.call(run))
