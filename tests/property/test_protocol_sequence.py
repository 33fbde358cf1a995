"""Property tests of the per-APID sequence tracker: what a link may act on."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hil.protocol.sequence import SeqStatus, SequenceTracker

WINDOW = 16

# A sender's life: steps of "send next", "drop next", "redeliver the k-th most recent delivery", "restart".
steps = st.lists(
    st.one_of(
        st.just(("send", 0)), st.just(("drop", 0)), st.just(("restart", 0)),
        st.tuples(st.just("redeliver"), st.integers(0, WINDOW // 2 - 1)),
    ),
    max_size=150,
)


@given(steps, st.integers(0, 16383))
def test_each_packet_is_new_exactly_once_with_fingerprints(plan: list[tuple[str, int]], start: int) -> None:
    """Whatever the drops, restarts (counting again from 0) and redeliveries of any of the last
    WINDOW/2 deliveries, a packet is classified new (not DUPLICATE) on its first delivery and DUPLICATE
    on every later one, when the tracker is given the packet content as fingerprint."""
    tracker = SequenceTracker(window=WINDOW)
    epoch, count = 0, start
    delivered: list[tuple[int, int]] = []  # (epoch, count) of each delivery, in order
    acted: set[tuple[int, int]] = set()
    for op, k in plan:
        if op == "restart":
            epoch, count = epoch + 1, 0
            continue
        if op == "drop":
            count = (count + 1) % 16384
            continue
        if op == "send":
            pkt = (epoch, count)
            count = (count + 1) % 16384
        else:
            if not delivered:
                continue
            pkt = delivered[-1 - min(k, len(delivered) - 1)]
        status = tracker.observe(0x42, pkt[1], fingerprint=pkt)
        assert status.is_new == (pkt not in acted), (pkt, status)
        acted.add(pkt)
        delivered.append(pkt)
    c = tracker.counts(0x42)
    assert c.packets == len(delivered)
    assert c.packets - c.duplicates == len(acted)


@given(st.integers(0, 16383), st.integers(1, 300))
def test_in_order_stream_has_no_gaps_or_duplicates_across_the_wrap(start: int, n: int) -> None:
    """Counts start, start+1, ... modulo 16384: first, then in order only, even through 16383 -> 0."""
    tracker = SequenceTracker()
    statuses = [tracker.observe(7, (start + i) % 16384) for i in range(n)]
    assert statuses[0] is SeqStatus.FIRST
    assert all(s is SeqStatus.IN_ORDER for s in statuses[1:])
