"""Orbit propagation from the C core: gravity (J2-J4), drag in an atmosphere that turns with the Earth,
finite retrograde thrust with mass flow; orbital elements and apsis altitudes.

Thin checked binding plus numpy API over ``csrc/fb_orbit.h`` and ``csrc/fb_batch.h``. Time ``t_s`` is UTC
seconds since J2000; positions ``r_eci_m`` in metres and velocities ``v_eci_mps`` in m/s, ECI; masses in
kg. A state is ``(r_eci_m, v_eci_mps, mass_kg)``; batch functions take states as ``(N, 7)`` rows.

Example::

    from firmware_bindings.orbit import ForceModel, propagate, apsis_altitudes_m
    s = propagate(t0_s, r_eci_m, v_eci_mps, 450e3, t0_s + 5400.0, model=ForceModel())
    hp_m, ha_m = apsis_altitudes_m(s.r_eci_m, s.v_eci_mps)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from firmware_bindings._arrays import F64Array, as_f64, dptr, dptr_out
from firmware_bindings._core import ffi, lib
from firmware_bindings._status import ensure
from firmware_bindings.environment import AtmosphereModel, GravityModel

__all__ = [
    "G0_MPS2",
    "Burn",
    "Elements",
    "ForceModel",
    "State",
    "Tolerance",
    "apsis_altitudes_m",
    "derivative",
    "elements_from_state",
    "flight_path_angle_rad",
    "propagate",
    "propagate_batch",
    "propagate_rk4",
    "propagate_to_altitude",
    "state_from_elements",
]

G0_MPS2 = 9.80665
ThrustFrame = Literal["inertial", "relative"]
_THRUST_FRAMES: dict[str, int] = {"inertial": 0, "relative": 1}


@dataclass(frozen=True)
class Burn:
    """A planned burn: ignition ``start_s`` (t_s) and ``duration_s``; thrust, Isp and attitude law come
    from the ``ForceModel``."""

    start_s: float
    duration_s: float


@dataclass(frozen=True)
class ForceModel:
    """The force model of a vehicle: gravity, drag (``cd`` and ``area_m2``; the ballistic coefficient is
    mass / (cd area)) in an atmosphere co-rotating at ``omega_earth_rad_s``, and the thrusters: ``thrust_n``
    at ``isp_s`` along the retrograde direction of the inertial (``thrust_frame="inertial"``) or
    Earth-relative (``"relative"``) velocity, firing during ``burn`` if one is given. A burn that would take
    the mass below ``dry_mass_kg`` is rejected with ``NoSolutionError``. Defaults: the ISS deorbit stack
    (30 x 400 N, Isp 300 s, 2,500 m^2, Cd 2.2; shared reference hardware.md)."""

    gravity: GravityModel = field(default_factory=GravityModel.default)
    atmosphere: AtmosphereModel = field(default_factory=AtmosphereModel)
    omega_earth_rad_s: float = 7.292115e-5
    drag: bool = True
    cd: float = 2.2
    area_m2: float = 2500.0
    thrust_n: float = 12000.0
    isp_s: float = 300.0
    thrust_frame: ThrustFrame = "inertial"
    dry_mass_kg: float = 0.0
    burn: Burn | None = None

    def with_burn(self, start_s: float, duration_s: float) -> ForceModel:
        """This model with a planned burn."""
        return _replace(self, burn=Burn(float(start_s), float(duration_s)))

    def _c(self) -> Any:
        if self.thrust_frame not in _THRUST_FRAMES:
            raise ValueError(
                f"unknown thrust frame {self.thrust_frame!r}; choose from {sorted(_THRUST_FRAMES)}"
            )
        m = ffi.new("fb_force_model *")
        m.grav = self.gravity._c()[0]
        m.atm = self.atmosphere._c()[0]
        m.omega_earth_rad_s = float(self.omega_earth_rad_s)
        m.drag_on = 1 if self.drag else 0
        m.cd = float(self.cd)
        m.area_m2 = float(self.area_m2)
        m.thrust_n = float(self.thrust_n)
        m.isp_s = float(self.isp_s)
        m.thrust_law = _THRUST_FRAMES[self.thrust_frame]
        m.dry_mass_kg = float(self.dry_mass_kg)
        if self.burn is not None:
            m.burn_start_s = float(self.burn.start_s)
            m.burn_duration_s = float(self.burn.duration_s)
        else:
            m.burn_start_s = 0.0
            m.burn_duration_s = 0.0
        return m


def _replace(model: ForceModel, **changes: Any) -> ForceModel:
    return replace(model, **changes)


@dataclass(frozen=True)
class Tolerance:
    """Tolerances and bounds of the adaptive Dormand-Prince 5(4) propagator: a step is accepted when its
    error estimate, per component, is below ``atol + rtol |y|``; ``max_steps`` bounds the attempted steps
    of one propagation; events are located to ``event_tol_s``."""

    rtol: float = 1e-10
    atol_r_m: float = 1e-4
    atol_v_mps: float = 1e-7
    atol_m_kg: float = 1e-6
    h_max_s: float = 600.0
    max_steps: int = 200_000
    event_tol_s: float = 1e-5

    def _c(self) -> Any:
        t = ffi.new("fb_orbit_tol *")
        t.rtol, t.atol_r_m, t.atol_v_mps = float(self.rtol), float(self.atol_r_m), float(self.atol_v_mps)
        t.atol_m_kg, t.h_max_s = float(self.atol_m_kg), float(self.h_max_s)
        t.max_steps = int(self.max_steps)
        t.event_tol_s = float(self.event_tol_s)
        return t

    @classmethod
    def _from_c(cls, t: Any) -> Tolerance:
        return cls(t.rtol, t.atol_r_m, t.atol_v_mps, t.atol_m_kg, t.h_max_s, int(t.max_steps), t.event_tol_s)


class State(NamedTuple):
    """A propagated state; ``event`` tells whether an altitude event stopped the propagation."""

    t_s: float
    r_eci_m: F64Array
    v_eci_mps: F64Array
    mass_kg: float
    event: bool = False


class Elements(NamedTuple):
    """Osculating Keplerian elements (see csrc/fb_orbit.h for the circular and equatorial conventions)."""

    a_m: float
    e: float
    i_rad: float
    raan_rad: float
    argp_rad: float
    nu_rad: float


def _model(model: ForceModel | None) -> Any:
    return (model if model is not None else ForceModel())._c()


def _tol(tol: Tolerance | None) -> Any:
    return (tol if tol is not None else Tolerance())._c()


def _state7(r_eci_m: npt.ArrayLike, v_eci_mps: npt.ArrayLike, mass_kg: float) -> F64Array:
    r = as_f64(r_eci_m, (3,), "r_eci_m")
    v = as_f64(v_eci_mps, (3,), "v_eci_mps")
    if r.shape != (3,) or v.shape != (3,):
        raise ValueError(f"r_eci_m and v_eci_mps must have shape (3,), got {r.shape} and {v.shape}")
    return np.ascontiguousarray(np.concatenate([r, v, [float(mass_kg)]]))


def _state_out(t_s: float, y: F64Array, event: bool = False) -> State:
    return State(float(t_s), y[:3].copy(), y[3:6].copy(), float(y[6]), event)


def derivative(
    t_s: float,
    r_eci_m: npt.ArrayLike,
    v_eci_mps: npt.ArrayLike,
    mass_kg: float,
    model: ForceModel | None = None,
) -> tuple[F64Array, float]:
    """Acceleration (m/s^2, ECI) and mass flow (kg/s) of the force model at one state."""
    y = _state7(r_eci_m, v_eci_mps, mass_kg)
    d = np.empty(7)
    ensure(lib.fb_orbit_deriv(_model(model), float(t_s), dptr(y), dptr_out(d)), "fb_orbit_deriv")
    return d[3:6].copy(), float(d[6])


def propagate(
    t0_s: float,
    r_eci_m: npt.ArrayLike,
    v_eci_mps: npt.ArrayLike,
    mass_kg: float,
    t1_s: float,
    model: ForceModel | None = None,
    tol: Tolerance | None = None,
) -> State:
    """Propagate a state from ``t0_s`` to ``t1_s >= t0_s`` with the adaptive Dormand-Prince 5(4) pair,
    split at ignition and cutoff of the model's burn."""
    y0 = _state7(r_eci_m, v_eci_mps, mass_kg)
    y1 = np.empty(7)
    ensure(lib.fb_orbit_propagate(_model(model), _tol(tol), float(t0_s), dptr(y0), float(t1_s), dptr_out(y1)),
           "fb_orbit_propagate")
    return _state_out(t1_s, y1)


