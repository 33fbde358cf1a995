"""Properties of the orbit area over wide generated inputs, with the pure-numpy oracle
(tests/oracles/orbit.py) as the reference where one is needed. Tolerances are in physical units."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Literal

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from firmware_bindings import environment, orbit, reentry, targeting
from firmware_bindings.frames import geodetic_altitude_m, great_circle
from tests.oracles import environment as env_oracle
from tests.oracles import orbit as P

RE = 6378137.0
GM = 3.986004418e14
T_2030 = 946728000.0 + 30 * 365.25 * 86400.0

epochs = st.floats(T_2030 - 5 * 365.25 * 86400.0, T_2030 + 5 * 365.25 * 86400.0)
angles = st.floats(0.0, 2 * math.pi)
inclinations = st.floats(0.01, math.pi - 0.01)


@st.composite
def low_orbits(draw: st.DrawFn, hp_min: float = 180e3, ha_max: float = 2000e3) -> tuple[float, ...]:
    hp = draw(st.floats(hp_min, min(600e3, ha_max)))
    ha = draw(st.floats(hp, ha_max))
    a = RE + (hp + ha) / 2
    return (a, (ha - hp) / (2 * a), draw(inclinations), draw(angles), draw(angles), draw(angles))


def gravity(j: bool) -> environment.GravityModel:
    g = environment.GravityModel.default()
    return g if j else environment.GravityModel(g.gm_m3_s2, g.re_m, 0.0, 0.0, 0.0)


def energy(r: np.ndarray, v: np.ndarray, j: bool) -> float:
    """Specific energy with the zonal potential of the environment oracle (or the point mass)."""
    pot = env_oracle.potential(r) if j else -GM / float(np.linalg.norm(r))
    return 0.5 * float(v @ v) + pot


@given(el=low_orbits(), j=st.booleans(), n_orbits=st.floats(0.3, 3.0))
def test_energy_and_angular_momentum_are_conserved_without_drag(el: tuple[float, ...], j: bool,
                                                                n_orbits: float) -> None:
    """With drag off, specific energy (point mass, or point mass plus J2-J4 potential) is conserved to
    0.1 J/kg (2 cm of semi-major axis in low orbit) and the polar angular momentum h_z to 100 m^2/s (1 cm
    times the orbital speed); the zonal field is symmetric about z, and without the J terms the whole
    vector is conserved."""
    r, v = orbit.state_from_elements(el)
    t1 = n_orbits * 2 * math.pi * math.sqrt(el[0] ** 3 / GM)
    model = orbit.ForceModel(gravity=gravity(j), drag=False)
    s = orbit.propagate(T_2030, r, v, 1.0, T_2030 + t1, model)
    assert abs(energy(s.r_eci_m, s.v_eci_mps, j) - energy(r, v, j)) < 0.1
    h0, h1 = np.cross(r, v), np.cross(s.r_eci_m, s.v_eci_mps)
    assert abs(h1[2] - h0[2]) < 100.0
    if not j:
        assert np.linalg.norm(h1 - h0) < 100.0


@given(el=low_orbits(hp_min=100e3, ha_max=400e3), t=epochs, mass=st.floats(1e3, 5e5),
       burn=st.booleans(), relative=st.booleans(), hp=st.booleans())
def test_derivative_matches_oracle(el: tuple[float, ...], t: float, mass: float, burn: bool, relative: bool,
                                   hp: bool) -> None:
    """The force model (gravity, co-rotating drag, retrograde thrust, mass flow) agrees with the oracle's
    to 1e-10 m/s^2 and 1e-12 kg/s; with Harris-Priester, to 1e-4 of the drag acceleration more, because
    the oracle's Sun (Meeus) and the core's (Astronomical Almanac) differ by about 0.01 deg."""
    r, v = orbit.state_from_elements(el)
    kind: Literal["exponential", "harris-priester"] = "harris-priester" if hp else "exponential"
    model = orbit.ForceModel(atmosphere=environment.AtmosphereModel(kind=kind),
                             thrust_frame="relative" if relative else "inertial",
                             burn=orbit.Burn(t - 1.0, 10.0) if burn else None)
    pm = P.Model(atmosphere=kind, thrust_frame="relative" if relative else "inertial",
                 burn_start_s=t - 1.0, burn_duration_s=10.0 if burn else 0.0)
    a, mdot = orbit.derivative(t, r, v, mass, model)
    d = P.deriv(pm, t, np.concatenate([r, v, [mass]]), burn)
    y = np.concatenate([r, v, [mass]])
    drag = np.linalg.norm(P.deriv(pm, t, y, False)[3:6] - P.deriv(replace(pm, drag=False), t, y, False)[3:6])
    assert np.all(np.abs(a - d[3:6]) <= 1e-10 + (1e-4 * float(drag) if hp else 0.0))
    assert abs(mdot - d[6]) < 1e-12


@settings(max_examples=15, suppress_health_check=[HealthCheck.too_slow])
@given(el=low_orbits(hp_min=150e3, ha_max=500e3), t=epochs, span=st.floats(60.0, 1800.0),
       burn_at=st.floats(-600.0, 1800.0), burn_len=st.floats(0.0, 900.0))
def test_propagation_matches_oracle(el: tuple[float, ...], t: float, span: float, burn_at: float,
                                    burn_len: float) -> None:
    """Adaptive propagation with drag and a burn anywhere across the span agrees with the oracle's
    Dormand-Prince propagation to 0.05 m and 1e-4 m/s."""
    r, v = orbit.state_from_elements(el)
    model = orbit.ForceModel(burn=orbit.Burn(t + burn_at, burn_len))
    s = orbit.propagate(t, r, v, 450e3, t + span, model)
    y = P.propagate(P.Model(burn_start_s=t + burn_at, burn_duration_s=burn_len), P.Tol(), t,
                    np.concatenate([r, v, [450e3]]), t + span)
    assert np.linalg.norm(s.r_eci_m - y[:3]) < 0.05
    assert np.linalg.norm(s.v_eci_mps - y[3:6]) < 1e-4
    assert abs(s.mass_kg - y[6]) < 1e-6


@given(el=low_orbits(hp_min=200e3, ha_max=1500e3), t=epochs, frac=st.floats(0.02, 0.98),
       descending=st.booleans())
def test_altitude_events_are_located_within_1_m(el: tuple[float, ...], t: float, frac: float,
                                               descending: bool) -> None:
    """A crossing of any altitude between perigee and apogee is found, and the geodetic altitude of the
    returned state (the environment core's WGS-84 conversion) is within 1 m of the target."""
    r, v = orbit.state_from_elements(el)
    h0 = float(geodetic_altitude_m(t, r))
    hp, ha = orbit.apsis_altitudes_m(r, v)
    target = hp + 30e3 + frac * (ha - hp - 60e3)  # well inside the geodetic altitude range
    assume(ha - hp > 80e3 and abs(target - h0) > 100.0)
    period = 2 * math.pi * math.sqrt(el[0] ** 3 / GM)
    model = orbit.ForceModel(drag=False)
    s = orbit.propagate_to_altitude(t, r, v, 1.0, target, t + 2 * period,
                                    "descending" if descending else "ascending", model)
    assert s.event
    assert abs(float(geodetic_altitude_m(s.t_s, s.r_eci_m)) - target) < 1.0


@given(el=st.tuples(st.floats(0.0, 0.01), inclinations, angles, angles, angles))
@example(el=(0.0, 0.0, 0.0, 0.0, 1.0))
def test_elements_round_trip(el: tuple[float, ...]) -> None:
    """Elements to state to elements returns the same orbit: a within 1 mm, e within 1e-12, and the same
    position (angles are compared through the state, which is free of the circular and equatorial
    conventions) to 1 mm."""
    a = RE + 400e3
    r, v = orbit.state_from_elements((a, *el))
    back = orbit.elements_from_state(r, v)
    assert abs(back.a_m - a) < 1e-3 and abs(back.e - el[0]) < 1e-12
    r2, v2 = orbit.state_from_elements(back)
    assert np.linalg.norm(r2 - r) < 1e-3 and np.linalg.norm(v2 - v) < 1e-6


T_FP = T_2030
R_FP, V_FP = P.aligned_state(T_FP)


@settings(max_examples=20, deadline=None)
@given(t_ig=st.floats(T_FP + 2400.0, T_FP + 4200.0), duration=st.floats(1000.0, 1800.0))
def test_impact_points_are_continuous_in_ignition_time(t_ig: float, duration: float) -> None:
    """Delaying ignition by 0.2 s moves every impact point by less than 4 km (at most 20 km per second of
    delay) and by more than 100 m, and delaying by 0.4 s moves it about twice as far (1.6 to 2.4 times):
    the impact point is a continuous, locally linear function of ignition time, not a noisy one."""
    def impacts(dt: float) -> tuple[np.ndarray, np.ndarray]:
        fp = reentry.predict_footprint(T_FP, R_FP, V_FP, 450e3, burn=orbit.Burn(t_ig + dt, duration))
        return fp.impact_lat_rad, fp.impact_lon_rad

    base, one, two = impacts(0.0), impacts(0.2), impacts(0.4)
    d1 = np.asarray(great_circle(*base, *one)[0])
    d2 = np.asarray(great_circle(*base, *two)[0])
    assert np.all(d1 < 4e3) and np.all(d1 > 100.0)
    assert np.all((d2 > 1.6 * d1) & (d2 < 2.4 * d1))


@settings(max_examples=4, deadline=None)
@given(t_ig=st.floats(T_FP + 2400.0, T_FP + 4200.0), duration=st.floats(1000.0, 1800.0))
def test_footprint_matches_oracle(t_ig: float, duration: float) -> None:
    """Interface time within 0.01 s, flight-path angle within 1e-6 rad, every impact within 100 m and the
    footprint length within 100 m of the oracle's prediction."""
    fp = reentry.predict_footprint(T_FP, R_FP, V_FP, 450e3, burn=orbit.Burn(t_ig, duration))
    ref = P.predict(P.Model(burn_start_s=t_ig, burn_duration_s=duration), P.EntryCfg(), T_FP,
                    np.concatenate([R_FP, V_FP, [450e3]]))
    assert abs(fp.t_interface_s - ref.t_interface_s) < 0.01
    assert abs(fp.fpa_interface_rad - ref.fpa_interface_rad) < 1e-6
    d, _ = great_circle(fp.impact_lat_rad, fp.impact_lon_rad, np.array(ref.impact_lat_rad),
                        np.array(ref.impact_lon_rad))
    assert np.all(np.asarray(d) < 100.0)
    assert abs(fp.length_m - ref.length_m) < 100.0


@settings(max_examples=30, deadline=None)
@given(t0=epochs, hp=st.floats(130e3, 180e3), ha=st.floats(185e3, 260e3), shift=st.floats(-math.pi, math.pi),
       descending=st.booleans(), hp_target=st.floats(30e3, 70e3))
def test_final_burn_solver_converges_over_valid_states(t0: float, hp: float, ha: float, shift: float,
                                                       descending: bool, hp_target: float) -> None:
    """From any pre-final orbit whose track passes the aim point, with the apogee anywhere, the solver finds
    a burn inside the one-orbit window: along-track miss under 50 m, perigee within 1 m of its target,
    every impact inside the SPOUA rectangle."""
    r, v = P.aligned_state(t0, hp_m=hp, ha_m=ha, apogee_shift_rad=shift, descending=descending)
    sol = targeting.solve_final_burn(t0, r, v, 450e3, t0 + 600.0, t0 + 6000.0, hp_target_m=hp_target)
    assert abs(sol.miss_along_m) < 50.0
    assert abs(sol.hp_after_m - hp_target) < 1.0
    assert t0 + 600.0 <= sol.t_ignition_s <= t0 + 6000.0
    assert sol.inside_zone


@settings(max_examples=15, deadline=None)
@given(t0=epochs, raan_shift=st.floats(0.3, 2 * math.pi - 0.3), hp=st.floats(130e3, 180e3))
def test_final_burn_solver_converges_along_track_for_any_plane(t0: float, raan_shift: float,
                                                                hp: float) -> None:
    """When the orbit plane misses the aim point (node moved away from the aligned one), the solver still
    drives the along-track miss under 50 m, and the miss splits into along- and cross-track arcs of a right
    spherical triangle: cos(miss) = cos(along) cos(cross) on the 6,371,008.8 m sphere, to 1e-9."""
    r0, v0 = P.aligned_state(t0, hp_m=hp)
    el = orbit.elements_from_state(r0, v0)
    r, v = orbit.state_from_elements((*el[:3], (el.raan_rad + raan_shift) % (2 * math.pi), *el[4:]))
    sol = targeting.solve_final_burn(t0, r, v, 450e3, t0 + 600.0, t0 + 6000.0)
    assert abs(sol.miss_along_m) < 50.0
    k = 1.0 / 6371008.8
    assert math.cos(sol.miss_m * k) == pytest.approx(
        math.cos(sol.miss_along_m * k) * math.cos(sol.miss_cross_m * k), abs=1e-9)


@given(hp_target=st.floats(60e3, 200e3), t_ig=st.floats(0.0, 5000.0))
def test_perigee_burn_hits_its_target_and_grows_as_the_target_drops(hp_target: float, t_ig: float) -> None:
    """From 220 km circular the solved burn leaves the perigee within 1 m of the target, and a target
    10 km lower needs a longer burn."""
    r, v = orbit.state_from_elements((RE + 220e3, 0.0005, math.radians(51.64), 1.0, 0.0, 0.0))
    b = targeting.solve_perigee_burn(T_2030, r, v, 450e3, T_2030 + t_ig, hp_target)
    lower = targeting.solve_perigee_burn(T_2030, r, v, 450e3, T_2030 + t_ig, hp_target - 10e3)
    assert abs(b.hp_after_m - hp_target) < 1.0
    assert lower.duration_s > b.duration_s
    hp_check, _ = orbit.apsis_altitudes_m(b.r_cutoff_eci_m, b.v_cutoff_eci_mps)
    assert abs(hp_check - b.hp_after_m) < 1e-6
