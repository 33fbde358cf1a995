"""Time scales, reference frames and geodesy of the C core: the thin checked binding and its numpy API.

Time is ``t_s``, seconds of UTC since J2000 (2000-01-01 12:00:00 UTC), UT1 taken equal to UTC. ECI is
the true equator and mean equinox of date treated as inertial; ``ECEF = R3(gmst) ECI`` with GMST from
the IAU 1982 expression, no precession, nutation or polar motion. Geodetic coordinates are WGS-84
``[lat_rad, lon_rad, h_m]`` along the last axis, longitude in (-pi, pi]. LVLH has z toward the Earth's
centre, y against the orbit normal, x = y x z. See ``csrc/fb_frames.h`` for every approximation.

Every array function takes any leading shape (``(..., 3)`` for vectors) and calls one batch entry point of
the core: no Python loop over points. Times and vectors broadcast together (numpy rules on the leading
shape): one position at many times, many positions at one time, or one time per position.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from firmware_bindings._arrays import F64Array, as_f64, dptr, dptr_out
from firmware_bindings._core import ffi, lib
from firmware_bindings._status import ensure

__all__ = [
    "MEAN_RADIUS_M",
    "WGS84_A_M",
    "WGS84_F",
    "WGS84_OMEGA_RAD_S",
    "dcm_ecef_from_eci",
    "dcm_lvlh_from_eci",
    "ecef_from_eci",
    "ecef_from_geodetic",
    "ecef_state_from_eci",
    "eci_from_ecef",
    "eci_state_from_ecef",
    "geodetic_altitude_m",
    "geodetic_from_ecef",
    "geodetic_from_eci",
    "gmst_rad",
    "great_circle",
    "j2000_s_from_utc",
    "jd_from_utc",
]

WGS84_A_M = 6378137.0
WGS84_F = 1.0 / 298.257223563
WGS84_OMEGA_RAD_S = 7.292115e-5
MEAN_RADIUS_M = 6371008.8

_INT_MAX = 2**31 - 1


# ---- thin layer: shapes checked, one C batch call, status through ensure() ----

def _f64(x: Any, name: str) -> F64Array:
    """``x`` as a C-contiguous float64 array of its own shape (0-d kept, unlike ``as_f64``)."""
    try:
        return np.array(x, dtype=np.float64, order="C")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from None


def _broadcast_points(
    scalars: Sequence[tuple[Any, str]], vectors: Sequence[tuple[Any, str]]
) -> tuple[list[F64Array], list[F64Array]]:
    """Per-point scalars and ``(..., 3)`` vectors broadcast to one leading shape (numpy rules), as
    contiguous float64 copies: one position at many times, many positions at one time, and so on."""
    sc = [_f64(x, name) for x, name in scalars]
    vecs = [as_f64(v, (3,), name) for v, name in vectors]
    try:
        lead = np.broadcast_shapes(*(a.shape for a in sc), *(v.shape[:-1] for v in vecs))
    except ValueError:
        shapes = [f"{name} {a.shape}" for a, (_, name) in zip(sc, scalars, strict=True)]
        shapes += [f"{name} {v.shape}" for v, (_, name) in zip(vecs, vectors, strict=True)]
        raise ValueError(f"{', '.join(shapes)} do not broadcast together") from None
    return (
        [np.array(np.broadcast_to(a, lead), dtype=np.float64, order="C") for a in sc],
        [np.array(np.broadcast_to(v, (*lead, 3)), dtype=np.float64, order="C") for v in vecs],
    )


def _timed_vectors(t_s: Any, vectors: Sequence[tuple[Any, str]]) -> tuple[F64Array, list[F64Array]]:
    """Times and ``(..., 3)`` vectors broadcast together (see ``_broadcast_points``)."""
    (t,), vecs = _broadcast_points([(t_s, "t_s")], vectors)
    return t, vecs


def _call_n(
    what: str,
    fn: Callable[..., int],
    lead: tuple[int, ...],
    inputs: Sequence[tuple[F64Array, int]],
    outputs: Sequence[tuple[F64Array, int]],
    prefix: tuple[Any, ...] = (),
) -> None:
    """Call the batch entry point ``fn(*prefix, n, inputs..., outputs...)`` over the ``prod(lead)`` points
    (each array given with its doubles per point) and raise through ``ensure`` on failure, naming the
    first failing point's index (found by single-point calls, on the error path only)."""
    n = int(np.prod(lead, dtype=np.int64))
    if n > _INT_MAX:
        raise ValueError(f"{what}: too many points for one call ({n})")
    ptrs = [(dptr(a), k) for a, k in inputs] + [(dptr_out(a), k) for a, k in outputs]
    code = fn(*prefix, n, *(p for p, _ in ptrs))
    if code != 0 and n > 1:
        for i in range(n):
            one = fn(*prefix, 1, *(p + k * i for p, k in ptrs))
            if one != 0:
                index = tuple(int(j) for j in np.unravel_index(i, lead))
                ensure(one, f"{what} at index {index}")
    ensure(code, what)


