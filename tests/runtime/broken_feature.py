"""A framework feature whose setup fails (used by test_runtime)."""


async def setup(bot):  # type: ignore[no-untyped-def]
    raise RuntimeError("this feature is broken on purpose")
