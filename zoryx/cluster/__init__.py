"""Clusters: one bot split across processes and machines that meet over Redis.

:class:`ClusterBus` is the service (membership, heartbeats, global stats, broadcasts,
preset queries, the shared IDENTIFY budget); :class:`ClusterSettings` says who this
cluster is; every message is signed by :class:`Signer`.
"""

from .bus import STATES, ClusterBus
from .errors import BusBusy, BusUnavailable, ClusterError, ClusterRefused
from .members import ClusterInfo
from .queries import QUERY_KINDS
from .settings import DEFAULT_REDIS_URL, ClusterSettings, display_url
from .signing import REASONS, Envelope, Rejected, Signer

__all__ = [
    "DEFAULT_REDIS_URL",
    "QUERY_KINDS",
    "REASONS",
    "STATES",
    "BusBusy",
    "BusUnavailable",
    "ClusterBus",
    "ClusterError",
    "ClusterInfo",
    "ClusterRefused",
    "ClusterSettings",
    "Envelope",
    "Rejected",
    "Signer",
    "display_url",
]
