"""Unit tests of the plugin registry's pure logic: versions, metadata, issues, load order."""

from __future__ import annotations

import pytest

from cogs.plugin_registry.registry import (
    CYCLE,
    MISSING,
    VALID,
    WARNING,
    PluginRecord,
    PluginRegistry,
    load_order,
    marker,
    plugin_name,
    record_from_metadata,
)
from cogs.plugin_registry.versions import VersionError, parse_specifier, parse_version


# -- versions --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("spec", "version", "ok"),
    [
        (">=1.0.0", "1.0", True),
        (">=1.0.0", "0.9.9", False),
        (">1.0", "1.0.0", False),
        (">1.0", "1.0.1", True),
        ("==2.5.1", "2.5.1", True),
        ("==2.5.1", "2.5.10", False),
        ("<=3", "3.0.0", True),
        ("<3", "3.0", False),
        ("<3", "2.99", True),
        ("!=1.4", "1.4.0", False),
        ("!=1.4", "1.4.1", True),
        (">=1.0,<2", "1.9", True),
        (">=1.0,<2", "2.0", False),
        ("==1.*", "1.7.3", True),
        ("==1.*", "2.0", False),
        ("!=1.*", "2.0", True),
        ("1.2", "1.2.0", True),
        ("*", "anything", True),
        ("", "0.1", True),
        (">=1.0", "1.10", True),
        (">=1.0", "1.0rc1", False),
        ("<1.0", "1.0b2", True),
        (">=1.0", "not-a-version", False),
        (">=1.0", None, False),
    ],
)
def test_specifiers(spec: str, version: str | None, ok: bool) -> None:
    assert parse_specifier(spec).contains(version) is ok


def test_version_ordering_and_equality() -> None:
    assert parse_version("1.10") > parse_version("1.9")
    assert parse_version("v2.0.0") == parse_version("2")
    assert parse_version("1.0.dev1") < parse_version("1.0a1") < parse_version("1.0rc1")
    assert parse_version("1.0rc1") < parse_version("1.0")
    assert str(parse_version("1.2.3")) == "1.2.3"


@pytest.mark.parametrize("bad", ["~=1.0", ">=", ">= one", ">=1.*", "=>1.0", ">>1"])
def test_bad_specifiers_raise(bad: str) -> None:
    with pytest.raises(VersionError):
        parse_specifier(bad)


def test_non_string_specifier_raises() -> None:
    with pytest.raises(VersionError):
        parse_specifier(1.0)  # type: ignore[arg-type]


# -- metadata ----------------------------------------------------------------------------
def test_record_from_list_and_dict_metadata() -> None:
    rec = record_from_metadata(
        "a",
        {
            "version": "1.0",
            "dependencies": ["b", "extensions.c"],
            "conflicts": "old-thing",
            "provides_hooks": ["x"],
        },
    )
    assert rec.dependencies == {"b": "", "c": ""}
    assert rec.conflicts == ["old_thing"] and rec.provides_hooks == ["x"]
    assert rec.scan_errors == []
    rec = record_from_metadata("a", {"dependencies": {"b": ">=1.0", "cogs.event_hooks": None}})
    assert rec.dependencies == {"b": ">=1.0", "event_hooks": ""}


def test_malformed_metadata_becomes_scan_errors() -> None:
    rec = record_from_metadata(
        "a",
        {"dependencies": 5, "conflicts": [1, 2], "version": ["1"], "listens_to_hooks": {"x": 1}},
    )
    assert rec.dependencies == {} and rec.conflicts == [] and rec.version is None
    assert len(rec.scan_errors) == 4
    registry = PluginRegistry()
    registry.set_records([rec])
    issues = registry.check("a")
    assert {i.kind for i in issues} == {"scan"}
    assert marker(issues) == WARNING
    assert registry.blocking(issues) == []


def test_plugin_name_normalises() -> None:
    assert plugin_name("extensions.my-ext") == "my_ext"
    assert plugin_name("cogs.event_hooks") == "event_hooks"
    assert plugin_name("my ext.py") == "my_ext"


# -- checks ----------------------------------------------------------------------------------
def registry_of(*records: PluginRecord) -> PluginRegistry:
    registry = PluginRegistry()
    registry.set_records(records)
    return registry


