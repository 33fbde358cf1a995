"""Pure-numpy reference of the core's time and frame routines (the oracle of the property tests).

Written independently of the C code: the Julian date by Meeus's calendar algorithm, GMST by Meeus's
degree form of the IAU 1982 expression (Astronomical Algorithms, 2nd ed., eq. 12.4), rotations as
explicit matrices, geodetic latitude by a long fixed-point iteration in extended precision, great
circles from unit vectors.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

A_M = 6378137.0
F = 1.0 / 298.257223563
E2 = F * (2.0 - F)
OMEGA_RAD_S = 7.292115e-5
MEAN_RADIUS_M = 6371008.8
DAY_S = 86400.0

Array = npt.NDArray[np.float64]


def jd_day_number(year: int, month: int, day: int) -> float:
    """Julian date of 0h UTC of a Gregorian calendar date (Meeus, Astronomical Algorithms, ch. 7)."""
    y, m = (year - 1, month + 12) if month <= 2 else (year, month)
    a = y // 100
    b = 2 - a + a // 4
    return math.floor(365.25 * (y + 4716)) + math.floor(30.6001 * (m + 1)) + day + b - 1524.5


def jd_from_utc(year: int, month: int, day: int, hour: int, minute: int, second: float) -> float:
    return jd_day_number(year, month, day) + (hour * 3600 + minute * 60 + second) / DAY_S


def j2000_s_from_utc(year: int, month: int, day: int, hour: int, minute: int, second: float) -> float:
    days = jd_day_number(year, month, day) - 2451544.5  # whole days from 2000-01-01 0h
    return days * DAY_S - 43200.0 + hour * 3600 + minute * 60 + second


# Meeus prints the constant as 280.46061837 deg and the rate as 360.98564736629 deg/day: the IAU 1982
# values 67310.54841 s and 8640184.812866 s per century rounded (5e-9 deg, and 4e-8 deg after 30 years);
# the unrounded values are used so the oracle agrees with the IAU expression to rounding.
GMST0_DEG = 67310.54841 / 240.0
EXCESS_DEG_PER_DAY = 8640184.812866 / 36525.0 / 240.0


def gmst_rad(t_s: float) -> float:
    """Meeus eq. 12.4, in degrees: 280.46061837 + 360.98564736629 d + 0.000387933 T^2 - T^3 / 38710000."""
    d = t_s / DAY_S
    tc = d / 36525.0
    # 360.9856... d split as 360 d (whole turns, dropped exactly via the fractional day) + the excess
    frac_turns = math.fmod(d, 1.0)
    deg = GMST0_DEG + 360.0 * frac_turns + EXCESS_DEG_PER_DAY * d + 0.000387933 * tc**2 - tc**3 / 38710000.0
    return math.radians(deg % 360.0)


def r3(theta: float) -> Array:
    c, s = math.cos(theta), math.sin(theta)
    return np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])


def ecef_from_eci(t_s: float, r_eci_m: npt.ArrayLike) -> Array:
    return r3(gmst_rad(t_s)) @ np.asarray(r_eci_m, dtype=float)


def eci_from_ecef(t_s: float, r_ecef_m: npt.ArrayLike) -> Array:
    return r3(gmst_rad(t_s)).T @ np.asarray(r_ecef_m, dtype=float)


def ecef_state_from_eci(t_s: float, r_eci_m: npt.ArrayLike, v_eci_mps: npt.ArrayLike) -> tuple[Array, Array]:
    m = r3(gmst_rad(t_s))
    r = m @ np.asarray(r_eci_m, dtype=float)
    w = np.array([0.0, 0.0, OMEGA_RAD_S])
    return r, m @ np.asarray(v_eci_mps, dtype=float) - np.cross(w, r)


def eci_state_from_ecef(
    t_s: float, r_ecef_m: npt.ArrayLike, v_ecef_mps: npt.ArrayLike
) -> tuple[Array, Array]:
    m = r3(gmst_rad(t_s)).T
    r = np.asarray(r_ecef_m, dtype=float)
    w = np.array([0.0, 0.0, OMEGA_RAD_S])
    return m @ r, m @ (np.asarray(v_ecef_mps, dtype=float) + np.cross(w, r))


def ecef_from_geodetic(lla: npt.ArrayLike) -> Array:
    lat, lon, h = (np.longdouble(v) for v in np.asarray(lla, dtype=float))
    a, e2 = np.longdouble(A_M), np.longdouble(E2)
    n = a / np.sqrt(1 - e2 * np.sin(lat) ** 2)
    x = (n + h) * np.cos(lat) * np.cos(lon)
    y = (n + h) * np.cos(lat) * np.sin(lon)
    z = (n * (1 - e2) + h) * np.sin(lat)
    return np.array([x, y, z], dtype=float)


def geodetic_from_ecef(r_ecef_m: npt.ArrayLike, iterations: int = 200) -> Array:
    """Latitude by fixed-point iteration of tan(lat) = (z + e^2 N sin(lat)) / p in extended precision.

    Each pass shrinks the error by about e^2 N / (N + h) < 0.007, so 200 passes are far past convergence
    for any point more than 50 km from the centre; near the axis the iteration runs on the
    co-latitude form so that p = 0 (the poles) is handled exactly.
    """
    x, y, z = (np.longdouble(v) for v in np.asarray(r_ecef_m, dtype=float))
    a, e2 = np.longdouble(A_M), np.longdouble(E2)
    p = np.sqrt(x * x + y * y)
    lat = np.arctan2(z, p * (1 - e2))
    for _ in range(iterations):
        n = a / np.sqrt(1 - e2 * np.sin(lat) ** 2)
        lat = np.arctan2(z + e2 * n * np.sin(lat), p)
    n = a / np.sqrt(1 - e2 * np.sin(lat) ** 2)
    # height: the projection formula, well conditioned at every latitude
    h = p * np.cos(lat) + z * np.sin(lat) - a * a / n
    lon = math.atan2(float(y), float(x))
    if lon <= -math.pi:
        lon += 2 * math.pi
    return np.array([float(lat), lon, float(h)])


def dcm_lvlh_from_eci(r_eci_m: npt.ArrayLike, v_eci_mps: npt.ArrayLike) -> Array:
    r = np.asarray(r_eci_m, dtype=float)
    v = np.asarray(v_eci_mps, dtype=float)
    z = -r / np.linalg.norm(r)
    hvec = np.cross(r, v)
    y = -hvec / np.linalg.norm(hvec)
    x = np.cross(y, z)
    return np.vstack([x, y, z])


def _unit(lat: float, lon: float) -> Array:
    return np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)])


def great_circle(lat1: float, lon1: float, lat2: float, lon2: float) -> tuple[float, float]:
    """Distance from the angle between unit vectors; bearing from the local north and east axes."""
    n1, n2 = _unit(lat1, lon1), _unit(lat2, lon2)
    angle = math.atan2(float(np.linalg.norm(np.cross(n1, n2))), float(n1 @ n2))
    east = np.array([-math.sin(lon1), math.cos(lon1), 0.0])
    north = np.array([-math.sin(lat1) * math.cos(lon1), -math.sin(lat1) * math.sin(lon1), math.cos(lat1)])
    # the tangent toward point 2 is n2 minus its n1 component; east and north are both normal to n1
    b = math.atan2(float(n2 @ east), float(n2 @ north))
    return MEAN_RADIUS_M * angle, b % (2 * math.pi)
