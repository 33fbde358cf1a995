"""The thruster driver: ``flight.ports.ThrusterPort`` over a link to a thruster board (APIDs 0x200-0x20F).

Each ``ThrusterCommand`` becomes one THRUSTER_COMMAND time-tagged with the spacecraft time of the IMU
sample it answers (``cmd.t_s``, else ``time_source()``, the latest IMU time), which is what the lockstep
gate matches; on-times are sent in microseconds, bounded by the cycle period. THRUSTER_STATUS reports
become ``ThrusterStatus`` values; ``status()`` returns the latest (waiting, bounded, for the first) and
reports are also streamed by :meth:`ThrusterDriver.statuses`. Reports older than the last are dropped.
The driver sends THRUSTER_TIME_SYNC on start and every 60 s of spacecraft time: from ``time_source`` when
it has one, otherwise just before a command that carries its time (``cmd.t_s``).
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Callable
from typing import Self

from flight.ports import (
    MAIN_THRUSTERS,
    THRUSTER_COUNT,
    ArmState,
    Event,
    Severity,
    ThrusterCommand,
    ThrusterFaults,
    ThrusterStatus,
)
from hil.drivers.base import Driver, Stream
from hil.drivers.packets import PacketWriter, message_t_s
from hil.links.base import Link
from hil.protocol.catalogue import MAX_CYCLE_PERIOD_US, ArmedState, ThrusterFlags, ThrusterMode
from hil.protocol.schema import Message

MIN_CYCLE_PERIOD_US = 1000
U32 = 1 << 32
#: Commands the driver originates (arming, time sync, fault injection) take command ids from here up, so
#: they never collide with the flight software's ThrusterCommand ids (which should stay below).
DRIVER_COMMAND_IDS = 0x8000_0000
#: THRUSTER_TIME_SYNC on start and every 60 s of spacecraft time (docs/icd.md, section 9).
TIME_SYNC_PERIOD_S = 60.0
#: How often (wall time) the time-sync task looks at spacecraft time.
TIME_SYNC_POLL_S = 0.5

_ARM = {
    ArmedState.DISARMED: ArmState.DISARMED,
    ArmedState.PREPARED: ArmState.PREPARED,
    ArmedState.ARMED: ArmState.ARMED,
    ArmedState.SAFED: ArmState.DISARMED,  # latched safe: valves closed, not armed; DISARM clears it
}

_FAULTS = (
    (ThrusterFlags.WATCHDOG_EXPIRED, ThrusterFaults.WATCHDOG),
    (ThrusterFlags.ON_TIME_CLAMPED, ThrusterFaults.ON_TIME_LIMIT),
    (ThrusterFlags.ARM_SEQUENCE_ERROR, ThrusterFaults.ARM_REJECTED),
    (ThrusterFlags.VALVE_STUCK_OPEN, ThrusterFaults.VALVE_STUCK_OPEN),
    (ThrusterFlags.VALVE_STUCK_CLOSED, ThrusterFaults.VALVE_STUCK_CLOSED),
    (ThrusterFlags.LOW_PRESSURE, ThrusterFaults.LOW_PRESSURE),
    (ThrusterFlags.BOARD_RESET, ThrusterFaults.BOARD_RESET),
)


class ThrusterStatusTimeout(TimeoutError):
    """No status report from the thruster board within the driver's bound."""


def faults_from_flags(flags: int) -> ThrusterFaults:
    out = _FAULT_MEMO.get(flags)
    if out is None:
        f = ThrusterFlags(flags)
        out = ThrusterFaults.NONE
        for board_flag, fault in _FAULTS:
            if f & board_flag:
                out |= fault
        if len(_FAULT_MEMO) < 4096:  # flag words repeat: remember them (bounded)
            _FAULT_MEMO[int(flags)] = out
    return out


_FAULT_MEMO: dict[int, ThrusterFaults] = {}


def status_from_message(msg: Message) -> ThrusterStatus:
    f = msg.fields  # the dict itself: msg[name] is a method call per field
    armed = f["armed_state"]
    return ThrusterStatus(
        t_s=message_t_s(msg),
        arm_state=_ARM[armed if type(armed) is ArmedState else ArmedState(armed)],
        valves_open=int(f["valve_states"]),
        last_cycle=int(f["last_cycle"]),
        last_command_id=int(f["last_command_id"]),
        tank_pressure_pa=float(f["tank_pressure_pa"]),
        propellant_kg=float(f["propellant_kg"]),
        faults=faults_from_flags(int(f["flags"])),
    )


_MAIN_FIRST, _MAIN_STOP = MAIN_THRUSTERS.start, MAIN_THRUSTERS.stop  # one contiguous block (flight.ports)
assert MAIN_THRUSTERS.step == 1


def command_values(cmd: ThrusterCommand, period_s: float) -> dict[str, object]:
    """THRUSTER_COMMAND fields for ``cmd`` with cycle period ``period_s``."""
    period_us = min(max(round(period_s * 1e6), MIN_CYCLE_PERIOD_US), MAX_CYCLE_PERIOD_US)
    if any(cmd.on_time_s):  # on-times are finite and non-negative (ThrusterCommand checks)
        on_us = [min(round(x * 1e6), period_us) if x else 0 for x in cmd.on_time_s]  # most are zero
        on_us += [0] * (THRUSTER_COUNT - len(on_us))
    else:
        on_us = [0] * THRUSTER_COUNT
    if cmd.main_burn:
        mode = ThrusterMode.MAIN_BURN
        on_us[_MAIN_FIRST:_MAIN_STOP] = [period_us] * (_MAIN_STOP - _MAIN_FIRST)
    elif any(on_us):
        mode = ThrusterMode.PULSE
    else:
        mode = ThrusterMode.ALL_OFF
    return {"command_id": cmd.command_id % U32, "cycle": cmd.cycle % U32, "mode": mode,
            "cycle_period_us": period_us, "on_time_us": on_us}


