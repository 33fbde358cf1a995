"""The truth simulation of the stack: a 6-DOF rigid body driven by the thruster board's valve states.

Models (DESIGN.md section 6; the truth is always more detailed than the flight software's own model):
gravity with J2-J4; drag from Harris-Priester with the diurnal bulge (or the exponential table, by scenario)
times the scenario's density scale, in an atmosphere co-rotating with the Earth; the aerodynamic torque of
the centre-of-pressure offset; the gravity-gradient torque; thrust and torque of each open thruster with
per-thruster thrust and misalignment dispersions drawn from the seed; mass depletion at the scenario's Isp;
the entry interface and breakup altitudes as events. The coupled step runs in the C core
(``firmware_bindings.rigid``): RK4 in equal steps no longer than ``h_max_s``, split exactly at every valve
transition and at propellant exhaustion, so pulses within a control cycle are integrated exactly in time.

Time is ``t_s``, UTC seconds since J2000 (also the IMU time tags). Thruster indices are the ICD's
(``hil.protocol.catalogue``): 0-15 attitude, 16-45 deorbit, the order of
``firmware_bindings.attitude.default_stack_layout()``.

Assumptions, stated: the inertia tensor and the centre of mass are constant (16 t of propellant in a 450 t
stack); the drag area does not depend on attitude (the scenario's effective cross-section); thrusters
produce full thrust from the instant their valve opens to the instant it closes (no rise or tail-off).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from firmware_bindings import attitude, frames, orbit, rigid
from firmware_bindings.environment import AtmosphereModel, GravityModel
from hil.plant.debris import DebrisFootprint, footprint_from_breakup
from hil.scenario import Scenario

F64Array = npt.NDArray[np.float64]

THRUSTER_COUNT = 46
J2000_UTC = datetime(2000, 1, 1, 12, 0, 0, tzinfo=UTC)
G0_MPS2 = 9.80665
OMEGA_EARTH_RAD_S = 7.292115e-5

_max_reduce = np.maximum.reduce  # ndarray.max without its Python wrapper


@dataclass(frozen=True)
class TruthState:
    """The stack's true state at ``t_s`` (SI; angles in the unit their name says)."""

    t_s: float
    r_eci_m: F64Array
    v_eci_mps: F64Array
    q_body_from_eci: F64Array
    omega_body_rps: F64Array
    mass_kg: float
    propellant_kg: float
    altitude_m: float
    lat_deg: float
    lon_deg: float
    perigee_alt_m: float
    apogee_alt_m: float


@dataclass(frozen=True)
class EntryEvent:
    """The truth crossing an altitude (the entry interface or the breakup altitude)."""

    t_s: float
    altitude_m: float
    r_eci_m: F64Array
    v_eci_mps: F64Array
    mass_kg: float
    fpa_rad: float  # inertial flight-path angle (negative descending)


