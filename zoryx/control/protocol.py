"""The control protocol: JSON text frames over a WebSocket, shaped like JSON-RPC 2.0.

Requests ``{"id": n, "method": m, "params": {...}}`` get exactly one answer,
``{"id": n, "result": ...}`` or ``{"id": n, "error": {"kind": k, "message": text}}``.
Pushed events have no id: ``{"event": topic, "data": {...}}``.

======================  ==========================================  =====================
method                  params                                      result
======================  ==========================================  =====================
``hello``               none                                        bot info + peer role
``read``                ``view`` (str), ``params`` (object)         the view's data
``act``                 ``action`` (str), ``params`` (object)       the action's result
``subscribe``           ``topic`` (str)                             ``{"topic": topic}``
``unsubscribe``         ``topic`` (str)                             ``{"topic": topic}``
======================  ==========================================  =====================

Error kinds of the protocol itself: ``ParseError`` (not JSON), ``InvalidRequest`` (not a
request object), ``MethodNotFound``, ``InvalidParams``, ``UnknownAction``,
``UnknownTopic``, ``ResultTooLarge``, ``TokenRevoked``. Everything else is the class
name of what the bot raised (``UnknownView``, ``PermissionDenied``, ``OperatorError``…).
"""

from __future__ import annotations

import json
from typing import Any

__all__ = [
    "MAX_MSG_SIZE",
    "METHODS",
    "PATH",
    "TOPICS",
    "ProtocolError",
    "decode",
    "encode",
    "error",
    "event",
    "result",
]

MAX_MSG_SIZE = 4 << 20
"""Largest frame either side accepts (file reads are capped at 2 MiB by the operator API)."""
PATH = "/control"
METHODS = frozenset({"hello", "read", "act", "subscribe", "unsubscribe"})
TOPICS = frozenset({"log", "audit", "guild", "lifecycle"})
PROTOCOL_VERSION = 1


class ProtocolError(Exception):
    """A request that cannot be run; ``kind`` is the error kind sent back."""

    def __init__(self, kind: str, message: str, request_id: Any = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.request_id = request_id


def encode(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def result(request_id: Any, value: Any) -> str:
    return encode({"id": request_id, "result": value})


def error(request_id: Any, kind: str, message: str) -> str:
    return encode({"id": request_id, "error": {"kind": kind, "message": message[:2000]}})


def event(topic: str, data: Any) -> str:
    return encode({"event": topic, "data": data})


def decode(text: str) -> tuple[Any, str, dict[str, Any]]:
    """``(id, method, params)`` of a request frame.

    Raises:
        ProtocolError: not JSON, not a request object, or an unknown method; its
            ``request_id`` is the request's id when one could be read.
    """
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        raise ProtocolError("ParseError", "the frame is not valid JSON") from None
    if not isinstance(message, dict):
        raise ProtocolError("InvalidRequest", "a request is a JSON object")
    request_id = message.get("id")
    if not isinstance(request_id, int | str) or isinstance(request_id, bool):
        raise ProtocolError("InvalidRequest", "a request needs an integer or string id")
    method = message.get("method")
    params = message.get("params", {})
    if not isinstance(method, str):
        raise ProtocolError("InvalidRequest", "a request needs a method", request_id)
    if method not in METHODS:
        known = ", ".join(sorted(METHODS))
        raise ProtocolError("MethodNotFound", f"no method {method[:80]!r} ({known})", request_id)
    if not isinstance(params, dict):
        raise ProtocolError("InvalidParams", "params must be an object", request_id)
    return request_id, method, params
