"""A bounded log of flight events, with counts, and their one-line JSON form for ``events.jsonl``.

The sequencer and the commander return ``Emit`` intents; the executive hands them here (and to the ground
port). The log keeps the most recent ``capacity`` events, counts every event by severity and by name
(evicted ones included), so telemetry can report them without the memory growing over a week-long run.
"""

from __future__ import annotations

import json
import math
from collections import Counter, deque
from collections.abc import Iterable
from typing import Any

from flight.ports import Event, Severity


def event_to_dict(event: Event) -> dict[str, Any]:
    """Plain data for one event (non-finite numbers written as strings, so the line stays valid JSON)."""

    def plain(v: object) -> object:
        if isinstance(v, float) and not math.isfinite(v):
            return repr(v)
        return v

    return {
        "t_s": plain(event.t_s),
        "severity": event.severity.name,
        "name": event.name,
        "message": event.message,
        "data": {k: plain(v) for k, v in event.data.items()},
    }


def event_to_json_line(event: Event) -> str:
    return json.dumps(event_to_dict(event), sort_keys=True, allow_nan=False)


class EventLog:
    """The most recent events (bounded) and counts of all of them."""

    def __init__(self, capacity: int = 1000) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self._recent: deque[Event] = deque(maxlen=capacity)
        self.by_severity: Counter[str] = Counter()
        self.by_name: Counter[str] = Counter()
        self.total = 0

    def add(self, event: Event) -> None:
        self._recent.append(event)
        self.by_severity[event.severity.name] += 1
        self.by_name[event.name] += 1
        self.total += 1

    def add_from(self, intents: Iterable[object]) -> list[Event]:
        """Log the events carried by ``Emit`` intents (any object with an ``event`` attribute holding an
        Event); returns them in order."""
        found = [ev for it in intents if isinstance(ev := getattr(it, "event", None), Event)]
        for ev in found:
            self.add(ev)
        return found

    def recent(self, n: int | None = None, min_severity: Severity = Severity.DEBUG) -> list[Event]:
        """The most recent events at or above ``min_severity``, oldest first (at most ``n``)."""
        sel = [e for e in self._recent if e.severity >= min_severity]
        return sel if n is None else sel[-n:] if n > 0 else []

    @property
    def evicted(self) -> int:
        """Events counted but no longer held."""
        return self.total - len(self._recent)
