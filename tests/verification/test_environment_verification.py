"""Gravity, atmospheres and the Sun against published tables and values
(tests/verification/data: the two atmosphere tables as copied from the shared references, and
env_published_examples.json). Each test names its authority and states its tolerance in physical units.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from firmware_bindings import frames as fr
from firmware_bindings.environment import (
    AtmosphereModel,
    GravityModel,
    density_kg_m3,
    gravity_accel,
    sun_direction_eci,
)
from tests.oracles import environment as E

DATA: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parent / "data" / "env_published_examples.json").read_text()
)


@pytest.mark.parametrize("row", E.EXPONENTIAL, ids=lambda r: f"{r[0]:g}km")
def test_exponential_atmosphere_against_vallado_table_8_4(row: list[float]) -> None:
    """Vallado (2013) table 8-4: at each base altitude h0 the density is the tabulated rho0, exactly to
    1e-12 relative, whatever the position, time or (for Harris-Priester below 100 km) bulge."""
    h0_km, rho0, _ = row
    rho = density_kg_m3(1.0e8, [0.0, 6.9e6, 1.0e5], h0_km * 1000.0, AtmosphereModel("exponential"))
    assert abs(rho - rho0) <= 1e-12 * rho0


@pytest.mark.parametrize("row", E.HARRIS_PRIESTER, ids=lambda r: f"{r[0]:g}km")
@pytest.mark.parametrize("n", [2, 3, 6])
def test_harris_priester_against_montenbruck_gill_table_3_8(row: list[float], n: int) -> None:
    """Montenbruck and Gill (2000) table 3.8: at each node the density is the tabulated rho_max on the
    bulge apex and rho_min opposite it, exactly to 1e-12 relative, for cosine exponents 2, 3 and 6."""
    h_km, rho_min, rho_max = (row[0], 1e-12 * row[1], 1e-12 * row[2])
    t = 7.0e8
    s = sun_direction_eci(t)
    c, sn = math.cos(math.radians(30.0)), math.sin(math.radians(30.0))
    apex = np.array([c * s[0] - sn * s[1], sn * s[0] + c * s[1], s[2]])
    model = AtmosphereModel("harris-priester", 1.0, n)
    at_apex = density_kg_m3(t, apex * 6.9e6, h_km * 1000.0, model)
    opposite = density_kg_m3(t, -apex * 6.9e6, h_km * 1000.0, model)
    assert abs(at_apex - rho_max) <= 1e-12 * rho_max
    assert abs(opposite - rho_min) <= 1e-12 * rho_min


def test_sun_against_meeus_example_25a() -> None:
    """Meeus (1998) example 25.a, 1992 Oct 13.0: right ascension 198.38083 deg, declination -7.78507 deg
    (apparent place); tolerance 0.01 deg on the sky, the stated accuracy of the low-precision formula
    (aberration and nutation, left out, are about 0.006 deg)."""
    e = DATA["sun"][0]
    u = sun_direction_eci(fr.j2000_s_from_utc(*e["utc"]))
    ra, dec = math.radians(e["ra_deg"]), math.radians(e["dec_deg"])
    want = np.array([math.cos(dec) * math.cos(ra), math.cos(dec) * math.sin(ra), math.sin(dec)])
    assert math.degrees(math.acos(min(1.0, float(u @ want)))) < 0.01


def test_gravity_against_wgs84_normal_gravity() -> None:
    """NIMA TR8350.2 normal gravity: with the normal field's J4 (and no J3), the core's attraction at the
    equator less the centrifugal omega^2 a is 9.7803253359 m/s^2 and at the pole 9.8321849378 m/s^2,
    each to 1e-6 m/s^2 (0.1 mGal; the normal field's J6 and beyond, left out, are about 5e-7 m/s^2)."""
    g = DATA["normal_gravity"]
    d = GravityModel.default()
    normal = GravityModel(d.gm_m3_s2, d.re_m, d.j2, 0.0, g["j4_normal_field"])
    a = fr.WGS84_A_M
    b = a * (1 - fr.WGS84_F)
    acc = gravity_accel([[a, 0.0, 0.0], [0.0, 0.0, b]], normal)
    gamma_equator = -acc[0, 0] - fr.WGS84_OMEGA_RAD_S**2 * a
    gamma_pole = -acc[1, 2]
    assert abs(gamma_equator - g["gamma_equator_mps2"]) < 1e-6
    assert abs(gamma_pole - g["gamma_pole_mps2"]) < 1e-6
    assert abs(acc[0, 1]) < 1e-15 and abs(acc[0, 2]) < 1e-15 and abs(acc[1, 0]) < 1e-15


def test_default_gravity_model_is_the_shared_reference() -> None:
    """GravityModel.default() carries earth_constants.json (WGS-84 GM and a, EGM96 J2-J4) exactly."""
    ref = json.loads((Path(__file__).resolve().parent / "data" / "earth_constants.json").read_text())
    d = GravityModel.default()
    assert (d.gm_m3_s2, d.re_m, d.j2, d.j3, d.j4) == (ref["gm_m3_s2"], ref["a_m"], ref["j2"], ref["j3"],
                                                        ref["j4"])