class ThrusterDriver(Driver):
    """``ThrusterPort`` over ``link`` (host side of the ``thruster`` channel)."""

    board = "thruster"
    push = True

    def __init__(
        self,
        link: Link,
        *,
        period_s: float = 0.1,
        time_source: Callable[[], float | None] | None = None,
        stale_after_s: float = 3.0,
        status_timeout_s: float = 2.0,
        time_sync_period_s: float | None = TIME_SYNC_PERIOD_S,
        on_event: Callable[[Event], None] | None = None,
    ) -> None:
        super().__init__(link, stale_after_s=stale_after_s, on_event=on_event)
        self.time_sync_period_s = time_sync_period_s
        self._sync_ids = itertools.count(1)
        self.last_sync_t_s: float | None = None
        if not (math.isfinite(period_s) and period_s > 0.0):
            raise ValueError("period_s must be positive")
        self.period_s = period_s
        self.time_source = time_source
        self.status_timeout_s = status_timeout_s
        self._writer = PacketWriter()
        self._ids = itertools.count(DRIVER_COMMAND_IDS)
        self._status: ThrusterStatus | None = None
        self._status_seen = asyncio.Event()
        self._stream: Stream[ThrusterStatus] = Stream(1024)

    def _now_s(self, t_s: float | None = None) -> float:
        if t_s is not None:
            return t_s
        if self.time_source is not None:
            t = self.time_source()
            if t is not None:
                return t
        return self.last_t_s if self.last_t_s is not None else 0.0

    def _closed(self) -> None:
        self._stream.close()

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        if self.time_sync_period_s is not None and self.time_source is not None:
            self._spawn(self._time_sync_loop(), "time-sync")
        return self

    def _sync_due(self, t_s: float) -> bool:
        last = self.last_sync_t_s
        return self.time_sync_period_s is not None and (last is None or t_s - last >= self.time_sync_period_s)

    async def _time_sync_loop(self) -> None:
        """THRUSTER_TIME_SYNC (STEP) with the spacecraft time once it is known, then every period of it."""
        assert self.time_source is not None and self.time_sync_period_s is not None
        while True:
            t = self.time_source()
            if t is not None and self._sync_due(t):
                self.last_sync_t_s = t
                await self.time_sync(next(self._sync_ids) % U32, t)
            await asyncio.sleep(TIME_SYNC_POLL_S)

    def statuses(self) -> Stream[ThrusterStatus]:
        """Every status report, in order (a bounded stream; the port's ``status()`` gives the latest)."""
        return self._stream

    def _handle(self, msg: Message) -> None:
        if msg.name == "THRUSTER_STATUS":
            t_s = message_t_s(msg)
            if self.last_t_s is not None and t_s < self.last_t_s:
                self.stats.out_of_order += 1
                return
            try:
                status = status_from_message(msg)
            except ValueError as exc:
                self.stats.bad_packets += 1
                self.emit(Severity.WARNING, "bad_packet", f"dropped a thruster status: {exc}")
                return
            self.stats.packets += 1
            self.last_t_s = t_s
            self._status = status
            self._stream.put(status)
            self._status_seen.set()
        elif msg.name == "THRUSTER_HOUSEKEEPING":
            self.stats.packets += 1
        else:
            self.stats.unexpected += 1

    async def _arm(self, action: str, code: int) -> None:
        if not 0 <= code < U32:
            raise ValueError(f"arm code must fit 32 bits, got {code}")
        await self._send(self._writer.encode("THRUSTER_ARM", {
            "command_id": next(self._ids) % U32, "action": action, "arm_code": code}, self._now_s()))

    async def arm_prepare(self, code: int) -> None:
        await self._arm("ARM_PREPARE", code)

    async def arm_confirm(self, code: int) -> None:
        await self._arm("ARM_CONFIRM", code)

    async def disarm(self) -> None:
        await self._arm("DISARM", 0)

    async def command(self, cmd: ThrusterCommand) -> None:
        period = cmd.period_s if cmd.period_s is not None else self.period_s
        values = command_values(cmd, period)
        t_s = self._now_s(cmd.t_s)
        if self.time_source is None and cmd.t_s is not None and self._sync_due(cmd.t_s):
            # No time source: the command's own (fresh) spacecraft time synchronises the board first.
            self.last_sync_t_s = cmd.t_s
            await self.time_sync(next(self._sync_ids) % U32, cmd.t_s)
        await self._send(self._writer.encode("THRUSTER_COMMAND", values, t_s))

    async def status(self) -> ThrusterStatus:
        """The latest status; waits for the first one at most ``status_timeout_s`` (ThrusterStatusTimeout)."""
        if self._status is None:
            try:
                async with asyncio.timeout(self.status_timeout_s):
                    while self._status is None:
                        self._status_seen.clear()
                        await self._status_seen.wait()
            except TimeoutError:
                raise ThrusterStatusTimeout(
                    f"no status from the thruster board within {self.status_timeout_s} s") from None
        assert self._status is not None
        return self._status

    async def inject_fault(self, kind: str, thruster: int = 0, factor: float = 1.0) -> None:
        """TEST ONLY: send THRUSTER_FAULT_INJECT (emulated and bench boards)."""
        await self._send(self._writer.encode("THRUSTER_FAULT_INJECT", {
            "command_id": next(self._ids) % U32, "kind": kind, "thruster": thruster, "factor": factor},
            self._now_s()))

    async def time_sync(self, sync_id: int, t_s: float) -> None:
        await self._send(self._writer.encode("THRUSTER_TIME_SYNC", {"sync_id": sync_id, "mode": "STEP"}, t_s))
