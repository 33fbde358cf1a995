"""Pure-numpy reference of the core's gravity, atmosphere and Sun routines (oracle of the property tests).

Independent of the C code: gravity as the J2-J4 potential (differentiated numerically by the tests) and
as the textbook Cartesian acceleration of each zonal term; the atmospheres straight from the reference
tables in tests/verification/data (Harris-Priester with explicit scale heights, Montenbruck and Gill
eq. 3.100-3.104); the Sun from Meeus's low-accuracy solar coordinates (Astronomical Algorithms, ch. 25).
"""

from __future__ import annotations

import csv
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

DATA = Path(__file__).resolve().parents[1] / "verification" / "data"
Array = npt.NDArray[np.float64]


def _table(name: str) -> list[list[float]]:
    with (DATA / name).open() as f:
        rows = list(csv.reader(line for line in f if not line.startswith("#")))
    return [[float(v) for v in row] for row in rows[1:]]


CONSTANTS = json.loads((DATA / "earth_constants.json").read_text())
EXPONENTIAL = _table("atmosphere_vallado_exponential.csv")  # h0_km, rho0_kg_m3, H_km
HARRIS_PRIESTER = _table("atmosphere_harris_priester.csv")  # h_km, rho_min, rho_max (1e-12 kg/m^3)


@dataclass(frozen=True)
class Grav:
    gm: float = CONSTANTS["gm_m3_s2"]
    re: float = CONSTANTS["a_m"]
    j2: float = CONSTANTS["j2"]
    j3: float = CONSTANTS["j3"]
    j4: float = CONSTANTS["j4"]


def potential(r_m: npt.ArrayLike, g: Grav = Grav()) -> float:
    """Specific potential energy V = -GM/r [1 - sum_n Jn (Re/r)^n Pn(u)], u = z / r (J/kg); a = -grad V."""
    r_vec = np.asarray(r_m, dtype=float)
    r = float(np.linalg.norm(r_vec))
    u = r_vec[2] / r
    p2 = (3 * u**2 - 1) / 2
    p3 = (5 * u**3 - 3 * u) / 2
    p4 = (35 * u**4 - 30 * u**2 + 3) / 8
    q = g.re / r
    return -g.gm / r * (1 - g.j2 * q**2 * p2 - g.j3 * q**3 * p3 - g.j4 * q**4 * p4)


def accel(r_m: npt.ArrayLike, g: Grav = Grav()) -> Array:
    """Point mass plus the Cartesian J2, J3, J4 accelerations as printed in the textbooks (for example
    Vallado 2013 eq. 8-30 and its J3/J4 counterparts), term by term."""
    x, y, z = (float(v) for v in np.asarray(r_m, dtype=float))
    r = math.sqrt(x * x + y * y + z * z)
    mu, re = g.gm, g.re
    zr2 = (z / r) ** 2
    a = -mu / r**3 * np.array([x, y, z])
    f2 = -1.5 * g.j2 * mu * re**2 / r**5
    a += f2 * np.array([x * (1 - 5 * zr2), y * (1 - 5 * zr2), z * (3 - 5 * zr2)])
    f3 = -2.5 * g.j3 * mu * re**3 / r**7
    a += f3 * np.array([
        x * (3 * z - 7 * z**3 / r**2),
        y * (3 * z - 7 * z**3 / r**2),
        6 * z**2 - 7 * z**4 / r**2 - 0.6 * r**2,
    ])
    f4 = 15.0 / 8.0 * g.j4 * mu * re**4 / r**7
    a += f4 * np.array([
        x * (1 - 14 * zr2 + 21 * zr2**2),
        y * (1 - 14 * zr2 + 21 * zr2**2),
        z * (5 - 70.0 / 3.0 * zr2 + 21 * zr2**2),
    ])
    return a


def numerical_gradient(r_m: npt.ArrayLike, g: Grav = Grav(), step_m: float = 1.0) -> Array:
    """grad V by central differences of step ``step_m`` (truncation error: step^2 / 6 times V's third
    derivative, about 1e-10 m/s^2 at 1 m near the Earth)."""
    r = np.asarray(r_m, dtype=float)
    out = np.empty(3)
    for i in range(3):
        e = np.zeros(3)
        e[i] = step_m
        out[i] = (potential(r + e, g) - potential(r - e, g)) / (2 * step_m)
    return out


