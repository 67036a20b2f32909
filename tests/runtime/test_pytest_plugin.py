"""The pytest plugin in a user's project: the README's example runs as written.

A user's project has none of this repository's pytest configuration (no
``asyncio_mode = "auto"``), so each test here builds a fresh project in a temporary
directory and runs pytest on it in a new process, the way the user would.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_test_example() -> str:
    """The Python block of the README's "Writing and testing extensions" section."""
    section = README.read_text(encoding="utf-8").split("## Writing and testing extensions")[1]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert blocks, "the README has no test example"
    return str(blocks[0])


@pytest.mark.parametrize(
    "extra_args",
    [
        pytest.param((), id="with-pytest-asyncio-strict"),
        pytest.param(("-p", "no:asyncio"), id="without-pytest-asyncio"),
    ],
)
def test_readme_example_passes_in_a_fresh_project(
    pytester: pytest.Pytester, extra_args: tuple[str, ...]
) -> None:
    pytester.makepyfile(test_bot=readme_test_example())
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *extra_args, timeout=120)
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*not natively supported*")


def test_plugin_runs_only_tests_using_its_fixtures(pytester: pytest.Pytester) -> None:
    """An async test without the sandbox fixture is left to whatever the project uses."""
    pytester.makepyfile(
        test_other="""
        async def test_not_ours():
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:asyncio")
    result.stdout.fnmatch_lines(["*async def functions are not natively supported*"])


def test_sandbox_tests_share_pytest_asyncio_loop_in_strict_mode(pytester: pytest.Pytester) -> None:
    """With pytest-asyncio, the test runs in its loop, so the project's async fixtures work."""
    pytester.makepyfile(
        test_loop="""
        import asyncio

        import pytest_asyncio


        @pytest_asyncio.fixture
        async def fixture_loop():
            return asyncio.get_running_loop()


        async def test_same_loop(sandbox, fixture_loop):
            assert asyncio.get_running_loop() is fixture_loop
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(passed=1)
