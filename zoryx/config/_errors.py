"""The one exception type raised for bad configuration (config.json or .env)."""

from __future__ import annotations

__all__ = ["ConfigError"]


class ConfigError(ValueError):
    """A configuration value or file is unusable.

    ``str(error)`` is a single line fit to show a user (CLI exit reason, TUI
    notification). The structured parts are kept as attributes.

    Attributes:
        key: dotted config path (``"slash_limiter.safe_limit"``) or env key
            (``"SHARD_COUNT"``) at fault, when there is one.
        file: the file the value came from, when known.
        line: 1-based line of a JSON syntax error.
        column: 1-based column of a JSON syntax error.
    """

    def __init__(
        self,
        message: str,
        *,
        key: str | None = None,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        one_line = " ".join(message.split())
        super().__init__(f"{file}: {one_line}" if file else one_line)
        self.reason = one_line
        self.key = key
        self.file = file
        self.line = line
        self.column = column

    def in_file(self, file: str) -> ConfigError:
        """Return a copy of this error attributed to ``file``."""
        return ConfigError(self.reason, key=self.key, file=file, line=self.line, column=self.column)
