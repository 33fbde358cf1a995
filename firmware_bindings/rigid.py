"""The coupled 6-DOF rigid-body step of the truth simulation (C core ``csrc/fb_rigid.h``).

The state is a 20-vector ``y``: ``r_eci_m[0:3]``, ``v_eci_mps[3:6]``, ``q_body_from_eci[6:10]``,
``omega_body_rps[10:13]``, ``mass_kg[13]``, and two perfect-IMU accumulators: ``theta_body_rad[14:17]``
(integral of the body rate) and ``dv_body_mps[17:20]`` (integral of the non-gravitational specific force,
body axes). Dynamics, frames and the integrator are described in the header; this module is the thin
checked binding and a small numpy API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from firmware_bindings._arrays import F64Array, as_f64, dptr, dptr_out
from firmware_bindings._core import ffi, lib
from firmware_bindings._status import ensure
from firmware_bindings.environment import AtmosphereModel, GravityModel

__all__ = [
    "EMPTY_KG",
    "MAX_THRUSTERS",
    "NSTATE",
    "RigidBodyModel",
    "StepResult",
    "ThrustLoad",
    "ThrusterBank",
    "ValvePropagator",
    "ValveStep",
    "derivative",
    "orbit_energy_j_kg",
    "propagate",
    "propagate_valves",
]

NSTATE: int = int(lib.FB_RB_NSTATE)
MAX_THRUSTERS: int = int(lib.FB_RB_MAX_THRUSTERS)
EMPTY_KG = 1e-6  # FB_RB_EMPTY_KG: propagate_valves counts less propellant than this as none
R, V, Q, W, M, THETA, DV = (slice(0, 3), slice(3, 6), slice(6, 10), slice(10, 13), 13, slice(14, 17),
                            slice(17, 20))


@dataclass(frozen=True, eq=False)
class RigidBodyModel:
    """Forces and torques on the stack: zonal gravity, drag with the aerodynamic torque of a centre of
    pressure offset from the centre of mass, gravity gradient; constant inertia (kg m^2, body axes)."""

    inertia_kg_m2: Any
    cd: float
    area_m2: float
    cop_body_m: Any = (0.0, 0.0, 0.0)
    gravity: GravityModel = field(default_factory=GravityModel.default)
    atmosphere: AtmosphereModel = field(default_factory=lambda: AtmosphereModel("harris-priester"))
    omega_earth_rad_s: float = 7.292115e-5
    drag_on: bool = True
    gravity_gradient_on: bool = True
    _c: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        inertia = as_f64(self.inertia_kg_m2, (3, 3), "inertia_kg_m2")
        cop = as_f64(self.cop_body_m, (3,), "cop_body_m")
        if inertia.shape != (3, 3) or cop.shape != (3,):
            raise ValueError(f"need inertia (3, 3) and cop (3,), got {inertia.shape} and {cop.shape}")
        c = ffi.new("fb_rb_model *")
        g = self.gravity
        c.grav.gm_m3_s2, c.grav.re_m = float(g.gm_m3_s2), float(g.re_m)
        c.grav.j2, c.grav.j3, c.grav.j4 = float(g.j2), float(g.j3), float(g.j4)
        atm = self.atmosphere._c()
        c.atm.kind, c.atm.scale, c.atm.hp_n = atm.kind, atm.scale, atm.hp_n
        c.omega_earth_rad_s = float(self.omega_earth_rad_s)
        c.drag_on = 1 if self.drag_on else 0
        c.gravity_gradient_on = 1 if self.gravity_gradient_on else 0
        c.cd = float(self.cd)
        c.area_m2 = float(self.area_m2)
        for k in range(3):
            c.cop_body_m[k] = float(cop[k])
        for k in range(9):
            c.inertia_kg_m2[k] = float(inertia.reshape(9)[k])
        ensure(lib.fb_rb_check_model(c), "fb_rb_check_model")
        inertia = inertia.copy()
        inertia.setflags(write=False)
        object.__setattr__(self, "inertia_kg_m2", inertia)
        object.__setattr__(self, "_c", c)


@dataclass(frozen=True, eq=False)
class ThrustLoad:
    """Total thrust force (N) and torque about the centre of mass (N m) in body axes, and propellant flow
    (kg/s), constant over one propagation."""

    force_body_n: Any = (0.0, 0.0, 0.0)
    torque_body_nm: Any = (0.0, 0.0, 0.0)
    mdot_kg_s: float = 0.0
    _c: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        f = as_f64(self.force_body_n, (3,), "force_body_n")
        t = as_f64(self.torque_body_nm, (3,), "torque_body_nm")
        if f.shape != (3,) or t.shape != (3,):
            raise ValueError("force_body_n and torque_body_nm must be 3-vectors")
        c = ffi.new("fb_rb_thrust *")
        for k in range(3):
            c.force_body_n[k] = float(f[k])
            c.torque_body_nm[k] = float(t[k])
        c.mdot_kg_s = float(self.mdot_kg_s)
        object.__setattr__(self, "_c", c)


COAST = ThrustLoad()


@dataclass(frozen=True)
class StepResult:
    t_s: float
    y: F64Array
    stopped: bool  # the altitude reached h_stop_m at t_s


def _state(y: Any) -> F64Array:
    a = as_f64(y, (NSTATE,), "y")
    if a.shape != (NSTATE,):
        raise ValueError(f"y must have shape ({NSTATE},), got {a.shape}")
    return a


def derivative(model: RigidBodyModel, thrust: ThrustLoad, t_s: float, y: Any) -> F64Array:
    """dy/dt at (t_s, y)."""
    a = _state(y)
    out = np.empty(NSTATE)
    ensure(lib.fb_rb_deriv(model._c, thrust._c, float(t_s), dptr(a), dptr_out(out)), "fb_rb_deriv")
    return out


def propagate(model: RigidBodyModel, thrust: ThrustLoad, t0_s: float, y0: Any, t1_s: float,
              h_max_s: float, h_stop_m: float = float("-inf")) -> StepResult:
    """RK4 from (t0_s, y0) to t1_s in equal steps of at most h_max_s, stopping early where the geodetic
    altitude falls to ``h_stop_m`` (``-inf``: never)."""
    a = _state(y0)
    out = np.empty(NSTATE)
    t_end = ffi.new("double *")
    stopped = ffi.new("int *")
    ensure(lib.fb_rb_propagate(model._c, thrust._c, float(t0_s), dptr(a), float(t1_s), float(h_max_s),
                               float(h_stop_m), t_end, dptr_out(out), stopped), "fb_rb_propagate")
    return StepResult(t_s=float(t_end[0]), y=out, stopped=bool(stopped[0]))


def orbit_energy_j_kg(r_eci_m: Any, v_eci_mps: Any, gravity: GravityModel | None = None) -> float:
    """Specific orbital energy (J/kg) in the zonal field (J2-J4 potential included)."""
    r = as_f64(r_eci_m, (3,), "r_eci_m")
    v = as_f64(v_eci_mps, (3,), "v_eci_mps")
    if r.shape != (3,) or v.shape != (3,):
        raise ValueError("r_eci_m and v_eci_mps must be 3-vectors")
    g = (gravity or GravityModel.default())._c()
    e = ffi.new("double *")
    ensure(lib.fb_rb_orbit_energy(g, dptr(r), dptr(v), e), "fb_rb_orbit_energy")
    return float(e[0])


@dataclass(frozen=True, eq=False)
class ThrusterBank:
    """Per-thruster force (N) and moment about the centre of mass (N m), body axes, ``(n, 3)``, and propellant
    flow (kg/s), ``(n,)``, while the thruster's valve is open."""

    force_body_n: Any
    torque_body_nm: Any
    mdot_kg_s: Any
    _c: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        f = as_f64(self.force_body_n, (3,), "force_body_n").copy()
        t = as_f64(self.torque_body_nm, (3,), "torque_body_nm").copy()
        m = as_f64(self.mdot_kg_s, name="mdot_kg_s").copy()
        if f.ndim != 2 or t.shape != f.shape or m.shape != (f.shape[0],):
            raise ValueError(
                f"need force (n, 3), torque (n, 3), mdot (n,); got {f.shape}, {t.shape}, {m.shape}")
        n = f.shape[0]
        if n > MAX_THRUSTERS:
            raise ValueError(f"at most {MAX_THRUSTERS} thrusters, got {n}")
        c = ffi.new("fb_rb_thruster_set *")
        c.n = n
        pad_f = np.zeros((MAX_THRUSTERS, 3))
        pad_t = np.zeros((MAX_THRUSTERS, 3))
        pad_m = np.zeros(MAX_THRUSTERS)
        pad_f[:n], pad_t[:n], pad_m[:n] = f, t, m
        ffi.buffer(c.force_body_n)[:] = pad_f.tobytes()
        ffi.buffer(c.torque_body_nm)[:] = pad_t.tobytes()
        ffi.buffer(c.mdot_kg_s)[:] = pad_m.tobytes()
        ensure(lib.fb_rb_check_thrusters(c), "fb_rb_check_thrusters")
        for a in (f, t, m):
            a.setflags(write=False)
        object.__setattr__(self, "force_body_n", f)
        object.__setattr__(self, "torque_body_nm", t)
        object.__setattr__(self, "mdot_kg_s", m)
        object.__setattr__(self, "_c", c)

    @property
    def n(self) -> int:
        return int(self.mdot_kg_s.shape[0])


