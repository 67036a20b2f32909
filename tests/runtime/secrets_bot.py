"""A bot directory full of secrets and of extensions that leak them, and a leak finder.

The secrets are generated at every run in their real shapes (nothing key-like is in the
repository). The extensions read them from ``.env`` with python-dotenv, as bots do, and
put them in exception texts: at load time (a key inside a request URL, a key wrapped
over two lines and in a repr, token parts, a key cut off by a truncated URL) and at run
time (a command, an event hook).
"""

from __future__ import annotations

import base64
import json
import secrets
import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

_ALPHABET = string.ascii_letters + string.digits + "_-"
#: Extensions that fail to load, and the one that loads (its commands fail at run time).
FAILING = ("gemini_bad", "wrapped", "tokenpart", "cutkey")
WORKING = "runtime_fail"
FRAGMENT = 12


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


@dataclass(frozen=True)
class Secrets:
    token: str  # a Discord bot token, kept under WEBHOOK_TOKEN (the sandbox needs no token)
    key: str  # a Gemini (Google) API key
    stripe: str
    db_password: str
    redis_password: str

    @classmethod
    def generate(cls) -> Secrets:
        bot_id = str(10**17 + secrets.randbelow(9 * 10**17))
        first = base64.b64encode(bot_id.encode()).decode().rstrip("=")
        return cls(
            token=f"{first}.{_random(6)}.{_random(38)}",
            key="AIza" + _random(35),
            stripe="sk_" + _random(32),
            db_password=_random(16),
            redis_password=_random(20),
        )

    def env_lines(self) -> list[str]:
        return [
            f"WEBHOOK_TOKEN={self.token}",
            f"GEMINI_API_KEY={self.key}",
            f"STRIPE_SECRET={self.stripe}",
            f"DB_PASSWORD={self.db_password}",
            f"REDIS_URL=redis://:{self.redis_password}@127.0.0.1:6379/0",
        ]

    def needles(self, *extra: str) -> dict[str, str]:
        """What must appear nowhere -> a label: each secret, the token's parts, every
        12-character window of the long ones and the 7 characters a wrapped key starts
        with."""
        found: dict[str, str] = {}
        long = {"token": self.token, "key": self.key, "stripe": self.stripe}
        for label, value in long.items():
            found[value] = label
            for i in range(len(value) - FRAGMENT + 1):
                found.setdefault(value[i : i + FRAGMENT], f"{label}[{i}:{i + FRAGMENT}]")
        for number, part in enumerate(self.token.split(".")):
            found[part] = f"token part {number}"
        found[self.key[:7]] = "key[:7] (before the line break)"
        found[self.db_password] = "DB_PASSWORD"
        found[self.redis_password] = "password in REDIS_URL"
        for number, value in enumerate(extra):
            found[value] = f"extra secret {number}"
        return found


_HEAD = """
from pathlib import Path

from dotenv import dotenv_values

ENV = dotenv_values(Path(__file__).resolve().parent.parent / ".env")
URL = "https://generativelanguage.googleapis.com/v1beta/models/x:generateContent"
"""

EXTENSIONS = {
    "gemini_bad": """
async def setup(bot):
    raise RuntimeError(f"400 Client Error: Bad Request for url: {URL}?key={ENV['GEMINI_API_KEY']}")
""",
    "wrapped": """
async def setup(bot):
    key = ENV["GEMINI_API_KEY"]
    sent = {"api_key": key[:7] + "\\n" + key[7:]}
    raise ValueError(f"API key not valid:\\n{key[:20]}\\n    {key[20:]}\\nrequest: {sent!r}")
""",
    "tokenpart": """
async def setup(bot):
    first, middle, last = ENV["WEBHOOK_TOKEN"].split(".")
    raise PermissionError(f"webhook of {first} (issued {middle}) refused: signature {last}")
""",
    "cutkey": """
async def setup(bot):
    url = f"{URL}?key={ENV['GEMINI_API_KEY']}"
    raise TimeoutError(f"timed out after 30 s: GET {url[:-21]}…")
""",
    "runtime_fail": """
from discord.ext import commands


@commands.command()
async def ask(ctx, *, question: str = "hi"):
    raise RuntimeError(
        f"upstream error at {URL}?key={ENV['GEMINI_API_KEY']} (billing {ENV['STRIPE_SECRET']})"
    )


@commands.command()
async def db(ctx):
    raise ConnectionError(f"cannot reach {ENV['REDIS_URL']} as admin:{ENV['DB_PASSWORD']}")


@commands.command()
async def writereports(ctx):
    await ctx.bot.services.extra["diagnostics"].run_check()
    await ctx.send("reports written")


async def report_errors(bot, **kwargs):
    raise RuntimeError(f"hook could not post with token {ENV['WEBHOOK_TOKEN']}")


async def setup(bot):
    for command in (ask, db, writereports):
        bot.add_command(command)
    bot.register_hook("command_error", report_errors)
""",
}


def write_bot_dir(root: Path, values: Secrets, env: Iterable[str] = ()) -> Path:
    """The bot directory: .env with the secrets (plus ``env`` lines), config.json (no hot
    reload, no cooldowns or error-reply limits in the way) and the extensions."""
    (root / "extensions").mkdir(parents=True)
    (root / ".env").write_text("\n".join([*values.env_lines(), *env]) + "\n")
    cooldowns = {"default_rate": 1000, "default_per": 1.0, "error_reply_window": 0}
    config = {"auto_reload": False, "cooldowns": cooldowns}
    (root / "config.json").write_text(json.dumps(config))
    for name, body in EXTENSIONS.items():
        (root / "extensions" / f"{name}.py").write_text(_HEAD + body)
    return root


def stored_files(root: Path) -> Iterator[Path]:
    """Every file the bot may have written under ``root`` (everything but ``.env``)."""
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != ".env":
            yield path


def find_leaks(sources: dict[str, bytes | str], needles: dict[str, str]) -> list[str]:
    """``"<where>: <what>"`` for every needle found in a source."""
    leaks = []
    for where, blob in sources.items():
        data = blob.encode("utf-8", "replace") if isinstance(blob, str) else blob
        leaks += [
            f"{where}: {label}" for needle, label in needles.items() if needle.encode() in data
        ]
    return leaks
