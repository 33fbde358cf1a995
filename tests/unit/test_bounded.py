"""flight.bounded: a bounded await that starts a timer only when the call suspends."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any

import pytest

from flight.bounded import RepeatingTimeout, bounded
from tests.support.aio import run


async def _ready(value: int) -> int:
    return value


async def _after(delay_s: float, value: int, log: list[str]) -> int:
    try:
        await asyncio.sleep(delay_s)
    except asyncio.CancelledError:
        log.append("cancelled")
        raise
    finally:
        log.append("cleanup")
    return value


async def _fails_after_suspending() -> None:
    await asyncio.sleep(0)
    raise KeyError("board")


def test_a_call_that_does_not_suspend_returns_its_value_without_a_timer() -> None:
    """The value comes back and the loop holds no new timer (nothing was scheduled for the bound)."""
    async def go() -> tuple[int, int, int]:
        loop = asyncio.get_running_loop()
        before = len(loop._scheduled)  # type: ignore[attr-defined]
        value = await bounded(_ready(5), 1.0)
        return value, before, len(loop._scheduled)  # type: ignore[attr-defined]

    value, before, after = run(go())
    assert value == 5 and after == before


def test_a_call_that_suspends_and_finishes_in_time_returns_its_value() -> None:
    log: list[str] = []
    assert run(bounded(_after(0.01, 9, log), 2.0)) == 9
    assert log == ["cleanup"]


def test_a_call_past_its_bound_is_cancelled_and_raises_timeout_error() -> None:
    """0.05 s bound on a 10 s call: TimeoutError after the bound (within +1 s of slack), the call cancelled
    and cleaned up."""
    log: list[str] = []
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        run(bounded(_after(10.0, 1, log), 0.05))
    assert 0.05 <= time.monotonic() - start < 1.05
    assert log == ["cancelled", "cleanup"]


def test_errors_pass_through_before_and_after_suspending() -> None:
    async def boom() -> None:
        raise ValueError("bad")

    with pytest.raises(ValueError, match="bad"):
        run(bounded(boom(), 1.0))
    with pytest.raises(KeyError):
        run(bounded(_fails_after_suspending(), 1.0))


async def _cancelled_while_waiting(wait: Coroutine[Any, Any, Any]) -> str:
    """Cancel a task running ``wait`` once it waits; how the task ended."""
    task = asyncio.create_task(wait)
    await asyncio.sleep(0.01)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        return "cancelled"
    except TimeoutError:
        return "timeout"
    return "finished"


def test_outer_cancellation_is_not_turned_into_a_timeout() -> None:
    """Cancelling the awaiting task cancels the call and raises CancelledError, not TimeoutError."""
    log: list[str] = []
    assert run(_cancelled_while_waiting(bounded(_after(10.0, 1, log), 5.0))) == "cancelled"
    assert log == ["cancelled", "cleanup"]


def test_no_bound_waits_for_the_call() -> None:
    log: list[str] = []
    assert run(bounded(_after(0.02, 3, log), None)) == 3


# ---- RepeatingTimeout ----

async def _waits(watch: RepeatingTimeout, n: int, each_s: float, bound_s: float) -> None:
    for _ in range(n):
        async with watch.within(bound_s):
            await asyncio.sleep(each_s)


def test_repeated_short_waits_share_one_timer() -> None:
    """200 waits of 1 ms under a 5 s bound all finish, with one timer made for all of them (asyncio.timeout
    would make 200)."""
    watch = RepeatingTimeout()
    run(_waits(watch, 200, 0.001, 5.0))
    assert watch.timers_made == 1


def test_a_wait_past_its_bound_raises_timeout_error_and_cancels_the_call() -> None:
    """A 10 s call under a 0.05 s bound: TimeoutError after the bound (within +1 s of slack), the call
    cancelled and cleaned up."""
    log: list[str] = []

    async def go() -> None:
        async with RepeatingTimeout().within(0.05):
            await _after(10.0, 1, log)

    start = time.monotonic()
    with pytest.raises(TimeoutError):
        run(go())
    assert 0.05 <= time.monotonic() - start < 1.05
    assert log == ["cancelled", "cleanup"]


def test_a_later_wait_gets_its_whole_bound_from_a_timer_armed_for_an_earlier_one() -> None:
    """Waits of 0.1 s each under a 0.3 s bound, for 0.5 s: the timer armed for the first wait fires during a
    later one, which still has time left, so none times out; then a wait of 0.5 s times out no sooner than
    0.3 s after it began."""
    watch = RepeatingTimeout()

    async def go() -> float:
        await _waits(watch, 5, 0.1, 0.3)
        start = asyncio.get_running_loop().time()
        try:
            async with watch.within(0.3):
                await asyncio.sleep(0.5)
        except TimeoutError:
            return asyncio.get_running_loop().time() - start
        return -1.0

    waited = run(go())
    assert 0.3 - 1e-3 <= waited < 0.45
    assert watch.timers_made >= 2  # re-armed at least once for a later wait


def test_outer_cancellation_of_a_repeating_timeout_is_not_turned_into_a_timeout() -> None:
    """Cancelling the task while it waits raises CancelledError, not TimeoutError, and the bound's timer
    does not fire into a later wait."""
    watch = RepeatingTimeout()

    async def waiter() -> None:
        async with watch.within(5.0):
            await asyncio.sleep(10.0)

    assert run(_cancelled_while_waiting(waiter())) == "cancelled"


def test_a_repeating_timeout_is_one_wait_at_a_time() -> None:
    """Entering it again inside a wait is refused (RuntimeError), and a None bound never times out."""
    watch = RepeatingTimeout()

    async def go() -> None:
        async with watch.within(None):
            await asyncio.sleep(0.01)
            with pytest.raises(RuntimeError):
                watch.within(1.0)

    run(go())