def _calendar(year: int, month: int, day: int, hour: int, minute: int) -> tuple[int, ...]:
    fields = (year, month, day, hour, minute)
    for name, v in zip(("year", "month", "day", "hour", "minute"), fields, strict=True):
        if isinstance(v, bool) or not isinstance(v, int | np.integer):
            raise TypeError(f"{name} must be an integer, got {v!r}")
    if any(abs(int(v)) > _INT_MAX for v in fields):
        raise ValueError("calendar field out of range")
    return tuple(int(v) for v in fields)


def _split_when(
    when: datetime | int, month: int | None, day: int | None, hour: int, minute: int, second: float
) -> tuple[int, int, int, int, int, float]:
    if isinstance(when, datetime):
        if month is not None or day is not None:
            raise TypeError("give either a datetime or calendar fields, not both")
        if when.tzinfo is not None:
            when = when.astimezone(UTC)
        sec = when.second + when.microsecond * 1e-6
        return when.year, when.month, when.day, when.hour, when.minute, sec
    if month is None or day is None:
        raise TypeError("calendar fields need year, month and day")
    y, mo, d, h, mi = _calendar(when, month, day, hour, minute)
    return y, mo, d, h, mi, float(second)


# ---- numpy API ----

def jd_from_utc(
    when: datetime | int,
    month: int | None = None,
    day: int | None = None,
    hour: int = 0,
    minute: int = 0,
    second: float = 0.0,
) -> float:
    """Julian date (UTC) of a datetime (naive means UTC) or of calendar fields; years 1900 to 2199."""
    y, mo, d, h, mi, s = _split_when(when, month, day, hour, minute, second)
    out = ffi.new("double *")
    ensure(lib.fb_time_jd_from_utc(y, mo, d, h, mi, s, out), "jd_from_utc")
    return float(out[0])


def j2000_s_from_utc(
    when: datetime | int,
    month: int | None = None,
    day: int | None = None,
    hour: int = 0,
    minute: int = 0,
    second: float = 0.0,
) -> float:
    """Seconds since J2000 (2000-01-01 12:00:00 UTC) of a datetime (naive means UTC) or calendar fields.

    ``j2000_s_from_utc(datetime(2031, 1, 5, 3, tzinfo=timezone.utc))`` or
    ``j2000_s_from_utc(2031, 1, 5, 3, 0, 0.0)``. Leap seconds are not counted (one time scale per run).
    """
    y, mo, d, h, mi, s = _split_when(when, month, day, hour, minute, second)
    out = ffi.new("double *")
    ensure(lib.fb_time_j2000_s_from_utc(y, mo, d, h, mi, s, out), "j2000_s_from_utc")
    return float(out[0])


