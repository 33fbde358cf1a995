"""Fault injection around any link, driven by a seed: drop, corrupt bits, duplicate, delay, reorder and
disconnect for a while, each counted.

:class:`FaultInjector` is the pure, synchronous part: given a packet and the time it is sent it decides
what goes on the wire and when, drawing from one random generator, so the same seed and the same inputs
give the same faults. :class:`FaultyLink` wraps a link and applies the injector to everything sent
through it (a faulty wire towards the peer, whose link then checks CRCs and drops duplicates); during an
injected disconnect it also drops what it receives and reports itself DOWN. A copy delayed or held back
by more than the receiver's duplicate window (64 packets of its APID, docs/icd.md section 5) is, by that
rule, new: keep delays short against the packet rate when a test counts duplicates.
"""

from __future__ import annotations

import asyncio
import dataclasses
import heapq
import itertools
import math
import random
import time
from collections.abc import Callable
from typing import Protocol

import numpy as np

from hil.links.base import TAP_RECEIVED, TAP_SENT, Link, LinkClosedError, LinkState, LinkStats, check_packet

#: Bits flipped in a corrupted packet are at most this many, all distinct: CRC-16/CCITT-FALSE detects
#: every pattern of up to three bit errors in any packet a link carries, so a corrupted packet never passes.
MAX_CORRUPT_BITS = 3


class _Source(Protocol):
    def random(self) -> float: ...


@dataclasses.dataclass(frozen=True)
class FaultConfig:
    """Per-packet fault probabilities and the ranges of their sizes (times in seconds)."""

    drop_p: float = 0.0
    corrupt_p: float = 0.0
    corrupt_bits: int = 1
    duplicate_p: float = 0.0
    delay_p: float = 0.0
    delay_s: tuple[float, float] = (0.001, 0.02)
    reorder_p: float = 0.0
    reorder_hold_s: float = 0.05
    disconnect_p: float = 0.0
    disconnect_s: tuple[float, float] = (0.05, 0.3)

    def __post_init__(self) -> None:
        for name in ("drop_p", "corrupt_p", "duplicate_p", "delay_p", "reorder_p", "disconnect_p"):
            p = getattr(self, name)
            if not (isinstance(p, int | float) and 0.0 <= p <= 1.0):
                raise ValueError(f"fault probability {name}={p!r} must be within 0..1")
        if not 1 <= self.corrupt_bits <= MAX_CORRUPT_BITS:
            raise ValueError(f"corrupt_bits must be 1..{MAX_CORRUPT_BITS} so that the CRC always detects it")
        for name in ("delay_s", "disconnect_s"):
            lo, hi = getattr(self, name)
            if not (math.isfinite(lo) and math.isfinite(hi) and 0.0 <= lo <= hi):
                raise ValueError(f"{name} must be a range (lo, hi) with 0 <= lo <= hi")
        if not (math.isfinite(self.reorder_hold_s) and self.reorder_hold_s > 0.0):
            raise ValueError("reorder_hold_s must be positive")


@dataclasses.dataclass
class FaultCounts:
    """What was injected, per packet sent: ``duplicated`` extra copies (``corrupted_duplicates`` of them
    copies of a corrupted packet), ``lost_while_disconnected`` in either direction."""

    dropped: int = 0
    corrupted: int = 0
    duplicated: int = 0
    corrupted_duplicates: int = 0
    delayed: int = 0
    reordered: int = 0
    disconnects: int = 0
    lost_while_disconnected: int = 0

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


class _Draw:
    """Uniform draws from either a ``random.Random`` or a numpy ``Generator``."""

    def __init__(self, rng: random.Random | np.random.Generator | int) -> None:
        if isinstance(rng, bool) or not isinstance(rng, int | random.Random | np.random.Generator):
            raise TypeError("the fault seed is an int, a random.Random or a numpy Generator")
        self._src: _Source = random.Random(rng) if isinstance(rng, int) else rng

    def p(self) -> float:
        return float(self._src.random())

    def uniform(self, lo: float, hi: float) -> float:
        return lo + (hi - lo) * self.p()

    def below(self, n: int) -> int:
        return min(n - 1, int(self.p() * n))


