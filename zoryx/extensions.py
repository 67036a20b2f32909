"""User extensions: discovery, metadata, atomic (re)loading and hot reload on file changes.

Extensions live in ``<bot dir>/extensions`` as modules (``greet.py``) or packages
(``shop/__init__.py``) and are imported as ``extensions.<name>``. A custom import finder
maps that package to the bot directory, so the bot directory need not be on ``sys.path``
and file names with spaces load under their underscore name (``my ext.py`` →
``extensions.my_ext``) without renaming anything on disk.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import functools
import importlib.abc
import importlib.machinery
import importlib.util
import logging
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from discord.ext import commands

from .redaction import redactor_of

if TYPE_CHECKING:
    from .bot import ZoryxBot

log = logging.getLogger("zoryx.extensions")

PACKAGE = "extensions"
METADATA_KEYS = (
    "__version__",
    "__author__",
    "__description__",
    "__dependencies__",
    "__conflicts__",
    "__provides_hooks__",
    "__listens_to_hooks__",
)
State = Literal["loaded", "failed", "unloaded", "blacklisted"]
BeforeLoad = Callable[["ExtensionInfo"], Awaitable[None]]
_Method = TypeVar("_Method", bound=Callable[..., Awaitable[Any]])


@dataclass(frozen=True)
class HotReload:
    """What the folder watcher left an extension as after a change (the outcome of a save).

    Reported to :attr:`ExtensionManager.hot_reload_listeners` once per changed extension;
    ``seen_at`` (``time.monotonic()``) is when the watcher saw the change, so a face that
    saved a file at ``t`` waits for an outcome with ``seen_at >= t``.
    """

    name: str
    seen_at: float
    state: State | None  # None: the extension is gone
    error: str | None = None
    traceback: str | None = None
    reloads: int = 0


class ExtensionRefused(Exception):
    """Raised by a before-load check (e.g. the plugin registry) to refuse a load."""


def normalize(name: str) -> str:
    """The import name of an extension file or folder name."""
    stem = name[:-3] if name.endswith(".py") else name
    return stem.strip().replace(" ", "_").replace("-", "_")


def metadata_source(path: Path) -> str | None:
    """The text :func:`read_metadata` parses (blocking file read; None if unreadable)."""
    source = path / "__init__.py" if path.is_dir() else path
    try:
        return source.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None


def read_metadata(path: Path, text: str | None = None) -> dict[str, Any]:
    """Module-level metadata literals (``__version__`` …) read WITHOUT running the code.

    Call it on the main thread: CPython 3.11 before 3.11.8 can fail with ``SystemError``
    when ``ast.parse`` runs in a worker thread while the main thread compiles an import
    (gh-106905), so only the file read (``text``, see :func:`metadata_source`) belongs
    in a thread.
    """
    if text is None:
        text = metadata_source(path)
    if text is None:
        return {}
    try:
        tree = ast.parse(text, filename=str(path))
    except (SyntaxError, ValueError):
        return {}
    out: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id in METADATA_KEYS and node.value:
                    with contextlib.suppress(ValueError, TypeError, SyntaxError):
                        out[target.id.strip("_")] = ast.literal_eval(node.value)
    return out


@dataclass
class ExtensionInfo:
    """What the console and the Discord commands show about one extension.

    ``error`` and ``traceback`` are redacted (secrets replaced) when the manager sets them.
    """

    name: str
    path: Path
    state: State = "unloaded"
    load_ms: float | None = None
    loaded_at: float | None = None
    error: str | None = None
    traceback: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    reloads: int = 0

    @property
    def module(self) -> str:
        return f"{PACKAGE}.{self.name}"


class _Finder(importlib.abc.MetaPathFinder):
    """Resolves ``extensions`` and ``extensions.<name>`` to the bot's extensions folder."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == PACKAGE:
            spec = importlib.machinery.ModuleSpec(PACKAGE, None, is_package=True)
            spec.submodule_search_locations = [str(self.directory)]
            return spec
        head, _, rest = fullname.partition(".")
        if head != PACKAGE or "." in rest:
            return None
        entry = _entries(self.directory).get(rest)
        if entry is None:
            return None
        if entry.is_dir():
            return importlib.util.spec_from_file_location(
                fullname, entry / "__init__.py", submodule_search_locations=[str(entry)]
            )
        return importlib.util.spec_from_file_location(fullname, entry)


def _entries(directory: Path) -> dict[str, Path]:
    out: dict[str, Path] = {}
    if not directory.is_dir():
        return out
    for entry in sorted(directory.iterdir()):
        if entry.name.startswith(("_", ".")):
            continue
        if entry.is_file() and entry.suffix == ".py":
            out[normalize(entry.name)] = entry
        elif entry.is_dir() and (entry / "__init__.py").is_file():
            out[normalize(entry.name)] = entry
    return out