def gmst_rad(t_s: npt.ArrayLike) -> Any:
    """Greenwich mean sidereal time (IAU 1982) in [0, 2 pi) at ``t_s``; a float for a scalar input."""
    t = _f64(t_s, "t_s")
    out = np.empty_like(t)
    _call_n("gmst_rad", lib.fb_time_gmst_rad_n, t.shape, [(t, 1)], [(out, 1)])
    return float(out) if out.ndim == 0 else out


def ecef_from_eci(t_s: npt.ArrayLike, r_eci_m: npt.ArrayLike) -> F64Array:
    """ECEF components of ECI positions ``(..., 3)`` at times ``t_s`` (broadcast to the leading shape)."""
    t, (r,) = _timed_vectors(t_s, [(r_eci_m, "r_eci_m")])
    out = np.empty_like(r)
    _call_n("ecef_from_eci", lib.fb_frame_ecef_from_eci_n, t.shape, [(t, 1), (r, 3)], [(out, 3)])
    return out


def eci_from_ecef(t_s: npt.ArrayLike, r_ecef_m: npt.ArrayLike) -> F64Array:
    """ECI components of ECEF positions ``(..., 3)`` at times ``t_s``."""
    t, (r,) = _timed_vectors(t_s, [(r_ecef_m, "r_ecef_m")])
    out = np.empty_like(r)
    _call_n("eci_from_ecef", lib.fb_frame_eci_from_ecef_n, t.shape, [(t, 1), (r, 3)], [(out, 3)])
    return out


def dcm_ecef_from_eci(t_s: npt.ArrayLike) -> F64Array:
    """Rotation matrices ``(..., 3, 3)`` taking ECI components to ECEF components at times ``t_s``."""
    t = _f64(t_s, "t_s")
    out = np.empty((*t.shape, 3, 3), dtype=np.float64)
    _call_n("dcm_ecef_from_eci", lib.fb_frame_dcm_ecef_from_eci_n, t.shape, [(t, 1)], [(out, 9)])
    return out


def geodetic_from_eci(t_s: npt.ArrayLike, r_eci_m: npt.ArrayLike) -> F64Array:
    """WGS-84 ``[lat_rad, lon_rad, h_m]`` of ECI positions ``(..., 3)`` at times ``t_s``: the sub-point of
    a ground track (two batch calls, ECEF first)."""
    return geodetic_from_ecef(ecef_from_eci(t_s, r_eci_m))


def _state_args(
    t_s: npt.ArrayLike, r_m: npt.ArrayLike, v_mps: npt.ArrayLike, names: tuple[str, str]
) -> tuple[F64Array, F64Array, F64Array]:
    t, (r, v) = _timed_vectors(t_s, [(r_m, names[0]), (v_mps, names[1])])
    return t, r, v


def ecef_state_from_eci(
    t_s: npt.ArrayLike, r_eci_m: npt.ArrayLike, v_eci_mps: npt.ArrayLike
) -> tuple[F64Array, F64Array]:
    """ECEF position and velocity (Earth-fixed, including -omega x r) of ECI states."""
    t, r, v = _state_args(t_s, r_eci_m, v_eci_mps, ("r_eci_m", "v_eci_mps"))
    r_out, v_out = np.empty_like(r), np.empty_like(v)
    _call_n("ecef_state_from_eci", lib.fb_frame_ecef_state_from_eci_n, t.shape, [(t, 1), (r, 3), (v, 3)],
            [(r_out, 3), (v_out, 3)])
    return r_out, v_out


def eci_state_from_ecef(
    t_s: npt.ArrayLike, r_ecef_m: npt.ArrayLike, v_ecef_mps: npt.ArrayLike
) -> tuple[F64Array, F64Array]:
    """ECI position and velocity of Earth-fixed states (adds omega x r)."""
    t, r, v = _state_args(t_s, r_ecef_m, v_ecef_mps, ("r_ecef_m", "v_ecef_mps"))
    r_out, v_out = np.empty_like(r), np.empty_like(v)
    _call_n("eci_state_from_ecef", lib.fb_frame_eci_state_from_ecef_n, t.shape, [(t, 1), (r, 3), (v, 3)],
            [(r_out, 3), (v_out, 3)])
    return r_out, v_out


