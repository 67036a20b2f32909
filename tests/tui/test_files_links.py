"""Files pane and links (issue 13): a link to .env never shows the token in the console."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .conftest import Console, paste_command, screen_text, show, wait_for

# A fresh value each run, so no key-like literal sits in the repository.
TOKEN = f"test-secret-{secrets.token_hex(16)}"


async def test_a_link_to_env_is_not_listed_and_not_opened(console: Console, bot_dir: Path) -> None:
    (bot_dir / ".env").write_text(f"GEMINI_API_KEY={TOKEN}\n", encoding="utf-8")
    os.symlink(".env", bot_dir / "settings.txt")
    os.link(bot_dir / ".env", bot_dir / "extensions" / "copy.txt")
    async with console() as pilot:
        app = pilot.app
        pane = await show(pilot, "files")
        tree = pane.file_tree
        await wait_for(pilot, lambda: tree.node_for("config.json") is not None, what="listing")
        names = [node.data.name for node in tree.root.children]
        assert "settings.txt" not in names
        await paste_command(pilot, "edit settings.txt")
        refused = "cannot open settings.txt: settings.txt leads to a secret file and is never shown"
        await wait_for(pilot, lambda: any(refused == text for _, text in app.notices), what=refused)
        await paste_command(pilot, "edit extensions/copy.txt")
        refused = (
            "cannot open extensions/copy.txt: extensions/copy.txt is a hard link to a secret"
            " file and is never shown"
        )
        await wait_for(pilot, lambda: any(refused == text for _, text in app.notices), what=refused)
        assert pane.editor.path is None
        assert "very-secret-token-value" not in screen_text(app)
        assert "very-secret-token-value" not in pane.editor.text
