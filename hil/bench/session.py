"""The host side of a bench run: one link to a board that is already serving, a recorder of everything
the board sends, and the means to send it packets, raw garbage, and to drop and restore the link.

Every packet the link hands up is recorded (:class:`Received`: wall time of receipt, link epoch, the
octets, the decoded message or why it is not a well-formed packet of this board) for the checks to read.
The link's own checks (CRC, length, duplicates) happen before: its statistics, kept per epoch, count what
it dropped. An epoch is one connection: :meth:`BenchSession.drop_link` closes the link, waits, and opens a
new one, starting the next epoch.

Board time: the suite sends and waits in spacecraft time, estimated from the newest time tag received and
the wall time since (scaled by ``limits.time_scale``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from hil.bench.limits import Limits
from hil.drivers.packets import PacketWriter
from hil.drivers.timebase import T_MAX_S, T_MIN_S, t_from_tag
from hil.links import open_link
from hil.links.base import Link, LinkClosedError, LinkError, LinkState, LinkStats
from hil.protocol.catalogue import CATALOGUE
from hil.protocol.schema import DecodeError, Message
from hil.protocol.spacepacket import PacketType, PrimaryHeader, SequenceFlags

#: At most this many packets are kept (a full run at 400 Hz for ten minutes).
MAX_RECORDED = 250_000
RECV_POLL_WALL_S = 0.5


class BenchConnectionError(Exception):
    """The board cannot be reached (no port, no broker, or silence): one sentence for the user."""


@dataclass(frozen=True)
class Received:
    """One packet from the board as recorded."""

    index: int
    wall_s: float  # time.monotonic() at receipt
    epoch: int
    raw: bytes
    msg: Message | None
    problem: str | None  # why it is not a well-formed packet of this board (None when it is)

    @property
    def name(self) -> str | None:
        return self.msg.name if self.msg is not None else None

    @property
    def t_s(self) -> float:
        """Spacecraft time of the time tag (decoded packets only)."""
        assert self.msg is not None
        return t_from_tag(self.msg.coarse_time, self.msg.fine_time)


def packet_problem(raw: bytes, board: str) -> tuple[Message | None, str | None]:
    """The message in a CRC-valid packet from ``board``, and what is wrong with it (ICD 3, 9, 10)."""
    header = PrimaryHeader.unpack(raw)
    spec = CATALOGUE.by_apid(header.apid)
    if spec is None:
        return None, f"APID {header.apid:#05x} is not in the catalogue"
    if spec.board != board or spec.direction != "tm":
        return None, f"APID {header.apid:#05x} ({spec.name}) is not telemetry of the {board} board"
    if header.packet_type is not PacketType.TM:
        return None, f"{spec.name} has the telecommand type bit set"
    if header.seq_flags is not SequenceFlags.UNSEGMENTED:
        return None, f"{spec.name} has sequence flags {int(header.seq_flags):02b}, not 11 (unsegmented)"
    if len(raw) != spec.packet_octets:
        return None, f"{spec.name} is {len(raw)} octets, the catalogue says {spec.packet_octets}"
    try:
        msg = CATALOGUE.decode(raw)
    except DecodeError as exc:
        return None, str(exc)
    for f in spec.all_fields:
        if f.flags is not None:
            defined = 0
            for member in f.flags:
                defined |= int(member)
            if int(msg[f.name]) & ~defined:
                return msg, f"{spec.name}.{f.name} sets undefined bits {int(msg[f.name]) & ~defined:#x}"
    return msg, None


async def write_raw(link: Link, data: bytes) -> None:
    """Put ``data`` on the wire as it is: bytes on a serial line (no COBS), one message on MQTT."""
    from hil.links.mqtt_link import MqttLink
    from hil.links.pty_link import PtyLink
    from hil.links.serial_link import SerialLink

    if isinstance(link, PtyLink):
        link.write_raw(data)
        return
    if isinstance(link, SerialLink):
        transport = link._transport
        if transport is None or transport.is_closing():
            raise LinkError(f"serial link {link.path} is down")
        transport.write(bytes(data))
        return
    if isinstance(link, MqttLink):
        client = link._client
        if client is None:
            raise LinkError(f"MQTT link {link.name} is down")
        async with asyncio.timeout(5.0):
            await client.publish(link.tx_topic, bytes(data), qos=1)
        return
    raise LinkError(f"cannot write raw bytes on a {type(link).__name__}")


LinkFactory = Callable[[str, str, str], Link]


@dataclass
class EpochStats:
    """Link counters of one epoch (connection), frozen when it ends."""

    epoch: int
    stats: LinkStats = field(default_factory=LinkStats)


class BenchSession:
    """The host end of the link to one board. Use as ``async with BenchSession(url, board, limits)``."""

    def __init__(
        self, url: str, board: str, limits: Limits, *, link_factory: LinkFactory = open_link
    ) -> None:
        if board not in ("imu", "thruster"):
            raise ValueError(f"board must be imu or thruster, got {board!r}")
        self.url = url
        self.board = board
        self.limits = limits
        self._factory = link_factory
        self.link: Link | None = None
        self.epoch = 0
        self.epochs: list[EpochStats] = []
        self.log: list[Received] = []
        self.dropped_records = 0
        self.writer = PacketWriter()
        self.sent: list[tuple[float, str, bytes]] = []  # (wall, name, packet)
        self._new = asyncio.Event()
        self._tg: asyncio.TaskGroup | None = None
        self._task: asyncio.Task[None] | None = None
        self._newest_tag: tuple[float, float] | None = None  # (t_s, wall_s) of the newest time tag

    # -- lifetime ----------------------------------------------------------------------------------
    async def _open(self) -> Link:
        try:
            link = self._factory(self.url, self.board, "host")
            await link.__aenter__()
        except LinkError as exc:
            raise BenchConnectionError(str(exc)) from None
        return link

    async def __aenter__(self) -> Self:
        self.link = await self._open()
        self.epochs.append(EpochStats(0))
        tg = asyncio.TaskGroup()
        await tg.__aenter__()
        self._tg = tg
        try:
            self._task = tg.create_task(self._receive_loop(), name=f"bench-{self.board}-receive")
            await self._wait_first_packet()
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    async def _wait_first_packet(self) -> None:
        timeout = self.limits.connect_timeout_wall_s
        try:
            await self.wait_for(lambda r: r.msg is not None, timeout)
        except TimeoutError:
            raise BenchConnectionError(
                f"no packet from the {self.board} board on {self._where()} within {timeout:g} s: "
                "is the board serving on that link?"
            ) from None

    def _where(self) -> str:
        from hil.bench.report import redact

        return redact(self.url)

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        tg, self._tg = self._tg, None
        try:
            if tg is not None:
                if self._task is not None:
                    self._task.cancel()
                await tg.__aexit__(None, None, None)
        finally:
            await self._close_link()

    async def _close_link(self) -> None:
        link, self.link = self.link, None
        if link is None:
            return
        self._freeze_stats(link)
        with contextlib.suppress(Exception):
            async with asyncio.timeout(5.0):
                await link.__aexit__(None, None, None)

    def _freeze_stats(self, link: Link) -> None:
        if self.epochs and self.epochs[-1].epoch == self.epoch:
            self.epochs[-1].stats = LinkStats(**link.stats.as_dict())

    def link_stats(self) -> dict[str, int]:
        """Link counters summed over every epoch so far."""
        if self.link is not None:
            self._freeze_stats(self.link)
        total: dict[str, int] = {}
        for e in self.epochs:
            for k, v in e.stats.as_dict().items():
                total[k] = total.get(k, 0) + v
        return total

    # -- receiving ---------------------------------------------------------------------------------
    async def _receive_loop(self) -> None:
        while True:
            link = self.link
            if link is None:
                await asyncio.sleep(0.02)
                continue
            try:
                raw = await link.recv(timeout_s=RECV_POLL_WALL_S)
            except TimeoutError:
                continue
            except LinkClosedError:
                await asyncio.sleep(0.02)
                continue
            self._record(raw)

    def _record(self, raw: bytes) -> None:
        msg, problem = packet_problem(raw, self.board)
        if len(self.log) >= MAX_RECORDED:
            self.dropped_records += 1
            return
        wall = time.monotonic()
        rec = Received(len(self.log), wall, self.epoch, raw, msg, problem)
        self.log.append(rec)
        if msg is not None:
            t = rec.t_s
            if self._newest_tag is None or t >= self._newest_tag[0]:
                self._newest_tag = (t, wall)
        self._new.set()

    def mark(self) -> int:
        """The index the next recorded packet will have (to look only at what arrives from now on)."""
        return len(self.log)

    def since(self, index: int, name: str | None = None) -> list[Received]:
        """Well-formed packets recorded from ``index`` on (of one kind when ``name`` is given)."""
        return [r for r in self.log[index:] if r.msg is not None and (name is None or r.msg.name == name)]

    async def wait_for(
        self, pred: Callable[[Received], bool], timeout_wall_s: float, since: int | None = None
    ) -> Received:
        """The first recorded packet from index ``since`` (default: from now) that satisfies ``pred``.
        Raises TimeoutError after ``timeout_wall_s`` of wall time."""
        i = self.mark() if since is None else since
        async with asyncio.timeout(timeout_wall_s):
            while True:
                while i < len(self.log):
                    rec = self.log[i]
                    i += 1
                    if pred(rec):
                        return rec
                self._new.clear()
                await self._new.wait()

    async def wait_message(
        self, name: str, pred: Callable[[Message], bool] | None = None, *,
        timeout_wall_s: float | None = None, since: int | None = None,
    ) -> Received:
        """The next ``name`` message (from ``since``) for which ``pred`` holds."""
        def match(r: Received) -> bool:
            return r.msg is not None and r.msg.name == name and (pred is None or pred(r.msg))

        timeout = self.limits.reply_timeout_wall_s if timeout_wall_s is None else timeout_wall_s
        return await self.wait_for(match, timeout, since)

    async def collect(self, name: str, count: int, timeout_wall_s: float, since: int | None = None
                      ) -> list[Received]:
        """The next ``count`` ``name`` messages (fewer if the time runs out)."""
        out: list[Received] = []
        start = self.mark() if since is None else since
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_wall_s):
                while len(out) < count:
                    rec = await self.wait_message(name, since=start, timeout_wall_s=timeout_wall_s)
                    out.append(rec)
                    start = rec.index + 1
        return out

    # -- time --------------------------------------------------------------------------------------
    def board_now_s(self) -> float:
        """Estimated spacecraft time of the board now: newest time tag plus the time since it came."""
        if self._newest_tag is None:
            raise BenchConnectionError(f"no time tag received from the {self.board} board yet")
        t, wall = self._newest_tag
        return min(max(t + (time.monotonic() - wall) * self.limits.time_scale, T_MIN_S), T_MAX_S)

    async def sleep_board(self, board_s: float) -> None:
        """Let ``board_s`` seconds of spacecraft time pass."""
        await asyncio.sleep(max(0.0, self.limits.wall(board_s)))

    # -- sending -----------------------------------------------------------------------------------
    def encode(self, name: str, values: Mapping[str, Any], t_s: float | None = None) -> bytes:
        return self.writer.encode(name, values, self.board_now_s() if t_s is None else t_s)

    async def send_packet(self, packet: bytes, name: str = "") -> None:
        link = self.link
        if link is None or link.state is LinkState.CLOSED:
            raise LinkError(f"the link to the {self.board} board is closed")
        self.sent.append((time.monotonic(), name, packet))
        await link.send(packet)

    async def send(self, name: str, values: Mapping[str, Any], t_s: float | None = None) -> bytes:
        """Encode and send one catalogue packet, time-tagged with the board's time; returns it."""
        packet = self.encode(name, values, t_s)
        await self.send_packet(packet, name)
        return packet

    async def send_raw(self, data: bytes) -> None:
        link = self.link
        if link is None:
            raise LinkError(f"the link to the {self.board} board is closed")
        self.sent.append((time.monotonic(), "raw", bytes(data)))
        await write_raw(link, data)

    # -- link loss ---------------------------------------------------------------------------------
    async def drop_link(self, down_wall_s: float) -> float:
        """Close the link, stay away ``down_wall_s``, open it again (retrying until the recovery
        timeout); returns the wall time at which it was open again."""
        await self._close_link()
        await asyncio.sleep(down_wall_s)
        self.epoch += 1
        self.epochs.append(EpochStats(self.epoch))
        deadline = time.monotonic() + self.limits.recovery_timeout_wall_s
        while True:
            try:
                self.link = await self._open()
                return time.monotonic()
            except BenchConnectionError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)

    def peer_online(self) -> bool | None:
        """MQTT only: the board's retained state (True online, False offline, None unknown or serial)."""
        online = getattr(self.link, "peer_online", None)
        return online if isinstance(online, bool) else None

    async def wait_peer_online(self, timeout_wall_s: float) -> bool:
        """MQTT only: wait (bounded) for the board's state to say online; False on timeout."""
        waiter = getattr(self.link, "wait_peer", None)
        if waiter is None:
            return False
        try:
            await waiter(True, timeout_s=timeout_wall_s)
        except TimeoutError:
            return False
        return True
