"""The thruster board's firmware logic in the C core (``csrc/fb_thr.h``): arming, the valve schedule, the
watchdog, on-time bounds, the tank model, injected faults and status.

:class:`ThrusterBoardLogic` owns one ``fb_thr_board``; its methods take the decoded fields of the board's
commands and the board time, and return the core's reaction bits (``R_SEND_STATUS``, ``R_VALVES_CHANGED``,
``R_ACCEPTED``, ``R_HELD``). Enumerations take and give the integer values of the packet catalogue
(``hil.protocol.catalogue``: ArmedState, ThrusterMode, ArmAction, ThrusterFaultKind, ThrusterFlags).
Schedules are numpy arrays read from the core (copies). A rejected argument raises the
``InvalidInputError`` of ``_status.ensure``.

    >>> from firmware_bindings.thruster_board import BoardConfig, ThrusterBoardLogic, ARM_PREPARE
    >>> config = BoardConfig(thrust_n=400.0, isp_s=300.0, min_on_s=0.02, max_on_s=3600.0, watchdog_s=1.0,
    ...                      tank_pressure_pa=1.7e6, propellant_kg=16_000.0, ullage_fraction=0.4,
    ...                      propellant_density_kg_m3=1190.0, low_pressure_fraction=0.45,
    ...                      arm_confirm_timeout_s=5.0, watchdog_cycles=3.0, n_thrusters=46,
    ...                      deorbit_first=16, deorbit_count=30)
    >>> board = ThrusterBoardLogic(config, 0.0)
    >>> bool(board.arm(0.0, ARM_PREPARE, 7, 1) & board.R_ACCEPTED), board.armed_state_value
    (True, 1)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from firmware_bindings._core import ffi, lib
from firmware_bindings._status import ensure

__all__ = [
    "ARM_CONFIRM",
    "ARM_PREPARE",
    "DISARM",
    "MAX_THRUSTERS",
    "BoardConfig",
    "ThrusterBoardLogic",
]

F64Array = npt.NDArray[np.float64]

MAX_THRUSTERS: int = int(lib.FB_THR_MAX_THRUSTERS)
ARM_PREPARE: int = int(lib.FB_THR_ARM_PREPARE)
ARM_CONFIRM: int = int(lib.FB_THR_ARM_CONFIRM)
DISARM: int = int(lib.FB_THR_DISARM)
_DOUBLE_SIZE = ffi.sizeof("double")


@dataclass(frozen=True)
class BoardConfig:
    """The figures of ``fb_thr_config`` (SI units; see ``csrc/fb_thr.h``)."""

    thrust_n: float
    isp_s: float
    min_on_s: float
    max_on_s: float
    watchdog_s: float
    tank_pressure_pa: float
    propellant_kg: float
    ullage_fraction: float
    propellant_density_kg_m3: float
    low_pressure_fraction: float
    arm_confirm_timeout_s: float
    watchdog_cycles: float
    n_thrusters: int
    deorbit_first: int
    deorbit_count: int


class ThrusterBoardLogic:
    """One thruster board's firmware state in the C core (see the module docstring)."""

    R_SEND_STATUS: int = int(lib.FB_THR_R_SEND_STATUS)
    R_VALVES_CHANGED: int = int(lib.FB_THR_R_VALVES_CHANGED)
    R_ACCEPTED: int = int(lib.FB_THR_R_ACCEPTED)
    R_HELD: int = int(lib.FB_THR_R_HELD)

    def __init__(self, config: BoardConfig, t0_s: float) -> None:
        c = ffi.new("fb_thr_config *")
        for name, value in config.__dict__.items():
            setattr(c, name, value)
        self._b = ffi.new("fb_thr_board *")
        ensure(lib.fb_thr_init(c, float(t0_s), self._b), "fb_thr_init")
        self._n = config.n_thrusters
        self._reaction = ffi.new("int *")
        self._flag = ffi.new("int *")
        self._on = ffi.new("uint32_t[]", max(config.n_thrusters, 1))
        self._status = ffi.new("fb_thr_status *")
        self._u64 = ffi.new("uint64_t *")
        self._u32 = ffi.new("uint32_t *")
        self._f64 = ffi.new("double *")
        view = np.frombuffer(ffi.buffer(ffi.addressof(self._b, "actual_until_s"), self._n * _DOUBLE_SIZE),
                             dtype=np.float64)
        view.setflags(write=False)
        self._actual_view = view

    # -- commands ------------------------------------------------------------------------------------
    def advance(self, t_s: float) -> bool:
        """Let time pass to ``t_s``; True when the state changed in a way worth a status report."""
        ensure(lib.fb_thr_advance(self._b, t_s, self._flag), "fb_thr_advance")
        return bool(self._flag[0])

    def command(self, t_s: float, cycle: int, command_id: int, mode: int, cycle_period_us: int,
                on_time_us: list[int] | tuple[int, ...] | None) -> int:
        """A THRUSTER_COMMAND's fields (``on_time_us``: one per thruster, or None for all zero)."""
        on = ffi.NULL
        if on_time_us is not None and any(on_time_us):
            if len(on_time_us) != self._n:
                raise ValueError(f"on_time_us needs {self._n} values, got {len(on_time_us)}")
            on = self._on
            on[0:self._n] = on_time_us
        ensure(lib.fb_thr_command(self._b, t_s, cycle, command_id, mode, cycle_period_us, on, self._reaction),
               "fb_thr_command")
        return int(self._reaction[0])

    def arm(self, t_s: float, action: int, arm_code: int, command_id: int) -> int:
        """A THRUSTER_ARM's fields."""
        ensure(lib.fb_thr_arm(self._b, t_s, action, arm_code, command_id, self._reaction), "fb_thr_arm")
        return int(self._reaction[0])

    def fault(self, t_s: float, kind: int, thruster: int, factor: float) -> int:
        """A THRUSTER_FAULT_INJECT's fields."""
        ensure(lib.fb_thr_fault(self._b, t_s, kind, thruster, factor, self._reaction), "fb_thr_fault")
        return int(self._reaction[0])

    def status_report(self) -> tuple[int, int, int, int, int, float, float, int, int]:
        """(armed_state, mode, valve bits, last_command_id, last_cycle, tank pressure Pa, propellant kg,
        flags, commands rejected) now; clears the transient flags."""
        s = self._status
        ensure(lib.fb_thr_status_report(self._b, s), "fb_thr_status_report")
        return (s.armed_state, s.mode, s.valve_states, s.last_command_id, s.last_cycle, s.tank_pressure_pa,
                s.propellant_kg, s.flags, s.commands_rejected)

    # -- state ---------------------------------------------------------------------------------------
    @property
    def t_s(self) -> float:
        return self._b.t_s  # a double field reads as a Python float

    @property
    def armed_state_value(self) -> int:
        return int(self._b.armed_state)

    @property
    def mode_value(self) -> int:
        return int(self._b.mode)

    @property
    def propellant_kg(self) -> float:
        return float(self._b.propellant_kg)

    @property
    def last_cycle(self) -> int:
        return int(self._b.last_cycle)

    @property
    def last_command_id(self) -> int:
        return int(self._b.last_command_id)

    @property
    def arm_code(self) -> int:
        return int(self._b.arm_code)

    @property
    def prepared_at_s(self) -> float:
        return float(self._b.prepared_at_s)

    @property
    def cycle_period_s(self) -> float:
        return float(self._b.cycle_period_s)

    @property
    def last_valid_s(self) -> float:
        return float(self._b.last_valid_s)

    @property
    def watchdog_expired(self) -> bool:
        return bool(self._b.watchdog_expired)

    @property
    def watchdog_period_s(self) -> float:
        """Watchdog cycles times the last command's cycle period; ``watchdog_s`` before the first."""
        ensure(lib.fb_thr_watchdog_period(self._b, self._f64), "fb_thr_watchdog_period")
        return float(self._f64[0])

    @property
    def flags_value(self) -> int:
        """The latched flags (transient ones until reported)."""
        return int(self._b.flags)

    def status_flags_value(self) -> int:
        """The flags a status would carry now (none cleared)."""
        ensure(lib.fb_thr_status_flags(self._b, self._u32), "fb_thr_status_flags")
        return int(self._u32[0])

    @property
    def tank_pressure_pa(self) -> float:
        ensure(lib.fb_thr_tank_pressure(self._b, self._f64), "fb_thr_tank_pressure")
        return float(self._f64[0])

    def valve_bits(self, t_s: float | None = None) -> int:
        """Valves actually open at ``t_s`` (board time by default), bit i for thruster i."""
        t = self._b.t_s if t_s is None else t_s
        ensure(lib.fb_thr_valve_bits(self._b, t, self._u64), "fb_thr_valve_bits")
        return int(self._u64[0])

    @property
    def commands_rejected(self) -> int:
        return int(self._b.commands_rejected)

    @property
    def commands_executed(self) -> int:
        return int(self._b.commands_executed)

    @property
    def watchdog_expiries(self) -> int:
        return int(self._b.watchdog_expiries)

    @property
    def fault_changes(self) -> int:
        """Injected fault changes so far (a change of the thrust factors is among them)."""
        return self._b.fault_changes  # a uint64 field reads as a Python int

    @property
    def stuck_open(self) -> set[int]:
        return _bits(int(self._b.stuck_open), self._n)

    @property
    def stuck_closed(self) -> set[int]:
        return _bits(int(self._b.stuck_closed), self._n)

    def _array(self, field: str) -> F64Array:
        buf = ffi.buffer(ffi.addressof(self._b, field), self._n * _DOUBLE_SIZE)
        return np.frombuffer(buf, dtype=np.float64).copy()

    @property
    def thrust_factor(self) -> F64Array:
        """Per-thruster thrust factor (1 when healthy), a copy."""
        return self._array("thrust_factor")

    @property
    def commanded_until_s(self) -> F64Array:
        """Per-thruster end of the commanded opening, a copy."""
        return self._array("commanded_until_s")

    @property
    def actual_until_s(self) -> F64Array:
        """Per-thruster end of the actual opening (stuck valves included), a copy."""
        return self._array("actual_until_s")

    @property
    def actual_until_view(self) -> F64Array:
        """The actual schedule as a read-only view of the core's state, no copy: it changes as the board
        does, so use it at once (copy it to keep it)."""
        return self._actual_view

    @property
    def actual_last_s(self) -> float:
        """No valve is actually open from this time on."""
        return float(self._b.actual_last_s)


def _bits(mask: int, n: int) -> set[int]:
    return {i for i in range(n) if mask >> i & 1}

