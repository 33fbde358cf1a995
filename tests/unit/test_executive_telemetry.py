"""Telemetry and events: the housekeeping schedule on spacecraft time and the bounded downlink queue."""

from __future__ import annotations

import asyncio
import itertools

from flight.ports import Event, Severity, Telemetry
from flight.telemetry import Downlink, HousekeepingSchedule, housekeeping
from tests.unit.test_executive import FakeGround


def test_housekeeping_is_due_once_per_period_slot() -> None:
    """At 0.1 Hz samples and a 10 s period one sample per slot; at 10 Hz samples still one per slot."""
    hk = HousekeepingSchedule(10.0)
    due = [t for t in (100.0 + 0.1 * k for k in range(1000)) if hk.due(t)]
    assert len(due) == 10
    assert all(b - a >= 9.9 for a, b in itertools.pairwise(due))
    hk2 = HousekeepingSchedule(10.0)
    assert [hk2.due(t) for t in (0.0, 10.0, 20.0, 25.0, 30.0)] == [True, True, True, False, True]


def test_housekeeping_builds_one_sample_per_source() -> None:
    tms = housekeeping(5.0, [("a", lambda: {"x": 1}), ("b", lambda: {"y": 2.0})])
    assert [(t.source, dict(t.values)) for t in tms] == [("a", {"x": 1}), ("b", {"y": 2.0})]


def test_full_queue_drops_housekeeping_first_then_the_least_severe_events() -> None:
    d = Downlink(capacity=3)
    d.telemetry(Telemetry(1.0, "hk", {}))
    d.event(Event(1.0, Severity.ERROR, "e1", ""))
    d.event(Event(1.0, Severity.INFO, "e2", ""))
    d.event(Event(2.0, Severity.CRITICAL, "e3", ""))  # drops the housekeeping
    d.event(Event(2.0, Severity.WARNING, "e4", ""))  # drops e2, the least severe
    assert d.dropped == 2
    assert [getattr(x, "name", "tm") for x in d._queue] == ["e1", "e3", "e4"]
    d.event(Event(3.0, Severity.DEBUG, "dbg", ""))  # below min_severity: counted, not queued
    assert len(d) == 3 and d.events_by_severity["DEBUG"] == 1


def test_pump_sends_in_order_and_bounds_a_hanging_ground_link() -> None:
    async def main() -> tuple[FakeGround, Downlink, int]:
        gnd = FakeGround()
        d = Downlink(send_timeout_s=0.05)
        d.telemetry(Telemetry(1.0, "hk", {"a": 1}))
        d.event(Event(1.0, Severity.WARNING, "w", "warn"))
        sent = await d.pump(gnd, wait_s=0.01)

        class Hanging(FakeGround):
            async def send_event(self, event: Event) -> None:
                await asyncio.Event().wait()

        d.event(Event(2.0, Severity.ERROR, "lost", ""))
        await d.pump(Hanging(), wait_s=0.01)
        nothing = await d.pump(gnd, wait_s=0.01)  # empty queue: returns after the bounded wait
        return gnd, d, sent + nothing

    gnd, d, sent = asyncio.run(main())
    assert sent == 2
    assert [t.source for t in gnd.telemetry] == ["hk"] and [e.name for e in gnd.events] == ["w"]
    assert d.send_failures == 1 and d.dropped == 1
