"""The one packet-link interface every transport implements, and the parts they share.

A link carries whole CCSDS space packets (CRC included) between a flight-side host and a board. It is an
async context manager: entering it makes the first connection (a missing port or broker raises
:class:`LinkError` with one sentence); while it is open a named task keeps it connected, reconnecting with
bounded, jittered exponential backoff. On the receive side every link validates the packet error control
field, drops QoS-1 or wire duplicates and tracks sequence gaps with the protocol's SequenceTracker (a
duplicate is a packet with the APID, sequence count and octets of one of the last 64 on that APID:
docs/icd.md section 5), and counts all of it in :class:`LinkStats`.

Received packets wait in a bounded queue for :meth:`Link.recv`, or, once their owner has called
:meth:`Link.set_receiver`, are handed to it as they arrive: in the transport's own callback (serial,
pty, MQTT) or in the sender's call (loopback), with no task to wake. A receiver must not block; an
exception it raises is kept and raised again by :meth:`Link.watch_receiver` in the owner's task.
"""

from __future__ import annotations

import abc
import asyncio
import binascii
import collections
import contextlib
import dataclasses
import enum
import random
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Self

from hil.protocol.crc import INIT as _CRC_INIT
from hil.protocol.sequence import SeqStatus, SequenceTracker
from hil.protocol.spacepacket import MAX_PACKET_OCTETS, MIN_PACKET_OCTETS, PRIMARY_HEADER_OCTETS, Check, check

ROLES = ("board", "host")
#: The direction a tap (:meth:`Link.add_tap`) is told: a packet this link sends, or one it hands up.
TAP_SENT, TAP_RECEIVED = 0, 1


class LinkError(Exception):
    """A link could not be opened or used; the message is one sentence for the user."""


class LinkClosedError(LinkError):
    """The link is closed: nothing more can be sent or received on it."""


class LinkState(enum.Enum):
    CONNECTING = "connecting"
    UP = "up"
    DOWN = "down"
    CLOSED = "closed"


@dataclasses.dataclass
class LinkStats:
    """Counters of one link.

    ``frames_tx``/``bytes_tx``: packets put on the wire (or acknowledged by the broker); ``frames_rx``/
    ``bytes_rx``: packets handed up. ``crc_errors``, ``framing_errors`` and ``oversize``: received frames
    dropped as bad. ``duplicates``: repeats dropped. ``gaps``: jumps in a sequence count, ``missing``: the
    packets they skipped less the ``late`` (reordered) ones that arrived after all; ``resets``: senders
    that restarted their count. ``reconnects``: connections re-established. ``tx_dropped``/``rx_dropped``:
    packets lost to a full outbox, write buffer or receive queue.
    """

    frames_tx: int = 0
    bytes_tx: int = 0
    frames_rx: int = 0
    bytes_rx: int = 0
    crc_errors: int = 0
    framing_errors: int = 0
    oversize: int = 0
    gaps: int = 0
    missing: int = 0
    late: int = 0
    duplicates: int = 0
    resets: int = 0
    reconnects: int = 0
    tx_dropped: int = 0
    rx_dropped: int = 0

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


_UP = LinkState.UP


class Backoff:
    """Bounded exponential backoff with jitter: delays grow by ``factor`` up to ``max_s``.

    Each delay is drawn uniformly from ``[(1 - jitter) * d, d]`` so that many clients that lost the same
    broker do not come back in step.
    """

    def __init__(
        self,
        initial_s: float = 0.05,
        max_s: float = 2.0,
        factor: float = 2.0,
        jitter: float = 0.5,
        rng: random.Random | None = None,
    ) -> None:
        if not (0 < initial_s <= max_s) or factor < 1.0 or not (0.0 <= jitter <= 1.0):
            raise ValueError("backoff needs 0 < initial_s <= max_s, factor >= 1 and 0 <= jitter <= 1")
        self.initial_s = initial_s
        self.max_s = max_s
        self.factor = factor
        self.jitter = jitter
        self._rng = rng if rng is not None else random.Random()
        self._next_s = initial_s

    def next_delay_s(self) -> float:
        d = self._next_s
        self._next_s = min(self.max_s, self._next_s * self.factor)
        return d * (1.0 - self.jitter * self._rng.random())

    def reset(self) -> None:
        self._next_s = self.initial_s


