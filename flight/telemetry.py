"""Telemetry and events: housekeeping at a configured rate of spacecraft time, events with severities.

The :class:`Downlink` is the outbound queue between the flight logic (synchronous, never blocked by the
link) and the ground port (asynchronous, slow or absent). It is bounded: when the link cannot keep up, the
oldest housekeeping is dropped first, then the least severe events; drops are counted and the count goes
out with the next housekeeping, so the ground learns what it missed. :meth:`Downlink.pump` sends what is
queued through the ground port with every send bounded by a timeout.
"""

from __future__ import annotations

import asyncio
import collections
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flight.ports import Event, GroundPort, Scalar, Severity, Telemetry


@dataclass
class HousekeepingSchedule:
    """Due times of housekeeping on spacecraft time: one sample per ``period_s``, never two for one slot."""

    period_s: float
    _next_s: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.period_s) and self.period_s > 0.0):
            raise ValueError(f"housekeeping period must be positive, got {self.period_s!r}")

    def due(self, t_s: float) -> bool:
        if self._next_s is None or t_s >= self._next_s:
            slot = math.floor(t_s / self.period_s)
            self._next_s = (slot + 1) * self.period_s
            return True
        return False


Source = tuple[str, Callable[[], dict[str, Scalar]]]


def housekeeping(t_s: float, sources: Iterable[Source]) -> list[Telemetry]:
    """One telemetry sample per source at ``t_s``."""
    return [Telemetry(t_s, name, values()) for name, values in sources]


def _severity(item: Telemetry | Event) -> Severity:
    return item.severity if isinstance(item, Event) else Severity.DEBUG


@dataclass
class Downlink:
    """Bounded outbound queue of telemetry and events (see the module docstring)."""

    capacity: int = 1024
    send_timeout_s: float = 2.0
    min_severity: Severity = Severity.INFO
    _queue: collections.deque[Telemetry | Event] = field(default_factory=collections.deque)
    _ready: asyncio.Event = field(default_factory=asyncio.Event)
    dropped: int = 0
    sent: int = 0
    send_failures: int = 0
    events_by_severity: collections.Counter[str] = field(default_factory=collections.Counter)

    def event(self, event: Event) -> None:
        self.events_by_severity[event.severity.name] += 1
        if event.severity < self.min_severity:
            return
        self._put(event)

    def telemetry(self, tm: Telemetry) -> None:
        self._put(tm)

    def _put(self, item: Telemetry | Event) -> None:
        if len(self._queue) >= self.capacity:
            oldest_tm = (x for x in self._queue if isinstance(x, Telemetry))
            victim: Telemetry | Event | None = next(oldest_tm, None)
            if victim is None:
                victim = min(self._queue, key=_severity)
            self._queue.remove(victim)
            self.dropped += 1
        self._queue.append(item)
        self._ready.set()

    def __len__(self) -> int:
        return len(self._queue)

    async def pump(self, ground: GroundPort, wait_s: float = 1.0) -> int:
        """Send everything queued now (waiting at most ``wait_s`` for something to arrive); returns how
        many were sent. A send that times out or fails is counted and its item dropped."""
        if not self._queue:
            self._ready.clear()
            try:
                async with asyncio.timeout(wait_s):
                    await self._ready.wait()
            except TimeoutError:
                return 0
        n = 0
        while self._queue:
            item = self._queue.popleft()
            try:
                async with asyncio.timeout(self.send_timeout_s):
                    if isinstance(item, Event):
                        await ground.send_event(item)
                    else:
                        await ground.send_telemetry(item)
                self.sent += 1
                n += 1
            except (TimeoutError, OSError, ConnectionError):
                self.send_failures += 1
                self.dropped += 1
        return n

    def stats(self) -> dict[str, Scalar]:
        return {"tm_queued": len(self._queue), "tm_sent": self.sent, "tm_dropped": self.dropped,
                "tm_send_failures": self.send_failures}
