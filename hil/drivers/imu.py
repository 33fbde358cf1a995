"""The IMU driver: ``flight.ports.ImuPort`` over a link to an IMU board (docs/icd.md, APIDs 0x100-0x10F).

Samples come from IMU_DATA packets, in time-tag order: a sample whose time tag is not after the previous
one (a repeated or reordered packet, a board clock stepped back) is counted and dropped with an event. A
gap in ``output_seq`` (lost packets or an IMU dropout) is reported as an event; the sample after it still
covers only its own interval, so the flight software sees the gap in the time tags. Board status flags map
to ``ImuFlags``. ``set_output_rate`` sends IMU_CONFIG and waits, bounded, for the IMU_STATUS that echoes
its command id.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Callable

from flight.ports import Event, ImuFlags, ImuSample, Severity
from hil.drivers.base import Driver, Stream
from hil.drivers.packets import PacketWriter, message_t_s
from hil.links.base import Link
from hil.protocol.catalogue import ImuStatus
from hil.protocol.schema import Message


class ImuCommandTimeout(TimeoutError):
    """The IMU board did not confirm a command within the driver's bound."""


def flags_from_status(status: int) -> ImuFlags:
    """The port's sample flags from the board's ImuStatus bits."""
    flags = _FLAGS.get(status)
    if flags is None:
        flags = _flags_from_status(status)
        if len(_FLAGS) < 4096:  # status words repeat: remember them (bounded)
            _FLAGS[int(status)] = flags
    return flags


_FLAGS: dict[int, ImuFlags] = {}


def _flags_from_status(status: int) -> ImuFlags:
    s = ImuStatus(status)
    flags = ImuFlags.NONE
    if not s & ImuStatus.BIT_PASS or s & (ImuStatus.GYRO_FAULT | ImuStatus.ACCEL_FAULT):
        flags |= ImuFlags.BIT_FAIL
    if s & ImuStatus.GYRO_SATURATED:
        flags |= ImuFlags.GYRO_SATURATED
    if s & ImuStatus.ACCEL_SATURATED:
        flags |= ImuFlags.ACCEL_SATURATED
    if s & ImuStatus.TIME_JUMP:
        flags |= ImuFlags.TIME_TAG_JUMP
    return flags


class ImuDriver(Driver):
    """``ImuPort`` over ``link`` (host side of the ``imu`` channel). Use as ``async with ImuDriver(link)``."""

    board = "imu"
    push = True

    def __init__(
        self,
        link: Link,
        *,
        stale_after_s: float = 2.0,
        command_timeout_s: float = 2.0,
        on_event: Callable[[Event], None] | None = None,
        queue_size: int = 4096,
    ) -> None:
        super().__init__(link, stale_after_s=stale_after_s, on_event=on_event)
        self.command_timeout_s = command_timeout_s
        self._samples: Stream[ImuSample] = Stream(queue_size)
        self._writer = PacketWriter()
        self._ids = itertools.count(1)
        self._last_seq: int | None = None
        self.last_status: Message | None = None
        self._status_seen = asyncio.Event()
        self.output_rate_hz: float | None = None
        self.gaps = 0
        self.missing_outputs = 0

    def samples(self) -> Stream[ImuSample]:
        """Samples in time-tag order; awaiting one may be cancelled by a timeout without ending the stream."""
        return self._samples

    def _closed(self) -> None:
        self._samples.close()

    def _handle(self, msg: Message) -> None:
        if msg.name == "IMU_DATA":
            self._data(msg)
        elif msg.name == "IMU_STATUS":
            self.stats.packets += 1
            self.last_status = msg
            self.output_rate_hz = float(msg["output_rate_hz"])
            self._status_seen.set()
        elif msg.name == "IMU_HOUSEKEEPING":
            self.stats.packets += 1
        else:
            self.stats.unexpected += 1

    def _data(self, msg: Message) -> None:
        t_s = message_t_s(msg)
        if self.last_t_s is not None and t_s <= self.last_t_s:
            self.stats.out_of_order += 1
            self.emit(Severity.WARNING, "out_of_order",
                      f"dropped an IMU sample tagged {t_s:.6f} s, not after {self.last_t_s:.6f} s", t_s=t_s)
            return
        f = msg.fields  # the dict itself: msg[name] is a method call per field
        try:
            sample = ImuSample(
                t_s=t_s,
                dtheta_body_rad=(f["delta_angle_x"], f["delta_angle_y"], f["delta_angle_z"]),
                dv_body_mps=(f["delta_velocity_x"], f["delta_velocity_y"], f["delta_velocity_z"]),
                interval_s=f["interval_s"],
                sample_count=max(1, int(f["sample_count"])),
                flags=flags_from_status(int(f["status"])),
            )
        except ValueError as exc:
            self.stats.bad_packets += 1
            self.emit(Severity.WARNING, "bad_packet", f"dropped an IMU sample: {exc}")
            return
        seq = int(f["output_seq"])
        if self._last_seq is not None and seq != (self._last_seq + 1) % (1 << 32):
            missing = (seq - self._last_seq - 1) % (1 << 32)
            self.gaps += 1
            self.missing_outputs += missing
            self.emit(Severity.WARNING, "gap", f"{missing} IMU output(s) missing before {t_s:.3f} s",
                      missing=missing)
        self._last_seq = seq
        self.stats.packets += 1
        self.last_t_s = t_s
        self._samples.put(sample)

    async def set_output_rate(self, rate_hz: float) -> None:
        """Command the output rate and wait (bounded by ``command_timeout_s`` of wall time) for the board's
        IMU_STATUS echoing the command; raises ImuCommandTimeout (and emits an event) otherwise."""
        if not (math.isfinite(rate_hz) and 0.01 <= rate_hz <= 400.0):
            raise ValueError(f"IMU output rate must lie in 0.01..400 Hz, got {rate_hz!r}")
        command_id = next(self._ids) % (1 << 32)
        t_s = self.last_t_s if self.last_t_s is not None else 0.0
        await self._send(self._writer.encode("IMU_CONFIG", {"command_id": command_id,
                                                            "output_rate_hz": rate_hz}, t_s))
        try:
            async with asyncio.timeout(self.command_timeout_s):
                while self.last_status is None or int(self.last_status["last_command_id"]) != command_id:
                    self._status_seen.clear()
                    await self._status_seen.wait()
        except TimeoutError:
            self.emit(Severity.ERROR, "command_timeout",
                      f"IMU board did not confirm output rate {rate_hz} Hz", rate_hz=rate_hz)
            raise ImuCommandTimeout(f"IMU board did not confirm output rate {rate_hz} Hz within "
                                    f"{self.command_timeout_s} s") from None

    async def send_time_sync(self, sync_id: int, t_s: float) -> None:
        """Set the board clock to ``t_s`` (IMU_TIME_SYNC, STEP)."""
        await self._send(self._writer.encode("IMU_TIME_SYNC", {"sync_id": sync_id, "mode": "STEP"}, t_s))

    async def inject_fault(self, kind: str, axis: str = "ALL", magnitude: float = 0.0,
                           duration_s: float = 0.0) -> None:
        """TEST ONLY: send IMU_FAULT_INJECT (emulated and bench boards)."""
        t_s = self.last_t_s if self.last_t_s is not None else 0.0
        await self._send(self._writer.encode("IMU_FAULT_INJECT", {
            "command_id": next(self._ids) % (1 << 32), "kind": kind, "axis": axis, "magnitude": magnitude,
            "duration_s": duration_s}, t_s))