@dataclass(frozen=True)
class ThrusterSet:
    """Each thruster's dispersed thrust (N), direction (unit, body axes) and position from the centre of
    mass (m, body axes), and the resulting per-thruster force, torque and mass flow."""

    names: tuple[str, ...]
    r_body_m: F64Array
    dir_body: F64Array
    thrust_n: F64Array
    force_body_n: F64Array  # (46, 3)
    torque_body_nm: F64Array  # (46, 3)
    mdot_kg_s: F64Array  # (46,)

    @classmethod
    def dispersed(cls, thrust_n: float, isp_s: float, thrust_sigma_fraction: float,
                  misalignment_sigma_deg: float, rng: np.random.Generator) -> ThrusterSet:
        """The stack's 46 Dracos with thrust scale factors ~ N(1, sigma) and directions tilted by an angle
        ~ |N(0, sigma)| per axis of the plane normal to the nominal direction, from ``rng``."""
        layout = attitude.default_stack_layout()
        n = layout.n
        scale = 1.0 + thrust_sigma_fraction * rng.standard_normal(n)
        scale = np.maximum(scale, 0.0)
        tilt = np.deg2rad(misalignment_sigma_deg) * rng.standard_normal((n, 2))
        d_nom = np.asarray(layout.dir_body, dtype=np.float64)
        dirs = np.empty_like(d_nom)
        for i in range(n):
            d = d_nom[i]
            helper = np.array([0.0, 0.0, 1.0]) if abs(d[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
            e1 = np.cross(d, helper)
            e1 /= np.linalg.norm(e1)
            e2 = np.cross(d, e1)
            v = d + tilt[i, 0] * e1 + tilt[i, 1] * e2
            dirs[i] = v / np.linalg.norm(v)
        f_mag = thrust_n * scale
        force = dirs * f_mag[:, None]
        r = np.asarray(layout.r_body_m, dtype=np.float64)
        torque = np.cross(r, force)
        mdot = f_mag / (isp_s * G0_MPS2)
        for a in (r, dirs, f_mag, force, torque, mdot):
            a.setflags(write=False)
        return cls(names=layout.names, r_body_m=r, dir_body=dirs, thrust_n=f_mag, force_body_n=force,
                   torque_body_nm=torque, mdot_kg_s=mdot)


def utc_from_t_s(t_s: float) -> datetime:
    """The UTC date and time of t_s (seconds since J2000, leap seconds not counted: the project's scale)."""
    return J2000_UTC + timedelta(seconds=float(t_s))


def apsis_altitudes_m(gm_m3_s2: float, re_m: float, r_eci_m: F64Array, v_eci_mps: F64Array) -> tuple[float,
                                                                                                     float]:
    """Osculating two-body perigee and apogee altitudes above the equatorial radius (m); apogee is +inf for
    an orbit that is not bound (unlike ``orbit.apsis_altitudes_m``, never raises: a report of the truth
    must not fail on an unusual state)."""
    rn = float(np.linalg.norm(r_eci_m))
    v2 = float(v_eci_mps @ v_eci_mps)
    energy = 0.5 * v2 - gm_m3_s2 / rn
    h = np.cross(r_eci_m, v_eci_mps)
    e_vec = np.cross(v_eci_mps, h) / gm_m3_s2 - r_eci_m / rn
    e = float(np.linalg.norm(e_vec))
    p = float(h @ h) / gm_m3_s2
    rp = p / (1.0 + e)
    ra = p / (1.0 - e) if e < 1.0 and energy < 0.0 else math.inf
    return rp - re_m, ra - re_m


def lvlh_attitude(r_eci_m: F64Array, v_eci_mps: F64Array) -> tuple[F64Array, F64Array]:
    """q_body_from_eci and omega_body_rps of a body held in the local orbital frame: +x along the velocity
    (in the orbit plane, normal to the radius), +z toward the centre of the Earth, +y opposite the orbit
    normal; turning at the orbital rate."""
    z = -r_eci_m / np.linalg.norm(r_eci_m)
    h = np.cross(r_eci_m, v_eci_mps)
    y = -h / np.linalg.norm(h)
    x = np.cross(y, z)
    dcm_body_from_eci = np.vstack([x, y, z])
    q = attitude.quat_from_dcm(dcm_body_from_eci)
    rate = float(np.linalg.norm(h)) / float(r_eci_m @ r_eci_m)
    return np.asarray(q, dtype=np.float64), np.array([0.0, -rate, 0.0])


class Plant:
    """The truth of one run (see the module docstring). Build it with :meth:`from_scenario`."""

    #: longest RK4 step (s) above the entry interface, and below it
    H_MAX_S = 5.0
    H_MAX_ENTRY_S = 1.0

    def __init__(self, scenario: Scenario, seed: int, model: rigid.RigidBodyModel, thrusters: ThrusterSet,
                 t0_s: float, y0: F64Array) -> None:
        self.scenario = scenario
        self.seed = int(seed)
        self.thrusters = thrusters
        self.dry_mass_kg = float(scenario.vehicle.dry_mass_kg) * scenario.truth.dry_mass_scale
        bank = rigid.ThrusterBank(thrusters.force_body_n, thrusters.torque_body_nm, thrusters.mdot_kg_s)
        self._prop = rigid.ValvePropagator(model, bank, self.dry_mass_kg, y0)
        self._y = self._prop.y  # the state, updated in place by the propagator
        self._open_until = self._prop.open_until_s
        self._open_last_s = -math.inf  # no valve is open after this time
        self._thrust_factor = np.ones(THRUSTER_COUNT)
        self.interface_alt_m = float(scenario.reentry.interface_alt_km) * 1e3
        self.breakup_alt_m = float(scenario.reentry.breakup_alt_km) * 1e3
        self._t_s = float(t0_s)
        self.interface: EntryEvent | None = None
        self.breakup: EntryEvent | None = None
        self._footprint: DebrisFootprint | None = None
        self.impulse_body_ns = np.zeros(3)  # thrust impulse delivered, body axes (N s), for reports
        self.valve_open_s = np.zeros(THRUSTER_COUNT)  # cumulative valve-open time per thruster
        alt = self._altitude_m()
        if alt <= self.interface_alt_m:
            self.interface = self._event(alt)
        if alt <= self.breakup_alt_m:
            self.breakup = self._event(alt)

    # ---- construction ----

    @classmethod
    def from_scenario(cls, scenario: Scenario, seed: int) -> Plant:
        """The truth at the scenario's start: its osculating orbit, the body held in the local orbital frame
        (+x along the velocity) at the orbital rate, full propellant, thruster dispersions from ``seed``."""
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        rng = np.random.default_rng(int(seed))
        s = scenario
        gravity = GravityModel.default()
        inertia = (attitude.default_stack_inertia_kg_m2() if s.vehicle.inertia_kg_m2 is None
                   else np.asarray(s.vehicle.inertia_kg_m2, dtype=np.float64))
        atm = AtmosphereModel(kind="harris-priester" if s.truth.atmosphere == "harris-priester"
                              else "exponential", scale=s.truth.density_scale, hp_n=s.truth.hp_exponent)
        model = rigid.RigidBodyModel(inertia_kg_m2=inertia, cd=s.vehicle.cd, area_m2=s.vehicle.drag_area_m2,
                                     cop_body_m=s.vehicle.cop_offset_body_m, gravity=gravity, atmosphere=atm,
                                     omega_earth_rad_s=OMEGA_EARTH_RAD_S)
        th = s.thrusters
        thrusters = ThrusterSet.dispersed(th.thrust_n, th.isp_s, th.thrust_sigma_fraction,
                                          th.misalignment_sigma_deg, rng)
        o = s.orbit
        rp = gravity.re_m + o.perigee_alt_km * 1e3
        ra = gravity.re_m + o.apogee_alt_km * 1e3
        elements = (0.5 * (rp + ra), (ra - rp) / (ra + rp), math.radians(o.inclination_deg),
                    math.radians(o.raan_deg), math.radians(o.arg_perigee_deg),
                    math.radians(o.true_anomaly_deg))
        r, v = orbit.state_from_elements(elements, gravity.gm_m3_s2)
        q, w = lvlh_attitude(r, v)
        y0 = np.zeros(rigid.NSTATE)
        y0[0:3], y0[3:6], y0[6:10], y0[10:13] = r, v, q, w
        y0[13] = s.vehicle.dry_mass_kg * s.truth.dry_mass_scale + s.vehicle.propellant_kg
        t0 = frames.j2000_s_from_utc(s.start_utc)
        return cls(scenario, seed, model, thrusters, float(t0), y0)

    # ---- state ----

    @property
    def model(self) -> rigid.RigidBodyModel:
        """The force and torque model (replace it to switch a term off in a test or a what-if run)."""
        return self._prop.model

    @model.setter
    def model(self, model: rigid.RigidBodyModel) -> None:
        self._prop.model = model

    @property
    def t_s(self) -> float:
        return self._t_s

    @property
    def state_vector(self) -> F64Array:
        """A copy of the full 20-component state (``firmware_bindings.rigid`` layout)."""
        return self._y.copy()

    @property
    def mass_kg(self) -> float:
        return float(self._y[13])

    @property
    def propellant_kg(self) -> float:
        return max(0.0, float(self._y[13]) - self.dry_mass_kg)

    @property
    def reentered(self) -> bool:
        """True once the truth has gone below the entry interface."""
        return self.interface is not None

    @property
    def broken_up(self) -> bool:
        """True once the truth has reached the breakup altitude; the stack's state is then frozen there."""
        return self.breakup is not None

    @property
    def open_until_s(self) -> F64Array:
        return self._open_until.copy()

    def imu_accumulators(self) -> tuple[F64Array, F64Array]:
        """(theta_body_rad, vel_body_mps): the integrals since the start of the body rate and of the
        non-gravitational specific force, body axes."""
        return self._y[14:17].copy(), self._y[17:20].copy()

    def truth(self) -> TruthState:
        """The true state now (arrays are read-only copies)."""
        y = self._y
        r, v, q, w = y[0:3].copy(), y[3:6].copy(), y[6:10].copy(), y[10:13].copy()
        for a in (r, v, q, w):
            a.setflags(write=False)
        lla = frames.geodetic_from_ecef(frames.ecef_from_eci(self._t_s, r))
        g = self.model.gravity
        hp, ha = apsis_altitudes_m(g.gm_m3_s2, g.re_m, r, v)
        return TruthState(t_s=self._t_s, r_eci_m=r, v_eci_mps=v, q_body_from_eci=q,
                          omega_body_rps=w, mass_kg=self.mass_kg,
                          propellant_kg=self.propellant_kg, altitude_m=float(lla[2]),
                          lat_deg=math.degrees(float(lla[0])), lon_deg=math.degrees(float(lla[1])),
                          perigee_alt_m=hp, apogee_alt_m=ha)

    def _altitude_m(self) -> float:
        return float(frames.geodetic_altitude_m(self._t_s, self._y[0:3]))

    def _event(self, altitude_m: float) -> EntryEvent:
        r, v = self._y[0:3].copy(), self._y[3:6].copy()
        return EntryEvent(t_s=self._t_s, altitude_m=altitude_m, r_eci_m=r, v_eci_mps=v, mass_kg=self.mass_kg,
                          fpa_rad=orbit.flight_path_angle_rad(r, v))

    def set_attitude(self, q_body_from_eci: Any, omega_body_rps: Any) -> None:
        """Put the body in another attitude and rate now (a scenario that starts tumbling, a test); the
        orbit, mass and accumulators are unchanged."""
        q = np.array(q_body_from_eci, dtype=np.float64)
        w = np.array(omega_body_rps, dtype=np.float64)
        if q.shape != (4,) or w.shape != (3,) or not (np.isfinite(q).all() and np.isfinite(w).all()):
            raise ValueError("set_attitude needs a finite quaternion (4,) and rate (3,)")
        n = float(np.linalg.norm(q))
        if not n > 0.0:
            raise ValueError("set_attitude: zero quaternion")
        self._y[6:10] = q / n
        self._y[10:13] = w

    # ---- valves ----

    def set_valves(self, t_s: float, open_until_s: Any, thrust_factor: Any = None,
                   last_s: float | None = None) -> None:
        """From ``t_s`` thruster i produces thrust until ``open_until_s[i]`` (<= t_s: closed; +inf: open until
        changed). ``t_s`` must not be before the plant's time; the plant advances to it first.

        ``thrust_factor`` (optional, 46 values in [0, 2]) scales each thruster's thrust, torque and flow from
        ``t_s`` on (a degraded thruster, also in main-burn mode where the on-time cannot carry it); it stays
        until given again. None leaves the factors as they are (1 at the start).

        ``last_s``: the latest time of ``open_until_s``, from a caller that keeps it (the thruster board's
        core does); the schedule is then not scanned for it again, nor for NaN (the caller vouches for
        it, as the core's checks of its own inputs do)."""
        t = float(t_s)
        if not math.isfinite(t):
            raise ValueError(f"set_valves: t_s must be finite, got {t_s!r}")
        if t < self._t_s:
            raise ValueError(f"set_valves: t_s {t!r} is before the plant's time {self._t_s!r}")
        until = np.asarray(open_until_s, dtype=np.float64)  # copied into place below, after the checks
        if until.shape != (THRUSTER_COUNT,):
            raise ValueError(f"set_valves: open_until_s must have shape ({THRUSTER_COUNT},), "
                             f"got {until.shape}")
        if last_s is None:
            last_s = float(_max_reduce(until))
        if math.isnan(last_s):  # a NaN anywhere makes the maximum NaN
            raise ValueError("set_valves: open_until_s holds NaN")
        factor = None
        if thrust_factor is not None:
            factor = np.array(thrust_factor, dtype=np.float64)
            if factor.shape != (THRUSTER_COUNT,) or not np.all((factor >= 0.0) & (factor <= 2.0)):
                raise ValueError(f"set_valves: thrust_factor must be {THRUSTER_COUNT} values in [0, 2]")
        if t > self._t_s:
            self.advance_to(t)
        if factor is not None and not np.array_equal(factor, self._thrust_factor):
            th = self.thrusters
            self._prop.bank = rigid.ThrusterBank(th.force_body_n * factor[:, None],
                                                 th.torque_body_nm * factor[:, None], th.mdot_kg_s * factor)
            self._thrust_factor = factor
        self._open_until[:] = until  # a time at or before t_s is a closed valve, as -inf is
        self._open_last_s = last_s

    @property
    def thrust_factor(self) -> F64Array:
        return self._thrust_factor.copy()

    # ---- integration ----

    def advance_to(self, t_s: float) -> None:
        """Integrate the truth forward to ``t_s`` (never backward: ValueError). After breakup the stack's
        state stays frozen at the breakup point and only the time moves on."""
        t1 = float(t_s)
        if not math.isfinite(t1):
            raise ValueError(f"advance_to: t_s must be finite, got {t_s!r}")
        if t1 < self._t_s:
            raise ValueError(f"advance_to: cannot go back from {self._t_s!r} to {t1!r}")
        for _ in range(3):  # at most: to the interface, to breakup, then frozen
            if self._t_s >= t1:
                return
            if self.broken_up:
                self._t_s = t1
                return
            below_interface = self.interface is not None
            t_from = self._t_s
            t_reached, stopped = self._prop.step(
                self._t_s, t1, self.H_MAX_ENTRY_S if below_interface else self.H_MAX_S,
                self.breakup_alt_m if below_interface else self.interface_alt_m)
            self._t_s = t_reached if stopped else t1
            open_s = self._prop.open_s
            if self._open_last_s > t_from:  # a valve was open in the step (skip the sums when none was)
                self.valve_open_s += open_s
                self.impulse_body_ns += open_s @ self._prop.bank.force_body_n
            if stopped:
                if not below_interface:
                    self.interface = self._event(self.interface_alt_m)
                else:
                    self.breakup = self._event(self.breakup_alt_m)
                    self._open_until[:] = -math.inf
                    self._open_last_s = -math.inf

    def reentry_summary(self) -> dict[str, Any]:
        """The ``reentry`` block of the run summary (DESIGN.md section 9), JSON-ready; None for what has
        not happened yet."""
        i, b = self.interface, self.breakup
        return {
            "interface_utc": utc_from_t_s(i.t_s).isoformat().replace("+00:00", "Z") if i else None,
            "interface_t_s": i.t_s if i else None,
            "fpa_at_interface_deg": math.degrees(i.fpa_rad) if i else None,
            "breakup_utc": utc_from_t_s(b.t_s).isoformat().replace("+00:00", "Z") if b else None,
            "breakup_alt_km": b.altitude_m / 1e3 if b else None,
        }

    # ---- debris ----

    def breakup_and_impacts(self) -> DebrisFootprint:
        """The debris footprint of the truth (see :mod:`hil.plant.debris`), computed once, after breakup
        (RuntimeError before)."""
        if self.breakup is None:
            raise RuntimeError("breakup_and_impacts: the truth has not reached the breakup altitude yet "
                               f"({self.scenario.reentry.breakup_alt_km:g} km)")
        if self._footprint is None:
            self._footprint = footprint_from_breakup(self, self.breakup)
        return self._footprint