class FaultInjector:
    """Decides, packet by packet, what a faulty wire does. Pure: time comes in as ``now_s``."""

    def __init__(self, config: FaultConfig, rng: random.Random | np.random.Generator | int) -> None:
        self.config = config
        self._draw = _Draw(rng)
        self.counts = FaultCounts()
        self.down_until_s = -math.inf
        self._held: tuple[float, bytes] | None = None

    def is_down(self, now_s: float) -> bool:
        return now_s < self.down_until_s

    def _corrupt(self, packet: bytes) -> bytes:
        nbits = 8 * len(packet)
        k = 1 + self._draw.below(min(self.config.corrupt_bits, nbits))
        positions: set[int] = set()
        while len(positions) < k:
            positions.add(self._draw.below(nbits))
        out = bytearray(packet)
        for bit in sorted(positions):
            out[bit // 8] ^= 0x80 >> (bit % 8)
        return bytes(out)

    def process(self, packet: bytes, now_s: float) -> list[tuple[float, bytes]]:
        """What goes on the wire for one packet sent at ``now_s``: (release time, bytes) in order."""
        c = self.config
        draw = self._draw
        # Every packet makes the same draws in the same order, whatever happens to it, so one fault
        # decision does not shift the random stream of the next.
        u_disc, u_drop, u_corr, u_dup, u_delay, u_reord = (draw.p() for _ in range(6))
        out: list[tuple[float, bytes]] = []
        released = self._release_held(now_s)
        if self.is_down(now_s):
            self.counts.lost_while_disconnected += 1
            return released
        if u_disc < c.disconnect_p:
            self.counts.disconnects += 1
            self.down_until_s = now_s + draw.uniform(*c.disconnect_s)
            self.counts.lost_while_disconnected += 1
            return released
        if u_drop < c.drop_p:
            self.counts.dropped += 1
            return released
        data = packet
        if u_corr < c.corrupt_p:
            self.counts.corrupted += 1
            data = self._corrupt(packet)
        release_s = now_s
        if u_delay < c.delay_p:
            self.counts.delayed += 1
            release_s = now_s + draw.uniform(*c.delay_s)
        copies = 2 if u_dup < c.duplicate_p else 1
        self.counts.duplicated += copies - 1
        if data is not packet:
            self.counts.corrupted_duplicates += copies - 1
        if u_reord < c.reorder_p and self._held is None and released == []:
            self.counts.reordered += 1
            self._held = (release_s + c.reorder_hold_s, data)
            # The duplicate, if any, goes now, the original after the next packet.
            return [(release_s, data)] * (copies - 1)
        out.extend([(release_s, data)] * copies)
        # A held packet goes right after the packet that overtook it.
        out.extend((max(t, release_s), p) for t, p in released)
        return out

    def _release_held(self, now_s: float) -> list[tuple[float, bytes]]:
        if self._held is None:
            return []
        held, self._held = self._held, None
        return [(min(held[0], now_s), held[1])]

    def due_held(self, now_s: float) -> list[tuple[float, bytes]]:
        """A held (reordered) packet whose hold time is over, so nothing waits for ever."""
        if self._held is not None and self._held[0] <= now_s:
            return self._release_held(now_s)
        return []

    def next_held_s(self) -> float | None:
        return None if self._held is None else self._held[0]


class FaultyLink(Link):
    """A link whose sent packets pass through a :class:`FaultInjector`. Entering it opens the inner link."""

    def __init__(
        self,
        inner: Link,
        config: FaultConfig,
        rng: random.Random | np.random.Generator | int,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(f"faulty:{inner.name}")
        self.inner = inner
        self.injector = FaultInjector(config, rng)
        self._clock = clock
        self._heap: list[tuple[float, int, bytes]] = []
        self._order = itertools.count()
        self._wake = asyncio.Event()

    @property
    def faults(self) -> FaultCounts:
        return self.injector.counts

    @property
    def state(self) -> LinkState:
        inner = self.inner.state
        if inner is LinkState.UP and self.injector.is_down(self._clock()):
            return LinkState.DOWN
        return inner

    @property
    def stats(self) -> LinkStats:
        return self.inner.stats

    @stats.setter
    def stats(self, value: LinkStats) -> None:
        pass

    async def wait_state(self, *states: LinkState, timeout_s: float | None = None) -> LinkState:
        return await self.inner.wait_state(*states, timeout_s=timeout_s)

    async def send(self, packet: bytes | bytearray | memoryview) -> None:
        self.send_nowait(packet)

    def send_nowait(self, packet: bytes | bytearray | memoryview) -> None:
        data = check_packet(packet)
        if self._state is LinkState.CLOSED or not self._entered:
            raise LinkClosedError(f"link {self.name} is not open")
        for tap in self._taps:  # what the owner sent, before the faults
            tap(TAP_SENT, data)
        now = self._clock()
        for release_s, out in self.injector.process(data, now):
            heapq.heappush(self._heap, (release_s, next(self._order), out))
        self._release_due(now)
        if self._heap or self.injector.next_held_s() is not None:
            self._wake.set()

    def _release_due(self, now_s: float) -> None:
        for t, p in self.injector.due_held(now_s):
            heapq.heappush(self._heap, (t, next(self._order), p))
        while self._heap and self._heap[0][0] <= now_s:
            _, _, out = heapq.heappop(self._heap)
            self.inner.send_nowait(out)

    def scheduled(self) -> int:
        """Packets waiting in the wrapper for their release time (delayed or held for reordering)."""
        return len(self._heap) + (self.injector.next_held_s() is not None)

    async def drain(self, timeout_s: float | None = None) -> None:
        """Wait (bounded) until every delayed or held packet has been passed to the inner link."""
        async with asyncio.timeout(timeout_s):
            while self.scheduled():
                self._wake.set()
                nxt = min(
                    t
                    for t in (self._heap[0][0] if self._heap else None, self.injector.next_held_s())
                    if t is not None
                )
                await asyncio.sleep(max(0.0, nxt - self._clock()) + 0.001)

    async def recv(self, timeout_s: float | None = None) -> bytes:
        async with asyncio.timeout(timeout_s):
            while True:
                packet = await self.inner.recv()
                if self.injector.is_down(self._clock()):
                    self.injector.counts.lost_while_disconnected += 1
                    continue
                return packet

    def pending(self) -> int:
        return self.inner.pending()

    def add_tap(self, tap: Callable[[int, bytes], None]) -> None:
        """Sent packets as the owner sent them (before the faults); received ones as the inner link hands
        them up."""
        super().add_tap(tap)

        def received(direction: int, packet: bytes) -> None:
            if direction == TAP_RECEIVED:
                tap(direction, packet)

        self.inner.add_tap(received)

    def set_receiver(self, receiver: Callable[[bytes], None] | None) -> None:
        """Packets of the inner link to ``receiver``, less those arriving while the fault says down."""
        if receiver is None:
            self.inner.set_receiver(None)
            return
        down, counts, clock = self.injector.is_down, self.injector.counts, self._clock

        def filtered(packet: bytes) -> None:
            if down(clock()):
                counts.lost_while_disconnected += 1
                return
            receiver(packet)

        self.inner.set_receiver(filtered)

    async def watch_receiver(self) -> None:
        await self.inner.watch_receiver()

    async def _connect_first(self) -> None:
        await self.inner.__aenter__()
        self._set_state(LinkState.UP)

    async def _run(self) -> None:
        while True:
            next_s = [
                t
                for t in (self._heap[0][0] if self._heap else None, self.injector.next_held_s())
                if t is not None
            ]
            self._wake.clear()
            if next_s:
                delay = max(0.0, min(next_s) - self._clock())
                try:
                    async with asyncio.timeout(delay):
                        await self._wake.wait()
                except TimeoutError:
                    pass
            else:
                await self._wake.wait()
            self._release_due(self._clock())

    async def _shutdown(self) -> None:
        if self.inner._entered:
            await self.inner.__aexit__(None, None, None)
