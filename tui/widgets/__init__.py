"""Widgets and helpers shared by the console's app and panes."""

from zoryx.readmodel.logtail import ConsoleLogHandler, LogBuffer, LogEntry, RecordCollector

from ._command_line import CommandBar, CommandSuggester
from ._commands import (
    GLOBAL_KEYS,
    CommandError,
    ConsoleCommands,
    resolve_channel,
    resolve_guild,
    split_command,
)
from ._dialogs import ConfirmScreen, HelpScreen, HelpSection, PromptScreen
from ._format import (
    FROZEN,
    ago,
    clock,
    health_tier,
    human_bytes,
    human_duration,
    kv_table,
    matches,
    plain,
    short_name,
    sparkline,
)
from ._header import BotStatus, PaneTabs, StatusLine
from ._line_card import LineCard
from ._live_static import LiveStatic
from ._live_table import LiveTable
from ._monitors import LoopLagMonitor, ProcessSample, ProcessSampler
from ._palette import ConsoleProvider, PaletteEntry
from ._panels import ErrorPanel, StartupView, TracebackView
from ._screen import ConsoleScreen, LineCompositor

__all__ = [
    "FROZEN",
    "GLOBAL_KEYS",
    "BotStatus",
    "CommandBar",
    "CommandError",
    "CommandSuggester",
    "ConfirmScreen",
    "ConsoleCommands",
    "ConsoleLogHandler",
    "ConsoleProvider",
    "ConsoleScreen",
    "ErrorPanel",
    "HelpScreen",
    "HelpSection",
    "LineCard",
    "LineCompositor",
    "LiveStatic",
    "LiveTable",
    "LogBuffer",
    "LogEntry",
    "LoopLagMonitor",
    "PaletteEntry",
    "PaneTabs",
    "ProcessSample",
    "ProcessSampler",
    "PromptScreen",
    "RecordCollector",
    "StartupView",
    "StatusLine",
    "TracebackView",
    "ago",
    "clock",
    "health_tier",
    "human_bytes",
    "human_duration",
    "kv_table",
    "matches",
    "plain",
    "resolve_channel",
    "resolve_guild",
    "short_name",
    "sparkline",
    "split_command",
]