def propagate_rk4(
    t0_s: float,
    r_eci_m: npt.ArrayLike,
    v_eci_mps: npt.ArrayLike,
    mass_kg: float,
    t1_s: float,
    n_steps: int,
    model: ForceModel | None = None,
) -> State:
    """Propagate with fixed-step fourth-order Runge-Kutta in ``n_steps`` equal steps."""
    y0 = _state7(r_eci_m, v_eci_mps, mass_kg)
    y1 = np.empty(7)
    code = lib.fb_orbit_propagate_rk4(
        _model(model), float(t0_s), dptr(y0), float(t1_s), int(n_steps), dptr_out(y1)
    )
    ensure(code, "fb_orbit_propagate_rk4")
    return _state_out(t1_s, y1)


_DIRECTIONS = {"descending": -1, "ascending": 1, "either": 0}


def propagate_to_altitude(
    t0_s: float,
    r_eci_m: npt.ArrayLike,
    v_eci_mps: npt.ArrayLike,
    mass_kg: float,
    h_target_m: float,
    t_max_s: float,
    direction: Literal["descending", "ascending", "either"] = "descending",
    model: ForceModel | None = None,
    tol: Tolerance | None = None,
) -> State:
    """Propagate until the geodetic (WGS-84) altitude crosses ``h_target_m`` in ``direction``, or until
    ``t_max_s``; the returned state's ``event`` tells which. The crossing is located to ``tol.event_tol_s``
    in time, well under 1 m in altitude."""
    if direction not in _DIRECTIONS:
        raise ValueError(f"direction must be one of {sorted(_DIRECTIONS)}, got {direction!r}")
    y0 = _state7(r_eci_m, v_eci_mps, mass_kg)
    y1 = np.empty(7)
    t_ev = ffi.new("double *")
    found = ffi.new("int *")
    code = lib.fb_orbit_propagate_to_altitude(
        _model(model), _tol(tol), float(t0_s), dptr(y0), float(t_max_s), float(h_target_m),
        _DIRECTIONS[direction], t_ev, dptr_out(y1), found,
    )
    ensure(code, "fb_orbit_propagate_to_altitude")
    return _state_out(t_ev[0], y1, bool(found[0]))


