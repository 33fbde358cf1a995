"""Receive-side duplicate suppression shared by every link.

A duplicate is a packet whose APID, 14-bit sequence count and bytes all equal those of a packet handed
up recently (QoS-1 redelivery, a retransmission after reconnect, or an injected duplicate). Equal APID
and count with different bytes is a new packet (a board that reset its counter), never a duplicate.
"""

from __future__ import annotations

import collections
import hashlib

from hil.protocol.spacepacket import peek_apid, peek_seq_count


class Deduplicator:
    """Remembers the last ``window`` packets handed up (by APID, count and digest) and spots repeats."""

    def __init__(self, window: int = 4096) -> None:
        if window < 1:
            raise ValueError("the duplicate window must hold at least one packet")
        self._window = window
        self._seen: set[tuple[int, int, bytes]] = set()
        self._order: collections.deque[tuple[int, int, bytes]] = collections.deque()

    def is_duplicate(self, packet: bytes) -> bool:
        """True if ``packet`` was seen within the window; otherwise remember it and return False."""
        if len(packet) < 4:
            raise ValueError("a packet to deduplicate needs at least its primary header")
        key = (peek_apid(packet), peek_seq_count(packet), hashlib.blake2b(packet, digest_size=16).digest())
        if key in self._seen:
            return True
        self._seen.add(key)
        self._order.append(key)
        if len(self._order) > self._window:
            self._seen.discard(self._order.popleft())
        return False
