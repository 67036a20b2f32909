"""A call to an endpoint the sandbox does not emulate answers 501 and is recorded."""

from __future__ import annotations

import aiohttp

from zoryx.sandbox import Sandbox


async def test_unemulated_endpoint_answers_501_and_is_recorded(sandbox: Sandbox) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(
            f"{sandbox.api_url}/guilds/1/scheduled-events",
            headers={"Authorization": f"Bot {sandbox.token}"},
        ) as resp:
            assert resp.status == 501
            body = await resp.json()
    assert "does not emulate" in body["message"]
    assert list(sandbox.rest.unemulated) == ["GET /api/v10/guilds/1/scheduled-events"]
    # The autouse guard would fail this test; clear the record so it checks the others.
    sandbox.rest.unemulated.clear()


def test_the_guard_fails_a_test_that_hits_an_unemulated_endpoint(
    pytester,  # type: ignore[no-untyped-def]
) -> None:
    pytester.makepyfile(
        """
        import aiohttp

        async def test_hits_501(sandbox):
            async with aiohttp.ClientSession() as session:
                url = sandbox.api_url + "/guilds/1/scheduled-events"
                async with session.get(url) as resp:
                    assert resp.status == 501
        """
    )
    result = pytester.runpytest_subprocess("-o", "asyncio_mode=auto")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*does not emulate*scheduled-events*"])
