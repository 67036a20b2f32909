"""``zoryx init``: create a bot directory from the packaged templates, never overwriting."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .config import default_config, save_config


@dataclass
class InitReport:
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    skipped_examples: bool = False
    """The directory was not new, so no example extension was copied."""


def init_bot_dir(target: Path) -> InitReport:
    """Create config.json, .env.example, .env, data/, botlogs/ and, in a new directory,
    the example extensions.

    A directory that already has files gets no examples: in an existing bot directory,
    an example the user deleted stays deleted.
    """
    report = InitReport()
    new = not target.exists() or (target.is_dir() and not any(target.iterdir()))
    target.mkdir(parents=True, exist_ok=True)
    templates = resources.files("zoryx") / "templates"

    def note(path: Path, created: bool) -> None:
        (report.created if created else report.kept).append(path.relative_to(target).as_posix())

    config = target / "config.json"
    if config.exists():
        note(config, False)
    else:
        save_config(target, default_config())
        note(config, True)
    example = target / ".env.example"
    env_text = (templates / "env.example").read_text(encoding="utf-8")
    for path in (example, target / ".env"):
        if path.exists():
            note(path, False)
        else:
            path.write_text(env_text, encoding="utf-8")
            if path.name == ".env":
                path.chmod(0o600)
            note(path, True)
    for folder in ("data", "botlogs", "extensions"):
        path = target / folder
        existed = path.exists()
        path.mkdir(exist_ok=True)
        note(path, not existed)
    if not new:
        report.skipped_examples = True
        return report
    for item in (templates / "extensions").iterdir():
        if not item.name.endswith(".py"):
            continue
        dest = target / "extensions" / item.name
        if dest.exists():
            note(dest, False)
            continue
        with resources.as_file(item) as src:
            shutil.copyfile(src, dest)
        note(dest, True)
    return report
