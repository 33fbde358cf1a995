"""The thruster board's firmware: arming, valve schedule, watchdog, on-time bounds, tank model, faults and
status, as docs/icd.md section 8.2 specifies, for whole packets. :class:`hil.boards.thruster.ThrusterBoard`
puts it behind a link.

The logic itself runs in the C core (``firmware_bindings.thruster_board``, ``csrc/fb_thr.h``: what a
board vendor's firmware would run); this module decodes and checks packets, counts what the board
receives, drops repeated arming and fault commands, and reports each packet's effect as a
:class:`Reaction`. The pure-Python reference of the same logic is the oracle of its property tests
(``tests/oracles/thruster_board.py``).

Every entry point takes the board's time ``t_s`` (spacecraft time; never a host clock) and times must not
decrease. The valve schedule is a per-thruster ``open_until_s``: thruster ``i`` is open from the command
that set it until then (the plant's ``set_valves`` takes the same array). Safety rules, each enforced in the
core and checked by a hypothesis state machine:

- no valve is commanded open unless the board is ARMED (two steps: ARM_PREPARE with a non-zero code,
  then ARM_CONFIRM repeating it within ``ARM_CONFIRM_TIMEOUT_S``);
- a PULSE on-time is bounded by the cycle period (clamped, flagged) and by ``max_on_s``; in MAIN_BURN the
  deorbit valves stay open until the next command, a DISARM or the watchdog, so their schedule ends at the
  watchdog deadline and each valid command moves it on;
- the watchdog: ``WATCHDOG_CYCLES`` cycle periods after the last executed command (``watchdog_s`` after
  arming, before any command), every valve closes, WATCHDOG_EXPIRED is set and an ARMED board goes to
  SAFED, which only DISARM leaves. Every valve is therefore closed within one watchdog period of the last
  valid command.

On-times below ``min_on_s`` (the shortest pulse the valve makes, a scenario figure) are not fired.
Injected faults act on the *actual* valves, not the commanded ones: a valve stuck open stays open
whatever the command (the fault the flight software must detect); a degraded thruster keeps its valve
timing and gives ``factor`` times its thrust (the plant's ``thrust_factor``).
"""

from __future__ import annotations

import collections
import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from firmware_bindings.thruster_board import BoardConfig, ThrusterBoardLogic
from hil.drivers.timebase import t_from_tag
from hil.protocol.catalogue import (
    ARM_CONFIRM_TIMEOUT_S,
    CATALOGUE,
    DEORBIT_THRUSTERS,
    THRUSTER_COUNT,
    WATCHDOG_CYCLES,
    ArmedState,
    ThrusterFaultKind,
    ThrusterFlags,
    ThrusterMode,
)
from hil.protocol.schema import DecodeError, Message
from hil.protocol.spacepacket import Check, check, peek_apid

F64 = NDArray[np.float64]
G0_MPS2 = 9.80665

#: Flags that describe one event and are cleared once a status has reported them.
TRANSIENT_FLAGS = (
    ThrusterFlags.ON_TIME_CLAMPED | ThrusterFlags.REJECTED_NOT_ARMED | ThrusterFlags.REJECTED_STALE_CYCLE
    | ThrusterFlags.ARM_SEQUENCE_ERROR | ThrusterFlags.BOARD_RESET
)
_ARMED_STATES = {int(s): s for s in ArmedState}
_MODES = {int(m): m for m in ThrusterMode}


