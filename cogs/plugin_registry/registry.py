"""Plugin metadata and the checks run on it: missing dependencies, version mismatches,
conflicts (both directions) and dependency cycles, plus the dependency-first load order.

Pure logic: no Discord, no I/O. Records are built from the metadata that
:func:`zoryx.extensions.read_metadata` reads without running an extension's code.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from .versions import VersionError, parse_specifier

PluginKind = Literal["extension", "framework"]
IssueKind = Literal["missing", "not_loaded", "version", "conflict", "cycle", "scan"]

VALID, WARNING, MISSING, CYCLE = "✅", "⚠️", "❌", "🔄"
MARKER_MEANING = {
    VALID: "all checks passed",
    WARNING: "warnings (conflicts, scan errors)",
    MISSING: "missing or mismatched dependencies",
    CYCLE: "dependency cycle",
}
DEPENDENCY_KINDS = frozenset({"missing", "not_loaded", "version", "cycle"})


def plugin_name(name: str) -> str:
    """``extensions.foo`` / ``cogs.event_hooks`` / ``my-ext.py`` → the registry name."""
    name = name.strip()
    for prefix in ("extensions.", "cogs."):
        name = name.removeprefix(prefix)
    name = name.removesuffix(".py")
    return name.replace(" ", "_").replace("-", "_")


@dataclass
class PluginRecord:
    """What the registry knows about one extension or framework cog."""

    name: str
    kind: PluginKind = "extension"
    state: str = "unloaded"  # loaded | failed | unloaded | blacklisted
    version: str | None = None
    author: str | None = None
    description: str | None = None
    dependencies: dict[str, str] = field(default_factory=dict)  # name -> specifier ("" any)
    conflicts: list[str] = field(default_factory=list)
    provides_hooks: list[str] = field(default_factory=list)
    listens_to_hooks: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    cogs: list[str] = field(default_factory=list)
    load_ms: float | None = None
    loaded_at: float | None = None
    error: str | None = None
    scan_errors: list[str] = field(default_factory=list)

    @property
    def loaded(self) -> bool:
        return self.state == "loaded"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _strings(value: Any, what: str, errors: list[str]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple | set | frozenset) and all(isinstance(v, str) for v in value):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    errors.append(f"__{what}__ must be a list of names, not {type(value).__name__}")
    return []


def record_from_metadata(
    name: str, metadata: Mapping[str, Any], *, kind: PluginKind = "extension"
) -> PluginRecord:
    """A record from ``read_metadata`` output; malformed values become scan errors."""
    errors: list[str] = []
    deps: dict[str, str] = {}
    raw = metadata.get("dependencies")
    if isinstance(raw, Mapping):
        for dep, spec in raw.items():
            if not isinstance(dep, str):
                errors.append(f"__dependencies__ key {dep!r} is not a name")
                continue
            if spec is not None and not isinstance(spec, str):
                errors.append(f"requirement for {dep!r} must be a string like '>=1.0'")
                spec = ""
            deps[plugin_name(dep)] = (spec or "").strip()
    else:
        for dep in _strings(raw, "dependencies", errors):
            deps[plugin_name(dep)] = ""
    for text in ("version", "author", "description"):
        value = metadata.get(text)
        if value is not None and not isinstance(value, str | int | float):
            errors.append(f"__{text}__ should be a string")
    version = metadata.get("version")
    return PluginRecord(
        name=name,
        kind=kind,
        version=str(version) if isinstance(version, str | int | float) else None,
        author=_text(metadata.get("author")),
        description=_text(metadata.get("description")),
        dependencies=deps,
        conflicts=[
            plugin_name(c) for c in _strings(metadata.get("conflicts"), "conflicts", errors)
        ],
        provides_hooks=_strings(metadata.get("provides_hooks"), "provides_hooks", errors),
        listens_to_hooks=_strings(metadata.get("listens_to_hooks"), "listens_to_hooks", errors),
        scan_errors=errors,
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Issue:
    """One problem found for ``plugin`` (``other`` is the plugin it involves, if any)."""

    kind: IssueKind
    plugin: str
    message: str
    other: str | None = None
    path: tuple[str, ...] = ()

    @property
    def group(self) -> Literal["deps", "conflicts"] | None:
        """The enforcement switch that makes this issue refuse a load (None: warning only)."""
        if self.kind in DEPENDENCY_KINDS:
            return "deps"
        return "conflicts" if self.kind == "conflict" else None


def cycle_text(path: Iterable[str]) -> str:
    return " → ".join(path)


def marker(issues: Iterable[Issue]) -> str:
    """🔄 cycle, else ❌ dependency problem, else ⚠️ warning, else ✅."""
    kinds = {i.kind for i in issues}
    if "cycle" in kinds:
        return CYCLE
    if kinds & {"missing", "not_loaded", "version"}:
        return MISSING
    return WARNING if kinds else VALID


def load_order(names: Iterable[str], dependencies: Mapping[str, Iterable[str]]) -> list[str]:
    """``names`` reordered so each comes after the dependencies it has among ``names``.

    Otherwise the given order is kept. Members of a cycle are still returned (in a
    valid-as-possible order) so that the load check can refuse them with the cycle path.
    """
    wanted = list(dict.fromkeys(names))
    present = set(wanted)
    out: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done
    for root in wanted:
        if root in state:
            continue
        stack: list[tuple[str, list[str]]] = [(root, _deps_in(root, dependencies, present))]
        state[root] = 1
        while stack:
            node, pending = stack[-1]
            if pending:
                dep = pending.pop(0)
                if dep not in state:
                    state[dep] = 1
                    stack.append((dep, _deps_in(dep, dependencies, present)))
                continue
            stack.pop()
            state[node] = 2
            out.append(node)
    return out


def _deps_in(name: str, graph: Mapping[str, Iterable[str]], present: set[str]) -> list[str]:
    return [d for d in graph.get(name, ()) if d in present and d != name]


class PluginRegistry:
    """All known plugins and the analysis over them.

    ``enforce_deps`` / ``enforce_conflicts`` decide which issues refuse a load.
    """

    def __init__(self) -> None:
        self.records: dict[str, PluginRecord] = {}
        self.enforce_deps = True
        self.enforce_conflicts = True

    def set_records(self, records: Iterable[PluginRecord]) -> None:
        self.records = {r.name: r for r in records}

    def get(self, name: str) -> PluginRecord | None:
        return self.records.get(plugin_name(name))

    def present(self) -> dict[str, PluginRecord]:
        """Plugins currently loaded (extensions and framework cogs)."""
        return {n: r for n, r in self.records.items() if r.loaded}

    # -- analysis ---------------------------------------------------------------------
    def graph(self) -> dict[str, list[str]]:
        return {n: list(r.dependencies) for n, r in self.records.items()}

    def cycle_through(self, name: str) -> tuple[str, ...] | None:
        """The shortest dependency cycle from ``name`` back to itself, if any."""
        graph = self.graph()
        if name in graph.get(name, ()):
            return (name, name)
        parents: dict[str, str] = {}
        queue = deque(d for d in graph.get(name, ()) if d in graph)
        for d in queue:
            parents.setdefault(d, name)
        seen = set(queue)
        while queue:
            node = queue.popleft()
            for dep in graph.get(node, ()):
                if dep == name:
                    path = [node]
                    while path[-1] != name:
                        path.append(parents[path[-1]])
                    return (*reversed(path), name)
                if dep in graph and dep not in seen:
                    seen.add(dep)
                    parents[dep] = node
                    queue.append(dep)
        return None

    def check(
        self,
        name: str,
        record: PluginRecord | None = None,
        present: Mapping[str, PluginRecord] | None = None,
    ) -> list[Issue]:
        """Issues of ``name`` against the loaded plugins (or ``present``)."""
        record = record or self.records.get(name)
        if record is None:
            return [Issue("missing", name, f"{name} is not installed")]
        present = self.present() if present is None else present
        others = {n: r for n, r in present.items() if n != name}
        issues = [Issue("scan", name, e) for e in record.scan_errors]
        cycle = self.cycle_through(name)
        if cycle is not None:
            issues.append(Issue("cycle", name, f"dependency cycle {cycle_text(cycle)}", path=cycle))
        for dep, spec_text in record.dependencies.items():
            issues += self._dependency_issues(name, dep, spec_text, others)
        for other in sorted(others):
            theirs = others[other]
            if other in record.conflicts:
                issues.append(
                    Issue("conflict", name, f"conflicts with {other}, which is loaded", other)
                )
            elif name in theirs.conflicts:
                issues.append(
                    Issue(
                        "conflict", name, f"{other} (loaded) declares a conflict with {name}", other
                    )
                )
        return issues

    def _dependency_issues(
        self, name: str, dep: str, spec_text: str, present: Mapping[str, PluginRecord]
    ) -> list[Issue]:
        try:
            spec = parse_specifier(spec_text)
        except VersionError as exc:
            return [Issue("version", name, f"requirement for {dep} is not valid: {exc}", dep)]
        wanted = f" ({spec})" if spec.clauses else ""
        found = present.get(dep)
        if found is None:
            known = self.records.get(dep)
            if known is not None and known.kind == "framework":
                return [
                    Issue(
                        "not_loaded",
                        name,
                        f"requires {dep}{wanted}, a framework cog "
                        f"that is {known.state} (enable it in config.json)",
                        dep,
                    )
                ]
            if known is None:
                return [
                    Issue("missing", name, f"requires {dep}{wanted}, which is not installed", dep)
                ]
            return [
                Issue(
                    "not_loaded",
                    name,
                    f"requires {dep}{wanted}, which is {known.state} (load it first)",
                    dep,
                )
            ]
        if not spec.contains(found.version):
            have = f"version {found.version}" if found.version else "no __version__"
            return [Issue("version", name, f"requires {dep} {spec}, but {dep} has {have}", dep)]
        return []

    def blocking(self, issues: Iterable[Issue]) -> list[Issue]:
        """The issues that refuse a load under the current enforcement switches."""
        return [
            i
            for i in issues
            if (i.group == "deps" and self.enforce_deps)
            or (i.group == "conflicts" and self.enforce_conflicts)
        ]

    def all_issues(self) -> dict[str, list[Issue]]:
        return {name: self.check(name) for name in self.records}

    def order(self, names: Iterable[str]) -> list[str]:
        """``names`` in dependency-first order (see :func:`load_order`)."""
        return load_order(names, self.graph())

    def dependents(self, name: str) -> list[str]:
        """Plugins that depend on ``name``."""
        return sorted(n for n, r in self.records.items() if name in r.dependencies)
