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


def read_voice_sources(extensions: dict[str, Path]) -> tuple[list[str], dict[str, list[str]]]:
    """The voice libraries that are missing and, only if some are, the source texts of the
    loaded extensions (name → file or package). Blocking: call it off the event loop."""
    missing = missing_voice_libraries()
    if not missing:
        return [], {}
    texts = {
        name: [p.read_text(encoding="utf-8", errors="replace") for p in _sources(path)]
        for name, path in extensions.items()
    }
    return missing, texts


def voice_warnings(missing: list[str], sources: dict[str, list[str]]) -> list[str]:
    """Warnings for the extensions whose ``sources`` use voice while ``missing`` libraries
    are not installed (see :func:`read_voice_sources`).

    Parses on the calling thread, on purpose: CPython 3.11 before 3.11.8 can fail with
    ``SystemError`` when ``ast.parse`` in a worker thread meets an import compiling on the
    main thread (gh-106905).
    """
    users = [name for name, texts in sources.items() if any(uses_voice(t) for t in texts)]
    if not missing or not users:
        return []
    return [
        f"{library} is not installed, voice will NOT be supported "
        f"(used by extension(s): {', '.join(users)})"
        for library in missing
    ]
