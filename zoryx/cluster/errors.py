"""Errors of the cluster bus. Their texts are one line fit to show an operator and never
hold the IPC secret or a Redis password."""

from __future__ import annotations

__all__ = ["BusBusy", "BusUnavailable", "ClusterError", "ClusterRefused"]


class ClusterError(Exception):
    """Base class of the cluster bus errors."""


class ClusterRefused(ClusterError):
    """The fleet refused this cluster: its name is taken, its shards overlap another
    cluster's, its ``SHARD_COUNT`` differs, its secret is not the fleet's, or the fleet
    is full.

    Attributes:
        reason: ``"name"``, ``"overlap"``, ``"shard_count"``, ``"secret"`` or ``"full"``.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class BusUnavailable(ClusterError):
    """Redis cannot be reached right now; the bus reconnects by itself."""


class BusBusy(ClusterError):
    """Too many queries or broadcasts are waiting for answers already."""
