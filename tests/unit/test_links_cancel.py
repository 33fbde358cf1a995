"""A cancellation swallowed inside a library call (asyncio.wait_for on Python 3.11 does this when the
awaited event completes together with the cancellation) is raised again by the MQTT link's guard, so a
closing link cannot hang on its next wait."""

from __future__ import annotations

import asyncio

import pytest

from hil.links.mqtt_link import _guarded
from tests.support.aio import run


async def swallows_cancellation() -> str:
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        return "swallowed"
    return "slept"


def test_a_swallowed_cancellation_is_raised_again() -> None:
    async def body() -> None:
        started = asyncio.Event()

        async def victim() -> str:
            started.set()
            return await _guarded(swallows_cancellation())

        task = asyncio.create_task(victim())
        await started.wait()
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(body(), timeout_s=10.0)


def test_a_stale_cancel_count_from_before_the_call_does_not_trip_the_guard() -> None:
    """A task whose count was left raised earlier (as a 3.11 TaskGroup can) still gets its result."""

    async def body() -> None:
        async def victim() -> int:
            await swallows_cancellation()  # leaves cancelling() at 1
            task = asyncio.current_task()
            assert task is not None and task.cancelling() == 1
            return await _guarded(asyncio.sleep(0, result=42))

        task = asyncio.create_task(victim())
        await asyncio.sleep(0)
        task.cancel()
        assert await task == 42

    run(body(), timeout_s=10.0)