def elements_from_state(
    r_eci_m: npt.ArrayLike, v_eci_mps: npt.ArrayLike, gm_m3_s2: float | None = None
) -> Elements:
    """Osculating elements of an elliptic orbit (``InvalidInputError`` for an open or rectilinear one)."""
    r = as_f64(r_eci_m, (3,), "r_eci_m")
    v = as_f64(v_eci_mps, (3,), "v_eci_mps")
    gm = GravityModel.default().gm_m3_s2 if gm_m3_s2 is None else float(gm_m3_s2)
    el = np.empty(6)
    code = lib.fb_orbit_elements_from_state(gm, dptr(r), dptr(v), dptr_out(el))
    ensure(code, "fb_orbit_elements_from_state")
    return Elements(*(float(x) for x in el))


def state_from_elements(
    elements: Elements | npt.ArrayLike, gm_m3_s2: float | None = None
) -> tuple[F64Array, F64Array]:
    """Position and velocity (ECI) from ``(a_m, e, i_rad, raan_rad, argp_rad, nu_rad)``."""
    el = as_f64(tuple(elements) if isinstance(elements, Elements) else elements, (6,), "elements")
    gm = GravityModel.default().gm_m3_s2 if gm_m3_s2 is None else float(gm_m3_s2)
    r = np.empty(3)
    v = np.empty(3)
    code = lib.fb_orbit_state_from_elements(gm, dptr(el), dptr_out(r), dptr_out(v))
    ensure(code, "fb_orbit_state_from_elements")
    return r, v


