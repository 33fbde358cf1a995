"""Pure-Python reference of the thruster board area (csrc/fb_thr.h): the oracle of its property tests.

This is the board logic the project ran before it moved into the C core, kept as it was (numpy over the
per-thruster schedule): :class:`ThrusterBoardCore` takes whole packets as bytes, like
``hil.boards.thruster_logic.ThrusterBoardCore``, and must agree with it on every reaction, state and
status. The safety rules are those of docs/icd.md section 8.2 and of the C header.
"""

from __future__ import annotations

import collections
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hil.boards.thruster_logic import TRANSIENT_FLAGS, Reaction, ThrusterBoardConfig
from hil.drivers.timebase import t_from_tag
from hil.protocol.catalogue import (
    ARM_CONFIRM_TIMEOUT_S,
    CATALOGUE,
    DEORBIT_THRUSTERS,
    THRUSTER_COUNT,
    WATCHDOG_CYCLES,
    ArmAction,
    ArmedState,
    ThrusterFaultKind,
    ThrusterFlags,
    ThrusterMode,
)
from hil.protocol.schema import DecodeError, Message
from hil.protocol.spacepacket import Check, check, peek_apid

F64 = NDArray[np.float64]
_VALVE_BITS = np.array([1 << i for i in range(THRUSTER_COUNT)], dtype=np.uint64)
US = 1e-6


@dataclass
class Counters:
    rx_packets: int = 0
    rx_crc_errors: int = 0
    rx_framing_errors: int = 0
    rx_unexpected: int = 0
    duplicates: int = 0
    commands_rejected: int = 0
    commands_executed: int = 0
    watchdog_expiries: int = 0
    boot_count: int = 1


@dataclass
class _Faults:
    stuck_open: set[int] = field(default_factory=set)
    stuck_closed: set[int] = field(default_factory=set)
    factor: F64 = field(default_factory=lambda: np.ones(THRUSTER_COUNT))

    @property
    def active(self) -> bool:
        return bool(self.stuck_open or self.stuck_closed or (self.factor != 1.0).any())


