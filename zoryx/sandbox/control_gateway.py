"""Control-API reads of the gateway's limits.

``GET /_sandbox/identifies`` answers the IDENTIFY limits of the sandbox's bot application
and every identify recorded (oldest first, at most the last 1,000)::

    {"max_concurrency": 1, "window": 5.0, "refused": 1,
     "session_start_limit": {"total": 1000, "remaining": 998, "reset_after": ..., ...},
     "identifies": [{"time": 1700000000.1, "monotonic": 812.4, "application_id": "...",
                     "shard_id": 0, "shard_count": 2, "bucket": 0, "accepted": true,
                     "reason": null}, ...],
     "send_limit": {"limit": 120, "window": 60.0, "closed": 0}}

``monotonic`` is the sandbox's clock: compare records with it (accepted identifies of one
bucket are at least ``window`` seconds apart). ``send_limit.closed`` counts connections
closed with 4008 for sending over the gateway send limit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .control import ControlAPI
    from .control_request import Call


async def identifies(api: ControlAPI, call: Call) -> dict[str, Any]:
    server = api.server
    gateway = server.gateway
    out = gateway.identify_limits.snapshot(server.app_info.id)
    out["send_limit"] = {
        "limit": gateway.options.send_limit,
        "window": gateway.options.send_window,
        "closed": gateway.rate_limited,
    }
    return out


__all__ = ["identifies"]