@dataclass(frozen=True)
class ValveStep:
    t_s: float
    y: F64Array
    stopped: bool  # the altitude reached h_stop_m at t_s
    open_s: F64Array  # per thruster, the time it produced thrust during this call


def propagate_valves(model: RigidBodyModel, bank: ThrusterBank, open_until_s: Any, dry_mass_kg: float,
                     t0_s: float, y0: Any, t1_s: float, h_max_s: float,
                     h_stop_m: float = float("-inf")) -> ValveStep:
    """Integrate with thruster i on while ``t < open_until_s[i]``, split exactly at every valve closing and
    at propellant exhaustion (mass down to ``dry_mass_kg``); otherwise as :func:`propagate`."""
    a = _state(y0)
    until = as_f64(open_until_s, name="open_until_s")
    if until.shape != (bank.n,):
        raise ValueError(f"open_until_s must have shape ({bank.n},), got {until.shape}")
    out = np.empty(NSTATE)
    open_s = np.zeros(bank.n)
    t_end = ffi.new("double *")
    stopped = ffi.new("int *")
    code = lib.fb_rb_propagate_valves(model._c, bank._c, dptr(until), float(dry_mass_kg), float(t0_s),
                                      dptr(a), float(t1_s), float(h_max_s), float(h_stop_m), t_end,
                                      dptr_out(out), stopped, dptr_out(open_s))
    ensure(code, "fb_rb_propagate_valves")
    return ValveStep(t_s=float(t_end[0]), y=out, stopped=bool(stopped[0]), open_s=open_s)


