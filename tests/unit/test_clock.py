"""The simulation clock: time modes, the lockstep gate and its stall bound, wall-clock following."""

from __future__ import annotations

import asyncio
import time

import pytest

from hil.clock import SimClock, Stall, TimeMode, TimeModeError
from tests.support.aio import run


@pytest.mark.parametrize(("text", "kind", "scale"), [
    ("lockstep", "lockstep", 1.0), ("realtime", "realtime", 1.0), ("scaled:10", "scaled", 10.0),
    ("scaled:0.5", "scaled", 0.5), (" scaled:2e3 ", "scaled", 2000.0)])
def test_parse_good_modes(text: str, kind: str, scale: float) -> None:
    m = TimeMode.parse(text)
    assert (m.kind, m.scale) == (kind, scale)


@pytest.mark.parametrize("text", ["", "LOCKSTEP", "real-time", "scaled", "scaled:", "scaled:0", "scaled:-2",
                                  "scaled:x", "scaled:inf", "scaled:nan", "fast"])
def test_parse_rejects_bad_modes(text: str) -> None:
    with pytest.raises(TimeModeError, match="time mode"):
        TimeMode.parse(text)


def test_lockstep_without_open_cycles_returns_at_once() -> None:
    clock = SimClock("lockstep", t0_s=100.0, stall_timeout_s=5.0)

    async def go() -> None:
        await clock.wait_until(1e6)

    start = time.monotonic()
    run(go(), timeout_s=2.0)
    assert time.monotonic() - start < 1.0
    assert clock.now_s == 1e6


def test_lockstep_waits_for_the_command_of_an_open_cycle() -> None:
    """wait_until(t_next) does not return before command_held(t_k) of the cycle opened at t_k < t_next;
    cycles at or after t_next do not hold it back."""
    clock = SimClock("lockstep", t0_s=0.0, stall_timeout_s=10.0)
    order: list[str] = []

    async def plant() -> None:
        clock.open_cycle(0.0)
        clock.open_cycle(0.1)  # a later cycle does not block wait_until(0.1)
        await clock.wait_until(0.1)
        order.append("plant passed 0.1")

    async def thruster() -> None:
        await asyncio.sleep(0.05)
        order.append("command held")
        clock.command_held(0.0)

    async def both() -> None:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(plant())
            tg.create_task(thruster())

    run(both(), timeout_s=5.0)
    assert order == ["command held", "plant passed 0.1"]
    assert clock.now_s == 0.1
    assert clock.open_cycles == (0.1,)
    assert clock.stalls == []


def test_lockstep_skip_cycle_releases_the_gate() -> None:
    clock = SimClock("lockstep", t0_s=0.0, stall_timeout_s=10.0)

    async def go() -> None:
        clock.open_cycle(5.0)
        loop = asyncio.get_running_loop()
        loop.call_later(0.02, clock.skip_cycle, 5.0)
        await clock.wait_until(10.0)

    run(go(), timeout_s=5.0)
    assert clock.cycles_skipped == 1 and clock.stalls == []


def test_lockstep_stall_is_bounded_recorded_and_reported() -> None:
    """With no command the gate opens after stall_timeout_s (0.2 s, within +0.5 s of scheduling slack),
    records a stall and calls the callback; a later wait is not blocked by the stalled cycle."""
    seen: list[Stall] = []
    clock = SimClock("lockstep", t0_s=0.0, stall_timeout_s=0.2, on_stall=seen.append)

    async def go() -> None:
        clock.open_cycle(1.0)
        await clock.wait_until(2.0)
        await clock.wait_until(3.0)

    start = time.monotonic()
    run(go(), timeout_s=5.0)
    elapsed = time.monotonic() - start
    assert 0.2 <= elapsed < 0.7
    assert len(clock.stalls) == 1 == clock.stall_count
    assert seen == clock.stalls
    assert seen[0].t_cycle_s == 1.0 and seen[0].t_wait_s == 2.0
    assert clock.now_s == 3.0


def test_each_wait_at_the_gate_gets_its_whole_stall_timeout() -> None:
    """A wait that starts after an earlier one was released is bounded by its own stall timeout (0.3 s),
    not by the earlier wait's: the gate's one timer re-arms for the later deadline. Within +0.5 s of
    scheduling slack."""
    clock = SimClock("lockstep", t0_s=0.0, stall_timeout_s=0.3)
    waited: list[float] = []

    async def release_later() -> None:
        await asyncio.sleep(0.2)
        clock.command_held(1.0)

    async def go() -> None:
        clock.open_cycle(1.0)
        async with asyncio.TaskGroup() as tg:
            tg.create_task(release_later())
            await clock.wait_until(2.0)  # released after 0.2 s, before its deadline
        clock.open_cycle(2.0)
        start = time.monotonic()
        await clock.wait_until(3.0)  # never released: a stall after 0.3 s of its own
        waited.append(time.monotonic() - start)

    run(go(), timeout_s=5.0)
    assert clock.stalls and clock.stalls[0].t_cycle_s == 2.0
    assert 0.3 <= waited[0] < 0.8
    assert clock.stalls[0].waited_wall_s >= 0.3


