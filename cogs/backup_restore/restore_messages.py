"""Replay the snapshot's messages through webhooks, each under its author's name and
picture.

Discord's webhook execute takes a picture only as ``avatar_url`` (a URL), while the
snapshot keeps the author's picture as bytes so that it survives the author leaving.
So every author gets a webhook of their own, created with their name and picture
(uploaded from the snapshot bytes); their messages are sent through it. A channel holds
at most :data:`POOL_SIZE` of these at once (Discord allows 15 per channel): when a new
author arrives and the pool is full, the least recently used webhook is renamed and
re-pictured for them, which Discord allows and which leaves the messages already sent
as they were. The webhooks are deleted when the channel is done.

Messages are replayed only into channels this restore created, or into existing ones
that have no messages at all: replaying into a channel that still holds its history
would duplicate it. Nobody is pinged (no mentions, silent messages).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from .restore_run import Planned, RestoreRun, StepFailed, image_bytes

#: Author webhooks alive in one channel at a time.
POOL_SIZE = 8
#: Longest message content Discord takes from a webhook.
CONTENT_MAX = 2000
_FORBIDDEN_NAME = re.compile("discord|clyde", re.IGNORECASE)
_NO_PINGS = discord.AllowedMentions.none()


def webhook_name(name: str) -> str:
    """A name Discord accepts for a webhook (1-80 characters, not containing "discord"
    or "clyde")."""
    cleaned = _FORBIDDEN_NAME.sub(lambda m: m.group(0)[0] + "\u200b" + m.group(0)[1:], name)
    return cleaned.strip()[:80] or "member"


class _AuthorHooks:
    """The author webhooks of one channel (least recently used first)."""

    def __init__(self, run: RestoreRun, channel: discord.TextChannel, label: str) -> None:
        self.run = run
        self.channel = channel
        self.label = label
        self.hooks: OrderedDict[str, discord.Webhook] = OrderedDict()

    async def get(self, author_id: str, author: dict[str, Any]) -> discord.Webhook:
        hook = self.hooks.get(author_id)
        if hook is not None:
            self.hooks.move_to_end(author_id)
            return hook
        name = webhook_name(str(author.get("name") or author_id))
        avatar = image_bytes(author.get("avatar"))
        what = f"{self.label}: webhook for {name}"
        if len(self.hooks) < POOL_SIZE:
            try:
                hook = await self.run.call(
                    what,
                    lambda: self.channel.create_webhook(
                        name=name, avatar=avatar, reason=self.run.audit_reason
                    ),
                )
            except StepFailed:
                if not self.hooks:
                    raise
        if hook is None:  # full (or Discord's own limit reached): take over the oldest
            _, old = self.hooks.popitem(last=False)
            hook = await self.run.call(
                what, lambda: old.edit(name=name, avatar=avatar, reason=self.run.audit_reason)
            )
        self.hooks[author_id] = hook
        return hook

    async def close(self) -> None:
        while self.hooks:
            _, hook = self.hooks.popitem()
            try:
                await self.run.call(f"{self.label}: webhook clean-up", self._deleter(hook))
            except StepFailed:
                pass

    def _deleter(self, hook: discord.Webhook) -> Callable[[], Awaitable[None]]:
        return lambda: hook.delete(reason=self.run.audit_reason)


async def restore_messages(run: RestoreRun) -> None:
    run.begin("messages")
    history: dict[str, list[dict[str, Any]]] = run.snap.get("messages") or {}
    authors: dict[str, dict[str, Any]] = run.snap.get("message_authors") or {}
    names = {int(c["id"]): str(c["name"]) for c in run.snap.get("channels") or []}
    for key, items in history.items():
        label = f"#{names.get(int(key), key)}"
        live = run.live_channel(int(key))
        why: str | None = None
        if live is None:
            why = "channel not restored"
        elif not isinstance(live, discord.TextChannel | Planned):
            why = "not a text channel"
        elif int(key) not in run.created_channels and getattr(live, "last_message_id", None):
            why = "the channel still has messages (replaying would duplicate them)"
        else:
            why = run.lacks("manage_webhooks")
        if why is not None or run.dry_run or not isinstance(live, discord.TextChannel):
            if why is None:
                run.record("created", f"{label}: {len(items)} message(s)")
            else:
                run.record("skipped", f"{label}: {len(items)} message(s): {why}")
            await run.step(label, len(items))
            continue
        await _replay(run, live, label, items, authors)


async def _send(
    run: RestoreRun,
    hooks: _AuthorHooks,
    what: str,
    content: str,
    author_id: str,
    author: dict[str, Any],
) -> None:
    hook = await hooks.get(author_id, author)
    username = webhook_name(str(author.get("name") or author_id))
    await run.call(
        what,
        lambda: hook.send(content, username=username, allowed_mentions=_NO_PINGS, silent=True),
    )


async def _replay(
    run: RestoreRun,
    channel: discord.TextChannel,
    label: str,
    items: list[dict[str, Any]],
    authors: dict[str, dict[str, Any]],
) -> None:
    hooks = _AuthorHooks(run, channel, label)
    sent = 0
    try:
        for index, message in enumerate(items):
            content = str(message.get("content") or "")[:CONTENT_MAX]
            author_id = str(message.get("author_id"))
            author = authors.get(author_id) or {"name": author_id, "avatar": None}
            if content:
                try:
                    await _send(
                        run, hooks, f"{label}: message {index + 1}", content, author_id, author
                    )
                    sent += 1
                except StepFailed:
                    if not hooks.hooks:  # no webhook can be made here: stop this channel
                        rest = len(items) - index - 1
                        if rest:
                            run.record("skipped", f"{label}: {rest} message(s) not replayed")
                        await run.step(label, rest + 1)
                        break
            await run.step(label)
    finally:
        await hooks.close()
    if sent:
        run.record("created", f"{label}: {sent} message(s)")
