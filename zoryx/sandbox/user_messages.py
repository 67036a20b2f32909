"""What a sandbox user does to messages already posted: edit and delete them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .views import SandboxMessage

if TYPE_CHECKING:
    from .driver import Sandbox


class MessageActions:
    """Mixin for :class:`~zoryx.sandbox.driver.SandboxUser`: edit and delete messages."""

    sandbox: Sandbox
    id: int

    async def edit(
        self,
        message: SandboxMessage,
        content: str | None = None,
        *,
        embeds: list[dict[str, Any]] | None = None,
    ) -> SandboxMessage:
        """Edit one of this user's messages: MESSAGE_UPDATE, as from Discord's client.

        Raises ``DiscordAPIError`` 403 50005 for another user's message, 400 50006 when
        the edit would leave the message empty.
        """
        sb = self.sandbox

        async def run() -> SandboxMessage:
            msg = sb.state.edit_as_user(
                message.channel_id, message.id, self.id, content=content, embeds=embeds
            )
            return SandboxMessage.of(msg)

        return await sb.call(run)

    async def delete(self, message: SandboxMessage) -> None:
        """Delete a message: MESSAGE_DELETE. A user deletes their own messages, and others'
        in a guild channel where they have Manage Messages (403 50013 otherwise)."""
        sb = self.sandbox

        async def run() -> None:
            sb.state.delete_as_user(message.channel_id, message.id, self.id)

        await sb.call(run)


__all__ = ["MessageActions"]
