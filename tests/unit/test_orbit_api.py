"""The orbit, re-entry and targeting API: shapes, units, and clear exceptions for bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from firmware_bindings import (
    BelowGroundError,
    InvalidInputError,
    NoSolutionError,
    environment,
    orbit,
    reentry,
    targeting,
)
from tests.oracles import orbit as P

T0 = 946728000.0 + 30 * 365.25 * 86400.0
R0, V0 = P.aligned_state(T0)
MASS = 450e3


def two_body() -> orbit.ForceModel:
    g = environment.GravityModel.default()
    return orbit.ForceModel(gravity=environment.GravityModel(g.gm_m3_s2, g.re_m, 0.0, 0.0, 0.0), drag=False)


def test_propagate_returns_the_requested_time_and_keeps_mass_without_burn() -> None:
    """Coasting: the state arrives at t1 with the mass unchanged and a radius that stays in orbit."""
    s = orbit.propagate(T0, R0, V0, MASS, T0 + 600.0)
    assert s.t_s == T0 + 600.0 and s.mass_kg == MASS and not s.event
    assert 6.4e6 < np.linalg.norm(s.r_eci_m) < 6.7e6


def test_burn_consumes_propellant_by_the_rocket_equation() -> None:
    """A 600 s burn of 12 kN at Isp 300 s uses thrust / (Isp g0) * 600 s = 2447.3 kg (to 1 g)."""
    model = orbit.ForceModel().with_burn(T0 + 10.0, 600.0)
    s = orbit.propagate(T0, R0, V0, MASS, T0 + 1000.0, model)
    assert MASS - s.mass_kg == pytest.approx(12000.0 / (300.0 * orbit.G0_MPS2) * 600.0, abs=1e-3)


def test_rk4_converges_at_fourth_order_against_kepler() -> None:
    """Halving the RK4 step divides the two-body position error after one orbit by about 16 (12 to 20)."""
    el = (6_600e3, 0.01, 0.9, 1.0, 2.0, 0.5)
    r, v = orbit.state_from_elements(el)
    period = 2 * math.pi * math.sqrt(el[0] ** 3 / 3.986004418e14)
    exact = orbit.propagate(0.0, r, v, 1.0, period, two_body(),
                            orbit.Tolerance(rtol=1e-13, atol_r_m=1e-7, atol_v_mps=1e-10))
    errs = [np.linalg.norm(orbit.propagate_rk4(0.0, r, v, 1.0, period, n, two_body()).r_eci_m - exact.r_eci_m)
            for n in (200, 400)]
    assert 12.0 < errs[0] / errs[1] < 20.0


@pytest.mark.parametrize(
    ("r", "v", "mass", "exc"),
    [
        ([math.nan, 0.0, 0.0], V0, MASS, InvalidInputError),
        (R0, [0.0, math.inf, 0.0], MASS, InvalidInputError),
        (R0, V0, -1.0, InvalidInputError),
        (R0 * 0.5, V0, MASS, InvalidInputError),
    ],
)
def test_bad_states_raise_clear_errors(r: list[float], v: list[float], mass: float,
                                       exc: type[Exception]) -> None:
    """NaN, infinity, a negative mass or a position deep inside the Earth raise, never crash."""
    with pytest.raises(exc):
        orbit.propagate(T0, r, v, mass, T0 + 60.0)


def test_shapes_are_checked() -> None:
    """A position that is not a 3-vector is a ValueError naming the argument."""
    with pytest.raises(ValueError, match="r_eci_m"):
        orbit.propagate(T0, [1.0, 2.0], V0, MASS, T0 + 1.0)
    with pytest.raises(ValueError, match="states"):
        orbit.propagate_batch(T0, np.zeros(7), T0 + 1.0)


def test_backwards_time_and_bad_tolerance_are_rejected() -> None:
    """Time runs forward only; a tolerance that is not positive is out of range."""
    with pytest.raises(InvalidInputError):
        orbit.propagate(T0, R0, V0, MASS, T0 - 1.0)
    with pytest.raises(InvalidInputError):
        orbit.propagate(T0, R0, V0, MASS, T0 + 1.0, tol=orbit.Tolerance(rtol=0.0))


def test_step_budget_ends_a_long_propagation_with_an_error() -> None:
    """Ten steps cannot cover a day: ConvergenceError instead of a hang."""
    from firmware_bindings import ConvergenceError

    with pytest.raises(ConvergenceError):
        orbit.propagate(T0, R0, V0, MASS, T0 + 86400.0, tol=orbit.Tolerance(max_steps=10))


def test_footprint_below_ground_and_impossible_burn() -> None:
    """A start below the ground is BelowGroundError; a burn beyond the propellant is NoSolutionError."""
    with pytest.raises(BelowGroundError):
        reentry.predict_footprint(T0, R0 * (6_350e3 / np.linalg.norm(R0)), V0, MASS)
    heavy = orbit.ForceModel(dry_mass_kg=445e3)  # 5 t of propellant at 4.08 kg/s: at most 1,226 s
    with pytest.raises(NoSolutionError):
        reentry.predict_footprint(T0, R0, V0, MASS, burn=orbit.Burn(T0 + 60.0, 2000.0), model=heavy)


def test_orbit_that_does_not_decay_within_the_horizon_has_no_solution() -> None:
    """Without a burn, 200 x 145 km does not reach 120 km within a 1 h horizon: NoSolutionError."""
    with pytest.raises(NoSolutionError):
        reentry.predict_footprint(T0, R0, V0, MASS, config=reentry.EntryConfig(max_coast_s=3600.0))


def test_footprint_orders_heel_and_toe_by_ballistic_coefficient() -> None:
    """Light fragments fall short (heel), dense ones long (toe); the centre lies between them."""
    fp = reentry.predict_footprint(T0, R0, V0, MASS, burn=orbit.Burn(T0 + 3600.0, 1500.0))
    assert fp.heel_index == 0 and fp.toe_index == len(fp.beta_kg_m2) - 1
    assert np.all(np.diff(fp.impact_along_m) > 0)
    assert fp.t_interface_s < fp.t_breakup_s < fp.impact_t_s.min()
    half = fp.length_m / 2
    from firmware_bindings.frames import great_circle

    d_heel = great_circle(fp.centre_lat_rad, fp.centre_lon_rad, fp.heel_lat_rad, fp.heel_lon_rad)[0]
    assert float(d_heel) == pytest.approx(half, abs=1.0)
    s = fp.summary()
    assert len(s["impacts"]) == 16 and s["length_km"] == pytest.approx(fp.length_m / 1e3)


def test_batch_prediction_equals_single_predictions_and_reports_bad_cases() -> None:
    """Each batch row equals the single-case prediction exactly; a NaN case fails alone with status 2."""
    states = np.tile(np.concatenate([R0, V0, [MASS]]), (3, 1))
    states[1, 0] = math.nan
    scale = np.array([0.8, 1.0, 1.2])
    model = orbit.ForceModel(burn=orbit.Burn(T0 + 3600.0, 1500.0))
    b = reentry.predict_footprints(T0, states, model=model, dispersion={"atm_scale": scale}, workers=2)
    assert list(b.status) == [0, 2, 0]
    assert np.isnan(b.length_m[1])
    for i in (0, 2):
        atm = environment.AtmosphereModel(scale=float(scale[i]))
        fp = reentry.predict_footprint(T0, R0, V0, MASS, model=orbit.ForceModel(atmosphere=atm,
                                                                               burn=model.burn))
        assert b.length_m[i] == fp.length_m
        np.testing.assert_array_equal(b.impact_lat_rad[i], fp.impact_lat_rad)


def test_batch_propagation_matches_single() -> None:
    """propagate_batch rows equal propagate, dispersion applied per case."""
    states = np.tile(np.concatenate([R0, V0, [MASS]]), (2, 1))
    y1, status = orbit.propagate_batch(T0, states, T0 + 3000.0, dispersion={"cd": [2.0, 2.4]})
    assert list(status) == [0, 0]
    one = orbit.propagate(T0, R0, V0, MASS, T0 + 3000.0, orbit.ForceModel(cd=2.4))
    np.testing.assert_array_equal(y1[1, :3], one.r_eci_m)
    with pytest.raises(ValueError, match="unknown dispersion"):
        orbit.propagate_batch(T0, states, T0 + 1.0, dispersion={"mass": [1.0, 2.0]})


def test_zone_file_round_trip(tmp_path: object) -> None:
    """The SPOUA reference file loads to the built-in zone; Point Nemo is inside, Easter Island is not."""
    from pathlib import Path

    p = Path(str(tmp_path)) / "zone.json"
    p.write_text('{"name": "z", "polygon_lat_lon_deg": [[-35, -165], [-35, -100], [-56, -100], [-56, -165]],'
                 ' "aim_point": {"lat_deg": -48.8767, "lon_deg": -123.3933}}')
    z = targeting.Zone.from_json(p)
    assert z.lat_rad == targeting.SPOUA_APPROX.lat_rad and z.aim_lon_rad == targeting.SPOUA_APPROX.aim_lon_rad
    assert bool(targeting.inside_zone(z.aim_lat_rad, z.aim_lon_rad, z))
    assert not bool(targeting.inside_zone(math.radians(-27.1), math.radians(-109.4), z))
    bad = Path(str(tmp_path)) / "bad.json"
    bad.write_text("{}")
    with pytest.raises(ValueError, match="not a zone file"):
        targeting.Zone.from_json(bad)


def test_final_burn_without_solution_in_window() -> None:
    """A one-second window that does not contain the solution is NoSolutionError, not a hang."""
    with pytest.raises(NoSolutionError):
        targeting.solve_final_burn(T0, R0, V0, MASS, T0, T0 + 1.0)
