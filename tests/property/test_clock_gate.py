"""Properties of the lockstep gate of hil.clock.SimClock under any interleaving of the boards' calls."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from hil.clock import SimClock
from tests.support.aio import run

# per cycle: what the thruster board does ("command" after n loop turns, "skip" after n, or "none") and
# how many loop turns the IMU takes before opening the next cycle
action = st.tuples(st.sampled_from(["command", "skip", "none"]), st.integers(0, 5))
schedule = st.lists(action, min_size=1, max_size=12)

DT = 0.1
STALL_S = 0.02


async def _turns(n: int) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


def _simulate(plan: list[tuple[str, int]]) -> tuple[list[tuple[int, str]], SimClock]:
    clock = SimClock("lockstep", t0_s=0.0, stall_timeout_s=STALL_S)
    log: list[tuple[int, str]] = []  # (cycle, how it was closed) as the plant passed it

    async def thruster(k: int, what: str, delay: int) -> None:
        await _turns(delay)
        if what == "command":
            clock.command_held(k * DT)
        elif what == "skip":
            clock.skip_cycle(k * DT)

    async def main() -> None:
        async with asyncio.TaskGroup() as tg:
            for k, (what, delay) in enumerate(plan):
                clock.open_cycle(k * DT)  # the IMU emitted sample k
                tg.create_task(thruster(k, what, delay))
                await clock.wait_until((k + 1) * DT)  # the plant wants to integrate [t_k, t_k+1]
                assert k * DT not in clock.open_cycles
                stalled = any(s.t_cycle_s == k * DT for s in clock.stalls)
                log.append((k, "stall" if stalled else "closed"))
                assert clock.now_s == (k + 1) * DT

    run(main(), timeout_s=30.0)
    return log, clock


@settings(max_examples=30, deadline=None)
@given(schedule)
def test_plant_never_passes_an_open_cycle(plan: list[tuple[str, int]]) -> None:
    """wait_until(t_k+1) returns only once cycle k is closed: by its command, by skip_cycle, or by a stall
    after the bound; a stall is recorded exactly for the cycles that got neither, and two runs of the same
    plan give the same record."""
    log, clock = _simulate(plan)
    for (k, closed), (what, _) in zip(log, plan, strict=True):
        assert closed == ("stall" if what == "none" else "closed"), (k, what)
    assert clock.stall_count == sum(1 for what, _ in plan if what == "none")
    assert clock.cycles_commanded == sum(1 for what, _ in plan if what == "command")
    assert clock.cycles_skipped == sum(1 for what, _ in plan if what == "skip")
    again, clock2 = _simulate(plan)
    assert again == log
    assert [s.t_cycle_s for s in clock2.stalls] == [s.t_cycle_s for s in clock.stalls]
