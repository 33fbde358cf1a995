"""Property tests of the per-packet receive and send path against plain restatements of it: the sequence
tracker classifies and counts exactly as the straightforward window it is written out from, and
``tag_from_t`` gives the CUC time tag of ``ticks_of`` and ``divmod``."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Hashable

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from hil.drivers.timebase import CUC_EPOCH_OFFSET_S, T_MAX_S, T_MIN_S, tag_from_t, ticks_of
from hil.protocol.sequence import HALF, SeqStatus, SequenceCounts, SequenceTracker
from hil.protocol.spacepacket import FINE_TIME_PER_S, SEQ_COUNT_MODULUS, pack


class PlainTracker:
    """The classification of hil.protocol.sequence stated plainly: per APID, a list of the last ``window``
    new (count, fingerprint) pairs and the last in-order count (docs in that module)."""

    def __init__(self, window: int) -> None:
        self.window = window
        self.recent: dict[int, deque[tuple[int, Hashable]]] = {}
        self.last: dict[int, int] = {}
        self.counts: dict[int, SequenceCounts] = {}

    def observe(self, apid: int, seq: int, fp: Hashable) -> SeqStatus:
        c = self.counts.setdefault(apid, SequenceCounts())
        c.packets += 1
        if apid not in self.recent:
            self.recent[apid] = deque([(seq, fp)])
            self.last[apid] = seq
            return SeqStatus.FIRST
        recent = self.recent[apid]
        seen = [f for s, f in recent if s == seq]
        if seen and (fp is None or fp in seen or None in seen):
            c.duplicates += 1
            return SeqStatus.DUPLICATE
        ahead = (seq - self.last[apid]) % SEQ_COUNT_MODULUS
        if ahead == 1:
            status = SeqStatus.IN_ORDER
        elif seen or seq == 0:
            status = SeqStatus.RESET
        elif ahead < HALF:
            c.gaps += 1
            c.missing += ahead - 1
            status = SeqStatus.GAP
        elif SEQ_COUNT_MODULUS - ahead < self.window:
            c.late += 1
            c.missing = max(0, c.missing - 1)
            status = SeqStatus.LATE
        else:
            status = SeqStatus.RESET
        if status is SeqStatus.RESET:
            c.resets += 1
        if status is not SeqStatus.LATE:
            self.last[apid] = seq
        recent.append((seq, fp))
        if len(recent) > self.window:
            recent.popleft()
        return status


# Packets of a few APIDs: mostly the next count, sometimes a jump, a step back, a restart at 0 or a repeat
# (same or other content, or no fingerprint at all).
events = st.lists(
    st.tuples(st.sampled_from([0x100, 0x202]),
              st.sampled_from(["next", "next", "next", "next", "jump", "back", "zero", "repeat", "far"]),
              st.integers(1, 40), st.sampled_from([b"a", b"b", None])),
    min_size=50, max_size=300,
)


@given(events, st.integers(1, 12), st.integers(0, SEQ_COUNT_MODULUS - 1))
def test_tracker_classifies_and_counts_as_the_plain_window(
        plan: list[tuple[int, str, int, bytes | None]], window: int, start: int) -> None:
    """For any sequence of packets on two APIDs (in order, gaps, late, restarts, repeats with the same,
    another or no fingerprint, counts across the wrap), every status and every counter of
    SequenceTracker equals that of the plain window restatement."""
    tracker, plain = SequenceTracker(window), PlainTracker(window)
    cursor = {0x100: start, 0x202: (start + 7000) % SEQ_COUNT_MODULUS}
    history: dict[int, list[tuple[int, bytes | None]]] = {0x100: [], 0x202: []}
    for apid, kind, k, fp in plan:
        if kind == "repeat" and history[apid]:
            seq, old_fp = history[apid][-min(k, len(history[apid]))]
            fp = old_fp if k % 2 else fp
        else:
            step = {"next": 1, "jump": k + 1, "back": -k, "far": HALF + k}.get(kind, 0)
            seq = 0 if kind == "zero" else (cursor[apid] + step) % SEQ_COUNT_MODULUS
            cursor[apid] = seq
        history[apid].append((seq, fp))
        assert tracker.observe(apid, seq, fp) is plain.observe(apid, seq, fp)
        assert tracker.counts(apid) == plain.counts[apid]
    total = SequenceCounts()
    for c in plain.counts.values():
        for name in ("packets", "gaps", "missing", "duplicates", "late", "resets"):
            setattr(total, name, getattr(total, name) + getattr(c, name))
    assert tracker.totals() == total


@given(events, st.integers(1, 12), st.integers(0, SEQ_COUNT_MODULUS - 1))
def test_observe_packet_classifies_and_counts_as_the_plain_window(
        plan: list[tuple[int, str, int, bytes | None]], window: int, start: int) -> None:
    """For the same kinds of packet sequences, built as packets (content from the fingerprint), every
    status and counter of ``observe_packet`` (which takes the in-order case on a path of its own) equals
    that of the plain window fed each packet's APID, count and octets."""
    tracker, plain = SequenceTracker(window), PlainTracker(window)
    cursor = {0x100: start, 0x202: (start + 7000) % SEQ_COUNT_MODULUS}
    history: dict[int, list[int]] = {0x100: [], 0x202: []}
    for apid, kind, k, fp in plan:
        if kind == "repeat" and history[apid]:
            seq = history[apid][-min(k, len(history[apid]))]
        else:
            step = {"next": 1, "jump": k + 1, "back": -k, "far": HALF + k}.get(kind, 0)
            seq = 0 if kind == "zero" else (cursor[apid] + step) % SEQ_COUNT_MODULUS
            cursor[apid] = seq
        history[apid].append(seq)
        packet = pack(apid, seq, fp or b"n", time_tag_s=0.0)
        assert tracker.observe_packet(packet) is plain.observe(apid, seq, packet)
        assert tracker.counts(apid) == plain.counts[apid]


def reference_tag(t_s: float) -> tuple[int, int]:
    if not T_MIN_S <= t_s <= T_MAX_S:
        raise ValueError(f"time {t_s!r} s is outside the range a time tag can carry")
    coarse, fine = divmod(ticks_of(t_s) + CUC_EPOCH_OFFSET_S * FINE_TIME_PER_S, FINE_TIME_PER_S)
    return int(coarse), int(fine)


@given(st.one_of(st.floats(T_MIN_S, T_MAX_S), st.floats(-1e3, 1e3), st.floats(),
                 st.sampled_from([T_MIN_S, T_MAX_S, math.nextafter(T_MAX_S, math.inf), -0.0]),
                 st.integers(-(2**40), 2**40), st.floats(-1e9, 1e9).map(np.float64)))
def test_tag_from_t_is_ticks_of_and_divmod(t_s: float) -> None:
    """tag_from_t gives the (coarse, fine) of rounding t_s to ticks, adding the CUC epoch offset and
    dividing by 2^16 (exact integers), or the same ValueError, for any float, int or numpy float."""
    try:
        want: object = reference_tag(t_s)
    except ValueError as exc:
        want = str(exc)
    try:
        got: object = tag_from_t(t_s)
    except ValueError as exc:
        got = str(exc)
    assert got == want
    if isinstance(got, tuple):
        assert all(type(x) is int for x in got)
