"""Pure-Python (numpy) reference of the core's orbit area: integrators, force model, propagation,
orbital elements, re-entry and footprint prediction, and the burn solvers.

It follows the documented algorithms of csrc/fb_ode.h, fb_orbit.h, fb_entry.h and fb_target.h, written
independently: gravity, atmosphere and sidereal time come from the environment oracle
(tests/oracles/environment.py, frames.py), the geodetic altitude from a Bowring-style fixed-point
iteration (not the core's closed form), the root finders from scipy's ``brentq``. It is slow (about
1e5 times the core) and is used as the oracle of the property tests and as the speed reference of
benchmarks/bench_orbit.py.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
from scipy.optimize import brentq

from tests.oracles import environment as env
from tests.oracles import frames

Array = npt.NDArray[np.float64]
G0 = 9.80665
A_M = 6378137.0
F = 1.0 / 298.257223563
E2 = F * (2.0 - F)
B_M = A_M * (1.0 - F)
MEAN_RADIUS_M = 6371008.8

# ---- integrators -----------------------------------------------------------------------------------------

# Dormand and Prince (1980), as tabulated in Hairer, Norsett and Wanner, Solving ODEs I, table 5.2
_C = [0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0]
_A = [
    [],
    [1 / 5],
    [3 / 40, 9 / 40],
    [44 / 45, -56 / 15, 32 / 9],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
    [35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
]
_E = [71 / 57600, 0.0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40]
# Hairer's continuous extension of order 4
_D = [-12715105075 / 11282082432, 0.0, 87487479700 / 32700410799, -10690763975 / 1880347072,
      701980252875 / 199316789632, -1453857185 / 822651844, 69997945 / 29380423]

Deriv = Callable[[float, Array], Array]
Event = Callable[[float, Array], float]


def rk4(f: Deriv, t0: float, y0: Array, t1: float, n_steps: int) -> Array:
    """Classical fourth-order Runge-Kutta in n equal steps."""
    h = (t1 - t0) / n_steps
    y = np.array(y0, dtype=float)
    for s in range(n_steps):
        t = t0 + s * h
        k1 = f(t, y)
        k2 = f(t + h / 2, y + h / 2 * k1)
        k3 = f(t + h / 2, y + h / 2 * k2)
        k4 = f(t + h, y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y


@dataclass
class Options:
    rtol: float = 1e-9
    atol: Array = field(default_factory=lambda: np.full(7, 1e-9))
    h_init: float = 0.0
    h_max: float = 1e9
    max_steps: int = 100_000
    event_tol: float = 1e-6


@dataclass
class Result:
    t: float
    y: Array
    event: bool
    h_next: float
    steps: int


def _dp_step(f: Deriv, t: float, y: Array, h: float, k1: Array) -> tuple[Array, Array, list[Array]]:
    k = [k1]
    for i in range(1, 6):
        yi = y + h * sum(a * kj for a, kj in zip(_A[i], k, strict=False))
        k.append(f(t + _C[i] * h, yi))
    ynew = y + h * sum(a * kj for a, kj in zip(_A[6], k, strict=False))
    k.append(f(t + h, ynew))
    err = h * sum(e * kj for e, kj in zip(_E, k, strict=True))
    return ynew, np.asarray(err, dtype=float), k


def _dense(y: Array, ynew: Array, h: float, k: list[Array], theta: float) -> Array:
    dy = ynew - y
    b = h * k[0] - dy
    c = dy - h * k[6] - b
    d = h * sum(dc * kj for dc, kj in zip(_D, k, strict=True))
    return y + theta * (dy + (1 - theta) * (b + theta * (c + (1 - theta) * d)))


def dp54(f: Deriv, t0: float, y0: Array, t1: float, opt: Options, g: Event | None = None,
         direction: int = 0) -> Result:
    """Adaptive Dormand-Prince 5(4) with local extrapolation and event location (fb_ode.h)."""
    y = np.array(y0, dtype=float)
    span = t1 - t0
    tau = 0.0
    k1 = f(t0, y)
    g_old = g(t0, y) if g is not None else 0.0
    if opt.h_init > 0:
        h = opt.h_init
    else:
        sc = opt.atol + opt.rtol * np.abs(y)
        d0, d1 = float(np.sum((y / sc) ** 2)), float(np.sum((k1 / sc) ** 2))
        h = 1e-6 if d0 < 1e-10 or d1 < 1e-10 else 0.01 * math.sqrt(d0 / d1)
    h = min(max(h, 1e-12), opt.h_max)
    attempts = 0
    while tau < span:
        if attempts >= opt.max_steps:
            raise RuntimeError("step budget used up")
        attempts += 1
        h_want = h
        last = h >= span - tau
        if last:
            h = span - tau
        ynew, err, k = _dp_step(f, t0 + tau, y, h, k1)
        sc = opt.atol + opt.rtol * np.maximum(np.abs(y), np.abs(ynew))
        e = math.sqrt(float(np.mean((err / sc) ** 2)))
        if not math.isfinite(e):
            e = 1e10
        if e > 1.0:
            h *= max(0.2, 0.9 * e ** -0.2)
            continue
        tau_new = span if last else tau + h
        if g is not None:
            g_new = g(t0 + tau_new, ynew)
            if (direction <= 0 and g_old > 0 >= g_new) or (direction >= 0 and g_old < 0 <= g_new):
                # root of g on the continuous extension (scipy's Brent), then a true step to it
                def on_dense(theta: float, y: Array = y, ynew: Array = ynew, h: float = h,
                             k: list[Array] = k, tau: float = tau, g: Event = g) -> float:
                    return g(t0 + tau + theta * h, _dense(y, ynew, h, k, theta))

                theta = brentq(on_dense, 0.0, 1.0, xtol=opt.event_tol / h / 4, rtol=1e-15)
                if theta < 1.0:
                    ynew, _, _ = _dp_step(f, t0 + tau, y, theta * h, k1)
                return Result(t0 + tau + theta * h, ynew, True, h, attempts)
            g_old = g_new
        y, k1, tau = ynew, k[6], tau_new
        fac = min(5.0, 0.9 * e ** -0.2) if e > 0 else 5.0
        h = h_want if last else min(h * fac, opt.h_max)
    return Result(t1, y, False, h, attempts)


# ---- force model -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Model:
    """The force model of fb_orbit.h (fields in the same units)."""

    grav: env.Grav = field(default_factory=env.Grav)
    atmosphere: str = "exponential"
    density_scale: float = 1.0
    hp_n: int = 3
    omega: float = 7.292115e-5
    drag: bool = True
    cd: float = 2.2
    area_m2: float = 2500.0
    burn_start_s: float = 0.0
    burn_duration_s: float = 0.0
    thrust_n: float = 12000.0
    isp_s: float = 300.0
    thrust_frame: str = "inertial"
    dry_mass_kg: float = 0.0


@dataclass(frozen=True)
class Tol:
    rtol: float = 1e-10
    atol_r_m: float = 1e-4
    atol_v_mps: float = 1e-7
    atol_m_kg: float = 1e-6
    h_max_s: float = 600.0
    max_steps: int = 200_000
    event_tol_s: float = 1e-5

    def options(self) -> Options:
        atol = np.array([self.atol_r_m] * 3 + [self.atol_v_mps] * 3 + [self.atol_m_kg])
        return Options(self.rtol, atol, 0.0, self.h_max_s, self.max_steps, self.event_tol_s)


def radial_altitude_m(r: Array) -> float:
    """Height above the ellipsoid along the geocentric radius (the altitude the drag model uses)."""
    rn = math.sqrt(float(r @ r))
    s = float(r[2]) / rn
    return rn - A_M * B_M / math.sqrt(B_M * B_M * (1 - s * s) + A_M * A_M * s * s)


def geodetic_lla(t_s: float, r_eci: Array) -> tuple[float, float, float]:
    """Geodetic latitude, longitude, height of an ECI position (Bowring-style fixed-point iteration)."""
    x, y, z = frames.ecef_from_eci(t_s, r_eci)
    p = math.hypot(x, y)
    lat = math.atan2(z, p * (1 - E2))
    h = 0.0
    for _ in range(8):
        n = A_M / math.sqrt(1 - E2 * math.sin(lat) ** 2)
        h = p * math.cos(lat) + z * math.sin(lat) - A_M * A_M / n
        lat = math.atan2(z, p * (1 - E2 * n / (n + h)))
    n = A_M / math.sqrt(1 - E2 * math.sin(lat) ** 2)
    h = p * math.cos(lat) + z * math.sin(lat) - A_M * A_M / n
    return lat, math.atan2(y, x), h


def density(m: Model, t_s: float, r: Array, h_m: float) -> float:
    if m.atmosphere == "exponential":
        rho = env.exponential_density(h_m)
    else:
        rho = env.harris_priester_density(t_s, r, h_m, m.hp_n)
    return m.density_scale * rho


def deriv(m: Model, t_s: float, y: Array, thrust_on: bool) -> Array:
    """dy/dt of the state (r, v, mass): gravity, drag in the co-rotating atmosphere, retrograde thrust."""
    r, v, mass = y[:3], y[3:6], float(y[6])
    a = env.accel(r, m.grav)
    mdot = 0.0
    v_rel = np.array([v[0] + m.omega * r[1], v[1] - m.omega * r[0], v[2]])
    vr = math.sqrt(float(v_rel @ v_rel))
    if m.drag and m.cd > 0 and m.area_m2 > 0 and m.density_scale > 0:
        rho = density(m, t_s, r, radial_altitude_m(r))
        a = a - 0.5 * rho * m.cd * m.area_m2 / mass * vr * v_rel
    if thrust_on:
        d = v_rel if m.thrust_frame == "relative" else v
        a = a - m.thrust_n / mass * d / math.sqrt(float(d @ d))
        mdot = -m.thrust_n / (m.isp_s * G0)
    return np.concatenate([v, a, [mdot]])


def burning_at(m: Model, t_s: float) -> bool:
    return m.burn_duration_s > 0 and m.burn_start_s <= t_s < m.burn_start_s + m.burn_duration_s


def propagate_events(m: Model, tol: Tol, t0: float, y0: Array, t1: float, h_target: float | None = None,
                     direction: int = -1) -> Result:
    """Propagate in segments split at ignition and cutoff, optionally stopping at an altitude crossing."""
    cuts = [t0]
    end = m.burn_start_s + m.burn_duration_s
    if m.burn_duration_s > 0:
        cuts += [t for t in (m.burn_start_s, end) if t0 < t < t1]
    cuts.append(t1)
    opt = tol.options()
    y = np.array(y0, dtype=float)
    g: Event | None = None
    if h_target is not None:
        def g(t: float, yy: Array) -> float:
            return geodetic_lla(t, yy[:3])[2] - h_target
    res = Result(t0, y, False, 0.0, 0)
    for ta, tb in itertools.pairwise(cuts):
        if not tb > ta:
            continue
        on = burning_at(m, 0.5 * (ta + tb))
        if on:
            m_end = y[6] - m.thrust_n / (m.isp_s * G0) * (min(tb, end) - ta)
            if not m_end > max(m.dry_mass_kg, 0.0):
                raise ValueError("burn exceeds the propellant")

        def f(t: float, yy: Array, on: bool = on) -> Array:
            return deriv(m, t, yy, on)

        res = dp54(f, ta, y, tb, opt, g, direction)
        opt.h_init = min(res.h_next, tol.h_max_s)
        y = res.y
        if res.event:
            return res
    return Result(t1, y, False, res.h_next, 0)


def propagate(m: Model, tol: Tol, t0: float, y0: Array, t1: float) -> Array:
    return propagate_events(m, tol, t0, y0, t1).y


def propagate_rk4(m: Model, t0: float, y0: Array, t1: float, n_steps: int) -> Array:
    return rk4(lambda t, y: deriv(m, t, y, burning_at(m, t)), t0, np.asarray(y0, float), t1, n_steps)


# ---- elements ----------------------------------------------------------------------------------------------


def elements_from_state(gm: float, r: Array, v: Array) -> tuple[float, ...]:
    """(a, e, i, raan, argp, nu) by the textbook vector formulas (Vallado algorithm 9)."""
    r, v = np.asarray(r, float), np.asarray(v, float)
    rn, vn = float(np.linalg.norm(r)), float(np.linalg.norm(v))
    h = np.cross(r, v)
    hn = float(np.linalg.norm(h))
    n = np.array([-h[1], h[0], 0.0])
    e_vec = ((vn**2 - gm / rn) * r - float(r @ v) * v) / gm
    e = float(np.linalg.norm(e_vec))
    a = 1 / (2 / rn - vn**2 / gm)
    inc = math.acos(h[2] / hn)
    nn = float(np.linalg.norm(n))
    if nn < 1e-11 * hn:
        raan, n, nn = 0.0, np.array([1.0, 0.0, 0.0]), 1.0
    else:
        raan = math.atan2(n[1], n[0]) % (2 * math.pi)
    hu = h / hn

    def angle(p: Array, q: Array) -> float:
        return math.atan2(float(np.cross(p, q) @ hu), float(p @ q)) % (2 * math.pi)

    if e > 1e-11:
        return a, e, inc, raan, angle(n, e_vec), angle(e_vec, r)
    return a, 0.0, inc, raan, 0.0, angle(n, r)


def state_from_elements(gm: float, el: tuple[float, ...]) -> tuple[Array, Array]:
    a, e, inc, raan, argp, nu = el
    p = a * (1 - e * e)
    rp = p / (1 + e * math.cos(nu)) * np.array([math.cos(nu), math.sin(nu), 0.0])
    vp = math.sqrt(gm / p) * np.array([-math.sin(nu), e + math.cos(nu), 0.0])

    def rot(axis: int, ang: float) -> Array:
        c, s = math.cos(ang), math.sin(ang)
        if axis == 3:
            return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])
        return np.array([[1.0, 0, 0], [0, c, -s], [0, s, c]])

    q = rot(3, raan) @ rot(1, inc) @ rot(3, argp)
    return q @ rp, q @ vp


def apsis_altitudes(gm: float, re: float, r: Array, v: Array) -> tuple[float, float]:
    a, e, *_ = elements_from_state(gm, r, v)
    return a * (1 - e) - re, a * (1 + e) - re


# ---- re-entry ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryCfg:
    h_interface_m: float = 120e3
    h_breakup_m: float = 78e3
    beta_min: float = 5.0
    beta_max: float = 2000.0
    n_fragments: int = 16
    max_coast_s: float = 3 * 86400.0
    max_fall_s: float = 7200.0
    terminal_drift_m: float = 10.0
    tol: Tol = Tol(rtol=1e-9, atol_r_m=1e-3, atol_v_mps=1e-6, event_tol_s=1e-4)
    fragment_tol: Tol = Tol(rtol=1e-6, atol_r_m=1e-3, atol_v_mps=1e-6, h_max_s=120.0, max_steps=20000,
                            event_tol_s=1e-4)


@dataclass
class Footprint:
    t_interface_s: float
    fpa_interface_rad: float
    t_breakup_s: float
    breakup_lat_rad: float
    breakup_lon_rad: float
    beta: list[float]
    impact_t_s: list[float]
    impact_lat_rad: list[float]
    impact_lon_rad: list[float]
    heel: tuple[float, float]
    toe: tuple[float, float]
    length_m: float
    centre: tuple[float, float]
    centre_bearing_rad: float


def _unit(lat: float, lon: float) -> Array:
    return np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)])


def _north_east(lat: float, lon: float) -> tuple[Array, Array]:
    north = np.array([-math.sin(lat) * math.cos(lon), -math.sin(lat) * math.sin(lon), math.cos(lat)])
    east = np.array([-math.sin(lon), math.cos(lon), 0.0])
    return north, east


def midpoint(lat1: float, lon1: float, lat2: float, lon2: float) -> tuple[float, float]:
    m = _unit(lat1, lon1) + _unit(lat2, lon2)
    m = m / np.linalg.norm(m)
    return math.asin(m[2]), math.atan2(m[1], m[0])


def _fragment_impact(frag: Model, cfg: EntryCfg, t_b: float, y_b: Array) -> tuple[float, float, float]:
    def rel(yy: Array) -> tuple[Array, Array]:
        r, v = yy[:3], yy[3:6]
        v_rel = np.array([v[0] + frag.omega * r[1], v[1] - frag.omega * r[0], v[2]])
        u = r / np.linalg.norm(r)
        return v_rel, v_rel - float(v_rel @ u) * u

    def g(t: float, yy: Array) -> float:
        h = geodetic_lla(t, yy[:3])[2]
        if cfg.terminal_drift_m > 0:
            v_rel, v_h = rel(yy)
            return min(h, float(np.linalg.norm(v_h) * np.linalg.norm(v_rel)) / G0 - cfg.terminal_drift_m)
        return h

    res = dp54(lambda t, yy: deriv(frag, t, yy, False), t_b, y_b, t_b + cfg.max_fall_s,
               cfg.fragment_tol.options(), g, -1)
    if not res.event:
        raise ValueError("fragment did not land within the horizon")
    t, y = res.t, res.y
    h = geodetic_lla(t, y[:3])[2]
    r = y[:3].copy()
    t_imp = t
    v_rel, v_h = rel(y)
    drift = float(np.linalg.norm(v_h) * np.linalg.norm(v_rel)) / G0
    if cfg.terminal_drift_m > 0 and drift - cfg.terminal_drift_m < h and h > 0:
        r = r + float(np.linalg.norm(v_rel)) / G0 * v_h
        # fall at terminal velocity from h: integral of dh / sqrt(2 beta g / rho), trapezoid, 32 steps
        u = y[:3] / np.linalg.norm(y[:3])
        rn = float(np.linalg.norm(y[:3]))
        beta = float(y[6]) / (frag.cd * frag.area_m2)
        hs = np.linspace(0.0, h, 33)
        inv_v = []
        for hk in hs:
            rk = rn - h + hk
            rho = density(frag, t, rk * u, radial_altitude_m(rk * u))
            inv_v.append(math.sqrt(rho / (2 * beta * frag.grav.gm / rk**2)))
        t_imp += float(np.trapezoid(inv_v, hs))
    lat, lon, _ = geodetic_lla(t, r)
    return t_imp, lat, lon


def predict(m: Model, cfg: EntryCfg, t0: float, y0: Array) -> Footprint:
    """Interface, breakup and footprint as specified in fb_entry.h."""
    y0 = np.asarray(y0, float)
    h0 = geodetic_lla(t0, y0[:3])[2]
    if h0 < 0:
        raise ValueError("below ground")
    if not h0 > cfg.h_interface_m:
        raise ValueError("at or below the interface")
    res = propagate_events(m, cfg.tol, t0, y0, t0 + cfg.max_coast_s, cfg.h_interface_m, -1)
    if not res.event:
        raise ValueError("no interface")
    t_i, y_i = res.t, res.y
    fpa = math.asin(float(y_i[:3] @ y_i[3:6]) / (np.linalg.norm(y_i[:3]) * np.linalg.norm(y_i[3:6])))
    res = propagate_events(m, cfg.tol, t_i, y_i, t_i + cfg.max_coast_s, cfg.h_breakup_m, -1)
    if not res.event:
        raise ValueError("no breakup")
    t_b, y_b = res.t, res.y
    lat_b, lon_b, _ = geodetic_lla(t_b, y_b[:3])
    _, v_ecef = frames.ecef_state_from_eci(t_b, y_b[:3], y_b[3:6])
    north, east = _north_east(lat_b, lon_b)
    track = math.atan2(float(v_ecef @ east), float(v_ecef @ north)) % (2 * math.pi)
    frag = replace(m, grav=replace(m.grav, j3=0.0, j4=0.0), drag=True, cd=1.0, area_m2=1.0,
                   burn_duration_s=0.0, dry_mass_kg=0.0)
    n = cfg.n_fragments
    betas, ts, lats, lons, along = [], [], [], [], []
    for k in range(n):
        frac = k / (n - 1) if n > 1 else 0.5
        beta = cfg.beta_min * (cfg.beta_max / cfg.beta_min) ** frac
        yf = y_b.copy()
        yf[6] = beta
        t_imp, lat, lon = _fragment_impact(frag, cfg, t_b, yf)
        d, b = frames.great_circle(lat_b, lon_b, lat, lon)
        betas.append(beta)
        ts.append(t_imp)
        lats.append(lat)
        lons.append(lon)
        along.append(d * math.cos(b - track))
    heel, toe = int(np.argmin(along)), int(np.argmax(along))
    length, _ = frames.great_circle(lats[heel], lons[heel], lats[toe], lons[toe])
    c = midpoint(lats[heel], lons[heel], lats[toe], lons[toe])
    bearing = frames.great_circle(c[0], c[1], lats[toe], lons[toe])[1] if length > 1.0 else track
    return Footprint(t_i, fpa, t_b, lat_b, lon_b, betas, ts, lats, lons, (lats[heel], lons[heel]),
                     (lats[toe], lons[toe]), length, c, bearing)


# ---- targeting --------------------------------------------------------------------------------------------


def miss(fp: Footprint, aim_lat: float, aim_lon: float) -> tuple[float, float, float]:
    """Distance, along-track and cross-track miss of the centre from the aim point (fb_target.h)."""
    lat, lon = fp.centre
    d, _ = frames.great_circle(aim_lat, aim_lon, lat, lon)
    c, a = _unit(lat, lon), _unit(aim_lat, aim_lon)
    north, east = _north_east(lat, lon)
    direction = math.cos(fp.centre_bearing_rad) * north + math.sin(fp.centre_bearing_rad) * east
    pole = np.cross(c, direction)
    ap = a - float(a @ pole) * pole
    ap /= np.linalg.norm(ap)
    along = MEAN_RADIUS_M * math.atan2(float(np.cross(ap, c) @ pole), float(ap @ c))
    cross = MEAN_RADIUS_M * math.asin(float(a @ pole))
    return d, along, cross


def inside_polygon(lat_poly: list[float], lon_poly: list[float], lat: float, lon: float) -> bool:
    """Even-odd ray casting in the (unwrapped longitude, latitude) plane."""
    lon0 = lon_poly[0]

    def unwrap(x: float) -> float:
        return lon0 + (x - lon0 + math.pi) % (2 * math.pi) - math.pi

    x = unwrap(lon)
    inside = False
    n = len(lat_poly)
    for i in range(n):
        j = i - 1
        yi, yj = lat_poly[i], lat_poly[j]
        xi, xj = unwrap(lon_poly[i]), unwrap(lon_poly[j])
        if (yi > lat) != (yj > lat) and x < xi + (lat - yi) / (yj - yi) * (xj - xi):
            inside = not inside
    return inside


def perigee_after(m: Model, tol: Tol, t_ig: float, y_ig: Array, d: float) -> float:
    if d > 0:
        y_ig = propagate(replace(m, burn_start_s=t_ig, burn_duration_s=d), tol, t_ig, y_ig, t_ig + d)
    y = y_ig
    return apsis_altitudes(m.grav.gm, m.grav.re, y[:3], y[3:6])[0]


def solve_perigee(m: Model, tol: Tol, t0: float, y0: Array, t_ig: float, hp_target: float,
                  max_duration: float, xtol: float = 1e-3) -> float:
    """Burn duration at t_ig for the target perigee: scipy's brentq on [0, max]."""
    coast = replace(m, burn_duration_s=0.0)
    y_ig = propagate(coast, tol, t0, np.asarray(y0, float), t_ig)
    d_max = min(max_duration, (y_ig[6] - m.dry_mass_kg) / (m.thrust_n / (m.isp_s * G0)) * (1 - 1e-9))
    def f(d: float) -> float:
        return perigee_after(coast, tol, t_ig, y_ig, d) - hp_target

    return float(brentq(f, 0.0, d_max, xtol=xtol))


