"""The plant's interface: construction from a scenario, time, valves, IMU accumulators, truth, errors."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from hil import scenario
from hil.plant import Plant, TruthState
from hil.protocol.catalogue import ATTITUDE_THRUSTERS, DEORBIT_THRUSTERS, THRUSTER_COUNT


@pytest.fixture(scope="module")
def iss() -> scenario.Scenario:
    """The default stack on an exactly circular 220 km orbit starting at the ascending node, pinned here so
    that tuning the shipped scenario's start does not move these checks."""
    s = scenario.load("iss-deorbit")
    return dataclasses.replace(s, orbit=scenario.InitialOrbit(
        perigee_alt_km=220.0, apogee_alt_km=220.0, inclination_deg=51.64, raan_deg=30.0,
        arg_perigee_deg=0.0, true_anomaly_deg=0.0))


def test_start_matches_the_scenario(iss: scenario.Scenario) -> None:
    """The truth starts at the scenario's time, altitude (within 1 m), inclination and mass."""
    p = Plant.from_scenario(iss, seed=0)
    tr = p.truth()
    assert isinstance(tr, TruthState)
    assert tr.t_s == p.t_s == pytest.approx(959_774_400.0, abs=1e-6)  # 2030-06-01T00:00:00Z since J2000
    assert tr.altitude_m == pytest.approx(iss.orbit.perigee_alt_km * 1e3, abs=1.0)
    assert tr.perigee_alt_m == pytest.approx(220e3, abs=1.0)
    h = np.cross(tr.r_eci_m, tr.v_eci_mps)
    assert math.degrees(math.acos(h[2] / np.linalg.norm(h))) == pytest.approx(51.64, abs=1e-9)
    assert tr.mass_kg == iss.vehicle.dry_mass_kg + iss.vehicle.propellant_kg
    assert p.propellant_kg == iss.vehicle.propellant_kg
    assert np.linalg.norm(tr.q_body_from_eci) == pytest.approx(1.0, abs=1e-12)
    assert not p.reentered and not p.broken_up


def test_imu_accumulators_start_at_zero_and_grow_with_time(iss: scenario.Scenario) -> None:
    """Both accumulators are zero at the start; after 100 s of coast theta is about omega * 100 s (the
    body turns at the orbital rate, 1.178e-3 rad/s, to 1 %) and the drag delta-v is small but not zero."""
    p = Plant.from_scenario(iss, seed=0)
    th, dv = p.imu_accumulators()
    assert not th.any() and not dv.any()
    p.advance_to(p.t_s + 100.0)
    th, dv = p.imu_accumulators()
    assert np.linalg.norm(th) == pytest.approx(1.178e-3 * 100.0, rel=1e-2)
    assert 0.0 < np.linalg.norm(dv) < 0.05


def test_advance_never_goes_back(iss: scenario.Scenario) -> None:
    p = Plant.from_scenario(iss, seed=0)
    p.advance_to(p.t_s + 10.0)
    with pytest.raises(ValueError, match="cannot go back"):
        p.advance_to(p.t_s - 1.0)
    with pytest.raises(ValueError, match="finite"):
        p.advance_to(math.nan)
    t = p.t_s
    p.advance_to(t)  # zero-length advance is a no-op
    assert p.t_s == t


def test_set_valves_checks_its_input(iss: scenario.Scenario) -> None:
    p = Plant.from_scenario(iss, seed=0)
    p.advance_to(p.t_s + 5.0)
    with pytest.raises(ValueError, match="before"):
        p.set_valves(p.t_s - 1.0, np.zeros(THRUSTER_COUNT))
    with pytest.raises(ValueError, match="shape"):
        p.set_valves(p.t_s, np.zeros(THRUSTER_COUNT - 1))
    with pytest.raises(ValueError, match="NaN"):
        p.set_valves(p.t_s, np.full(THRUSTER_COUNT, math.nan))