@dataclass(frozen=True)
class ThrusterBoardConfig:
    """Board parameters. Tank figures are assumed (a blowdown tank of NTO/MMH, 40 % ullage at start)."""

    thrust_n: float = 400.0
    isp_s: float = 300.0
    min_on_s: float = 0.02
    max_on_s: float = 3600.0
    watchdog_s: float = 1.0
    tank_pressure_pa: float = 1.7e6
    propellant_kg: float = 16_000.0
    ullage_fraction: float = 0.4  # assumed
    propellant_density_kg_m3: float = 1190.0  # assumed: NTO/MMH at mixture ratio 1.65
    low_pressure_fraction: float = 0.45  # LOW_PRESSURE below this fraction of the initial pressure

    def __post_init__(self) -> None:
        for name, value in self.__dict__.items():
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0.0):
                raise ValueError(f"thruster board {name} must be finite and non-negative, got {value!r}")
        if self.thrust_n <= 0 or self.isp_s <= 0 or self.watchdog_s <= 0 or self.max_on_s <= 0:
            raise ValueError("thrust, Isp, watchdog and maximum on-time must be positive")
        if not 0.0 < self.ullage_fraction < 1.0:
            raise ValueError("ullage_fraction must lie in (0, 1)")
        if self.propellant_density_kg_m3 <= 0:
            raise ValueError("propellant_density_kg_m3 must be positive")

    @classmethod
    def from_scenario(cls, scenario: Any) -> ThrusterBoardConfig:
        t = scenario.thrusters
        return cls(
            thrust_n=t.thrust_n, isp_s=t.isp_s, min_on_s=t.min_on_s, max_on_s=t.max_on_s,
            watchdog_s=t.watchdog_s, tank_pressure_pa=t.tank_pressure_pa,
            propellant_kg=scenario.vehicle.propellant_kg,
        )

    @property
    def mass_flow_kgps(self) -> float:
        """Propellant flow of one thruster at nominal thrust."""
        return self.thrust_n / (self.isp_s * G0_MPS2)

    def core_config(self) -> BoardConfig:
        """The C core's configuration: these figures and the catalogue's thruster set and timing."""
        return BoardConfig(
            **dataclasses.asdict(self), arm_confirm_timeout_s=ARM_CONFIRM_TIMEOUT_S,
            watchdog_cycles=float(WATCHDOG_CYCLES), n_thrusters=THRUSTER_COUNT,
            deorbit_first=DEORBIT_THRUSTERS.start, deorbit_count=len(DEORBIT_THRUSTERS),
        )


@dataclass(slots=True)
class Reaction:
    """What the board did with one packet, for the I/O wrapper."""

    kind: str  # "command", "arm", "sync", "fault", "ignored", "bad"
    send_status: bool = False
    valves_changed: bool = False
    held_t_s: float | None = None  # time tag of a THRUSTER_COMMAND now held (the lockstep gate)
    accepted: bool = False


class Counters:
    """What the board counted: packets received and refused here; commands rejected and executed and
    watchdog expiries in the core (read-only)."""

    def __init__(self, logic: ThrusterBoardLogic) -> None:
        self._logic = logic
        self.rx_packets = 0
        self.rx_crc_errors = 0
        self.rx_framing_errors = 0
        self.rx_unexpected = 0
        self.duplicates = 0
        self.rejected_here = 0  # malformed commands of ours (a field out of range), answered
        self.boot_count = 1

    @property
    def commands_rejected(self) -> int:
        return self._logic.commands_rejected + self.rejected_here

    @property
    def commands_executed(self) -> int:
        return self._logic.commands_executed

    @property
    def watchdog_expiries(self) -> int:
        return self._logic.watchdog_expiries


@dataclass(frozen=True)
class Faults:
    """The injected faults acting on the valves (a snapshot)."""

    stuck_open: frozenset[int]
    stuck_closed: frozenset[int]
    factor: F64


_R_SEND = ThrusterBoardLogic.R_SEND_STATUS
_R_VALVES = ThrusterBoardLogic.R_VALVES_CHANGED
_R_ACCEPTED = ThrusterBoardLogic.R_ACCEPTED
_BOARD_RESET = int(ThrusterFaultKind.BOARD_RESET)
_COMMANDS = ("THRUSTER_COMMAND", "THRUSTER_ARM", "THRUSTER_TIME_SYNC", "THRUSTER_FAULT_INJECT")