def rec(name: str, state: str = "loaded", **meta: object) -> PluginRecord:
    record = record_from_metadata(name, meta)
    record.state = state
    return record


def test_missing_not_loaded_and_version_mismatch() -> None:
    registry = registry_of(
        rec("base", version="1.0.0"),
        rec("idle", state="unloaded"),
        rec("app", state="unloaded", dependencies={"base": ">=2.0", "ghost": "", "idle": ""}),
    )
    issues = registry.check("app")
    by_kind = {i.kind: i for i in issues}
    assert by_kind["version"].message == "requires base >=2.0, but base has version 1.0.0"
    assert by_kind["missing"].message == "requires ghost, which is not installed"
    assert "idle, which is unloaded (load it first)" in by_kind["not_loaded"].message
    assert marker(issues) == MISSING
    assert len(registry.blocking(issues)) == 3
    registry.enforce_deps = False
    assert registry.blocking(issues) == []


def test_version_needs_a_version() -> None:
    registry = registry_of(rec("base"), rec("app", dependencies={"base": ">=1"}))
    (issue,) = registry.check("app")
    assert issue.kind == "version" and "no __version__" in issue.message


def test_invalid_requirement_is_a_dependency_issue() -> None:
    registry = registry_of(rec("base", version="1"), rec("app", dependencies={"base": "~=1"}))
    (issue,) = registry.check("app")
    assert issue.kind == "version" and "not valid" in issue.message


def test_conflicts_are_detected_in_both_directions() -> None:
    registry = registry_of(
        rec("old", conflicts=["new2"]),
        rec("new1", state="unloaded", conflicts=["old"]),
        rec("new2", state="unloaded"),
    )
    (a,) = registry.check("new1")
    (b,) = registry.check("new2")
    assert a.kind == b.kind == "conflict"
    assert a.message == "conflicts with old, which is loaded"
    assert b.message == "old (loaded) declares a conflict with new2"
    assert marker([a]) == WARNING
    assert registry.blocking([a]) == [a]
    registry.enforce_conflicts = False
    assert registry.blocking([a, b]) == []
    # A plugin that is not loaded conflicts with nothing.
    assert registry.check("old") == []


def test_cycle_path_is_shown() -> None:
    registry = registry_of(
        rec("a", state="unloaded", dependencies=["b"]),
        rec("b", state="unloaded", dependencies=["c"]),
        rec("c", state="unloaded", dependencies=["a"]),
        rec("d", state="unloaded", dependencies=["a"]),
        rec("selfish", state="unloaded", dependencies=["selfish"]),
    )
    cycle = next(i for i in registry.check("a") if i.kind == "cycle")
    assert cycle.message == "dependency cycle a → b → c → a"
    assert cycle.path == ("a", "b", "c", "a")
    assert next(i for i in registry.check("b") if i.kind == "cycle").path == ("b", "c", "a", "b")
    assert marker(registry.check("a")) == CYCLE
    assert not [i for i in registry.check("d") if i.kind == "cycle"]  # depends on, not in
    assert registry.cycle_through("selfish") == ("selfish", "selfish")


def test_valid_plugin_and_framework_dependency() -> None:
    fw = PluginRecord(name="event_hooks", kind="framework", state="loaded", version="0.1.0")
    registry = registry_of(fw, rec("app", state="unloaded", dependencies={"event_hooks": ">=0.1"}))
    assert registry.check("app") == []
    assert marker([]) == VALID
    assert registry.dependents("event_hooks") == ["app"]


# -- load order ------------------------------------------------------------------------------
def test_load_order_dependencies_first_stable_otherwise() -> None:
    graph = {"a": ["z"], "m": [], "z": ["y"], "y": [], "b": ["outside"]}
    assert load_order(["a", "b", "m", "y", "z"], graph) == ["y", "z", "a", "b", "m"]
    assert load_order(["m", "b"], graph) == ["m", "b"]


def test_load_order_keeps_cycle_members() -> None:
    graph = {"a": ["b"], "b": ["a"], "c": []}
    out = load_order(["a", "b", "c"], graph)
    assert sorted(out) == ["a", "b", "c"] and len(out) == 3


def test_registry_order_uses_records() -> None:
    registry = registry_of(rec("child", dependencies=["base"]), rec("base"))
    assert registry.order(["child", "base"]) == ["base", "child"]
