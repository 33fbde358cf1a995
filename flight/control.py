"""Attitude control: the burn attitude and the LVLH hold, torque to thruster on-times.

Attitude targets (body axes as in ``firmware_bindings.attitude``: +x the deorbit thrust axis):

- **LVLH hold** (between burns, while the thruster board is armed; disarmed, the station's own control
  holds it and the executive commands nothing open): the stack flies with +x body along the retrograde
  direction, +z body towards nadir, +y completing the triad: the attitude of every burn, held in the
  rotating local frame, so a burn needs only a small correction instead of a large slew.
- **Burn attitude** (``PointAt``, during the sequence from arming to cutoff): +x body along the live
  retrograde direction of the navigated inertial velocity (the C targeting core's thrust law), +z body
  as near nadir as that allows. The sequencer's ``PointAt`` direction is the retrograde direction at
  ignition; tracking the live one keeps the thrust axis on it for the whole burn, which turns with the
  orbit by about 4 deg a minute.

Both targets turn at the orbit rate; its body-frame rate is fed to the PD law as the reference rate so
drag, gravity-gradient and thrust-misalignment torques leave only a small steady error. The PD law (rate-
and torque-limited, C core ``pd_torque``) gives a body torque; the allocator (C core) turns it into
on-times of the 16 attitude thrusters, the commanded force being zero (pure couples) or, in a trim, the
push of the two truss-tip +x thrusters. The 30 deorbit thrusters fire in the board's main-burn mode.

Gains (defaults): natural frequency 0.08 rad/s, damping 0.9 about each principal axis with the stack's
assumed inertia; corrective rate limited to 0.2 deg/s; torque limited per axis to what one opposed pair
of attitude thrusters gives (400 N at 33 to 54 m: about 26 kN m).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from firmware_bindings.attitude import (
    AllocatorConfig,
    AttitudeStep,
    PdGains,
    ThrusterLayout,
    default_stack_inertia_kg_m2,
    default_stack_layout,
)
from firmware_bindings.attitude import retrograde_target as _retrograde_target
from flight.ports import ATTITUDE_THRUSTERS, THRUSTER_COUNT, Vec3

F64 = npt.NDArray[np.float64]
_ZEROS = (0.0,) * THRUSTER_COUNT
_NO_FORCE = (0.0, 0.0, 0.0)
if range(len(ATTITUDE_THRUSTERS)) != ATTITUDE_THRUSTERS:
    raise ImportError("flight.control assumes the attitude thrusters are the board's first ones")
_MAIN_ZEROS = (0.0,) * (THRUSTER_COUNT - len(ATTITUDE_THRUSTERS))


class ControlMode(enum.Enum):
    OFF = "off"  # no attitude thrusters (board disarmed: the station's own control holds it)
    LVLH_HOLD = "lvlh_hold"
    BURN_ATTITUDE = "burn_attitude"


@dataclass(frozen=True)
class ControlConfig:
    cycle_s: float = 0.1
    natural_freq_rps: float = 0.08
    damping: float = 0.9
    rate_limit_rps: float = math.radians(0.2)
    torque_limit_nm: float = 26_000.0
    min_on_s: float = 0.02  # the thruster board's shortest valve opening (scenario iss-deorbit)
    trim_force_n: float = 800.0  # both truss-tip +x attitude thrusters full on
    inertia_kg_m2: F64 = field(default_factory=default_stack_inertia_kg_m2)

    def gains(self) -> PdGains:
        inertia = np.diag(self.inertia_kg_m2)
        w = self.natural_freq_rps
        return PdGains(kp_nm_per_rad=inertia * w * w, kd_nms_per_rad=2.0 * self.damping * w * inertia,
                       rate_limit_rps=self.rate_limit_rps, torque_limit_nm=self.torque_limit_nm)


class ControlOutput(NamedTuple):
    """One cycle's command and what it is based on (a named tuple: one per control cycle)."""

    on_time_s: tuple[float, ...]  # all 46 thrusters in board order
    main_burn: bool
    torque_cmd_body_nm: Vec3
    attitude_error_rad: float  # full attitude error angle to the target
    thrust_axis_error_rad: float  # angle between +x body and the target's +x
    q_target_from_eci: tuple[float, ...]  # four floats


