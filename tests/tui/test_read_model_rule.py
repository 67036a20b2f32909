"""Architecture rule: a console pane reads plain data through its source and never holds the
bot, a cog, a service or the runtime (so the same pane works attached over a socket).

Checked on the source of every module in ``tui/panes/``: no attribute named like a live
object (``.runtime``, ``.bot``, ``.services``, ``.operator``, also through ``getattr``),
and no import of a module that hands out live objects (discord.py, the cogs, the runtime,
the bot, services, storage, extensions, the sandbox, metrics). Part 2 adds: from the
operator and read-model packages a pane imports plain types and the interface only, and
the panes of a running console keep no live object of the bot (in plain data either).
"""

from __future__ import annotations

import ast
import dataclasses
from collections import deque
from pathlib import Path

import pytest

from .conftest import Console, show

PANES = Path(__file__).resolve().parents[2] / "tui" / "panes"
LIVE_ATTRIBUTES = frozenset({"runtime", "bot", "services", "operator"})
LIVE_MODULES = (
    "discord",
    "cogs",
    "zoryx.runtime",
    "zoryx.bot",
    "zoryx.services",
    "zoryx.storage",
    "zoryx.extensions",
    "zoryx.sandbox",
    "zoryx.metrics",
)


def _live_module(name: str) -> bool:
    return any(name == module or name.startswith(module + ".") for module in LIVE_MODULES)


def violations(source: str, filename: str = "<pane>") -> list[str]:
    """Where ``source`` (a pane module) reaches for a live object, as ``file:line: what``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        where = f"{filename}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Attribute) and node.attr in LIVE_ATTRIBUTES:
            found.append(f"{where}: .{node.attr}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "hasattr", "setattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in LIVE_ATTRIBUTES
        ):
            found.append(f"{where}: {node.func.id}(…, {node.args[1].value!r})")
        elif isinstance(node, ast.Import):
            found += [f"{where}: import {a.name}" for a in node.names if _live_module(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if _live_module(node.module):
                found.append(f"{where}: from {node.module} import …")
    return found


def pane_modules() -> list[Path]:
    return sorted(PANES.glob("*.py"))


def test_the_panes_exist() -> None:
    names = {path.stem for path in pane_modules()}
    assert {"base", "overview", "commands", "plugins", "hooks", "logs"} <= names


@pytest.mark.parametrize("path", pane_modules(), ids=lambda path: path.name)
def test_a_pane_reads_through_its_source_only(path: Path) -> None:
    found = violations(path.read_text(encoding="utf-8"), path.name)
    assert not found, "panes use self.source (views, actions) only:\n" + "\n".join(found)


def test_the_rule_catches_each_kind_of_reach() -> None:
    source = (
        "import discord\n"
        "from cogs.event_hooks.cog import EventHooks\n"
        "from zoryx.runtime import Runtime\n"
        "from zoryx.readmodel import Source\n"
        "class P:\n"
        "    def f(self):\n"
        "        a = self.app.runtime\n"
        "        b = self.source.bot\n"
        "        c = getattr(self.app, 'services')\n"
        "        d = self.source.read('overview')\n"
    )
    found = violations(source)
    assert [line.split(": ", 1)[1] for line in found] == [
        "import discord",
        "from cogs.event_hooks.cog import …",
        "from zoryx.runtime import …",
        ".runtime",
        ".bot",
        "getattr(…, 'services')",
    ]


# -- what a pane may take from the operator and read-model packages (part 2) --------------------
#: From the operator package a pane takes plain data types only, never the API or its
#: exceptions: a refusal reaches a pane as ``zoryx.readmodel.ActionFailed``.
OPERATOR_NAMES = frozenset({"FileEntry", "Role"})
#: The read model's interface; its other modules (the views, the local source, probes,
#: hot-reload log…) are the bot's side, served over the socket when attached.
READMODEL_INTERFACE = ("zoryx.readmodel", "zoryx.readmodel.source")


def bot_side_imports(source: str, filename: str = "<pane>") -> list[str]:
    """Imports of the operator API's machinery or of the read model's bot side."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
            continue
        where = f"{filename}:{node.lineno}"
        module, names = node.module, [alias.name for alias in node.names]
        if module == "zoryx.operator" or module.startswith("zoryx.operator."):
            extra = sorted(set(names) - OPERATOR_NAMES)
            if extra:
                found.append(f"{where}: from {module} import {', '.join(extra)}")
        elif module.startswith("zoryx.readmodel.") and module not in READMODEL_INTERFACE:
            found.append(f"{where}: from {module} import …")
    return found


@pytest.mark.parametrize("path", pane_modules(), ids=lambda path: path.name)
def test_a_pane_takes_only_plain_types_from_the_bot_side(path: Path) -> None:
    found = bot_side_imports(path.read_text(encoding="utf-8"), path.name)
    assert not found, "panes import the read model's interface only:\n" + "\n".join(found)


def test_the_import_rule_catches_the_bot_side() -> None:
    source = (
        "from zoryx.operator import FileEntry, OperatorError\n"
        "from zoryx.operator.api import OperatorAPI\n"
        "from zoryx.readmodel.views_world import extension_of\n"
        "from zoryx.readmodel import ActionFailed\n"
        "from zoryx.readmodel.source import Source\n"
    )
    assert [line.split(": ", 1)[1] for line in bot_side_imports(source)] == [
        "from zoryx.operator import OperatorError",
        "from zoryx.operator.api import OperatorAPI",
        "from zoryx.readmodel.views_world import …",
    ]


# -- what live panes keep (part 2) -----------------------------------------------------------
def _kept(value: object, where: str, depth: int = 0) -> list[str]:
    """Live objects of the bot's process reachable from ``value`` through plain containers
    and dataclasses (``where: module.Class``)."""
    from zoryx.operator import OperatorAPI

    kind = type(value)
    module = kind.__module__ or ""
    if _live_module(module) or isinstance(value, OperatorAPI):
        return [f"{where}: {module}.{kind.__qualname__}"]
    if depth > 6:
        return []
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in list(value.items()):
            found += _kept(key, f"{where} key", depth + 1)
            found += _kept(item, f"{where}[{key!r}]", depth + 1)
    elif isinstance(value, list | tuple | set | frozenset | deque):
        for index, item in enumerate(list(value)):
            found += _kept(item, f"{where}[{index}]", depth + 1)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            found += _kept(getattr(value, field.name), f"{where}.{field.name}", depth + 1)
    return found


def test_kept_finds_live_objects_inside_plain_data() -> None:
    from zoryx.extensions import HotReload

    held = {"rows": [("a", HotReload("greetings", 0.0, "loaded"))], "ok": {"n": 1}}
    assert _kept(held, "pane.cache") == ["pane.cache['rows'][0][1]: zoryx.extensions.HotReload"]


async def test_live_panes_keep_no_live_object_of_the_bot(console: Console) -> None:
    from tui.panes import Pane

    async with console() as pilot:
        app = pilot.app
        textual_own = set(vars(Pane()))  # what every widget has (Textual's own state)
        kept: list[str] = []
        for pane_id in app.pane_ids:
            pane = await show(pilot, pane_id)
            for name, value in vars(pane).items():
                if name not in textual_own:
                    kept += _kept(value, f"{pane_id}.{name}")
        assert kept == [], "panes keep plain data only"
