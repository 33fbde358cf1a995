"""Burn targeting from the C core (``csrc/fb_target.h``): the final deorbit burn that puts the predicted
footprint centre on an aim point along the ground track with a target perigee, a perigee-lowering burn to
a target perigee, and the target-zone test.

Burns are retrograde with the force model's thrust, Isp and attitude law. Angles in radians (geodetic
latitude and longitude), times t_s (UTC seconds since J2000), distances in metres.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from firmware_bindings._arrays import F64Array, dptr
from firmware_bindings._core import ffi, lib
from firmware_bindings._status import ensure
from firmware_bindings.orbit import ForceModel, Tolerance, _state7
from firmware_bindings.reentry import EntryConfig, Footprint

__all__ = [
    "POINT_NEMO_LAT_RAD",
    "POINT_NEMO_LON_RAD",
    "SPOUA_APPROX",
    "FinalBurn",
    "PerigeeBurn",
    "Zone",
    "inside_zone",
    "solve_final_burn",
    "solve_perigee_burn",
]

MAX_VERTICES = 64
# Point Nemo, 48 deg 52.6 min S, 123 deg 23.6 min W (shared reference zone_spoua_approx.json).
POINT_NEMO_LAT_RAD = math.radians(-48.8767)
POINT_NEMO_LON_RAD = math.radians(-123.3933)


@dataclass(frozen=True)
class Zone:
    """A target zone: a polygon of geodetic latitudes and longitudes (radians, at most 64 vertices, not
    around a pole, less than 180 deg of longitude wide) and its aim point."""

    name: str
    lat_rad: tuple[float, ...]
    lon_rad: tuple[float, ...]
    aim_lat_rad: float
    aim_lon_rad: float

    @classmethod
    def from_json(cls, path: str | Path) -> Zone:
        """Read a zone file in the format of the shared reference ``zone_spoua_approx.json``
        (``polygon_lat_lon_deg`` and ``aim_point`` with ``lat_deg`` and ``lon_deg``)."""
        try:
            data = json.loads(Path(path).read_text())
            poly = [(float(a), float(b)) for a, b in data["polygon_lat_lon_deg"]]
            aim = data["aim_point"]
            return cls(
                str(data.get("name", Path(path).stem)),
                tuple(math.radians(p[0]) for p in poly),
                tuple(math.radians(p[1]) for p in poly),
                math.radians(float(aim["lat_deg"])),
                math.radians(float(aim["lon_deg"])),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: not a zone file: {exc}") from None

    def _c(self) -> Any:
        n = len(self.lat_rad)
        if n != len(self.lon_rad) or not 3 <= n <= MAX_VERTICES:
            raise ValueError(f"a zone needs 3 to {MAX_VERTICES} vertices (latitude and longitude each)")
        z = ffi.new("fb_zone *")
        z.n = n
        for i in range(n):
            z.lat_rad[i] = float(self.lat_rad[i])
            z.lon_rad[i] = float(self.lon_rad[i])
        return z


# The default target zone: the approximate SPOUA rectangle of the shared reference zone_spoua_approx.json
# (35 S to 56 S, 165 W to 100 W), aimed at Point Nemo.
SPOUA_APPROX = Zone(
    "SPOUA (approximation)",
    tuple(math.radians(v) for v in (-35.0, -35.0, -56.0, -56.0)),
    tuple(math.radians(v) for v in (-165.0, -100.0, -100.0, -165.0)),
    POINT_NEMO_LAT_RAD,
    POINT_NEMO_LON_RAD,
)


def inside_zone(
    lat_rad: npt.ArrayLike, lon_rad: npt.ArrayLike, zone: Zone = SPOUA_APPROX
) -> npt.NDArray[np.bool_]:
    """Whether each point lies inside the zone polygon (arrays broadcast together; 0-d for scalars)."""
    try:
        lat, lon = np.broadcast_arrays(np.asarray(lat_rad, dtype=np.float64),
                                       np.asarray(lon_rad, dtype=np.float64))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"lat_rad and lon_rad must be numeric arrays of one shape: {exc}") from None
    z = zone._c()
    out = np.empty(lat.shape, dtype=bool)
    flag = ffi.new("int *")
    for idx in np.ndindex(lat.shape):
        ensure(lib.fb_target_inside_zone(z, float(lat[idx]), float(lon[idx]), flag), "fb_target_inside_zone")
        out[idx] = bool(flag[0])
    return out


@dataclass(frozen=True)
class PerigeeBurn:
    """A solved perigee-lowering burn and the orbit at cutoff (``dv_mps`` from the rocket equation)."""

    t_ignition_s: float
    duration_s: float
    dv_mps: float
    propellant_kg: float
    hp_after_m: float
    ha_after_m: float
    r_cutoff_eci_m: F64Array
    v_cutoff_eci_mps: F64Array
    mass_cutoff_kg: float
    iterations: int


def solve_perigee_burn(
    t0_s: float,
    r_eci_m: npt.ArrayLike,
    v_eci_mps: npt.ArrayLike,
    mass_kg: float,
    t_ignition_s: float,
    hp_target_m: float,
    max_duration_s: float = 3600.0,
    model: ForceModel | None = None,
    tol: Tolerance | None = None,
    tol_duration_s: float = 1e-3,
) -> PerigeeBurn:
    """The duration of a retrograde burn at ``t_ignition_s`` that brings the osculating perigee altitude
    (r_p - Re) at cutoff to ``hp_target_m``. Raises ``NoSolutionError`` when the perigee is already at or
    below the target or ``max_duration_s`` (or the propellant above ``model.dry_mass_kg``) is not enough."""
    y0 = _state7(r_eci_m, v_eci_mps, mass_kg)
    cfg = ffi.new("fb_target_perigee_config *")
    cfg.hp_target_m, cfg.max_duration_s = float(hp_target_m), float(max_duration_s)
    cfg.tol_duration_s, cfg.max_iterations = float(tol_duration_s), 200
    out = ffi.new("fb_target_perigee_result *")
    m = (model if model is not None else ForceModel())._c()
    t = (tol if tol is not None else Tolerance())._c()
    ensure(lib.fb_target_perigee_burn(m, t, cfg, float(t0_s), dptr(y0),
                                      float(t_ignition_s), out), "fb_target_perigee_burn")
    yc = np.frombuffer(ffi.buffer(out.y_cutoff), dtype=np.float64, count=7).copy()
    return PerigeeBurn(float(t_ignition_s), out.duration_s, out.dv_mps, out.propellant_kg, out.hp_after_m,
                       out.ha_after_m, yc[:3], yc[3:6], float(yc[6]), int(out.iterations))


@dataclass(frozen=True)
class FinalBurn:
    """The solved final burn, its predicted footprint and how it meets the aim: ``miss_m`` is the
    great-circle distance from the aim point to the footprint centre, ``miss_along_m`` its along-track part
    (driven to zero by the solver, positive downrange) and ``miss_cross_m`` the cross-track part (set by the
    orbit plane, positive when the aim point lies left of the track); ``inside_zone`` is true when every
    predicted impact lies inside the zone."""

    t_ignition_s: float
    duration_s: float
    dv_mps: float
    propellant_kg: float
    hp_after_m: float
    ha_after_m: float
    miss_m: float
    miss_along_m: float
    miss_cross_m: float
    inside_zone: bool
    iterations: int
    n_predictions: int
    footprint: Footprint


def solve_final_burn(
    t0_s: float,
    r_eci_m: npt.ArrayLike,
    v_eci_mps: npt.ArrayLike,
    mass_kg: float,
    t_ignition_min_s: float,
    t_ignition_max_s: float,
    zone: Zone | None = SPOUA_APPROX,
    aim_lat_rad: float | None = None,
    aim_lon_rad: float | None = None,
    hp_target_m: float = 50e3,
    max_duration_s: float = 3600.0,
    model: ForceModel | None = None,
    config: EntryConfig | None = None,
    tol_ignition_s: float = 1e-3,
    tol_duration_s: float = 1e-3,
    max_iterations: int = 60,
) -> FinalBurn:
    """Solve the final deorbit burn: ignition time in ``[t_ignition_min_s, t_ignition_max_s]`` and
    duration such that the osculating perigee after the burn is ``hp_target_m`` (about 50 km) and the
    predicted footprint centre lands on the aim point along the ground track.

    The aim point defaults to the zone's (Point Nemo for ``SPOUA_APPROX``); ``zone=None`` skips the zone
    test (then give the aim point). The solver is a secant search from the middle of the window to a
    bracket, then Brent's method to ``tol_ignition_s``, at most ``max_iterations`` outer iterations; each
    trial solves the duration for the perigee target by Brent's method. Raises ``NoSolutionError`` when the
    window holds no solution or the perigee target is out of reach, ``ConvergenceError`` when the bound is
    hit, ``InvalidInputError`` or ``BelowGroundError`` for bad input.

    Example::

        >>> from firmware_bindings.orbit import state_from_elements
        >>> from firmware_bindings.targeting import solve_final_burn
        >>> r, v = state_from_elements((6_550_637.0, 0.0042, 0.9013, 1.0, 2.0, 3.1416))  # 200 x 145 km
        >>> sol = solve_final_burn(9.4e8, r, v, 450e3, 9.4e8, 9.4e8 + 5600.0)  # doctest: +SKIP
        >>> round(sol.hp_after_m / 1e3), abs(sol.miss_along_m) < 10.0  # doctest: +SKIP
        (50, True)
    """
    if zone is None and (aim_lat_rad is None or aim_lon_rad is None):
        raise ValueError("give a zone or an aim point (aim_lat_rad and aim_lon_rad)")
    y0 = _state7(r_eci_m, v_eci_mps, mass_kg)
    cfg = ffi.new("fb_target_final_config *")
    cfg.aim_lat_rad = float(aim_lat_rad if aim_lat_rad is not None else zone.aim_lat_rad)  # type: ignore[union-attr]
    cfg.aim_lon_rad = float(aim_lon_rad if aim_lon_rad is not None else zone.aim_lon_rad)  # type: ignore[union-attr]
    cfg.hp_target_m = float(hp_target_m)
    cfg.t_ignition_min_s, cfg.t_ignition_max_s = float(t_ignition_min_s), float(t_ignition_max_s)
    cfg.max_duration_s = float(max_duration_s)
    cfg.tol_ignition_s, cfg.tol_duration_s = float(tol_ignition_s), float(tol_duration_s)
    cfg.max_iterations = int(max_iterations)
    out = ffi.new("fb_target_final_result *")
    m = (model if model is not None else ForceModel())._c()
    ec = (config if config is not None else EntryConfig())._c()
    z = zone._c() if zone is not None else ffi.NULL
    ensure(lib.fb_target_final_burn(m, ec, cfg, z, float(t0_s), dptr(y0), out),
           "fb_target_final_burn")
    return FinalBurn(out.t_ignition_s, out.duration_s, out.dv_mps, out.propellant_kg, out.hp_after_m,
                     out.ha_after_m, out.miss_m, out.miss_along_m, out.miss_cross_m,
                     bool(out.inside_zone) and zone is not None, int(out.iterations), int(out.n_predictions),
                     Footprint._from_c(out.footprint))
