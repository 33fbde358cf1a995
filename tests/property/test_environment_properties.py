"""Properties of gravity, atmosphere and the Sun, checked against the oracle tests/oracles/environment.py."""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import assume, example, given
from hypothesis import strategies as st

from firmware_bindings.environment import (
    AtmosphereModel,
    GravityModel,
    density_kg_m3,
    gravity_accel,
    sun_direction_eci,
)
from tests.oracles import environment as E

component = st.floats(-1.0, 1.0)
direction = st.tuples(component, component, component).filter(lambda v: math.hypot(*v) > 0.05)
radius_m = st.floats(6.30e6, 4.3e7)
t_s = st.floats(-1.0e9, 1.5e9)
hp_n = st.integers(2, 6)
HP = AtmosphereModel("harris-priester")
EXP = AtmosphereModel("exponential")


def _point(d: tuple[float, float, float], radius: float) -> np.ndarray:
    v = np.asarray(d, dtype=float)
    return v / np.linalg.norm(v) * radius


@given(direction, radius_m)
@example((0.0, 0.0, 1.0), 6.4e6)
@example((0.0, 0.0, -1.0), 6.4e6)
def test_gravity_is_minus_the_gradient_of_the_potential(d: tuple[float, float, float], radius: float) -> None:
    """a = -grad V for the J2-J4 potential V of the oracle, by central differences (1 m step): agreement
    within 1e-7 m/s^2, i.e. 1e-8 of |a| at the surface and 1 % of the J3 or J4 term there; poles included."""
    r = _point(d, radius)
    a = gravity_accel(r)
    assert np.linalg.norm(a + E.numerical_gradient(r)) < 1e-7


@given(direction, radius_m)
def test_gravity_matches_the_textbook_cartesian_terms(d: tuple[float, float, float], radius: float) -> None:
    """The core's Legendre form equals the textbook Cartesian J2, J3, J4 terms to 1e-13 relative."""
    r = _point(d, radius)
    a = gravity_accel(r)
    assert np.linalg.norm(a - E.accel(r)) < 1e-13 * np.linalg.norm(a)


@given(direction, radius_m, st.floats(-math.pi, math.pi))
def test_gravity_is_symmetric_about_the_axis(
    d: tuple[float, float, float], radius: float, phi: float
) -> None:
    """Turning the position about z turns the acceleration the same way (zonal field), to 1e-14 relative;
    switching the odd term J3 off makes the field symmetric about the equator plane too."""
    r = _point(d, radius)
    c, s = math.cos(phi), math.sin(phi)
    rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    a = gravity_accel(r)
    assert np.linalg.norm(gravity_accel(rot @ r) - rot @ a) < 1e-14 * 4 * np.linalg.norm(a)
    even = GravityModel.default()
    even = GravityModel(even.gm_m3_s2, even.re_m, even.j2, 0.0, even.j4)
    flip = np.diag([1.0, 1.0, -1.0])
    mirrored = gravity_accel(flip @ r, even) - flip @ gravity_accel(r, even)
    assert np.linalg.norm(mirrored) < 1e-14 * 4 * np.linalg.norm(a)


@given(t_s)
def test_sun_direction_is_a_unit_vector_near_meeus(t: float) -> None:
    """The Sun direction has unit length (1e-15) and lies within 0.01 deg of Meeus's low-accuracy Sun."""
    u = sun_direction_eci(t)
    assert abs(np.linalg.norm(u) - 1.0) < 1e-15
    angle = math.acos(min(1.0, float(u @ E.sun_eci(t))))
    assert math.degrees(angle) < 0.01


@given(t_s, direction, st.floats(-1000.0, 2.0e6), hp_n, st.floats(0.1, 3.0))
def test_density_positive_and_matches_oracle(t: float, d: tuple[float, float, float], h: float, n: int,
                                              scale: float) -> None:
    """Both models give a positive density equal to the oracle's times the scale factor (exponential to
    1e-12 relative; Harris-Priester to 1e-12 relative with the core's Sun, and to 2e-3 relative with
    the oracle's own Meeus Sun, the 0.01 deg Sun difference moving the bulge)."""
    r = _point(d, 6.378e6 + h)
    rho_e = density_kg_m3(t, r, h, AtmosphereModel("exponential", scale))
    assert rho_e > 0.0
    assert abs(rho_e - scale * E.exponential_density(h)) <= 1e-12 * rho_e
    rho_h = density_kg_m3(t, r, h, AtmosphereModel("harris-priester", scale, n))
    assert rho_h > 0.0
    own_sun = E.harris_priester_density(t, r, h, n, u_sun=sun_direction_eci(t))
    assert abs(rho_h - scale * own_sun) <= 1e-12 * rho_h
    assert abs(rho_h - scale * E.harris_priester_density(t, r, h, n)) <= 2e-3 * rho_h


