"""flight.bounded: a bounded await that starts a timer only when the call suspends."""

from __future__ import annotations

import asyncio
import time

import pytest

from flight.bounded import bounded
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


def test_outer_cancellation_is_not_turned_into_a_timeout() -> None:
    """Cancelling the awaiting task cancels the call and raises CancelledError, not TimeoutError."""
    log: list[str] = []

    async def go() -> str:
        task = asyncio.create_task(bounded(_after(10.0, 1, log), 5.0))
        await asyncio.sleep(0.01)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            return "cancelled"
        except TimeoutError:
            return "timeout"
        return "finished"

    assert run(go()) == "cancelled"
    assert log == ["cancelled", "cleanup"]


def test_no_bound_waits_for_the_call() -> None:
    log: list[str] = []
    assert run(bounded(_after(0.02, 3, log), None)) == 3
