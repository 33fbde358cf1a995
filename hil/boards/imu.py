"""The emulated IMU board: time-tagged delta-angle and delta-velocity behind a link (docs/icd.md).

The board drives the simulation. For each output interval it waits on the clock for the interval's end
(``clock.wait_until``: in lockstep that is the gate that holds the plant until the thruster board holds the
flight software's command for the previous sample), advances the plant there, differences the plant's
cumulative perfect-IMU integrals over the interval (so a slow output rate loses nothing), applies the
grade's error model (:mod:`hil.boards.imu_model`) and the injected faults, emits IMU_DATA tagged with the
interval's end ``t_k`` and opens the lockstep cycle ``t_k`` (unless ``lockstep_gate`` is off: a board
with no thruster board beside it, or while its time tags are stepped by an injected fault). Sample times
lie on the time-tag grid (2^-16 s) so that a command's time tag names its sample exactly. ``on_advance``
is awaited after each plant advance (the thruster board's :meth:`~hil.boards.thruster.ThrusterBoard.tick`
beside it, so its watchdog runs at deterministic simulated times in lockstep); when it returns False the
simulation has ended there (the truth broke up) and the board emits no further sample.

IMU_STATUS goes out every ``status_period_s`` (1 s, the ICD's rate): in realtime and scaled modes on its
own schedule also while IMU_DATA is slower; in lockstep, where simulated time moves in output intervals,
with the first IMU_DATA at or after each due time. Housekeeping counts uptime in simulated seconds.

Commands: IMU_CONFIG (output rate, from the next interval; answered by IMU_STATUS), IMU_TIME_SYNC (with
``apply_time_sync``, outside lockstep, sets the board clock to the packet's time tag; it always ends a
TIME_TAG_JUMP fault, and the next IMU_DATA carries TIME_JUMP when the clock moved), and the test-only
IMU_FAULT_INJECT: DROPOUT (no IMU_DATA for duration_s), STUCK (repeat the last output for duration_s),
BIAS_JUMP (add magnitude, rad/s or m/s^2, to one axis or all), NOISE_BURST (add white noise of magnitude, rad
or m/s per output, for duration_s), TIME_TAG_JUMP (step the time tags by magnitude seconds), CLEAR. Bad
packets are counted (housekeeping) and dropped.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import numpy as np

from firmware_bindings.imu import ACCEL_SATURATED as _CORE_ACCEL_SATURATED
from firmware_bindings.imu import GYRO_SATURATED as _CORE_GYRO_SATURATED
from hil.boards.common import Housekeeping, PlantLike
from hil.boards.imu_model import ImuErrorModel, ImuGrade
from hil.clock import SimClock
from hil.drivers.packets import PacketWriter, message_t_s
from hil.drivers.timebase import FINE_TIME_PER_S, T_MAX_S, T_MIN_S, seconds_of, ticks_of
from hil.links.base import Link
from hil.protocol.catalogue import CATALOGUE, ImuAxis, ImuFaultKind, ImuStatus
from hil.protocol.schema import DecodeError, Message

MAX_SAMPLE_COUNT = 0xFFFF
_BIT_PASS = int(ImuStatus.BIT_PASS)
_FAULT_INJECTED = int(ImuStatus.FAULT_INJECTED)
_DEGRADED = int(ImuStatus.DEGRADED)
_GYRO_SATURATED = int(ImuStatus.GYRO_SATURATED)
_ACCEL_SATURATED = int(ImuStatus.ACCEL_SATURATED)
_TIME_JUMP = int(ImuStatus.TIME_JUMP)


@dataclass
class ImuFaults:
    dropout_until_s: float = -math.inf
    stuck_until_s: float = -math.inf
    tag_offset_s: float = 0.0
    tag_jumped: bool = False
    bias_jump: bool = False

    def active(self, t_s: float) -> bool:
        return (t_s < self.dropout_until_s or t_s < self.stuck_until_s or self.tag_offset_s != 0.0
                or self.bias_jump)


class ImuBoard:
    """An emulated IMU board on ``link`` (board side of the ``imu`` channel), driving ``plant`` on ``clock``.

    ``await board.run()`` serves until cancelled."""

    def __init__(
        self,
        link: Link,
        plant: PlantLike,
        clock: SimClock,
        grade: ImuGrade,
        *,
        seed: int = 0,
        sample_hz: float = 100.0,
        output_rate_hz: float = 10.0,
        status_period_s: float = 1.0,
        housekeeping_period_s: float = 10.0,
        lockstep_gate: bool = True,
        apply_time_sync: bool = True,
        on_advance: Callable[[float], Awaitable[bool | None]] | None = None,
    ) -> None:
        if not (math.isfinite(output_rate_hz) and 0.01 <= output_rate_hz <= 400.0):
            raise ValueError(f"output rate must lie in 0.01..400 Hz, got {output_rate_hz!r}")
        self.link = link
        self.plant = plant
        self.clock = clock
        self.model = ImuErrorModel(grade, seed)
        self.sample_hz = sample_hz
        self.output_rate_hz = output_rate_hz
        self.status_period_s = status_period_s
        self.housekeeping_period_s = housekeeping_period_s
        self.lockstep_gate = lockstep_gate
        self.apply_time_sync = apply_time_sync
        self.on_advance = on_advance
        self.faults = ImuFaults()
        self.writer = PacketWriter()
        self.housekeeping = Housekeeping(plant.t_s)
        self.output_seq = 0
        self.last_command_id = 0
        self.last_sync_id = 0
        self.rx_packets = 0
        self.rx_bad = 0
        self.rx_unexpected = 0
        self.outputs_dropped = 0
        self.clock_offset_s = 0.0  # board clock minus simulated time, set by IMU_TIME_SYNC outside lockstep
        self._last_out: list[float] = [0.0] * 6  # the last output: delta-angle rad, delta-velocity m/s
        self.last_data_packet: bytes | None = None  # the last IMU_DATA sent
        self._ticks = ticks_of(plant.t_s)

    # -- time --------------------------------------------------------------------------------------
    def now_s(self) -> float:
        return self.plant.t_s if self.clock.mode.lockstep else max(self.clock.now_s, self.plant.t_s)

    def _status_flags(self, t_s: float) -> int:
        flags = _BIT_PASS
        if self.faults.active(t_s) or t_s < self.model.faults.noise_burst_until_s:
            flags |= _FAULT_INJECTED
        if t_s < self.model.faults.noise_burst_until_s:
            flags |= _DEGRADED
        return flags

    async def _send(self, name: str, values: dict[str, object], t_s: float) -> bytes:
        tag_t = min(max(t_s + self.clock_offset_s + self.faults.tag_offset_s, T_MIN_S), T_MAX_S)
        packet = self.writer.encode(name, values, tag_t)
        await self.link.send(packet)
        self.housekeeping.tx_packets += 1
        return packet

    async def send_status(self) -> None:
        t = self.now_s()
        await self._send("IMU_STATUS", {
            "output_rate_hz": self.output_rate_hz, "internal_rate_hz": self.sample_hz,
            "status": self._status_flags(t), "temperature_c": 25.0,
            "last_command_id": self.last_command_id, "last_sync_id": self.last_sync_id}, t)

    async def send_housekeeping(self) -> None:
        t = self.now_s()
        stats = self.link.stats
        await self._send("IMU_HOUSEKEEPING", self.housekeeping.values(
            t, self.rx_packets, stats.crc_errors, stats.framing_errors + stats.oversize + self.rx_bad), t)

    # -- run ---------------------------------------------------------------------------------------
    async def run(self) -> None:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self._receive_loop(), name="imu-board-receive")
            tg.create_task(self._output_loop(), name="imu-board-output")

    async def _output_loop(self) -> None:
        self.model.start(*self.plant.imu_accumulators())
        next_status_s = self.plant.t_s
        next_hk_s = self.plant.t_s
        while True:
            period_ticks = max(1, round(FINE_TIME_PER_S / self.output_rate_hz))
            t0 = seconds_of(self._ticks)
            self._ticks += period_ticks
            t1 = seconds_of(self._ticks)
            while not self.clock.mode.lockstep and next_status_s < t1:
                # IMU_STATUS keeps its own 1 Hz schedule when IMU_DATA is slower (ICD rate)
                await self.clock.wait_until(next_status_s)
                next_status_s += self.status_period_s
                await self.send_status()
            held = self.clock.gate_closed(t1)  # the wait gives the other tasks their turn
            await self.clock.wait_until(t1)
            if not held:
                await asyncio.sleep(0)  # let the other tasks run even when the gate is open (lockstep)
            if t1 > self.plant.t_s:
                self.plant.advance_to(t1)
            if self.on_advance is not None and await self.on_advance(t1) is False:
                return  # the simulation ended at this advance: no sample for it
            theta, vel = self.plant.imu_accumulators()
            await self._emit(t1, t1 - t0, theta, vel)
            if t1 >= next_status_s:
                next_status_s = t1 + self.status_period_s
                await self.send_status()
            if t1 >= next_hk_s:
                next_hk_s = t1 + self.housekeeping_period_s
                await self.send_housekeeping()

    async def _emit(self, t_s: float, dt_s: float, theta_cum_rad: np.ndarray, vel_cum_mps: np.ndarray
                    ) -> None:
        """One output from the plant's cumulative integrals at ``t_s``: the error model, the range check
        and clipping run in one core call (the model differences the integrals against the last output)."""
        out, saturation = self.model.output(theta_cum_rad, vel_cum_mps, dt_s, t_s)
        status = self._status_flags(t_s)
        if saturation & _CORE_GYRO_SATURATED:
            status |= _GYRO_SATURATED
        if saturation & _CORE_ACCEL_SATURATED:
            status |= _ACCEL_SATURATED
        if t_s < self.faults.stuck_until_s:
            out = self._last_out
        if self.faults.tag_jumped:
            status |= _TIME_JUMP
            self.faults.tag_jumped = False
        self._last_out = out
        self.output_seq = (self.output_seq + 1) % (1 << 32)
        if t_s < self.faults.dropout_until_s:
            self.outputs_dropped += 1
            return
        values: dict[str, object] = {
            "delta_angle_x": out[0], "delta_angle_y": out[1], "delta_angle_z": out[2],
            "delta_velocity_x": out[3], "delta_velocity_y": out[4], "delta_velocity_z": out[5],
            "interval_s": min(dt_s, 4294.967295),
            "sample_count": min(max(1, round(dt_s * self.sample_hz)), MAX_SAMPLE_COUNT),
            "output_seq": self.output_seq, "status": status,
        }
        self.last_data_packet = await self._send("IMU_DATA", values, t_s)
        if self.lockstep_gate and self.faults.tag_offset_s == 0.0:
            self.clock.open_cycle(t_s)

    async def _receive_loop(self) -> None:
        while True:
            try:
                raw = await self.link.recv(timeout_s=5.0)
            except TimeoutError:
                continue
            try:
                msg = CATALOGUE.decode(raw)
            except DecodeError:
                self.rx_bad += 1
                continue
            self.rx_packets += 1
            await self._handle(msg)

    async def _handle(self, msg: Message) -> None:
        t = self.now_s()
        if msg.name == "IMU_CONFIG":
            self.output_rate_hz = float(msg["output_rate_hz"])
            self.last_command_id = int(msg["command_id"])
            await self.send_status()
        elif msg.name == "IMU_TIME_SYNC":
            self.last_sync_id = int(msg["sync_id"])
            self._time_sync(message_t_s(msg), t)
        elif msg.name == "IMU_FAULT_INJECT":
            self.last_command_id = int(msg["command_id"])
            self.inject(ImuFaultKind(msg["kind"]), ImuAxis(msg["axis"]), float(msg["magnitude"]),
                        float(msg["duration_s"]), t)
            await self.send_status()
        else:
            self.rx_unexpected += 1

    def _time_sync(self, tag_t_s: float, t_s: float) -> None:
        """IMU_TIME_SYNC received at simulated time ``t_s``: it ends a TIME_TAG_JUMP fault and, with
        ``apply_time_sync`` outside lockstep, sets the board clock to the packet's time tag (SLEW is
        applied as a step too); the next IMU_DATA carries TIME_JUMP when the clock moved. In lockstep the
        board clock is the simulation's, so that a run stays deterministic."""
        before = self.clock_offset_s + self.faults.tag_offset_s
        self.faults.tag_offset_s = 0.0
        if self.apply_time_sync and not self.clock.mode.lockstep:
            self.clock_offset_s = tag_t_s - t_s
        if self.clock_offset_s != before:
            self.faults.tag_jumped = True

    def inject(
        self, kind: ImuFaultKind, axis: ImuAxis, magnitude: float, duration_s: float, t_s: float
    ) -> None:
        """Apply one injected fault at board time ``t_s`` (duration 0: until cleared)."""
        until = t_s + duration_s if duration_s > 0.0 else math.inf
        axes = range(6) if axis is ImuAxis.ALL else (int(axis),)
        f = self.faults
        mf = self.model.faults
        if kind is ImuFaultKind.CLEAR:
            self.faults = ImuFaults()
            mf.bias_jump[:] = 0.0
            mf.noise_burst_sigma[:] = 0.0
            mf.noise_burst_until_s = -math.inf
        elif kind is ImuFaultKind.DROPOUT:
            f.dropout_until_s = until
        elif kind is ImuFaultKind.STUCK:
            f.stuck_until_s = until
        elif kind is ImuFaultKind.BIAS_JUMP:
            for a in axes:
                mf.bias_jump[a] += magnitude
            f.bias_jump = bool(np.any(mf.bias_jump != 0.0))
        elif kind is ImuFaultKind.NOISE_BURST:
            mf.noise_burst_sigma[:] = 0.0
            for a in axes:
                mf.noise_burst_sigma[a] = abs(magnitude)
            mf.noise_burst_until_s = until
        elif kind is ImuFaultKind.TIME_TAG_JUMP:
            f.tag_offset_s += magnitude
            f.tag_jumped = True