_crc16 = binascii.crc_hqx  # hil.protocol.crc.crc16 without its Python call
_IN_ORDER, _FIRST, _DUPLICATE = SeqStatus.IN_ORDER, SeqStatus.FIRST, SeqStatus.DUPLICATE


def check_packet(packet: bytes | bytearray | memoryview) -> bytes:
    """The packet as ``bytes`` after checking type and size (not the CRC: fault injection sends bad ones)."""
    if type(packet) is bytes and MIN_PACKET_OCTETS <= len(packet) <= MAX_PACKET_OCTETS:
        return packet
    if not isinstance(packet, bytes | bytearray | memoryview):
        raise TypeError(f"a packet is bytes, not {type(packet).__name__}")
    data = bytes(packet)
    if not MIN_PACKET_OCTETS <= len(data) <= MAX_PACKET_OCTETS:
        raise ValueError(
            f"a packet is {MIN_PACKET_OCTETS} to {MAX_PACKET_OCTETS} bytes long, this one is {len(data)}"
        )
    return data


class Link(abc.ABC):
    """Base of every packet link: state, statistics, the receive path and the task that keeps it up."""

    #: URL scheme of the transport, for messages.
    scheme: str = ""

    def __init__(
        self,
        name: str,
        *,
        rx_queue_size: int = 4096,
        outbox_size: int = 1024,
    ) -> None:
        if rx_queue_size < 1 or outbox_size < 1:
            raise ValueError("queue sizes must be positive")
        self.name = name
        self.stats = LinkStats()
        self._state = LinkState.CONNECTING
        self._state_event = asyncio.Event()
        self.state_history: collections.deque[LinkState] = collections.deque([self._state], maxlen=256)
        self._rx: collections.deque[bytes] = collections.deque()
        self._rx_size = rx_queue_size
        self._rx_ready = asyncio.Event()
        self._outbox: collections.deque[bytes] = collections.deque()
        self._outbox_size = outbox_size
        self._outbox_ready = asyncio.Event()
        self._outbox_empty = asyncio.Event()
        self._outbox_empty.set()
        self._sequence = SequenceTracker()
        self._receiver: Callable[[bytes], None] | None = None
        self._taps: tuple[Callable[[int, bytes], None], ...] = ()
        self._receiver_error: Exception | None = None
        self._receiver_event = asyncio.Event()
        self._tg: asyncio.TaskGroup | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._entered = False

    # -- state -------------------------------------------------------------------------------------
    @property
    def state(self) -> LinkState:
        return self._state

    def _set_state(self, state: LinkState) -> None:
        if state is self._state or self._state is LinkState.CLOSED:
            return
        self._state = state
        self.state_history.append(state)
        event, self._state_event = self._state_event, asyncio.Event()
        event.set()

    async def wait_state(self, *states: LinkState, timeout_s: float | None = None) -> LinkState:
        """Wait until the link is in one of ``states`` (bounded by ``timeout_s``) and return it."""
        async with asyncio.timeout(timeout_s):
            while self._state not in states:
                if self._state is LinkState.CLOSED:
                    raise LinkClosedError(f"link {self.name} closed while waiting for {states}")
                await self._state_event.wait()
        return self._state

    # -- receive path ------------------------------------------------------------------------------
    def _deliver(self, packet: bytes, *, crc_checked: bool = False) -> bool:
        """Hand one received packet up after CRC, duplicate and queue checks; True when handed up."""
        stats = self.stats
        n = len(packet)
        # spacepacket.check's tests in one expression (size, version 0 and the secondary header flag, the
        # length field, the CRC); it runs only to say which failed.
        if not crc_checked and not (
            MIN_PACKET_OCTETS <= n <= MAX_PACKET_OCTETS
            and packet[0] & 0xE8 == 0x08
            and ((packet[4] << 8) | packet[5]) + 1 + PRIMARY_HEADER_OCTETS == n
            and _crc16(packet, _CRC_INIT) == 0
        ):
            result = check(packet)
            if result is Check.CRC:
                stats.crc_errors += 1
            elif result is Check.LONG:
                stats.oversize += 1
            else:
                stats.framing_errors += 1
            return False
        status = self._sequence.observe_packet(packet)
        if status is not _IN_ORDER and status is not _FIRST:
            if status is _DUPLICATE:
                stats.duplicates += 1
                return False
            totals = self._sequence.totals()
            stats.gaps, stats.missing, stats.late, stats.resets = (
                totals.gaps,
                totals.missing,
                totals.late,
                totals.resets,
            )
        receiver = self._receiver
        if receiver is not None:
            stats.frames_rx += 1
            stats.bytes_rx += n
            for tap in self._taps:
                tap(TAP_RECEIVED, packet)
            self._hand(receiver, packet)
            return True
        if len(self._rx) >= self._rx_size:
            stats.rx_dropped += 1
            return False
        self._rx.append(packet)
        stats.frames_rx += 1
        stats.bytes_rx += n
        for tap in self._taps:
            tap(TAP_RECEIVED, packet)
        self._rx_ready.set()
        return True

    def add_tap(self, tap: Callable[[int, bytes], None]) -> None:
        """Call ``tap(direction, packet)`` for every packet this link sends (``TAP_SENT``, before it goes
        out) and every packet it hands up (``TAP_RECEIVED``, after the CRC, duplicate and queue checks),
        without changing how packets are delivered: a recorder's hook. A tap must not raise or block."""
        self._taps = (*self._taps, tap)

    def _hand(self, receiver: Callable[[bytes], None], packet: bytes) -> None:
        try:
            receiver(packet)
        except Exception as exc:  # raised again in the owner's task by watch_receiver
            if self._receiver_error is None:
                self._receiver_error = exc
            self._receiver_event.set()

    def set_receiver(self, receiver: Callable[[bytes], None] | None) -> None:
        """Hand every packet received from now on to ``receiver`` as it arrives, instead of queueing it
        for :meth:`recv` (packets already queued are handed first); None queues them again. The
        receiver runs in the transport's callback or the sender's call: it must not block, and what it
        raises is kept for :meth:`watch_receiver`."""
        self._receiver = receiver
        while receiver is not None and self._rx and self._receiver is receiver:
            self._hand(receiver, self._rx.popleft())

    async def watch_receiver(self) -> None:
        """Run by the receiver's owner in its task group: raises there the first exception the receiver
        raised; returns when the link closes."""
        while True:
            error, self._receiver_error = self._receiver_error, None
            if error is not None:
                raise error
            if self._state is LinkState.CLOSED:
                return
            self._receiver_event.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(60.0):
                    await self._receiver_event.wait()

    async def recv(self, timeout_s: float | None = None) -> bytes:
        """The next packet received (oldest first). Raises TimeoutError after ``timeout_s``."""
        if self._rx:  # no wait, no timer
            return self._rx.popleft()
        async with asyncio.timeout(timeout_s):
            while True:
                if self._rx:
                    return self._rx.popleft()
                if self._state is LinkState.CLOSED:
                    raise LinkClosedError(f"link {self.name} is closed")
                self._rx_ready.clear()
                await self._rx_ready.wait()

    def pending(self) -> int:
        """Number of received packets waiting for :meth:`recv`."""
        return len(self._rx)

    # -- transmit path -----------------------------------------------------------------------------
    async def send(self, packet: bytes | bytearray | memoryview) -> None:
        """Send one packet. While the link is down it waits in a bounded outbox (oldest dropped first)."""
        self.send_nowait(packet)

    def send_nowait(self, packet: bytes | bytearray | memoryview) -> None:
        """:meth:`send` from synchronous code (a receiver): it never waits either way."""
        if type(packet) is bytes and MIN_PACKET_OCTETS <= len(packet) <= MAX_PACKET_OCTETS:
            data = packet  # check_packet's common case, without the call
        else:
            data = check_packet(packet)
        if self._state is LinkState.CLOSED:
            raise LinkClosedError(f"link {self.name} is closed")
        if not self._entered:
            raise LinkError(f"link {self.name} is not open: use it as 'async with'")
        for tap in self._taps:
            tap(TAP_SENT, data)
        if self._state is _UP and not self._outbox and self._try_transmit_now(data):
            return
        self._enqueue(data)

    def _enqueue(self, data: bytes) -> None:
        if len(self._outbox) >= self._outbox_size:
            self._outbox.popleft()
            self.stats.tx_dropped += 1
        self._outbox.append(data)
        self._outbox_empty.clear()
        self._outbox_ready.set()

    def unsent(self) -> int:
        """Packets waiting in the outbox (link down, or not yet acknowledged by the broker)."""
        return len(self._outbox)

    def _outbox_pop(self) -> None:
        """Remove the oldest outbox packet once it is on the wire (or acknowledged)."""
        self._outbox.popleft()
        if not self._outbox:
            self._outbox_empty.set()

    async def flush(self, timeout_s: float | None = None) -> None:
        """Wait (bounded) until every packet sent so far has left the outbox: written to the port, or
        acknowledged by the MQTT broker."""
        async with asyncio.timeout(timeout_s):
            while self._outbox:
                if self._state is LinkState.CLOSED:
                    raise LinkClosedError(
                        f"link {self.name} closed with {len(self._outbox)} packet(s) unsent"
                    )
                await self._outbox_empty.wait()

    def _try_transmit_now(self, data: bytes) -> bool:
        """Put ``data`` on the wire without waiting, if the transport can; True when done."""
        return False

    def _count_tx(self, data: bytes) -> None:
        self.stats.frames_tx += 1
        self.stats.bytes_tx += len(data)

    # -- lifetime ----------------------------------------------------------------------------------
    @abc.abstractmethod
    async def _connect_first(self) -> None:
        """Make the first connection or raise LinkError with a one-sentence reason."""

    @abc.abstractmethod
    async def _run(self) -> None:
        """Keep the link up until cancelled: move outbox packets, reconnect after a loss."""

    async def _shutdown(self) -> None:  # noqa: B027 - optional hook
        """Release the transport after the run task has stopped (bounded)."""

    async def __aenter__(self) -> Self:
        if self._entered:
            raise LinkError(f"link {self.name} is already open")
        if self._state is LinkState.CLOSED:
            raise LinkClosedError(f"link {self.name} is closed; open a new one")
        self._entered = True
        try:
            await self._connect_first()
        except BaseException:
            self._set_state(LinkState.CLOSED)
            self._entered = False
            await self._shutdown()
            raise
        tg = asyncio.TaskGroup()
        await tg.__aenter__()
        self._tg = tg
        self._spawn(self._run(), "run")
        return self

    def _spawn(self, coro: Coroutine[object, object, None], what: str) -> None:
        """Start a long-lived task of this link in its task group (cancelled when the link closes)."""
        assert self._tg is not None, "tasks are started only while the link is open"
        self._tasks.append(self._tg.create_task(coro, name=f"link-{self.name}-{what}"))

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        tg, self._tg = self._tg, None
        try:
            if tg is not None:
                for task in self._tasks:
                    task.cancel()
                self._tasks.clear()
                # The body's own exception propagates unchanged; only the link's tasks are awaited here.
                await tg.__aexit__(None, None, None)
        finally:
            with contextlib.suppress(Exception):
                await self._shutdown()
            self._set_state(LinkState.CLOSED)
            self._rx_ready.set()
            self._receiver_event.set()
            self._entered = False
