"""'²' is a digit to ``str.isdigit()`` but not to ``int()``: places that read an ID from text
must refuse it cleanly instead of crashing (orphan cleanup: tests/runtime/test_crash_leftovers;
the sandbox routes: tests/sandbox/test_robustness)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cogs.framework_diagnostics.service import CONFIG_FILE, DiagnosticsService
from zoryx.config import ConfigError, parse_config
from zoryx.storage.atomic import AtomicStore


def test_a_non_ascii_digit_in_config_json_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"command_permissions": {"ban": ["²"]}})
    assert info.value.key == "command_permissions.ban[0]" and "Discord ID" in str(info.value)
    assert parse_config({"command_permissions": {"ban": ["42"]}})  # ASCII digits still work


async def test_diagnostics_ignore_a_non_ascii_alert_channel(tmp_path: Path) -> None:
    (tmp_path / CONFIG_FILE).write_text(json.dumps({"alert_channel_id": "²"}), encoding="utf-8")
    service = DiagnosticsService(tmp_path, AtomicStore())
    await service.load()
    assert service.alert_channel_id is None
    (tmp_path / CONFIG_FILE).write_text(json.dumps({"alert_channel_id": "42"}), encoding="utf-8")
    ascii_digits = DiagnosticsService(tmp_path, AtomicStore())  # a fresh store: no cache
    await ascii_digits.load()
    assert ascii_digits.alert_channel_id == 42
