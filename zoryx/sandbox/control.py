"""The HTTP control API under ``/_sandbox/`` (filled in by install_control)."""

from __future__ import annotations

from typing import Any

from aiohttp import web


def install_control(app: web.Application, server: Any) -> None:
    async def info(request: web.Request) -> web.Response:
        return web.json_response(
            {"url": server.url, "bot_id": str(server.bot_id), "guilds": len(server.state.guilds)}
        )

    app.router.add_get("/_sandbox/info", info)
