"""Per-APID packet sequence tracking: gaps (lost packets), duplicates (redelivery), resets.

The 14-bit CCSDS sequence count of each APID increases by one per packet, modulo 16384. For every
packet received, ``SequenceTracker.observe`` classifies its count against what came before on that APID:

- ``FIRST``: the first packet seen on the APID;
- ``IN_ORDER``: the expected next count;
- ``GAP``: ahead of the expected count by less than half the modulus; ``missing`` counts the skipped ones;
- ``DUPLICATE``: a count among the last ``window`` counts seen (an MQTT QoS 1 redelivery or a repeated
  frame); the caller must not act on it twice;
- ``LATE``: behind, inside the window but not seen before (reordered); accepted, and it fills the gap
  it was counted in;
- ``RESET``: count 0 when 0 is not expected (the sender restarted), or a count behind the window.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum

from hil.protocol.spacepacket import SEQ_COUNT_MODULUS

HALF = SEQ_COUNT_MODULUS // 2
DEFAULT_WINDOW = 64


class SeqStatus(Enum):
    FIRST = "first"
    IN_ORDER = "in_order"
    GAP = "gap"
    DUPLICATE = "duplicate"
    LATE = "late"
    RESET = "reset"

    @property
    def is_new(self) -> bool:
        """False only for a duplicate: every other packet carries new content."""
        return self is not SeqStatus.DUPLICATE


@dataclass(slots=True)
class SequenceCounts:
    packets: int = 0
    gaps: int = 0  # gap events
    missing: int = 0  # packets skipped in gaps, less the late arrivals that filled them
    duplicates: int = 0
    late: int = 0
    resets: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(slots=True)
class _ApidState:
    last: int
    seen: list[int] = field(default_factory=list)  # most recent counts, newest last, at most `window`


class SequenceTracker:
    """Classifies each packet's sequence count against the history of its APID."""

    def __init__(self, window: int = DEFAULT_WINDOW) -> None:
        if not 1 <= window < HALF:
            raise ValueError(f"window must be in 1..{HALF - 1}")
        self.window = window
        self._apids: dict[int, _ApidState] = {}
        self._counts: dict[int, SequenceCounts] = {}

    def observe(self, apid: int, seq_count: int) -> SeqStatus:
        if not 0 <= seq_count < SEQ_COUNT_MODULUS:
            raise ValueError(f"sequence count {seq_count} outside 0..{SEQ_COUNT_MODULUS - 1}")
        counts = self._counts.setdefault(apid, SequenceCounts())
        counts.packets += 1
        state = self._apids.get(apid)
        if state is None:
            self._apids[apid] = _ApidState(seq_count, [seq_count])
            return SeqStatus.FIRST
        ahead = (seq_count - state.last) % SEQ_COUNT_MODULUS
        if ahead == 1:
            status = SeqStatus.IN_ORDER
        elif seq_count in state.seen:
            counts.duplicates += 1
            return SeqStatus.DUPLICATE
        elif seq_count == 0:
            counts.resets += 1
            state.seen.clear()
            status = SeqStatus.RESET
        elif ahead < HALF:
            counts.gaps += 1
            counts.missing += ahead - 1
            status = SeqStatus.GAP
        elif SEQ_COUNT_MODULUS - ahead < self.window:
            counts.late += 1
            counts.missing = max(0, counts.missing - 1)
            state.seen.append(seq_count)
            del state.seen[: -self.window]
            return SeqStatus.LATE
        else:
            counts.resets += 1
            state.seen.clear()
            status = SeqStatus.RESET
        state.last = seq_count
        state.seen.append(seq_count)
        del state.seen[: -self.window]
        return status

    def counts(self, apid: int) -> SequenceCounts:
        """The counters of one APID (zeros when it was never seen)."""
        return self._counts.get(apid, SequenceCounts())

    def totals(self) -> SequenceCounts:
        """The counters summed over every APID."""
        total = SequenceCounts()
        for c in self._counts.values():
            total.packets += c.packets
            total.gaps += c.gaps
            total.missing += c.missing
            total.duplicates += c.duplicates
            total.late += c.late
            total.resets += c.resets
        return total

    def apids(self) -> list[int]:
        return sorted(self._counts)