@given(t_s, direction, hp_n, st.floats(100e3, 2.0e6), st.floats(1.0, 1.0e5))
def test_harris_priester_is_monotone_in_altitude(t: float, d: tuple[float, float, float], n: int, h: float,
                                                 dh: float) -> None:
    """For a fixed direction and time, Harris-Priester density strictly decreases with altitude above
    100 km (both of its tables decrease and the bulge weight does not depend on altitude)."""
    r = _point(d, 6.8e6)
    model = AtmosphereModel("harris-priester", 1.0, n)
    assert density_kg_m3(t, r, h + dh, model) < density_kg_m3(t, r, h, model)


@given(st.floats(-1000.0, 2.0e6), st.floats(1.0, 1.0e5), st.sampled_from([EXP, HP]))
def test_density_monotone_up_to_the_tables_own_band_jumps(h: float, dh: float,
                                                          model: AtmosphereModel) -> None:
    """Density never rises with altitude by more than the largest jump at a band edge of Vallado's table
    (its bands are not fitted to meet: 0.14 % at 25 km, from the oracle), and strictly falls when both
    altitudes lie in one band of the table."""
    r = np.array([6.8e6, 0.0, 0.0])
    lo = density_kg_m3(8.5e8, r, h, model)
    hi = density_kg_m3(8.5e8, r, h + dh, model)
    assert hi <= lo * (1.0 + E.largest_band_jump())
    nodes = [row[0] * 1000.0 for row in E.EXPONENTIAL]
    same_band = sum(x <= h for x in nodes) == sum(x <= h + dh for x in nodes)
    if same_band and (model is EXP or h + dh < 100e3):
        assert hi < lo


def test_exponential_band_edges_jump_only_by_the_tables_mismatch() -> None:
    """At every band edge of the exponential model the density's jump (right value over left limit)
    equals the table's own mismatch rho0_i+1 / (rho0_i exp(-dh / H_i)) to 1e-9, and none exceeds 0.2 %."""
    r = np.array([6.8e6, 0.0, 0.0])
    for (h0, rho0, scale_h), (h1, rho1, _) in itertools.pairwise(E.EXPONENTIAL):
        left = density_kg_m3(0.0, r, np.nextafter(h1 * 1000.0, 0.0), EXP)
        right = density_kg_m3(0.0, r, h1 * 1000.0, EXP)
        table_ratio = rho1 / (rho0 * math.exp(-(h1 - h0) / scale_h))
        assert abs(right / left - table_ratio) < 1e-9
        assert abs(table_ratio - 1.0) < 2e-3


@given(t_s, direction, hp_n)
def test_harris_priester_is_continuous_at_its_nodes_and_at_100_km(t: float, d: tuple[float, float, float],
                                                                  n: int) -> None:
    """Harris-Priester density is continuous at every table node (relative jump under 1e-9 across
    1 micrometre) and at the 100 km hand-over to the scaled exponential table."""
    r = _point(d, 6.5e6)
    model = AtmosphereModel("harris-priester", 1.0, n)
    for row in E.HARRIS_PRIESTER:
        h = row[0] * 1000.0
        below = density_kg_m3(t, r, h - 1e-6, model)
        above = density_kg_m3(t, r, h, model)
        assert abs(below / above - 1.0) < 1e-9
    below = density_kg_m3(t, r, np.nextafter(100e3, 0.0), model)
    assert abs(below / density_kg_m3(t, r, 100e3, model) - 1.0) < 1e-12


@given(t_s, direction, st.floats(100e3, 1.0e6))
def test_bulge_is_densest_toward_its_apex(t: float, d: tuple[float, float, float], h: float) -> None:
    """For fixed altitude and time, Harris-Priester density is largest on the bulge apex (Sun direction
    turned 30 deg east in right ascension), smallest opposite, and between the two elsewhere."""
    s = sun_direction_eci(t)
    c, sn = math.cos(math.radians(30)), math.sin(math.radians(30))
    apex = np.array([c * s[0] - sn * s[1], sn * s[0] + c * s[1], s[2]])
    r = _point(d, 6.8e6)
    at_apex = density_kg_m3(t, apex * 6.8e6, h, HP)
    opposite = density_kg_m3(t, -apex * 6.8e6, h, HP)
    here = density_kg_m3(t, r, h, HP)
    assume(at_apex > opposite)
    assert opposite * (1 - 1e-12) <= here <= at_apex * (1 + 1e-12)
