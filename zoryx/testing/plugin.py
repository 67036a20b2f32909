"""pytest plugin shipped with Zoryx: ``sandbox`` and ``sandbox_world`` fixtures.

Usage in an extension's tests::

    async def test_ping(sandbox, my_bot):
        async with run_bot(my_bot, sandbox):
            await sandbox.user("alice").say("#general", "!ping")
            reply = await sandbox.expect_message("#general")
            assert reply.content == "pong"

The ``sandbox`` fixture fails the test if the bot called a REST endpoint the sandbox does
not emulate (so a silently missing feature cannot pass).

Async tests that use the ``sandbox`` fixture need no asyncio configuration in the
project: with pytest-asyncio installed they are marked ``asyncio`` (in its strict mode
too), so they share its event loop with the project's async fixtures; without it, the
plugin runs them itself, each in a new event loop.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Generator, Iterator
from typing import Any

import pytest

from ..sandbox import WORLDS, Sandbox


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("zoryx")
    group.addoption(
        "--sandbox-strict-rate-limits",
        action="store_true",
        default=False,
        help="run the sandbox with real rate limits (429s)",
    )


def _is_async_sandbox_test(item: object) -> bool:
    """An ``async def`` test (not handed to another async plugin) using ``sandbox``."""
    return (
        isinstance(item, pytest.Function)
        and "sandbox" in item.fixturenames
        and inspect.iscoroutinefunction(item.obj)
        and item.get_closest_marker("anyio") is None
        and item.get_closest_marker("trio") is None
    )


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_pycollect_makeitem(
    collector: pytest.Module | pytest.Class, name: str, obj: object
) -> Generator[None, Any, Any]:
    """Mark async sandbox tests ``asyncio`` for pytest-asyncio, whatever its mode.

    The wrapper is the innermost one, so the mark is there when pytest-asyncio's own
    wrapper decides which items it runs.
    """
    result = yield
    if not collector.config.pluginmanager.hasplugin("asyncio"):
        return result
    for item in result if isinstance(result, list) else [result]:
        if _is_async_sandbox_test(item) and item.get_closest_marker("asyncio") is None:
            item.add_marker(pytest.mark.asyncio)
    return result


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run an async sandbox test that no async plugin took, in a new event loop."""
    if not _is_async_sandbox_test(pyfuncitem):
        return None
    funcargs = pyfuncitem.funcargs
    kwargs = {arg: funcargs[arg] for arg in pyfuncitem._fixtureinfo.argnames}
    with asyncio.Runner() as runner:
        runner.run(pyfuncitem.obj(**kwargs))
    return True


@pytest.fixture(autouse=True)
def _fail_on_unemulated_endpoints() -> Iterator[None]:
    """Fail any test during which a sandbox answered 501 (an endpoint it does not emulate).

    This covers sandboxes started by a Zoryx runtime too, not only the ``sandbox`` fixture.
    """
    from ..sandbox.server import INSTANCES

    before = {id(sb): len(sb.rest.unemulated) for sb in list(INSTANCES)}
    yield
    missed: list[str] = []
    for sb in list(INSTANCES):
        missed += list(sb.rest.unemulated)[before.get(id(sb), 0) :]
    if missed:
        pytest.fail(
            "a bot called REST endpoints the sandbox does not emulate: "
            + ", ".join(sorted(set(missed)))
        )


@pytest.fixture
def sandbox_world() -> str:
    """Name of the world the ``sandbox`` fixture builds (override in a conftest)."""
    return "empty"


@pytest.fixture
def sandbox_options() -> dict[str, Any]:
    """Extra keyword arguments for :class:`Sandbox` (override in a conftest)."""
    return {}


@pytest.fixture
def sandbox(
    request: pytest.FixtureRequest, sandbox_world: str, sandbox_options: dict[str, Any]
) -> Iterator[Sandbox]:
    """A sandbox Discord running on its own thread for one test."""
    options = {
        "world": WORLDS[sandbox_world],
        "deterministic": True,
        "strict_rate_limits": request.config.getoption("--sandbox-strict-rate-limits"),
    }
    options.update(sandbox_options)
    sb = Sandbox(**options)
    sb.start_in_thread()
    try:
        yield sb
    finally:
        sb.stop_thread()
    missed = list(sb.rest.unemulated)
    if missed:
        pytest.fail(
            "the bot called REST endpoints the sandbox does not emulate: "
            + ", ".join(sorted(set(missed)))
        )
