"""Per-APID packet sequence tracking: gaps (lost packets), duplicates (redelivery), resets.

The 14-bit CCSDS sequence count of each APID increases by one per packet, modulo 16384. For every
packet received, ``SequenceTracker.observe`` classifies its count against the last ``window`` packets of
that APID:

- ``DUPLICATE``: the same count as one of them and, when a fingerprint is given, the same fingerprint
  (``observe_packet`` uses the packet's octets): an MQTT QoS 1 redelivery or a repeated frame; the
  caller must not act on it twice;
- ``FIRST``: the first packet seen on the APID;
- ``IN_ORDER``: the expected next count;
- ``RESET``: count 0 when 0 is not expected, a count already seen with other content (the sender
  restarted and counts again from 0), or a count far behind;
- ``GAP``: ahead of the expected count by less than half the modulus; ``missing`` counts the skipped ones;
- ``LATE``: behind, inside the window, not seen before (reordered): new, and it fills part of a gap.

Without fingerprints a sender that restarts within ``window`` packets of its previous start has its
first packets taken for duplicates; with them, a restart is told from a redelivery by content.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
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
    """The last ``window`` new packets of one APID, as (count, fingerprint), oldest first, and its
    counters. Every entry of ``recent`` is distinct; ``per_count`` says which counts they hold (a packet
    whose count is not among them is new without looking further)."""

    last: int
    counts: SequenceCounts
    recent: deque[tuple[int, Hashable]] = field(default_factory=deque)
    per_count: dict[int, int] = field(default_factory=dict)  # count -> how many entries of `recent`


_FIRST, _IN_ORDER, _GAP = SeqStatus.FIRST, SeqStatus.IN_ORDER, SeqStatus.GAP
_DUPLICATE, _LATE, _RESET = SeqStatus.DUPLICATE, SeqStatus.LATE, SeqStatus.RESET


class SequenceTracker:
    """Classifies each packet's sequence count against the recent history of its APID."""

    def __init__(self, window: int = DEFAULT_WINDOW) -> None:
        if not 1 <= window < HALF:
            raise ValueError(f"window must be in 1..{HALF - 1}")
        self.window = window
        self._apids: dict[int, _ApidState] = {}
        self._counts: dict[int, SequenceCounts] = {}

    def observe_packet(self, packet: bytes) -> SeqStatus:
        """``observe`` for a whole packet: APID and count from its header, its octets as fingerprint."""
        apid = ((packet[0] & 0x07) << 8) | packet[1]
        seq_count = ((packet[2] & 0x3F) << 8) | packet[3]
        fingerprint = packet if type(packet) is bytes else bytes(packet)
        state = self._apids.get(apid)
        if (state is None or (seq_count - state.last) % SEQ_COUNT_MODULUS != 1
                or seq_count in state.per_count):
            return self.observe(apid, seq_count, fingerprint)
        # the next count, not in the window: in order (observe's common path, written out)
        state.counts.packets += 1
        state.last = seq_count
        state.recent.append((seq_count, fingerprint))
        state.per_count[seq_count] = 1
        if len(state.recent) > self.window:
            self._forget_oldest(state)
        return _IN_ORDER

    def observe(self, apid: int, seq_count: int, fingerprint: Hashable = None) -> SeqStatus:
        """Classify one packet; ``fingerprint`` (for example its octets) tells a restart from a repeat."""
        if not 0 <= seq_count < SEQ_COUNT_MODULUS:
            raise ValueError(f"sequence count {seq_count} outside 0..{SEQ_COUNT_MODULUS - 1}")
        state = self._apids.get(apid)
        if state is None:
            counts = self._counts[apid] = SequenceCounts(packets=1)
            state = self._apids[apid] = _ApidState(seq_count, counts)
            self._remember(state, seq_count, fingerprint)
            return _FIRST
        counts = state.counts
        counts.packets += 1
        per_count = state.per_count
        count_seen = seq_count in per_count
        if count_seen and (fingerprint is None or any(
                c == seq_count and (f is None or f == fingerprint) for c, f in state.recent)):
            counts.duplicates += 1
            return _DUPLICATE
        ahead = (seq_count - state.last) % SEQ_COUNT_MODULUS
        if ahead == 1:
            status = _IN_ORDER
        elif count_seen or seq_count == 0:
            counts.resets += 1
            status = _RESET
        elif ahead < HALF:
            counts.gaps += 1
            counts.missing += ahead - 1
            status = _GAP
        elif SEQ_COUNT_MODULUS - ahead < self.window:
            counts.late += 1
            counts.missing = max(0, counts.missing - 1)
            self._remember(state, seq_count, fingerprint)
            return _LATE
        else:
            counts.resets += 1
            status = _RESET
        state.last = seq_count
        # _remember, written out for the common path
        recent = state.recent
        recent.append((seq_count, fingerprint))
        per_count[seq_count] = per_count[seq_count] + 1 if count_seen else 1
        if len(recent) > self.window:
            self._forget_oldest(state)
        return status

    @staticmethod
    def _forget_oldest(state: _ApidState) -> None:
        old_count = state.recent.popleft()[0]
        per_count = state.per_count
        n = per_count[old_count] - 1
        if n:
            per_count[old_count] = n
        else:
            del per_count[old_count]

    def _remember(self, state: _ApidState, seq_count: int, fingerprint: Hashable) -> None:
        state.recent.append((seq_count, fingerprint))
        state.per_count[seq_count] = state.per_count.get(seq_count, 0) + 1
        if len(state.recent) > self.window:
            self._forget_oldest(state)

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