def test_set_valves_given_the_schedules_last_time_flies_the_same(iss: scenario.Scenario) -> None:
    """``last_s`` (the latest time of the schedule, as the thruster board's core keeps it) spares the scan
    and changes nothing: the same truth, valve times and impulse, bit for bit, as without it."""
    def run(give_last: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p = Plant.from_scenario(iss, seed=0)
        for k in range(40):
            until = np.full(THRUSTER_COUNT, -math.inf)
            until[list(DEORBIT_THRUSTERS)] = p.t_s + (0.1 if k % 3 else 0.0)
            until[k % 16] = p.t_s + 0.01 * (k % 7)
            p.set_valves(p.t_s, until, last_s=float(until.max()) if give_last else None)
            p.advance_to(p.t_s + 0.1)
        return p.state_vector, p.valve_open_s, p.impulse_body_ns

    for given, plain in zip(run(True), run(False), strict=True):
        assert np.array_equal(given, plain)


def test_set_valves_later_advances_first(iss: scenario.Scenario) -> None:
    """set_valves at a time after the plant's advances the truth to it first."""
    p = Plant.from_scenario(iss, seed=0)
    t = p.t_s + 12.5
    p.set_valves(t, np.full(THRUSTER_COUNT, -math.inf))
    assert p.t_s == t


def test_same_seed_same_truth_bit_for_bit(iss: scenario.Scenario) -> None:
    """Two plants with one seed and one valve history agree exactly; another seed disperses thrust."""
    def run(seed: int) -> np.ndarray:
        p = Plant.from_scenario(iss, seed=seed)
        until = np.full(THRUSTER_COUNT, -math.inf)
        until[list(DEORBIT_THRUSTERS)] = p.t_s + 3.3
        until[2] = p.t_s + 0.05
        p.set_valves(p.t_s, until)
        for k in range(1, 61):
            p.advance_to(p.t_s + 0.1 if k < 60 else p.t_s + 100.0)
        return p.state_vector

    a, b, c = run(7), run(7), run(8)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_coast_keeps_propellant_and_a_burn_uses_it(iss: scenario.Scenario) -> None:
    """No valve open: the mass is constant. All 30 deorbit thrusters for 10 s use 30 x 400 N x 10 s /
    (300 s x 9.80665 m/s^2) = 40.8 kg, within the 1 % thrust dispersion (3 sigma over 30 thrusters: 0.6 %)."""
    p = Plant.from_scenario(iss, seed=3)
    m0 = p.mass_kg
    p.advance_to(p.t_s + 600.0)
    assert p.mass_kg == m0
    until = np.full(THRUSTER_COUNT, -math.inf)
    until[list(DEORBIT_THRUSTERS)] = p.t_s + 10.0
    p.set_valves(p.t_s, until)
    p.advance_to(p.t_s + 20.0)
    used = m0 - p.mass_kg
    assert used == pytest.approx(30 * 400.0 * 10.0 / (300.0 * 9.80665), rel=0.006)
    assert p.valve_open_s[16] == pytest.approx(10.0, abs=1e-9)
    assert p.valve_open_s[0] == 0.0


def test_bad_seed_is_rejected(iss: scenario.Scenario) -> None:
    with pytest.raises(ValueError, match="seed"):
        Plant.from_scenario(iss, seed=-1)


def test_breakup_footprint_needs_breakup(iss: scenario.Scenario) -> None:
    p = Plant.from_scenario(iss, seed=0)
    with pytest.raises(RuntimeError, match="breakup altitude"):
        p.breakup_and_impacts()


def test_thrust_factor_scales_a_thruster_in_main_burn(iss: scenario.Scenario) -> None:
    """A deorbit burn with thruster 16 at half thrust uses (29.5 / 30) of the propellant of a full one
    (to 1e-9 relative with dispersions off) and the factor persists until given again."""
    s = dataclasses.replace(iss, thrusters=dataclasses.replace(iss.thrusters, thrust_sigma_fraction=0.0,
                                                               misalignment_sigma_deg=0.0))
    used = []
    for half in (False, True):
        p = Plant.from_scenario(s, seed=0)
        until = np.full(THRUSTER_COUNT, -math.inf)
        until[list(DEORBIT_THRUSTERS)] = math.inf
        factor = np.ones(THRUSTER_COUNT)
        if half:
            factor[16] = 0.5
        p.set_valves(p.t_s, until, factor)
        m0 = p.mass_kg
        p.set_valves(p.t_s + 5.0, until)  # no factor given: it stays
        p.advance_to(p.t_s + 5.0)
        used.append(m0 - p.mass_kg)
        assert p.thrust_factor[16] == (0.5 if half else 1.0)
    assert used[1] / used[0] == pytest.approx(29.5 / 30.0, rel=1e-9)
    p = Plant.from_scenario(s, seed=0)
    with pytest.raises(ValueError, match="thrust_factor"):
        p.set_valves(p.t_s, np.zeros(THRUSTER_COUNT), np.full(THRUSTER_COUNT, 3.0))


def test_propellant_runs_out_exactly(iss: scenario.Scenario) -> None:
    """With 50 kg of propellant and all 30 deorbit thrusters open (4.08 kg/s) the thrust stops when the
    propellant is gone: the mass ends at the dry mass (to 1e-6 kg), each valve produced thrust for
    50 kg / mdot (to 1e-6 s), and the coast after it leaves the mass alone."""
    s = dataclasses.replace(iss, vehicle=dataclasses.replace(iss.vehicle, propellant_kg=50.0))
    p = Plant.from_scenario(s, seed=2)
    until = np.full(THRUSTER_COUNT, -math.inf)
    until[list(DEORBIT_THRUSTERS)] = math.inf
    p.set_valves(p.t_s, until)
    for _ in range(300):
        p.advance_to(p.t_s + 0.1)
    mdot = float(p.thrusters.mdot_kg_s[16:].sum())
    assert p.mass_kg == pytest.approx(s.vehicle.dry_mass_kg, abs=1e-6)
    assert p.propellant_kg < 1e-6
    assert np.allclose(p.valve_open_s[16:], 50.0 / mdot, atol=1e-6)
    assert not p.valve_open_s[:16].any()


def test_reentry_summary_before_and_after() -> None:
    """Before re-entry every field is None; the UTC of t_s = 0 is J2000 (2000-01-01T12:00:00Z)."""
    from hil.plant.truth import utc_from_t_s

    p = Plant.from_scenario(scenario.load("iss-deorbit"), seed=0)
    assert all(v is None for v in p.reentry_summary().values())
    assert utc_from_t_s(0.0).isoformat() == "2000-01-01T12:00:00+00:00"
    assert utc_from_t_s(p.t_s).isoformat() == "2030-06-01T00:00:00+00:00"


def test_thruster_order_is_the_icd_order(iss: scenario.Scenario) -> None:
    """Indices 0-15 are the attitude Dracos and 16-45 the deorbit Dracos (hil.protocol.catalogue), with the
    scenario's thrust within 5 sigma of its dispersion and the deorbit thrust along +x body."""
    p = Plant.from_scenario(iss, seed=9)
    names = p.thrusters.names
    assert len(names) == THRUSTER_COUNT
    assert all(names[i].startswith("ATT-") for i in ATTITUDE_THRUSTERS)
    assert all(names[i].startswith("DEO-") for i in DEORBIT_THRUSTERS)
    sigma = iss.thrusters.thrust_sigma_fraction * iss.thrusters.thrust_n
    assert np.all(np.abs(p.thrusters.thrust_n - iss.thrusters.thrust_n) < 5 * sigma)
    assert np.all(p.thrusters.dir_body[16:, 0] > np.cos(np.radians(1.0)))


def test_the_truth_dry_mass_scale_reaches_only_the_truth() -> None:
    """``[truth] dry_mass_scale`` makes the truth's stack heavier by that factor of its dry mass (a Monte
    Carlo mass dispersion the flight software does not know of); the propellant is the vehicle's."""
    s = scenario.load("iss-final-burn")
    heavy = dataclasses.replace(s, truth=dataclasses.replace(s.truth, dry_mass_scale=1.02))
    p0, p1 = Plant.from_scenario(s, 1), Plant.from_scenario(heavy, 1)
    assert p1.mass_kg - p0.mass_kg == pytest.approx(0.02 * s.vehicle.dry_mass_kg, rel=1e-9)
    assert p1.propellant_kg == pytest.approx(s.vehicle.propellant_kg, rel=1e-12)