def _holding_sync(method: _Method) -> _Method:
    """No automatic slash command sync while ``method`` runs (one sync after a burst)."""

    @functools.wraps(method)
    async def wrapper(self: ExtensionManager, *args: Any, **kwargs: Any) -> Any:
        autosync = getattr(self.bot, "autosync", None)
        with autosync.hold() if autosync is not None else contextlib.nullcontext():
            return await method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class ExtensionManager:
    """Loads, unloads and reloads user extensions on a bot, and watches the folder.

    Args:
        bot: The bot to load into.
        directory: ``<bot dir>/extensions``.
        blacklist: Names never auto-loaded.
    """

    def __init__(self, bot: ZoryxBot, directory: Path, blacklist: Sequence[str] = ()) -> None:
        self.bot = bot
        self.directory = directory
        self.blacklist = {normalize(b) for b in blacklist}
        self.extensions: dict[str, ExtensionInfo] = {}
        self.before_load: list[BeforeLoad] = []
        # Optional: reorders the names load_all loads (the plugin registry puts
        # dependencies first).
        self.order: Callable[[list[str]], list[str]] | None = None
        self._finder = _Finder(directory)
        self._watch_task: asyncio.Task[None] | None = None
        #: Called with a :class:`HotReload` after the watcher (re)loaded an extension.
        self.hot_reload_listeners: list[Callable[[HotReload], None]] = []
        self._lock = asyncio.Lock()

    # -- import machinery ------------------------------------------------------------
    def install(self) -> None:
        if self._finder not in sys.meta_path:
            sys.meta_path.insert(0, self._finder)
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]

    def uninstall(self) -> None:
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self._finder)
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]

    # -- discovery ---------------------------------------------------------------------
    async def discover(self) -> dict[str, ExtensionInfo]:
        """Refresh the list of extensions on disk (off the event loop)."""
        entries = await asyncio.to_thread(_entries, self.directory)
        texts = await asyncio.to_thread(lambda: {n: metadata_source(p) for n, p in entries.items()})
        metas = {n: read_metadata(p, texts[n]) for n, p in entries.items()}  # see read_metadata
        for name, path in entries.items():
            info = self.extensions.get(name)
            if info is None:
                info = self.extensions[name] = ExtensionInfo(name, path)
            info.path = path
            if info.state != "loaded":  # a loaded one keeps the metadata of the running code
                info.metadata = metas[name]
            if name in self.blacklist and info.state != "loaded":
                info.state = "blacklisted"
        for name in list(self.extensions):
            if name not in entries and self.extensions[name].state != "loaded":
                del self.extensions[name]
        return self.extensions

    def get(self, name: str) -> ExtensionInfo | None:
        return self.extensions.get(normalize(name.removeprefix(PACKAGE + ".")))

    # -- load / unload / reload ---------------------------------------------------------
    @_holding_sync
    async def load_all(self) -> list[ExtensionInfo]:
        """Load every non-blacklisted extension; one failure never stops the others."""
        await self.discover()
        names = [n for n, i in self.extensions.items() if i.state not in ("blacklisted", "loaded")]
        if self.order is not None:
            names = self.order(names)
        return [await self.load(name) for name in names]

    @_holding_sync
    async def load(self, name: str) -> ExtensionInfo:
        """Load one extension; the returned info says whether it worked and why not."""
        async with self._lock:
            return await self._load(normalize(name.removeprefix(PACKAGE + ".")))

    async def _load(self, name: str) -> ExtensionInfo:
        await self.discover()
        info = self.extensions.get(name)
        if info is None:
            info = ExtensionInfo(
                name,
                self.directory / f"{name}.py",
                state="failed",
                error=f"no extension named {name!r} in {self.directory}",
            )
            return info
        if info.state == "loaded":
            return info
        try:
            for check in self.before_load:
                await check(info)
        except ExtensionRefused as exc:
            return self._failed(info, str(exc), None)
        started = time.perf_counter()
        try:
            await self.bot.load_extension(info.module)
        except commands.ExtensionError as exc:
            cause = exc.__cause__ or exc
            return self._failed(info, _short(cause), _format(cause))
        info.state = "loaded"
        info.load_ms = (time.perf_counter() - started) * 1000
        info.loaded_at = time.time()
        info.error = info.traceback = None
        log.info("loaded extension %s in %.1f ms", name, info.load_ms)
        await self.bot.emit_hook("extension_loaded", extension_name=name, extension=name)
        return info

    @_holding_sync
    async def unload(self, name: str) -> ExtensionInfo:
        async with self._lock:
            name = normalize(name.removeprefix(PACKAGE + "."))
            info = self.extensions.get(name)
            if info is None or info.state != "loaded":
                raise commands.ExtensionNotLoaded(f"{PACKAGE}.{name}")
            await self.bot.unload_extension(info.module)
            info.state = "unloaded"
            info.loaded_at = None
            log.info("unloaded extension %s", name)
            await self.bot.emit_hook("extension_unloaded", extension_name=name, extension=name)
            return info

    @_holding_sync
    async def reload(self, name: str) -> ExtensionInfo:
        """Reload atomically: if the new code fails, the old version keeps running."""
        async with self._lock:
            name = normalize(name.removeprefix(PACKAGE + "."))
            info = self.extensions.get(name)
            if info is None or info.state != "loaded":
                return await self._load(name)
            await self.discover()
            running = info.metadata  # restored if the new code is refused or fails
            info.metadata = await asyncio.to_thread(read_metadata, info.path)
            started = time.perf_counter()
            try:
                for check in self.before_load:
                    await check(info)
                await self.bot.reload_extension(info.module)
            except ExtensionRefused as exc:
                info.metadata = running
                info.error = self._redact(str(exc))
                return info
            except commands.ExtensionError as exc:
                info.metadata = running
                cause = exc.__cause__ or exc
                info.error = self._redact(f"reload failed, previous version kept: {_short(cause)}")
                info.traceback = self._redact(_format(cause))
                log.error("reload of %s failed; previous version kept\n%s", name, info.traceback)
                return info
            info.load_ms = (time.perf_counter() - started) * 1000
            info.loaded_at = time.time()
            info.reloads += 1
            info.error = info.traceback = None
            log.info("reloaded extension %s in %.1f ms", name, info.load_ms)
            await self.bot.emit_hook("extension_unloaded", extension_name=name, extension=name)
            await self.bot.emit_hook("extension_loaded", extension_name=name, extension=name)
            return info

    def _redact(self, text: str) -> str:
        """``text`` without secrets (error texts are stored, listed and shown)."""
        return redactor_of(self.bot).redact(text)

    def _failed(self, info: ExtensionInfo, error: str, tb: str | None) -> ExtensionInfo:
        info.state = "failed"
        info.error = error = self._redact(error)
        info.traceback = tb = None if tb is None else self._redact(tb)
        log.error("extension %s failed to load: %s%s", info.name, error, f"\n{tb}" if tb else "")
        return info

    # -- hot reload ------------------------------------------------------------------------
    def start_watching(self, debounce_ms: int = 400) -> None:
        if self._watch_task is None:
            self._watch_task = asyncio.get_running_loop().create_task(
                self._watch(debounce_ms), name="zoryx-extension-watch"
            )

    async def stop_watching(self) -> None:
        task, self._watch_task = self._watch_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _watch(self, debounce_ms: int) -> None:
        import watchfiles

        self.directory.mkdir(parents=True, exist_ok=True)
        async for changes in watchfiles.awatch(
            self.directory, debounce=debounce_ms, step=50, recursive=True
        ):
            seen = time.monotonic()
            names = {self.owner_of(Path(p)) for _, p in changes}
            for name in sorted(n for n in names if n):
                try:
                    await self._apply_change(name)
                except Exception as exc:
                    log.exception("hot reload of %s failed", name)
                    self._report_hot_reload(name, seen, exc)
                else:
                    self._report_hot_reload(name, seen)

    def _report_hot_reload(self, name: str, seen: float, exc: Exception | None = None) -> None:
        info = self.extensions.get(name)
        error, tb = (info.error, info.traceback) if info is not None else (None, None)
        if exc is not None:
            error, tb = self._redact(_short(exc)), self._redact(_format(exc))
        state = None if info is None else info.state
        outcome = HotReload(name, seen, state, error, tb, 0 if info is None else info.reloads)
        for listener in list(self.hot_reload_listeners):
            try:
                listener(outcome)
            except Exception:
                log.exception("a hot reload listener failed")

    def owner_of(self, path: Path) -> str | None:
        """The extension a file under the extensions folder belongs to (None if none)."""
        try:
            rel = path.relative_to(self.directory)
        except ValueError:
            return None
        top = rel.parts[0] if rel.parts else ""
        if top.startswith(("_", ".")) or (len(rel.parts) == 1 and not top.endswith(".py")):
            return None
        return normalize(top)

    @_holding_sync
    async def _apply_change(self, name: str) -> None:
        entries = await asyncio.to_thread(_entries, self.directory)
        info = self.extensions.get(name)
        if name not in entries:
            if info is not None and info.state == "loaded":
                await self.unload(name)
            return
        if name in self.blacklist:
            return
        if info is not None and info.state == "loaded":
            await self.reload(name)
        elif info is None or info.state == "failed":
            # New files and previously broken ones load on save; an extension the
            # operator unloaded on purpose stays unloaded.
            await self.load(name)


def _short(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} ({Path(exc.filename or '?').name}, line {exc.lineno})"
    if isinstance(exc, commands.NoEntryPointError):
        return "the extension has no setup(bot) function"
    return f"{type(exc).__name__}: {exc}"


def _format(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