class ThrusterBoardCore:
    """The board's state machine. ``receive(t_s, packet)`` handles one packet; ``advance(t_s)`` lets time
    pass (watchdog, arming timeout, propellant accounting)."""

    def __init__(self, config: ThrusterBoardConfig, t0_s: float) -> None:
        self.config = config
        self.counters = Counters()
        self.faults = _Faults()
        self.fault_changes = 0  # counts injected fault changes (the I/O wrapper passes thrust factors on)
        self.propellant_kg = config.propellant_kg
        self._t_s = t0_s
        self._accounted_s = t0_s
        self.last_sync_id = 0
        self._reset_state(t0_s)
        self.flags = ThrusterFlags(0)

    # -- state -------------------------------------------------------------------------------------
    def _reset_state(self, t_s: float) -> None:
        self.armed_state = ArmedState.DISARMED
        self.mode = ThrusterMode.ALL_OFF
        self.arm_code = 0
        self.prepared_at_s = -math.inf
        self.last_cycle = 0
        self.last_command_id = 0
        self.cycle_period_s = 0.0
        self.last_valid_s = t_s
        self.watchdog_expired = False
        self.commanded_until_s = np.full(THRUSTER_COUNT, t_s)
        self.actual_until_s = self._actual(t_s, self.commanded_until_s)
        self._recent_ids: collections.deque[tuple[int, int]] = collections.deque(maxlen=256)

    @property
    def t_s(self) -> float:
        return self._t_s

    @property
    def actual_until_s(self) -> F64:
        """Per-thruster end of the actual valve opening (stuck valves included); read-only."""
        return self._actual_until_s

    @actual_until_s.setter
    def actual_until_s(self, until: F64) -> None:
        until.setflags(write=False)
        self._actual_until_s = until
        self._actual_last_s = float(until.max())  # no valve is open from here on

    @property
    def watchdog_period_s(self) -> float:
        """WATCHDOG_CYCLES cycle periods of the last executed command; ``watchdog_s`` before the first."""
        return WATCHDOG_CYCLES * self.cycle_period_s if self.cycle_period_s > 0.0 else self.config.watchdog_s

    def commanded_open(self, t_s: float | None = None) -> NDArray[np.bool_]:
        t = self._t_s if t_s is None else t_s
        return np.asarray(self.commanded_until_s > t)

    def actual_open(self, t_s: float | None = None) -> NDArray[np.bool_]:
        t = self._t_s if t_s is None else t_s
        return np.asarray(self.actual_until_s > t)

    def valve_bits(self, t_s: float | None = None) -> int:
        t = self._t_s if t_s is None else t_s
        if self._actual_last_s <= t:
            return 0
        return int(_VALVE_BITS[self._actual_until_s > t].sum())  # distinct powers of two: sum is OR

    @property
    def tank_pressure_pa(self) -> float:
        c = self.config
        v_prop0 = c.propellant_kg / c.propellant_density_kg_m3
        v_gas0 = v_prop0 * c.ullage_fraction / (1.0 - c.ullage_fraction)
        used_m3 = (c.propellant_kg - self.propellant_kg) / c.propellant_density_kg_m3
        return c.tank_pressure_pa * v_gas0 / (v_gas0 + used_m3) if v_gas0 > 0 else 0.0

    def status_flags(self) -> ThrusterFlags:
        f = self.flags
        if self.watchdog_expired:
            f |= ThrusterFlags.WATCHDOG_EXPIRED
        if self.faults.stuck_open or self.faults.stuck_closed:
            f |= ThrusterFlags.VALVE_FAULT
        if self.faults.stuck_open:
            f |= ThrusterFlags.VALVE_STUCK_OPEN
        if self.faults.stuck_closed:
            f |= ThrusterFlags.VALVE_STUCK_CLOSED
        if self.faults.active:
            f |= ThrusterFlags.FAULT_INJECTED
        if self.tank_pressure_pa < self.config.low_pressure_fraction * self.config.tank_pressure_pa:
            f |= ThrusterFlags.LOW_PRESSURE
        return f

    def status_values(self) -> dict[str, Any]:
        """Fields of a THRUSTER_STATUS now; transient flags are cleared once reported."""
        values = {
            "armed_state": self.armed_state,
            "mode": self.mode,
            "valve_states": self.valve_bits(),
            "last_command_id": self.last_command_id,
            "last_cycle": self.last_cycle,
            "tank_pressure_pa": min(self.tank_pressure_pa, 65_535_000.0),
            "propellant_kg": max(self.propellant_kg, 0.0),
            "flags": int(self.status_flags()),
            "commands_rejected": self.counters.commands_rejected % (1 << 32),
            "last_sync_id": self.last_sync_id,
        }
        if self.flags:
            self.flags &= ~TRANSIENT_FLAGS
        return values

    # -- time --------------------------------------------------------------------------------------
    def _account(self, t_s: float) -> None:
        """Propellant used by the actual valve states from the last accounting time to ``t_s``."""
        # nothing used when every valve was closed all along, or no time has passed
        if self._actual_last_s > self._accounted_s and t_s > self._accounted_s:
            dt_open = np.maximum(np.minimum(self._actual_until_s, t_s) - self._accounted_s, 0.0)
            used = float(dt_open.sum()) * self.config.mass_flow_kgps
            self.propellant_kg = max(0.0, self.propellant_kg - used)
        if t_s > self._accounted_s:
            self._accounted_s = t_s

    def advance(self, t_s: float) -> bool:
        """Let time pass to ``t_s``; True when the state changed in a way worth a status report."""
        t_s = max(t_s, self._t_s)
        changed = False
        if self.armed_state is ArmedState.PREPARED and t_s - self.prepared_at_s > ARM_CONFIRM_TIMEOUT_S:
            self.armed_state = ArmedState.DISARMED
            self.flags |= ThrusterFlags.ARM_SEQUENCE_ERROR
            changed = True
        expiry = self.last_valid_s + self.watchdog_period_s
        if self.armed_state is ArmedState.ARMED and not self.watchdog_expired and t_s >= expiry:
            self._account(expiry)
            self._set_schedule(expiry, np.full(THRUSTER_COUNT, expiry))
            self.watchdog_expired = True
            self.counters.watchdog_expiries += 1
            self.armed_state = ArmedState.SAFED
            self.mode = ThrusterMode.ALL_OFF
            changed = True
        self._account(t_s)
        self._t_s = t_s
        return changed

    # -- valves ------------------------------------------------------------------------------------
    def _actual(self, t_s: float, commanded: F64) -> F64:
        """The valves' real schedule: the commanded one, except stuck valves."""
        actual = commanded.copy()
        for i in self.faults.stuck_closed:
            actual[i] = t_s
        for i in self.faults.stuck_open:
            actual[i] = math.inf
        return actual

    @property
    def thrust_factor(self) -> F64:
        """Per-thruster thrust factor of degraded thrusters (1 when healthy), for the plant."""
        return self.faults.factor.copy()

    def _set_schedule(self, t_s: float, commanded: F64) -> None:
        self._account(t_s)
        self.commanded_until_s = commanded
        self.actual_until_s = self._actual(t_s, commanded)

    def close_all(self, t_s: float) -> None:
        self._set_schedule(t_s, np.full(THRUSTER_COUNT, t_s))
        self.mode = ThrusterMode.ALL_OFF

    # -- packets -----------------------------------------------------------------------------------
    def receive(self, t_s: float, packet: bytes) -> Reaction:
        """Handle one packet (any bytes) at board time ``t_s``; never raises on the bytes."""
        changed = self.advance(t_s)
        try:
            msg = CATALOGUE.decode(packet)  # checks the packet (length fields, CRC) first
        except DecodeError:
            result = check(packet)
            if result is not Check.OK:
                if result is Check.CRC:
                    self.counters.rx_crc_errors += 1
                else:
                    self.counters.rx_framing_errors += 1
                return Reaction("bad", send_status=changed)
            spec = CATALOGUE.by_apid(peek_apid(packet))
            if spec is not None and spec.board == "thruster" and spec.direction == "cmd":
                # a command of ours with a field out of range or a wrong length: answered (ICD 8.3)
                self.counters.commands_rejected += 1
                return Reaction("bad", send_status=True)
            self.counters.rx_framing_errors += 1
            return Reaction("bad", send_status=changed)
        self.counters.rx_packets += 1
        reaction = self.handle(self._t_s, msg)
        reaction.send_status = reaction.send_status or changed
        return reaction

    def handle(self, t_s: float, msg: Message) -> Reaction:
        """Handle one decoded message of the thruster board's command set."""
        self.advance(t_s)
        t = self._t_s
        name = msg.name
        if name not in ("THRUSTER_COMMAND", "THRUSTER_ARM", "THRUSTER_TIME_SYNC", "THRUSTER_FAULT_INJECT"):
            self.counters.rx_unexpected += 1
            return Reaction("ignored")
        if name == "THRUSTER_TIME_SYNC":
            self.last_sync_id = int(msg["sync_id"])
            return Reaction("sync", accepted=True)
        if name == "THRUSTER_COMMAND":
            return self._command(t, msg)
        key = (msg.apid, int(msg["command_id"]))
        if key in self._recent_ids:
            self.counters.duplicates += 1
            return Reaction("ignored")
        self._recent_ids.append(key)
        if name == "THRUSTER_ARM":
            return self._arm(t, msg)
        return self._fault(t, msg)

    def _reject(self, flag: ThrusterFlags, kind: str, held: float | None = None) -> Reaction:
        self.flags |= flag
        self.counters.commands_rejected += 1
        return Reaction(kind, send_status=True, held_t_s=held)

    def _command(self, t: float, msg: Message) -> Reaction:
        held = t_from_tag(msg.coarse_time, msg.fine_time)
        cycle = int(msg["cycle"])
        command_id = int(msg["command_id"])
        repeated = self.counters.commands_executed > 0 and command_id == self.last_command_id
        if cycle <= self.last_cycle or repeated:
            return self._reject(ThrusterFlags.REJECTED_STALE_CYCLE, "command", held)
        mode = msg["mode"]
        if type(mode) is not ThrusterMode:
            mode = ThrusterMode(mode)
        period_s = float(msg["cycle_period_us"]) * US
        on_us = msg["on_time_us"]
        pulses = mode is not ThrusterMode.ALL_OFF and any(on_us)  # on-times are unsigned
        main = mode is ThrusterMode.MAIN_BURN
        opens = main or pulses
        if opens and self.armed_state is not ArmedState.ARMED:
            return self._reject(ThrusterFlags.REJECTED_NOT_ARMED, "command", held)
        if pulses:
            on_s = np.asarray(on_us, dtype=float) * US
            bound = min(period_s, self.config.max_on_s)
            if (on_s > bound).any():
                self.flags |= ThrusterFlags.ON_TIME_CLAMPED
                on_s = np.minimum(on_s, bound)
            on_s[on_s < self.config.min_on_s] = 0.0
            until = t + on_s
        else:
            until = np.full(THRUSTER_COUNT, t)
        self.last_cycle = cycle
        self.last_command_id = command_id
        self.cycle_period_s = period_s
        self.last_valid_s = t
        self.watchdog_expired = False
        self.mode = mode
        if main:  # open until the next command, a DISARM or the watchdog
            until[DEORBIT_THRUSTERS.start : DEORBIT_THRUSTERS.stop] = t + self.watchdog_period_s
        self._set_schedule(t, until)
        self.counters.commands_executed += 1
        return Reaction("command", send_status=True, valves_changed=True, held_t_s=held, accepted=True)

    def _arm(self, t: float, msg: Message) -> Reaction:
        action = ArmAction(msg["action"])
        code = int(msg["arm_code"])
        if action is ArmAction.DISARM:
            self.close_all(t)
            self.armed_state = ArmedState.DISARMED
            self.watchdog_expired = False
            self.last_command_id = int(msg["command_id"])
            return Reaction("arm", send_status=True, valves_changed=True, accepted=True)
        if action is ArmAction.ARM_PREPARE:
            if self.armed_state not in (ArmedState.DISARMED, ArmedState.PREPARED) or code == 0:
                return self._reject(ThrusterFlags.ARM_SEQUENCE_ERROR, "arm")
            self.armed_state = ArmedState.PREPARED
            self.arm_code = code
            self.prepared_at_s = t
            self.last_command_id = int(msg["command_id"])
            return Reaction("arm", send_status=True, accepted=True)
        ok = (self.armed_state is ArmedState.PREPARED and code == self.arm_code
              and t - self.prepared_at_s <= ARM_CONFIRM_TIMEOUT_S)
        if not ok:
            if self.armed_state is not ArmedState.SAFED:  # only DISARM leaves SAFED
                self.close_all(t)
                self.armed_state = ArmedState.DISARMED
            reaction = self._reject(ThrusterFlags.ARM_SEQUENCE_ERROR, "arm")
            reaction.valves_changed = True
            return reaction
        self.armed_state = ArmedState.ARMED
        self.last_valid_s = t  # the watchdog runs from the moment of arming
        self.watchdog_expired = False
        self.last_command_id = int(msg["command_id"])
        return Reaction("arm", send_status=True, accepted=True)

    def _fault(self, t: float, msg: Message) -> Reaction:
        kind = ThrusterFaultKind(msg["kind"])
        i = int(msg["thruster"])
        f = self.faults
        self._account(t)
        if kind is ThrusterFaultKind.CLEAR:
            self.faults = _Faults()
        elif kind is ThrusterFaultKind.VALVE_STUCK_CLOSED:
            f.stuck_open.discard(i)
            f.stuck_closed.add(i)
        elif kind is ThrusterFaultKind.VALVE_STUCK_OPEN:
            f.stuck_closed.discard(i)
            f.stuck_open.add(i)
        elif kind is ThrusterFaultKind.DEGRADED_THRUST:
            f.factor[i] = float(msg["factor"])
        else:  # BOARD_RESET: a restart loses the volatile state, not the hardware faults
            self._reset_state(t)
            self.counters.boot_count += 1
            self.flags = ThrusterFlags.BOARD_RESET
        self.actual_until_s = self._actual(t, self.commanded_until_s)
        self.fault_changes += 1
        return Reaction("fault", send_status=True, valves_changed=True, accepted=True)
