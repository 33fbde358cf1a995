"""Reference navigation: flight/navigation.py as it was before its per-sample path moved to plain floats
and the binding object of firmware_bindings/nav_step.py, kept as the oracle of
tests/property/test_navigation_fast.py and the speed reference of benchmarks/bench_flight.py. The
navigator is the old one unchanged; its configuration and value types (``ImuErrorSpec``, ``NavConfig``,
``OrbitState``, ``ErrorBudget``, ``NavUpdate``) are flight.navigation's, which did not change. The method
(dead reckoning, accelerometer calibration, propagation rule, error budget) is described there.
"""

from __future__ import annotations

import collections
import math
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from firmware_bindings.attitude import quat_imu_step, quat_normalize, quat_propagate, quat_rotate
from firmware_bindings.orbit import G0_MPS2, OrbitStepper, propagate
from flight.navigation import ErrorBudget, NavConfig, NavUpdate, OrbitState
from flight.ports import ImuSample, Vec3

F64 = npt.NDArray[np.float64]


def _vec3(a: npt.ArrayLike) -> Vec3:
    x = np.asarray(a, dtype=np.float64).reshape(3)
    return (float(x[0]), float(x[1]), float(x[2]))


class Navigator:
    """Attitude, orbit and burn delta-v from IMU samples and ground state vectors. Time is passed in."""

    def __init__(self, q_body_from_eci: npt.ArrayLike, config: NavConfig | None = None,
                 orbit: OrbitState | None = None) -> None:
        self.config = config or NavConfig()
        q = np.asarray(q_body_from_eci, dtype=np.float64)
        if q.shape != (4,) or not np.all(np.isfinite(q)) or np.linalg.norm(q) < 0.5:
            raise ValueError(f"q_body_from_eci must be a finite unit quaternion, got {q_body_from_eci!r}")
        self.q_body_from_eci: F64 = quat_normalize(q)
        self.omega_body_rps: F64 = np.zeros(3)
        self.t_s: float | None = None  # time of the latest sample
        self._t_attitude_ref_s: float | None = None  # when the attitude was last set
        self._angle_turned_rad = 0.0
        self._orbit = orbit
        self._orbit_ref: OrbitState | None = orbit  # the latest uplink, for the error budget
        self._sigma_v_extra_mps = 0.0  # velocity error added by burns since the uplink
        self._burn_dv_sigma_mps = 0.0
        self._burn_dv_mps = 0.0
        self._burn_time_s = 0.0
        self.samples = 0
        self.rejected = 0
        # accelerometer calibration window: (interval, measured dv, predicted drag dv), body axes
        self._cal: collections.deque[tuple[float, F64, F64]] = collections.deque()
        self._cal_time_s = 0.0
        self.accel_bias_mps2: F64 = np.zeros(3)
        self.accel_bias_known = False
        # the coast model's C structs, made once; the drag acceleration of the latest orbit state, cached
        self._stepper = OrbitStepper(self.config.model)
        self._drag_for: OrbitState | None = None
        self._drag_eci: F64 = np.zeros(3)
        self._cal_meas = np.zeros(3)
        self._cal_pred = np.zeros(3)

    # ------------------------------------------------------------------------------- inputs

    def set_attitude(self, t_s: float, q_body_from_eci: npt.ArrayLike) -> None:
        """Re-set the attitude (an external fix); its error budget starts again from ``attitude_sigma0``."""
        q = np.asarray(q_body_from_eci, dtype=np.float64)
        if q.shape != (4,) or not np.all(np.isfinite(q)):
            raise ValueError("q_body_from_eci must be 4 finite numbers")
        self.q_body_from_eci = quat_normalize(q)
        self._t_attitude_ref_s = t_s
        self._angle_turned_rad = 0.0

    def apply_state_vector(self, epoch_s: float, r_eci_m: Vec3, v_eci_mps: Vec3,
                           mass_kg: float | None = None) -> None:
        """A ground state vector: the orbit restarts from it (mass kept unless given)."""
        vals = (epoch_s, *r_eci_m, *v_eci_mps)
        if not all(math.isfinite(x) for x in vals):
            raise ValueError("state vector must be finite")
        m = mass_kg if mass_kg is not None else (self._orbit.mass_kg if self._orbit is not None else None)
        if m is None or not (math.isfinite(m) and m > 0.0):
            raise ValueError("the first state vector needs the stack's mass")
        self._orbit = OrbitState(float(epoch_s), _vec3(r_eci_m), _vec3(v_eci_mps), float(m))
        self._orbit_ref = self._orbit
        self._sigma_v_extra_mps = 0.0

    def set_mass(self, mass_kg: float) -> None:
        """Replace the mass estimate (for example from the thruster board's propellant gauge)."""
        if self._orbit is not None and math.isfinite(mass_kg) and mass_kg > 0.0:
            self._orbit = replace(self._orbit, mass_kg=float(mass_kg))

    def on_imu(self, sample: ImuSample, thrusting: bool = False) -> NavUpdate:
        """Advance attitude (always) and orbit (when one is known) by one IMU sample.

        ``thrusting``: the executive's word that a burn or trim is under way: the measured delta-v is then
        integrated into the orbit. A sample not after the previous one raises ``ValueError``.
        """
        if self.t_s is not None and sample.t_s <= self.t_s:
            self.rejected += 1
            raise ValueError(f"IMU sample at {sample.t_s} s is not after {self.t_s} s")
        dtheta = np.array(sample.dtheta_body_rad, dtype=np.float64)
        dv_body = np.array(sample.dv_body_mps, dtype=np.float64)
        if dtheta.shape != (3,) or dv_body.shape != (3,):
            raise ValueError("an IMU sample carries 3 delta-angles and 3 delta-velocities")
        q_before = self.q_body_from_eci
        dv_corr = dv_body - self.accel_bias_mps2 * sample.interval_s
        burn = thrusting and self._orbit is not None and sample.t_s > self._orbit.t_s
        if burn:  # the delta-v to ECI with the mid-interval attitude, in the same core call
            self.q_body_from_eci, dv_eci = quat_imu_step(q_before, dtheta, dv_corr)
        else:
            self.q_body_from_eci = quat_propagate(q_before, dtheta)
        self.omega_body_rps = dtheta / sample.interval_s
        self._angle_turned_rad += _norm(dtheta)
        if self._t_attitude_ref_s is None:
            self._t_attitude_ref_s = sample.t_s - sample.interval_s
        self.t_s = sample.t_s
        self.samples += 1
        if self._orbit is not None and sample.t_s > self._orbit.t_s:
            if burn:
                self._coast_to(sample.t_s, drag=False)
                self._add_dv(dv_eci, _norm(dv_corr), sample.interval_s)
            else:
                o = self._orbit
                a_drag_eci = self._drag_accel_eci(o)
                self._calibrate(sample.interval_s, dv_body, quat_rotate(self.q_body_from_eci, a_drag_eci))
                self._coast_to(sample.t_s, drag=True)
        return NavUpdate(sample.t_s, sample.interval_s, _vec3(self.omega_body_rps), _vec3(dv_corr),
                         float(dv_corr[0]))

    def _drag_accel_eci(self, o: OrbitState) -> F64:
        """The model's drag acceleration at ``o`` (computed once per orbit state: the state objects are
        immutable and replaced on every change)."""
        if self._drag_for is not o:
            self._drag_eci = np.array(self._stepper.drag_accel(o.t_s, o.r_eci_m, o.v_eci_mps, o.mass_kg))
            self._drag_for = o
        return self._drag_eci

    def _calibrate(self, interval_s: float, dv_body: F64, a_drag_body: F64) -> None:
        cfg = self.config
        pred = a_drag_body * interval_s
        self._cal.append((interval_s, dv_body, pred))
        self._cal_time_s += interval_s
        self._cal_meas += dv_body
        self._cal_pred += pred
        while self._cal and self._cal_time_s - self._cal[0][0] >= cfg.accel_cal_window_s:
            old = self._cal.popleft()
            self._cal_time_s -= old[0]
            self._cal_meas -= old[1]
            self._cal_pred -= old[2]
        if not self._cal:
            self._cal_meas[:] = 0.0  # no drift from the running sums when the window empties
            self._cal_pred[:] = 0.0
        if self._cal_time_s >= cfg.accel_cal_min_s:
            self.accel_bias_mps2 = (self._cal_meas - self._cal_pred) / self._cal_time_s
            self.accel_bias_known = True

    def bridge_gap(self, dv_thrust_axis_mps: float, duration_s: float) -> None:
        """Add delta-v the IMU did not report (its outputs lost in a burn), assumed along +x body, the thrust
        axis, at the current attitude; its whole size counts into the error budget."""
        if self._orbit is None or not (math.isfinite(dv_thrust_axis_mps) and duration_s > 0.0):
            return
        dv_eci = quat_rotate(_conj(self.q_body_from_eci), np.array([dv_thrust_axis_mps, 0.0, 0.0]))
        self._add_dv(dv_eci, abs(dv_thrust_axis_mps), duration_s)
        self._sigma_v_extra_mps = math.hypot(self._sigma_v_extra_mps, 0.1 * abs(dv_thrust_axis_mps))

    def begin_burn(self) -> None:
        """Start counting a burn's measured delta-v (for the error budget)."""
        self._burn_dv_mps = 0.0
        self._burn_time_s = 0.0
        self._burn_dv_sigma_mps = 0.0

    # ------------------------------------------------------------------------------ outputs

    @property
    def has_orbit(self) -> bool:
        return self._orbit is not None

    def orbit(self) -> OrbitState:
        """The orbit at the latest time navigation has reached (``LookupError`` before any uplink)."""
        if self._orbit is None:
            raise LookupError("no orbit: no ground state vector received yet")
        return self._orbit

    def predict(self, t_s: float) -> OrbitState:
        """The orbit propagated (coast, drag on) to ``t_s`` without changing the estimate."""
        o = self.orbit()
        if t_s < o.t_s:
            raise ValueError(f"cannot predict backwards from {o.t_s} s to {t_s} s")
        if t_s == o.t_s:
            return o
        model = replace(self.config.model, burn=None)
        s = propagate(o.t_s, o.r_eci_m, o.v_eci_mps, o.mass_kg, t_s, model=model)
        return OrbitState(t_s, _vec3(s.r_eci_m), _vec3(s.v_eci_mps), float(s.mass_kg))

    def retrograde_eci(self) -> Vec3:
        """Unit vector opposite to the inertial velocity (the burn direction) at the latest time."""
        v = np.asarray(self.orbit().v_eci_mps)
        return _vec3(-v / np.linalg.norm(v))

    def residual_accel_bias_mps2(self) -> float:
        """1-sigma accelerometer bias left after calibration (the full bias when none has been made)."""
        cfg = self.config
        if not self.accel_bias_known or self._orbit is None:
            return cfg.imu.accel_bias_mps2
        a_drag = float(np.linalg.norm(self._drag_accel_eci(self._orbit)))
        return math.hypot(cfg.drag_model_error_fraction * a_drag,
                          cfg.imu.accel_vrw_mps_per_sqrt_s / math.sqrt(self._cal_time_s))

    def thrust_axis_eci(self) -> Vec3:
        """Where +x body points, in ECI."""
        return _vec3(quat_rotate(_conj(self.q_body_from_eci), np.array([1.0, 0.0, 0.0])))

    def error_budget(self, t_s: float | None = None) -> ErrorBudget:
        """1-sigma errors of attitude, position, velocity and burn delta-v at ``t_s`` (default: now)."""
        cfg = self.config
        t = t_s if t_s is not None else (self.t_s if self.t_s is not None else 0.0)
        att = self._attitude_sigma_rad(t)
        pos, vel = math.inf, math.inf
        if self._orbit_ref is not None and self._orbit is not None:
            o = self._orbit
            dt = max(0.0, t - self._orbit_ref.t_s)
            a_drag = float(np.linalg.norm(self._drag_accel_eci(o)))
            sa = cfg.drag_model_error_fraction * a_drag
            sv0 = math.hypot(cfg.uplink_sigma_v_mps, self._sigma_v_extra_mps)
            vel = math.hypot(sv0, sa * dt)
            pos = math.sqrt(cfg.uplink_sigma_r_m ** 2 + (sv0 * dt) ** 2 + (0.5 * sa * dt * dt) ** 2)
        return ErrorBudget(t, att, pos, vel, self._burn_dv_sigma_mps)

    # ----------------------------------------------------------------------------- helpers

    def _attitude_sigma_rad(self, t: float) -> float:
        cfg = self.config
        imu = cfg.imu
        dt_att = max(0.0, t - (self._t_attitude_ref_s if self._t_attitude_ref_s is not None else t))
        return math.sqrt(cfg.attitude_sigma0_rad ** 2 + imu.gyro_arw_rad_per_sqrt_s ** 2 * dt_att
                         + (imu.gyro_bias_rps * dt_att) ** 2
                         + (imu.gyro_scale_factor * self._angle_turned_rad) ** 2)

    def _coast_to(self, t_s: float, drag: bool) -> None:
        o = self._orbit
        assert o is not None
        r, v = self._stepper.propagate(o.t_s, o.r_eci_m, o.v_eci_mps, o.mass_kg, t_s, drag=drag)
        self._orbit = OrbitState(t_s, r, v, o.mass_kg)

    def _add_dv(self, dv_eci: F64, dv_norm_mps: float, interval_s: float) -> None:
        o = self._orbit
        assert o is not None
        imu = self.config.imu
        v = np.asarray(o.v_eci_mps) + dv_eci
        mass = o.mass_kg * math.exp(-dv_norm_mps / (self.config.model.isp_s * G0_MPS2))
        self._orbit = OrbitState(o.t_s, o.r_eci_m, _vec3(v), mass)
        self._burn_dv_mps += dv_norm_mps
        self._burn_time_s += interval_s
        att = self._attitude_sigma_rad(self.t_s if self.t_s is not None else 0.0)
        self._burn_dv_sigma_mps = math.sqrt((self.residual_accel_bias_mps2() * self._burn_time_s) ** 2
                                            + (imu.accel_scale_factor * self._burn_dv_mps) ** 2)
        step = math.hypot(imu.accel_scale_factor * dv_norm_mps, att * dv_norm_mps)
        self._sigma_v_extra_mps = math.hypot(self._sigma_v_extra_mps, step + imu.accel_bias_mps2 * interval_s)


def _conj(q: F64) -> F64:
    return np.array([q[0], -q[1], -q[2], -q[3]])


def _norm(a: F64) -> float:
    return math.sqrt(float(a @ a))
