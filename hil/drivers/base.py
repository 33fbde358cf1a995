"""What every driver shares: a task group over one link, a cancellation-safe stream, events and health.

A driver is an async context manager around an open link. While it is open, named tasks receive and
decode packets and watch the link: a bad packet is counted and dropped (never raised), a link that goes
down and a peer that falls silent for longer than ``stale_after_s`` of wall time are reported as events
(``flight.ports.Event``: passed to ``on_event`` and kept in ``events``) and in :meth:`Driver.health`.

A driver whose class sets ``push`` takes packets from the link as they arrive (``Link.set_receiver``),
decoding and handling them in the link's callback without a task to wake, unless something has wrapped
the link's ``recv`` (a recorder should use ``Link.add_tap`` instead), in which case it reads them through
``recv`` like the others.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import time
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Generic, Self, TypeVar

from flight.ports import Event, Severity
from hil.links.base import Link, LinkClosedError, LinkState
from hil.protocol.catalogue import CATALOGUE
from hil.protocol.schema import DecodeError, Message

T = TypeVar("T")

EVENT_HISTORY = 1024


class Stream(Generic[T]):
    """A bounded, single-consumer async iterator. Awaiting the next item may be cancelled (for example by
    the caller's ``asyncio.timeout``) without ending the stream; ``close()`` ends it once drained.

    The consumer waits on a future of its own, which ``put`` completes: one consumer needs no
    ``asyncio.Event`` (whose wait and set cost a loop check and a waiter list every item)."""

    def __init__(self, maxsize: int = 4096) -> None:
        self._items: collections.deque[T] = collections.deque()
        self._maxsize = maxsize
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False
        self.dropped = 0

    def put(self, item: T) -> None:
        if len(self._items) >= self._maxsize:
            self._items.popleft()
            self.dropped += 1
        self._items.append(item)
        self._wake()

    def close(self) -> None:
        self._closed = True
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    @property
    def closed(self) -> bool:
        return self._closed

    def __len__(self) -> int:
        return len(self._items)

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        while True:
            if self._items:
                return self._items.popleft()
            if self._closed:
                raise StopAsyncIteration
            if self._waiter is not None:
                raise RuntimeError("Stream: a second consumer is waiting")
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None


@dataclasses.dataclass
class DriverStats:
    """Counters of one driver (the link keeps its own transport counters)."""

    packets: int = 0  # valid packets of this board decoded
    bad_packets: int = 0  # failed to decode (unknown APID, bad field range, wrong length)
    unexpected: int = 0  # valid packets that this driver does not take (another board's, a command)
    out_of_order: int = 0  # samples or reports older than the last one, dropped
    stale_events: int = 0  # times the board fell silent for longer than stale_after_s
    link_losses: int = 0  # times the link went down
    sent: int = 0
    send_failures: int = 0

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class PortHealth:
    """What the driver knows about its board right now."""

    link_state: LinkState
    stale: bool  # no packet from the board for longer than stale_after_s (wall time)
    silent_for_s: float  # wall time since the last valid packet (since opening, if none yet)
    last_t_s: float | None  # spacecraft time of the last packet received
    stats: dict[str, int]

    @property
    def ok(self) -> bool:
        return self.link_state is LinkState.UP and not self.stale


class Driver:
    """Base of the drivers: owns the tasks over ``link`` (which the caller opened)."""

    board = ""
    #: Handle packets in the link's receive callback (see the module docstring).
    push = False

    def __init__(
        self,
        link: Link,
        *,
        stale_after_s: float = 2.0,
        on_event: Callable[[Event], None] | None = None,
        wall: Callable[[], float] = time.monotonic,
    ) -> None:
        if not stale_after_s > 0.0:
            raise ValueError("stale_after_s must be positive")
        self.link = link
        self.stale_after_s = stale_after_s
        self.on_event = on_event
        self.events: collections.deque[Event] = collections.deque(maxlen=EVENT_HISTORY)
        self.stats = DriverStats()
        self._wall = wall
        self._last_rx_wall = wall()
        self._stale = False
        self.last_t_s: float | None = None
        self._tg: asyncio.TaskGroup | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # -- events ------------------------------------------------------------------------------------
    def emit(self, severity: Severity, what: str, message: str, **data: float | int | str | bool) -> None:
        event = Event(self.last_t_s if self.last_t_s is not None else 0.0, severity, f"{self.board}.{what}",
                      message, data)
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)

    def health(self) -> PortHealth:
        return PortHealth(self.link.state, self._stale, self._wall() - self._last_rx_wall, self.last_t_s,
                          self.stats.as_dict())

    # -- lifetime ----------------------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        tg = asyncio.TaskGroup()
        await tg.__aenter__()
        self._tg = tg
        self._last_rx_wall = self._wall()
        if self.push and "recv" not in vars(self.link):
            self.link.set_receiver(self._packet)
            self._spawn(self._watch_receiver(), "receive")
        else:
            self._spawn(self._receive_loop(), "receive")
        self._spawn(self._watch_link(), "link")
        self._spawn(self._watch_silence(), "silence")
        return self

    def _spawn(self, coro: Coroutine[object, object, None], what: str) -> None:
        assert self._tg is not None
        self._tasks.append(self._tg.create_task(coro, name=f"driver-{self.board}-{what}"))

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        tg, self._tg = self._tg, None
        try:
            if tg is not None:
                for task in self._tasks:
                    task.cancel()
                self._tasks.clear()
                await tg.__aexit__(None, None, None)
        finally:
            if self.push:
                self.link.set_receiver(None)
            self._closed()

    def _closed(self) -> None:
        """Hook: end the driver's streams."""

    # -- tasks -------------------------------------------------------------------------------------
    async def _receive_loop(self) -> None:
        try:
            while True:
                try:
                    raw = await self.link.recv(timeout_s=self.stale_after_s)
                except TimeoutError:
                    continue
                await self._on_packet(raw)
        except LinkClosedError:
            return
        finally:
            self._closed()

    def _fresh(self) -> None:
        self._last_rx_wall = self._wall()
        if self._stale:
            self._stale = False
            self.emit(Severity.INFO, "fresh", f"{self.board} board is sending again")

    async def _watch_receiver(self) -> None:
        try:
            await self.link.watch_receiver()
        finally:
            self._closed()

    async def _on_packet(self, raw: bytes) -> None:
        self._packet(raw)

    def _packet(self, raw: bytes) -> None:
        """One packet from the link (CRC already checked): decode it, or count and report it."""
        try:
            msg = CATALOGUE.decode(raw)
        except DecodeError as exc:
            self.stats.bad_packets += 1
            self.emit(Severity.WARNING, "bad_packet", f"dropped a bad packet: {exc}")
            return
        self._fresh()
        self._handle(msg)

    def _handle(self, msg: Message) -> None:
        raise NotImplementedError

    async def _watch_link(self) -> None:
        while True:
            try:
                state = await self.link.wait_state(LinkState.DOWN, LinkState.CLOSED, timeout_s=60.0)
            except TimeoutError:
                continue
            except LinkClosedError:
                state = LinkState.CLOSED
            self.stats.link_losses += 1
            self.emit(Severity.ERROR, "link_lost", f"link {self.link.name} is {state.value}")
            if state is LinkState.CLOSED:
                return
            while self.link.state not in (LinkState.UP, LinkState.CLOSED):
                with contextlib.suppress(TimeoutError, LinkClosedError):
                    await self.link.wait_state(LinkState.UP, LinkState.CLOSED, timeout_s=60.0)
            if self.link.state is LinkState.CLOSED:
                return
            self.emit(Severity.INFO, "link_up", f"link {self.link.name} is up again")

    async def _watch_silence(self) -> None:
        while True:
            await asyncio.sleep(min(self.stale_after_s / 4.0, 0.5))
            silent = self._wall() - self._last_rx_wall
            if silent > self.stale_after_s and not self._stale:
                self._stale = True
                self.stats.stale_events += 1
                self.emit(Severity.WARNING, "stale",
                          f"no packet from the {self.board} board for {silent:.1f} s", silent_s=silent)

    async def _send(self, packet: bytes) -> None:
        try:
            await self.link.send(packet)
        except LinkClosedError:
            self.stats.send_failures += 1
            raise
        self.stats.sent += 1