def apsis_altitudes_m(
    r_eci_m: npt.ArrayLike, v_eci_mps: npt.ArrayLike, gravity: GravityModel | None = None
) -> tuple[float, float]:
    """Perigee and apogee altitudes ``r_p - Re`` and ``r_a - Re`` of the osculating ellipse (Re the
    gravity model's equatorial radius)."""
    g = gravity if gravity is not None else GravityModel.default()
    r = as_f64(r_eci_m, (3,), "r_eci_m")
    v = as_f64(v_eci_mps, (3,), "v_eci_mps")
    hp = ffi.new("double *")
    ha = ffi.new("double *")
    ensure(lib.fb_orbit_apsis_altitudes(float(g.gm_m3_s2), float(g.re_m), dptr(r), dptr(v), hp, ha),
           "fb_orbit_apsis_altitudes")
    return float(hp[0]), float(ha[0])


def flight_path_angle_rad(r_eci_m: npt.ArrayLike, v_eci_mps: npt.ArrayLike) -> float:
    """Inertial flight-path angle: the angle of the velocity above the local horizontal (radians)."""
    r = as_f64(r_eci_m, (3,), "r_eci_m")
    v = as_f64(v_eci_mps, (3,), "v_eci_mps")
    out = ffi.new("double *")
    ensure(lib.fb_orbit_flight_path_angle(dptr(r), dptr(v), out), "fb_orbit_flight_path_angle")
    return float(out[0])


# ---- batch ---------------------------------------------------------------------------------------------

DISPERSION_FIELDS = ("cd", "area_m2", "atm_scale", "thrust_n", "isp_s", "burn_start_s", "burn_duration_s")


def _dispersion(n: int, dispersion: Mapping[str, npt.ArrayLike] | None) -> tuple[Any, list[F64Array]]:
    """The C dispersion struct over per-case arrays (kept alive by the returned list)."""
    d = ffi.new("fb_batch_dispersion *")
    keep: list[F64Array] = []
    for name, values in (dispersion or {}).items():
        if name not in DISPERSION_FIELDS:
            raise ValueError(f"unknown dispersion field {name!r}; choose from {DISPERSION_FIELDS}")
        a = as_f64(values, name=name)
        if a.shape != (n,):
            raise ValueError(f"dispersion {name} must have shape ({n},), got {a.shape}")
        keep.append(a)
        setattr(d, name, dptr(a))
    return d, keep


def _states(y0: npt.ArrayLike, t_s: npt.ArrayLike) -> tuple[int, F64Array, F64Array]:
    y = as_f64(y0, (7,), "states")
    if y.ndim != 2:
        raise ValueError(f"states must have shape (N, 7), got {y.shape}")
    n = y.shape[0]
    t = as_f64(np.broadcast_to(np.asarray(t_s, dtype=np.float64), (n,)), name="t0_s")
    return n, y, np.ascontiguousarray(t)


def propagate_batch(
    t0_s: npt.ArrayLike,
    states: npt.ArrayLike,
    t1_s: npt.ArrayLike,
    model: ForceModel | None = None,
    tol: Tolerance | None = None,
    dispersion: Mapping[str, npt.ArrayLike] | None = None,
) -> tuple[F64Array, npt.NDArray[np.int32]]:
    """Propagate N cases in one call. ``states`` is ``(N, 7)`` (r_eci_m, v_eci_mps, mass_kg); ``t0_s`` and
    ``t1_s`` are scalars or ``(N,)``; ``dispersion`` maps fields of ``DISPERSION_FIELDS`` to ``(N,)`` arrays
    overriding the model per case. Returns the ``(N, 7)`` final states and the ``(N,)`` status codes (0 for
    success; a failed case holds NaN, its code names the reason as in ``firmware_bindings.CoreError``)."""
    n, y0, t0 = _states(states, t0_s)
    t1 = np.ascontiguousarray(as_f64(np.broadcast_to(np.asarray(t1_s, dtype=np.float64), (n,)), name="t1_s"))
    y1 = np.empty((n, 7))
    status = np.zeros(n, dtype=np.int32)
    d, _keep = _dispersion(n, dispersion)
    ensure(lib.fb_batch_propagate(_model(model), d, _tol(tol), n, dptr(t0), dptr(y0), dptr(t1), dptr_out(y1),
                                  ffi.cast("int *", ffi.from_buffer(status))), "fb_batch_propagate")
    return y1, status