class ThrusterBoardCore(ThrusterBoardLogic):
    """The board's firmware for packets. ``receive(t_s, packet)`` handles one packet; ``advance(t_s)`` lets
    time pass (watchdog, arming timeout, propellant accounting)."""

    def __init__(self, config: ThrusterBoardConfig, t0_s: float) -> None:
        super().__init__(self.core_config(config), t0_s)
        self.config = config
        self.counters = Counters(self)
        self.last_sync_id = 0
        self._recent_ids: collections.deque[tuple[int, int]] = collections.deque(maxlen=256)

    def core_config(self, config: ThrusterBoardConfig) -> BoardConfig:
        """The core's configuration for ``config`` (a test's deliberately broken board changes it here)."""
        return config.core_config()

    # -- state -------------------------------------------------------------------------------------
    @property
    def armed_state(self) -> ArmedState:
        return _ARMED_STATES[self.armed_state_value]

    @property
    def mode(self) -> ThrusterMode:
        return _MODES[self.mode_value]

    @property
    def flags(self) -> ThrusterFlags:
        """Latched flags (the transient ones until a status has reported them)."""
        return ThrusterFlags(self.flags_value)

    @property
    def faults(self) -> Faults:
        return Faults(frozenset(self.stuck_open), frozenset(self.stuck_closed), self.thrust_factor)

    def commanded_open(self, t_s: float | None = None) -> NDArray[np.bool_]:
        t = self.t_s if t_s is None else t_s
        return np.asarray(self.commanded_until_s > t)

    def actual_open(self, t_s: float | None = None) -> NDArray[np.bool_]:
        t = self.t_s if t_s is None else t_s
        return np.asarray(self.actual_until_s > t)

    def status_flags(self) -> ThrusterFlags:
        return ThrusterFlags(self.status_flags_value())

    def status_values(self) -> dict[str, Any]:
        """Fields of a THRUSTER_STATUS now; transient flags are cleared once reported."""
        armed, mode, valves, last_id, last_cycle, pressure, propellant, flags, rejected = self.status_report()
        return {
            "armed_state": armed,
            "mode": mode,
            "valve_states": valves,
            "last_command_id": last_id,
            "last_cycle": last_cycle,
            "tank_pressure_pa": pressure,
            "propellant_kg": propellant,
            "flags": flags,
            "commands_rejected": (rejected + self.counters.rejected_here) % (1 << 32),
            "last_sync_id": self.last_sync_id,
        }

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
                self.counters.rejected_here += 1
                return Reaction("bad", send_status=True)
            self.counters.rx_framing_errors += 1
            return Reaction("bad", send_status=changed)
        self.counters.rx_packets += 1
        reaction = self.handle(self.t_s, msg)
        reaction.send_status = reaction.send_status or changed
        return reaction

    def handle(self, t_s: float, msg: Message) -> Reaction:
        """Handle one decoded message of the thruster board's command set."""
        name = msg.name
        if name == "THRUSTER_COMMAND":
            f = msg.fields
            mode = f["mode"]
            r = self.command(t_s, f["cycle"], f["command_id"], mode, f["cycle_period_us"],
                             f["on_time_us"] if mode else None)
            return Reaction("command", bool(r & _R_SEND), bool(r & _R_VALVES),
                            t_from_tag(msg.coarse_time, msg.fine_time), bool(r & _R_ACCEPTED))
        self.advance(t_s)
        if name not in _COMMANDS:
            self.counters.rx_unexpected += 1
            return Reaction("ignored")
        if name == "THRUSTER_TIME_SYNC":
            self.last_sync_id = int(msg["sync_id"])
            return Reaction("sync", accepted=True)
        key = (msg.apid, int(msg["command_id"]))
        if key in self._recent_ids:
            self.counters.duplicates += 1
            return Reaction("ignored")
        self._recent_ids.append(key)
        if name == "THRUSTER_ARM":
            r = self.arm(t_s, int(msg["action"]), int(msg["arm_code"]), int(msg["command_id"]))
            return Reaction("arm", bool(r & _R_SEND), bool(r & _R_VALVES), None, bool(r & _R_ACCEPTED))
        boot = self.counters.boot_count
        kind = int(msg["kind"])
        r = self.fault(t_s, kind, int(msg["thruster"]), float(msg["factor"]))
        if kind == _BOARD_RESET:  # a restart loses the volatile state, the repeat filter included
            self.counters.boot_count = boot + 1
            self._recent_ids.clear()
        return Reaction("fault", bool(r & _R_SEND), bool(r & _R_VALVES), None, bool(r & _R_ACCEPTED))