def solve_final(m: Model, cfg: EntryCfg, t0: float, y0: Array, t_min: float, t_max: float,
                aim: tuple[float, float], hp_target: float = 50e3, max_duration: float = 3600.0,
                xtol: float = 1e-3) -> tuple[float, float]:
    """Ignition and duration whose footprint centre (two fragments while searching) has zero
    along-track miss: a scan of the window at 300 s for a sign change within 5,000 km, then scipy's brentq."""
    search = replace(cfg, n_fragments=2)

    def along(t: float) -> float:
        d = solve_perigee(m, cfg.tol, t0, y0, t, hp_target, max_duration)
        coast = replace(m, burn_duration_s=0.0)
        y_ig = propagate(coast, cfg.tol, t0, np.asarray(y0, float), t)
        fp = predict(replace(m, burn_start_s=t, burn_duration_s=d), search, t, y_ig)
        return miss(fp, *aim)[1]

    ts = np.append(np.arange(t_min, t_max, 300.0), t_max)
    prev_t, prev_f = ts[0], along(ts[0])
    for t in ts[1:]:
        f = along(float(t))
        if (f > 0) != (prev_f > 0) and abs(f) < 5e6 and abs(prev_f) < 5e6:
            t_ig = float(brentq(along, prev_t, float(t), xtol=xtol))
            return t_ig, solve_perigee(m, cfg.tol, t0, y0, t_ig, hp_target, max_duration)
        prev_t, prev_f = float(t), f
    raise ValueError("no solution in the window")


