"""Errors of the control socket, each with a one-line message fit for a user."""

from __future__ import annotations

from zoryx.readmodel import SourceLost

__all__ = ["ControlRefused", "ControlSocketError", "NoBot", "Unreachable"]


class ControlSocketError(RuntimeError):
    """The control server cannot listen (the socket path is taken, unsafe or unusable)."""


class NoBot(SourceLost):
    """No bot runs there: no bot directory, or no control socket in it."""


class Unreachable(SourceLost):
    """A control socket exists but nobody answers on it (or it cannot be opened)."""


class ControlRefused(SourceLost):
    """The bot answered but refused this peer (another user, a bad or revoked token)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status
