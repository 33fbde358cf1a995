"""Pure-numpy reference of the rigid-body area (csrc/fb_rigid.h): the oracle of its vectors and properties.

Written from the equations of the header, not from the C: Newton with zonal gravity, drag in the
co-rotating atmosphere, Euler's equations with the aerodynamic and gravity-gradient torques, the quaternion
kinematics of the project's convention, and classical RK4 with the attitude renormalised after each step.
Gravity, density and frames come from the other oracles (tests/oracles/environment.py, frames.py). The
Sun direction that places the Harris-Priester bulge is a parameter: the environment oracle's Meeus Sun by
default, or the core's (``firmware_bindings.environment.sun_direction_eci``, itself checked against Meeus
to 0.01 deg by the environment area's tests) where the comparison is about the dynamics, not the Sun: the
0.01 deg between the two moves the bulge and the density by up to 2e-3 relative.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from tests.oracles import environment as env
from tests.oracles import frames as fr

Array = npt.NDArray[np.float64]
NSTATE = 20
EVENT_TOL_S = 1e-6


@dataclass(frozen=True)
class Model:
    inertia_kg_m2: Array
    cd: float = 2.2
    area_m2: float = 2500.0
    cop_body_m: Array = field(default_factory=lambda: np.zeros(3))
    grav: env.Grav = field(default_factory=env.Grav)
    atm_kind: int = 1  # 0 exponential, 1 Harris-Priester
    atm_scale: float = 1.0
    hp_n: int = 3
    omega_earth_rad_s: float = 7.292115e-5
    drag_on: bool = True
    gravity_gradient_on: bool = True
    sun: Callable[[float], Array] | None = None  # u_sun(t_s); None: the oracle's Meeus Sun

    def flat(self) -> list[float]:
        """The model as the vector files order it (25 numbers)."""
        g = self.grav
        return [g.gm, g.re, g.j2, g.j3, g.j4, float(self.atm_kind), self.atm_scale, float(self.hp_n),
                self.omega_earth_rad_s, float(self.drag_on), float(self.gravity_gradient_on), self.cd,
                self.area_m2, *map(float, self.cop_body_m), *map(float, np.ravel(self.inertia_kg_m2))]


@dataclass(frozen=True)
class Thrust:
    force_body_n: Array = field(default_factory=lambda: np.zeros(3))
    torque_body_nm: Array = field(default_factory=lambda: np.zeros(3))
    mdot_kg_s: float = 0.0

    def flat(self) -> list[float]:
        return [*map(float, self.force_body_n), *map(float, self.torque_body_nm), self.mdot_kg_s]


def dcm_body_from_eci(q: npt.ArrayLike) -> Array:
    w, x, y, z = np.asarray(q, dtype=float) / np.linalg.norm(q)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
        [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
        [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
    ])


def quat_multiply(a: Array, b: Array) -> Array:
    aw, av = a[0], a[1:]
    bw, bv = b[0], b[1:]
    return np.concatenate([[aw * bw - av @ bv], aw * bv + bw * av + np.cross(av, bv)])


def altitude_m(t_s: float, r_eci_m: npt.ArrayLike) -> float:
    return float(fr.geodetic_from_ecef(fr.ecef_from_eci(t_s, r_eci_m))[2])


def density(m: Model, t_s: float, r_eci_m: Array) -> float:
    h = altitude_m(t_s, r_eci_m)
    if m.atm_kind == 0:
        rho = env.exponential_density(h)
    else:
        u_sun = None if m.sun is None else m.sun(t_s)
        rho = env.harris_priester_density(t_s, r_eci_m, h, n=m.hp_n, u_sun=u_sun)
    return m.atm_scale * rho


def derivative(m: Model, th: Thrust, t_s: float, y: npt.ArrayLike) -> Array:
    y = np.asarray(y, dtype=float)
    r, v, q, w, mass = y[0:3], y[3:6], y[6:10], y[10:13], y[13]
    inertia = np.asarray(m.inertia_kg_m2, dtype=float)
    d = dcm_body_from_eci(q)
    a_ng_body = np.asarray(th.force_body_n, dtype=float) / mass
    tau = np.asarray(th.torque_body_nm, dtype=float).copy()
    if m.drag_on and m.cd > 0 and m.area_m2 > 0 and m.atm_scale > 0:
        v_rel = v - np.cross([0.0, 0.0, m.omega_earth_rad_s], r)
        a_d = -0.5 * density(m, t_s, r) * m.cd * m.area_m2 / mass * np.linalg.norm(v_rel) * v_rel
        a_d_body = d @ a_d
        a_ng_body = a_ng_body + a_d_body
        tau = tau + np.cross(m.cop_body_m, mass * a_d_body)
    if m.gravity_gradient_on:
        rn = np.linalg.norm(r)
        r_b = d @ r
        tau = tau + 3.0 * m.grav.gm / rn**5 * np.cross(r_b, inertia @ r_b)
    out = np.empty(NSTATE)
    out[0:3] = v
    out[3:6] = env.accel(r, m.grav) + d.T @ a_ng_body
    out[6:10] = 0.5 * quat_multiply(np.concatenate([[0.0], -w]), q)
    out[10:13] = np.linalg.solve(inertia, tau - np.cross(w, inertia @ w))
    out[13] = -th.mdot_kg_s
    out[14:17] = w
    out[17:20] = a_ng_body
    return out


def rk4_step(m: Model, th: Thrust, t: float, y: Array, h: float) -> Array:
    k1 = derivative(m, th, t, y)
    k2 = derivative(m, th, t + h / 2, y + h / 2 * k1)
    k3 = derivative(m, th, t + h / 2, y + h / 2 * k2)
    k4 = derivative(m, th, t + h, y + h * k3)
    out = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    out[6:10] /= np.linalg.norm(out[6:10])
    return out


def propagate(m: Model, th: Thrust, t0_s: float, y0: npt.ArrayLike, t1_s: float, h_max_s: float,
              h_stop_m: float = -math.inf) -> tuple[float, Array, bool]:
    """(t_end, y1, stopped): equal RK4 steps of at most h_max_s; stop where the altitude reaches h_stop_m,
    located by bisection on the length of the crossing step."""
    y = np.asarray(y0, dtype=float).copy()
    span = t1_s - t0_s
    n = math.ceil(span / h_max_s)
    t = t0_s
    for k in range(n):
        t_next = t1_s if k + 1 == n else t0_s + span * (k + 1) / n
        h = t_next - t
        yn = rk4_step(m, th, t, y, h)
        if math.isfinite(h_stop_m) and altitude_m(t_next, yn[0:3]) <= h_stop_m:
            lo, hi = 0.0, h
            while hi - lo > EVENT_TOL_S:
                mid = 0.5 * (lo + hi)
                if altitude_m(t + mid, rk4_step(m, th, t, y, mid)[0:3]) <= h_stop_m:
                    hi = mid
                else:
                    lo = mid
            return t + hi, rk4_step(m, th, t, y, hi) if hi < h else yn, True
        y, t = yn, t_next
    return t1_s, y, False


def orbit_energy(r_eci_m: npt.ArrayLike, v_eci_mps: npt.ArrayLike, g: env.Grav | None = None) -> float:
    v = np.asarray(v_eci_mps, dtype=float)
    return 0.5 * float(v @ v) + env.potential(r_eci_m, g or env.Grav())


def rotational_energy(inertia: Array, w: Array) -> float:
    return 0.5 * float(w @ inertia @ w)


def angular_momentum_eci(inertia: Array, q_body_from_eci: Array, w: Array) -> Array:
    return dcm_body_from_eci(q_body_from_eci).T @ (inertia @ w)


def propagate_valves(m: Model, force: Array, torque: Array, mdot: Array, open_until_s: Array,
                     dry_mass_kg: float, t0_s: float, y0: npt.ArrayLike, t1_s: float, h_max_s: float,
                     h_stop_m: float = -math.inf) -> tuple[float, Array, bool, Array]:
    """(t_end, y1, stopped, open_s): segments of constant thrust between valve closings and propellant
    exhaustion (less than 1e-6 kg left counts as none), each integrated by :func:`propagate`."""
    y = np.asarray(y0, dtype=float).copy()
    t = t0_s
    n = len(mdot)
    open_s = np.zeros(n)
    for _ in range(n + 2):
        if t >= t1_s:
            break
        propellant = y[13] - dry_mass_kg
        on = (np.asarray(open_until_s) > t) if propellant > 1e-6 else np.zeros(n, dtype=bool)
        t_seg = min([t1_s, *np.asarray(open_until_s)[on]])
        flow = float(np.sum(np.asarray(mdot)[on]))
        if on.any() and flow > 0 and t + propellant / flow < t_seg:
            t_seg = t + propellant / flow
            if not t_seg > t:  # too little to burn in one tick of the time scale: none left
                on[:] = False
                flow, t_seg = 0.0, t1_s
        th = Thrust(np.sum(np.asarray(force)[on], axis=0), np.sum(np.asarray(torque)[on], axis=0), flow)
        t_reached, y, stopped = propagate(m, th, t, y, t_seg, h_max_s, h_stop_m)
        open_s[on] += t_reached - t
        t = t_reached
        if stopped:
            return t, y, True, open_s
    return t, y, False, open_s