# ---- scenario states ---------------------------------------------------------------------------------------


def aligned_state(t0_s: float, hp_m: float = 145e3, ha_m: float = 200e3,
                  inc_rad: float = math.radians(51.64),
                  aim: tuple[float, float] = (math.radians(-48.8767), math.radians(-123.3933)),
                  lead_s: float = 5900.0, apogee_shift_rad: float = 0.0, descending: bool = True,
                  gm: float = env.Grav().gm) -> tuple[Array, Array]:
    """A state at t0_s on an hp x ha orbit whose ground track passes over the aim point about lead_s later
    (two-body geometry: the aim's ECI direction at t0 + lead_s lies in the orbit plane and the vehicle is
    there then). Apogee is placed about 3,250 s of flight before that pass (where a final burn starts, give
    or take apogee_shift_rad), on the descending or ascending pass over the aim latitude."""
    lat, lon = aim
    t_pass = t0_s + lead_s
    alpha = lon + frames.gmst_rad(t_pass)
    s_u = max(-1.0, min(1.0, math.sin(lat) / math.sin(inc_rad)))
    u = math.pi - math.asin(s_u) if descending else math.asin(s_u)
    raan = alpha - math.atan2(math.cos(inc_rad) * math.sin(u), math.cos(u))
    a = A_M + 0.5 * (hp_m + ha_m)
    e = (ha_m - hp_m) / (2 * a)
    n = math.sqrt(gm / a**3)
    argp = u - n * 3250.0 + math.pi + apogee_shift_rad  # perigee half an orbit from apogee
    # mean anomaly at the pass, then back lead_s to t0
    nu_pass = u - argp
    ecc_anom = 2 * math.atan(math.sqrt((1 - e) / (1 + e)) * math.tan(nu_pass / 2))
    mean0 = ecc_anom - e * math.sin(ecc_anom) - n * lead_s
    ecc0 = mean0
    for _ in range(50):
        ecc0 -= (ecc0 - e * math.sin(ecc0) - mean0) / (1 - e * math.cos(ecc0))
    nu0 = 2 * math.atan(math.sqrt((1 + e) / (1 - e)) * math.tan(ecc0 / 2))
    return state_from_elements(gm, (a, e, inc_rad, raan % (2 * math.pi), argp % (2 * math.pi), nu0))