class OrbitStepper:
    """Coast propagation and force evaluation of one force model for a control loop: the model's C structs
    are made once (with drag as the model says, and without), the state goes in and out as plain floats,
    and each call is one core call with no array checks (the core still rejects NaN, infinity and bad
    times with ``CoreError``). The model's ``burn`` is ignored: this is the coast model.

    Example::

        stepper = OrbitStepper(ForceModel())
        r, v = stepper.propagate(t0_s, r_eci_m, v_eci_mps, 450e3, t0_s + 0.1)
    """

    def __init__(self, model: ForceModel | None = None, tol: Tolerance | None = None) -> None:
        base = _replace(model if model is not None else ForceModel(), burn=None)
        self.model = base
        self._m_drag = base._c()
        self._m_grav = _replace(base, drag=False)._c()
        self._tol = _tol(tol)
        self._y0 = ffi.new("double[7]")
        self._y1 = ffi.new("double[7]")
        self._d = ffi.new("double[7]")
        self._dg = ffi.new("double[7]")  # gravity's part, for drag_accel

    def _load(self, r_eci_m: Any, v_eci_mps: Any, mass_kg: float) -> None:
        try:
            self._y0[0:3] = r_eci_m
            self._y0[3:6] = v_eci_mps
        except (IndexError, TypeError, ValueError) as exc:
            raise ValueError(f"r_eci_m and v_eci_mps must be 3 numbers each: {exc}") from None
        self._y0[6] = float(mass_kg)

    def propagate(self, t0_s: float, r_eci_m: Any, v_eci_mps: Any, mass_kg: float, t1_s: float,
                  drag: bool = True) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
        """``(r_eci_m, v_eci_mps)`` at ``t1_s >= t0_s`` (the mass is constant in coast), with drag when
        ``drag`` and the model has it."""
        self._load(r_eci_m, v_eci_mps, mass_kg)
        return self._propagate_loaded(float(t0_s), float(t1_s), drag)

    def _propagate_loaded(self, t0_s: float, t1_s: float,
                          drag: bool) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
        """``propagate`` of the state ``_load`` put in the buffer."""
        y, m = self._y1, self._m_drag if drag else self._m_grav
        code = lib.fb_orbit_propagate(m, self._tol, t0_s, self._y0, t1_s, y)
        if code:
            ensure(code, "fb_orbit_propagate")
        return (y[0], y[1], y[2]), (y[3], y[4], y[5])

    def acceleration(self, t_s: float, r_eci_m: Any, v_eci_mps: Any, mass_kg: float,
                     drag: bool = True) -> tuple[float, float, float]:
        """The coast acceleration (m/s^2, ECI) at one state."""
        self._load(r_eci_m, v_eci_mps, mass_kg)
        m = self._m_drag if drag else self._m_grav
        ensure(lib.fb_orbit_deriv(m, float(t_s), self._y0, self._d), "fb_orbit_deriv")
        d = self._d
        return (d[3], d[4], d[5])

    def drag_accel(self, t_s: float, r_eci_m: Any, v_eci_mps: Any,
                   mass_kg: float) -> tuple[float, float, float]:
        """The drag acceleration alone (m/s^2, ECI): the coast acceleration less gravity's."""
        self._load(r_eci_m, v_eci_mps, mass_kg)
        return self._drag_loaded(float(t_s))

    def _drag_loaded(self, t_s: float) -> tuple[float, float, float]:
        """``drag_accel`` of the state ``_load`` put in the buffer."""
        da, dg = self._d, self._dg
        code = lib.fb_orbit_deriv(self._m_drag, t_s, self._y0, da)
        if code:
            ensure(code, "fb_orbit_deriv")
        code = lib.fb_orbit_deriv(self._m_grav, t_s, self._y0, dg)
        if code:
            ensure(code, "fb_orbit_deriv")
        return (da[3] - dg[3], da[4] - dg[4], da[5] - dg[5])
