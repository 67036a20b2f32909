"""pytest plugin shipped with Zoryx: ``sandbox`` and ``sandbox_world`` fixtures.

Usage in an extension's tests::

    async def test_ping(sandbox, my_bot):
        async with run_bot(my_bot, sandbox):
            await sandbox.user("alice").say("#general", "!ping")
            reply = await sandbox.expect_message("#general")
            assert reply.content == "pong"

The ``sandbox`` fixture fails the test if the bot called a REST endpoint the sandbox does
not emulate (so a silently missing feature cannot pass).
"""

from __future__ import annotations

from collections.abc import Iterator
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
        missed += list(sb.rest.unemulated)[before.get(id(sb), 0):]
    if missed:
        pytest.fail("a bot called REST endpoints the sandbox does not emulate: "
                    + ", ".join(sorted(set(missed))))


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
