"""discord.py's voice-library warnings, shown only for a bot that uses voice.

discord.py warns "PyNaCl is not installed, voice will NOT be supported" (and the same
for davey) whenever a client is created without them, so every start of a bot without
voice printed two warnings about nothing it does. The runtime mutes them before it
creates the bot (:func:`mute_client_warnings`) and, once the extensions are loaded,
warns only if one of them uses discord.py's voice API (:func:`voice_warnings`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

#: Names that only code using voice refers to (classes, attributes, imported names).
VOICE_NAMES = frozenset(
    {
        "VoiceClient",
        "VoiceProtocol",
        "voice_client",
        "voice_clients",
        "AudioSource",
        "PCMAudio",
        "PCMVolumeTransformer",
        "FFmpegAudio",
        "FFmpegPCMAudio",
        "FFmpegOpusAudio",
        "change_voice_state",
    }
)


def missing_voice_libraries() -> list[str]:
    """The voice libraries discord.py could not import (``PyNaCl``, ``davey``)."""
    from discord import voice_client

    missing = []
    if not getattr(voice_client, "has_nacl", True):
        missing.append("PyNaCl")
    if not getattr(voice_client, "has_dave", True):
        missing.append("davey")
    return missing


def mute_client_warnings() -> None:
    """Stop discord.py from warning about voice libraries when a client is created."""
    from discord.voice_client import VoiceClient

    VoiceClient.warn_nacl = False
    if hasattr(VoiceClient, "warn_dave"):
        VoiceClient.warn_dave = False


def uses_voice(source: str) -> bool:
    """Whether Python ``source`` refers to discord.py's voice API (False if it does not parse)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in VOICE_NAMES:
            return True
        if isinstance(node, ast.Attribute) and node.attr in VOICE_NAMES:
            return True
        if isinstance(node, ast.alias) and node.name.rpartition(".")[2] in VOICE_NAMES:
            return True
    return False


def _sources(path: Path) -> Iterable[Path]:
    return sorted(path.rglob("*.py")) if path.is_dir() else [path]


def voice_warnings(extensions: dict[str, Path]) -> list[str]:
    """Warnings for the loaded extensions (name → file or package) that use voice.

    Blocking (reads files): call it off the event loop.
    """
    missing = missing_voice_libraries()
    if not missing:
        return []
    users = [
        name
        for name, path in extensions.items()
        if any(uses_voice(p.read_text(encoding="utf-8", errors="replace")) for p in _sources(path))
    ]
    if not users:
        return []
    return [
        f"{library} is not installed, voice will NOT be supported "
        f"(used by extension(s): {', '.join(users)})"
        for library in missing
    ]