def retrograde_target(r_eci_m: npt.ArrayLike, v_eci_mps: npt.ArrayLike) -> tuple[F64, F64]:
    """Target attitude ``q_body_from_eci`` with +x body retrograde and +z body towards nadir, and the
    target frame's inertial rate in target axes (rad/s: the orbit rate about the orbit normal, +y).
    The C core's ``fb_ctl_retrograde_target``."""
    return _retrograde_target(r_eci_m, v_eci_mps)


class AttitudeController:
    """Mode, target and one control cycle at a time (pure: the navigated state is passed in).

    A cycle is one core call (``firmware_bindings.attitude.AttitudeStep``: target, errors, PD torque and
    the allocation warm-started from the previous cycle's active set)."""

    def __init__(self, config: ControlConfig | None = None, layout: ThrusterLayout | None = None) -> None:
        self.config = config or ControlConfig()
        full = layout or default_stack_layout()
        if full.n != THRUSTER_COUNT:
            raise ValueError(f"the layout must hold {THRUSTER_COUNT} thrusters in board order, got {full.n}")
        self.layout = full
        self._att_layout = full.subset(list(ATTITUDE_THRUSTERS))
        self._gains = self.config.gains()
        self._alloc = AllocatorConfig(cycle_s=self.config.cycle_s, min_on_s=self.config.min_on_s)
        self._step = AttitudeStep(self._gains, self._att_layout, self._alloc)
        self._trim_force = (self.config.trim_force_n, 0.0, 0.0)
        self.mode = ControlMode.OFF
        self.main_burn = False
        self.trim = False
        self.unconverged = 0

    def set_cycle(self, cycle_s: float) -> None:
        if not (math.isfinite(cycle_s) and cycle_s > 0.0):
            raise ValueError(f"cycle_s must be positive, got {cycle_s!r}")
        if cycle_s != self._alloc.cycle_s:
            self._alloc = AllocatorConfig(cycle_s=cycle_s, min_on_s=self.config.min_on_s)
            self._step.config = self._alloc

    def step(self, q_body_from_eci: npt.ArrayLike, omega_body_rps: npt.ArrayLike,
             r_eci_m: npt.ArrayLike | None, v_eci_mps: npt.ArrayLike | None) -> ControlOutput:
        """The command for one cycle. Without an orbit (``r``/``v`` None) or in OFF mode, nothing fires
        except the main-burn flag, which the sequencer owns."""
        if r_eci_m is None or v_eci_mps is None:
            return ControlOutput(_ZEROS, self.main_burn, (0.0, 0.0, 0.0), math.nan, math.nan,
                                 (1.0, 0.0, 0.0, 0.0))
        control = self.mode is not ControlMode.OFF
        res = self._step(q_body_from_eci, omega_body_rps, r_eci_m, v_eci_mps,
                         self._trim_force if self.trim else _NO_FORCE, control)
        q_tuple = res.q_target_from_eci  # a tuple of four floats already
        if not control:
            return ControlOutput(_ZEROS, self.main_burn, (0.0, 0.0, 0.0), res.attitude_error_rad,
                                 res.thrust_axis_error_rad, q_tuple)
        if not res.converged:
            self.unconverged += 1
        # the attitude thrusters are the board's first 16 (flight.ports), the rest the deorbit set
        on = res.on_time_s + _MAIN_ZEROS
        tau = res.torque_cmd_body_nm
        return ControlOutput(on, self.main_burn, (tau[0], tau[1], tau[2]), res.attitude_error_rad,
                             res.thrust_axis_error_rad, q_tuple)