class ValvePropagator:
    """:func:`propagate_valves` on a state held in place, for a caller that steps often (a plant at the IMU
    rate): the state ``y``, the valve times ``open_until_s`` and the per-call ``open_s`` are arrays owned by
    this object (write ``open_until_s`` in place), and their C pointers are made once."""

    def __init__(self, model: RigidBodyModel, bank: ThrusterBank, dry_mass_kg: float, y0: Any) -> None:
        self.model = model
        self.bank = bank
        self.dry_mass_kg = float(dry_mass_kg)
        self.y: F64Array = _state(y0).copy()
        self.open_until_s: F64Array = np.full(bank.n, -np.inf)
        self.open_s: F64Array = np.zeros(bank.n)
        self._py = dptr_out(self.y)
        self._pu = dptr(self.open_until_s)
        self._po = dptr_out(self.open_s)
        self._t_end = ffi.new("double *")
        self._stopped = ffi.new("int *")

    def step(self, t0_s: float, t1_s: float, h_max_s: float, h_stop_m: float) -> tuple[float, bool]:
        """Advance ``y`` from t0_s toward t1_s; returns (time reached, stopped at h_stop_m). ``open_s`` holds
        each thruster's thrusting time during this call. On an error ``y`` is unchanged."""
        self.open_s.fill(0.0)
        code = lib.fb_rb_propagate_valves(self.model._c, self.bank._c, self._pu, self.dry_mass_kg, t0_s,
                                          self._py, t1_s, h_max_s, h_stop_m, self._t_end, self._py,
                                          self._stopped, self._po)
        if code:
            ensure(code, "fb_rb_propagate_valves")
        return float(self._t_end[0]), bool(self._stopped[0])
