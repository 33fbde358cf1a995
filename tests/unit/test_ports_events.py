"""The event log: bounded memory, complete counts, valid JSON lines."""

from __future__ import annotations

import json
import math

import pytest

from flight.events import EventLog, event_to_json_line
from flight.ports import Event, Severity
from flight.sequencer import Emit, Sequencer


def test_log_is_bounded_but_counts_everything() -> None:
    """With capacity 3, ten events: three held, ten counted, seven evicted, counts by severity exact."""
    log = EventLog(capacity=3)
    for i in range(10):
        log.add(Event(float(i), Severity.WARNING if i % 2 else Severity.INFO, f"e.{i % 3}", "m"))
    assert [e.t_s for e in log.recent()] == [7.0, 8.0, 9.0]
    assert log.total == 10 and log.evicted == 7
    assert log.by_severity == {"INFO": 5, "WARNING": 5}
    assert log.by_name == {"e.0": 4, "e.1": 3, "e.2": 3}
    assert [e.t_s for e in log.recent(min_severity=Severity.WARNING)] == [7.0, 9.0]
    assert [e.t_s for e in log.recent(1)] == [9.0] and log.recent(0) == []
    with pytest.raises(ValueError, match="capacity"):
        EventLog(0)


def test_add_from_takes_the_events_of_intents() -> None:
    """Only Emit intents carry events; add_from logs exactly those, in order."""
    log = EventLog()
    out = Sequencer().abort(5.0)
    events = log.add_from(out)
    assert events == [i.event for i in out if isinstance(i, Emit)] and events
    assert log.total == len(events)


def test_json_line_is_valid_even_with_non_finite_values() -> None:
    """A NaN in an event's data or time still gives a valid JSON line (written as a string)."""
    line = event_to_json_line(Event(math.nan, Severity.ERROR, "x", "y", {"v": math.inf, "n": 3}))
    d = json.loads(line)
    assert d["t_s"] == "nan" and d["data"] == {"v": "inf", "n": 3} and d["severity"] == "ERROR"
