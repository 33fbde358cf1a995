"""Run a coroutine from a plain test with a hard upper bound, so no test can hang."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import TypeVar

T = TypeVar("T")


def run(coro: Coroutine[object, object, T], timeout_s: float = 60.0) -> T:
    async def bounded() -> T:
        async with asyncio.timeout(timeout_s):
            return await coro

    return asyncio.run(bounded())
