"""The examples in the repository are the ones ``zoryx init`` ships (they must not drift)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "zoryx" / "templates"


def test_example_extensions_match_the_packaged_templates() -> None:
    shipped = sorted(p.name for p in (TEMPLATES / "extensions").glob("*.py"))
    assert shipped == sorted(p.name for p in (ROOT / "extensions").glob("*.py"))
    for name in shipped:
        assert (ROOT / "extensions" / name).read_text() == (
            TEMPLATES / "extensions" / name
        ).read_text(), name


def test_env_example_matches_the_packaged_template() -> None:
    assert (ROOT / ".env.example").read_text() == (TEMPLATES / "env.example").read_text()