def test_unmatched_command_is_counted() -> None:
    clock = SimClock("lockstep", t0_s=0.0)
    clock.command_held(4.0)
    assert clock.unmatched_commands == 1


def test_cancellation_is_not_swallowed() -> None:
    clock = SimClock("lockstep", t0_s=0.0, stall_timeout_s=30.0)

    async def go() -> None:
        clock.open_cycle(0.0)
        task = asyncio.create_task(clock.wait_until(1.0))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(go(), timeout_s=5.0)
    assert clock.stalls == []


@pytest.mark.parametrize(("mode", "sim_span_s", "wall_s"), [("realtime", 0.3, 0.3), ("scaled:20", 6.0, 0.3)])
def test_wall_modes_follow_the_wall_clock(mode: str, sim_span_s: float, wall_s: float) -> None:
    """Waiting for t0 + span takes span / scale of wall time, within +-50 ms (steps of span/6 each land
    no earlier than their wall deadline, and the whole run is not late by more than 50 ms)."""
    clock = SimClock(mode, t0_s=1000.0)

    async def go() -> list[float]:
        lags = []
        for k in range(1, 7):
            t = 1000.0 + sim_span_s * k / 6
            await clock.wait_until(t)
            lags.append(clock.now_s - t)
        return lags

    start = time.monotonic()
    lags = run(go(), timeout_s=5.0)
    elapsed = time.monotonic() - start
    assert all(lag >= -1e-9 for lag in lags)
    assert elapsed == pytest.approx(wall_s, abs=0.05)
    assert clock.now_s == pytest.approx(1000.0 + sim_span_s, abs=0.05 * TimeMode.parse(mode).scale + 0.05)


def test_constructor_rejects_bad_arguments() -> None:
    with pytest.raises(TimeModeError):
        SimClock("sometimes", 0.0)
    with pytest.raises(ValueError, match="stall_timeout_s"):
        SimClock("lockstep", 0.0, stall_timeout_s=0.0)
    with pytest.raises(ValueError, match="t0_s"):
        SimClock("lockstep", float("nan"))


def test_start_resets_the_wall_reference() -> None:
    """After a slow setup, start() makes simulated time t0 now: the first wait of 0.1 s takes 0.1 s
    (within 50 ms), not zero."""
    clock = SimClock("realtime", t0_s=50.0)
    time.sleep(0.15)
    clock.start(50.0)

    async def go() -> None:
        await clock.wait_until(50.1)

    t0 = time.monotonic()
    run(go(), timeout_s=5.0)
    assert time.monotonic() - t0 == pytest.approx(0.1, abs=0.05)


def test_one_clock_serves_successive_event_loops() -> None:
    """A clock made outside any loop works in one asyncio.run after another (the runner restarts)."""
    clock = SimClock("lockstep", t0_s=0.0, stall_timeout_s=0.05)
    for k in range(2):
        clock.open_cycle(float(k))

        async def go(t: float = float(k) + 1.0) -> None:
            await clock.wait_until(t)

        run(go(), timeout_s=5.0)
    assert clock.stall_count == 2 and clock.now_s == 2.0


def test_a_stall_releases_every_waiter_on_that_cycle() -> None:
    """Two tasks wait on the same open cycle with different stall budgets: when the first one's bound
    expires and closes the cycle, the second goes on at once (one stall recorded, not two)."""
    clock = SimClock("lockstep", t0_s=0.0, stall_timeout_s=0.3)
    done: list[tuple[str, float]] = []

    async def waiter(name: str, t: float) -> None:
        start = time.monotonic()
        await clock.wait_until(t)
        done.append((name, time.monotonic() - start))

    async def go() -> None:
        clock.open_cycle(1.0)
        async with asyncio.TaskGroup() as tg:
            tg.create_task(waiter("a", 2.0))
            await asyncio.sleep(0.2)
            tg.create_task(waiter("b", 3.0))

    run(go(), timeout_s=5.0)
    assert clock.stall_count == 1
    assert [n for n, _ in done] == ["a", "b"]
    assert done[1][1] < 0.25  # b waited about 0.1 s, not its own 0.3 s budget