def geodetic_from_ecef(r_ecef_m: npt.ArrayLike) -> F64Array:
    """WGS-84 ``[lat_rad, lon_rad, h_m]`` along the last axis of ECEF positions ``(..., 3)``.

    Sub-millimetre from -1 km to 2,000 km altitude, poles included; a point within 50 km of the Earth's
    centre or beyond 1e10 m raises ``InvalidInputError`` naming the first such point's index.
    """
    r = as_f64(r_ecef_m, (3,), "r_ecef_m")
    out = np.empty_like(r)
    _call_n("geodetic_from_ecef", lib.fb_frame_geodetic_from_ecef_n, r.shape[:-1], [(r, 3)], [(out, 3)])
    return out


def ecef_from_geodetic(lla: npt.ArrayLike) -> F64Array:
    """ECEF positions of WGS-84 ``[lat_rad, lon_rad, h_m]`` (last axis); |lat| <= pi/2,
    -1,000 km <= h_m <= 1e10 m."""
    g = as_f64(lla, (3,), "lla")
    out = np.empty_like(g)
    _call_n("ecef_from_geodetic", lib.fb_frame_ecef_from_geodetic_n, g.shape[:-1], [(g, 3)], [(out, 3)])
    return out


def geodetic_altitude_m(t_s: npt.ArrayLike, r_eci_m: npt.ArrayLike) -> Any:
    """WGS-84 geodetic altitude of ECI positions ``(..., 3)``; a float for a single position."""
    t, (r,) = _timed_vectors(t_s, [(r_eci_m, "r_eci_m")])
    out = np.empty_like(t)
    _call_n("geodetic_altitude_m", lib.fb_frame_altitude_m_n, t.shape, [(t, 1), (r, 3)], [(out, 1)])
    return float(out) if out.ndim == 0 else out


def dcm_lvlh_from_eci(r_eci_m: npt.ArrayLike, v_eci_mps: npt.ArrayLike) -> F64Array:
    """Direction cosine matrices ``(..., 3, 3)`` taking ECI components to LVLH components."""
    _, (r, v) = _broadcast_points([], [(r_eci_m, "r_eci_m"), (v_eci_mps, "v_eci_mps")])
    out = np.empty((*r.shape, 3), dtype=np.float64)
    _call_n("dcm_lvlh_from_eci", lib.fb_frame_dcm_lvlh_from_eci_n, r.shape[:-1], [(r, 3), (v, 3)],
            [(out, 9)])
    return out


def great_circle(
    lat1_rad: npt.ArrayLike, lon1_rad: npt.ArrayLike, lat2_rad: npt.ArrayLike, lon2_rad: npt.ArrayLike
) -> tuple[Any, Any]:
    """Great-circle distance (m, on the sphere of the mean radius 6,371,008.8 m) and initial bearing
    (rad clockwise from north, in [0, 2 pi)) from point 1 to point 2; arguments broadcast together."""
    (a1, o1, a2, o2), _ = _broadcast_points(
        [(lat1_rad, "lat1_rad"), (lon1_rad, "lon1_rad"), (lat2_rad, "lat2_rad"), (lon2_rad, "lon2_rad")], []
    )
    dist, bear = np.empty_like(a1), np.empty_like(a1)
    _call_n("great_circle", lib.fb_frame_great_circle_n, a1.shape, [(a1, 1), (o1, 1), (a2, 1), (o2, 1)],
            [(dist, 1), (bear, 1)])
    if dist.ndim == 0:
        return float(dist), float(bear)
    return dist, bear