def exponential_density(h_m: float) -> float:
    h_km = h_m / 1000.0
    band = EXPONENTIAL[0]
    for row in EXPONENTIAL:
        if row[0] <= h_km:
            band = row
    h0, rho0, scale_h = band
    return rho0 * math.exp(-(h_km - h0) / scale_h)


def sun_eci(t_s: float) -> Array:
    """Meeus ch. 25 (low accuracy): geometric longitude of the Sun, mean obliquity, equator of date."""
    tc = t_s / 86400.0 / 36525.0
    l0 = 280.46646 + 36000.76983 * tc + 0.0003032 * tc**2
    m = math.radians(357.52911 + 35999.05029 * tc - 0.0001537 * tc**2)
    c = ((1.914602 - 0.004817 * tc - 0.000014 * tc**2) * math.sin(m)
         + (0.019993 - 0.000101 * tc) * math.sin(2 * m) + 0.000289 * math.sin(3 * m))
    lam = math.radians(l0 + c)
    eps = math.radians(23.0 + 26.0 / 60.0 + 21.448 / 3600.0 - 46.8150 / 3600.0 * tc)
    return np.array([math.cos(lam), math.cos(eps) * math.sin(lam), math.sin(eps) * math.sin(lam)])


def harris_priester_minmax(h_m: float) -> tuple[float, float]:
    """rho_min, rho_max (kg/m^3) with scale heights H = (h_i - h_i+1) / ln(rho_i+1 / rho_i)."""
    h_km = h_m / 1000.0
    rows = HARRIS_PRIESTER
    i = 0
    for k in range(len(rows) - 1):
        if rows[k][0] <= h_km:
            i = k
    h_i, h_j = rows[i][0], rows[i + 1][0]
    out = []
    for col in (1, 2):
        scale_h = (h_i - h_j) / math.log(rows[i + 1][col] / rows[i][col])
        out.append(1e-12 * rows[i][col] * math.exp((h_i - h_km) / scale_h))
    return out[0], out[1]


def harris_priester_density(
    t_s: float, r_eci_m: npt.ArrayLike, h_m: float, n: int = 3, u_sun: npt.ArrayLike | None = None
) -> float:
    """Harris-Priester with the bulge (apex: Sun right ascension + 30 deg, Sun declination); below 100 km
    the exponential table scaled to meet it at 100 km from below. ``u_sun`` replaces the oracle's own
    Sun direction (Meeus) when given."""
    h_base_m = HARRIS_PRIESTER[0][0] * 1000.0
    if h_m < h_base_m:
        below = EXPONENTIAL[[row[0] for row in EXPONENTIAL].index(90.0)]
        left = below[1] * math.exp(-(100.0 - below[0]) / below[2])
        return exponential_density(h_m) * harris_priester_minmax(h_base_m)[0] / left
    s = sun_eci(t_s) if u_sun is None else np.asarray(u_sun, dtype=float)
    ra = math.atan2(s[1], s[0]) + math.radians(30.0)
    dec = math.asin(max(-1.0, min(1.0, s[2])))
    apex = np.array([math.cos(dec) * math.cos(ra), math.cos(dec) * math.sin(ra), math.sin(dec)])
    r = np.asarray(r_eci_m, dtype=float)
    cos_psi = float(r @ apex / np.linalg.norm(r))
    rmin, rmax = harris_priester_minmax(h_m)
    return rmin + (rmax - rmin) * math.cos(math.acos(max(-1.0, min(1.0, cos_psi))) / 2) ** n



def largest_band_jump() -> float:
    """The largest relative rise of Vallado's table at a band edge: rho0_i+1 over the band below's
    rho0_i exp(-(h_i+1 - h_i) / H_i), minus one (the table's bands are not fitted to meet)."""
    jumps = [rho1 / (rho0 * math.exp(-(h1 - h0) / scale_h)) - 1.0
             for (h0, rho0, scale_h), (h1, rho1, _) in itertools.pairwise(EXPONENTIAL)]
    return max(jumps)
