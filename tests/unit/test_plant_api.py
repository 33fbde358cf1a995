"""The plant's interface: construction from a scenario, time, valves, IMU accumulators, truth, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hil import scenario
from hil.plant import Plant, TruthState
from hil.protocol.catalogue import DEORBIT_THRUSTERS, THRUSTER_COUNT


@pytest.fixture(scope="module")
def iss() -> scenario.Scenario:
    return scenario.load("iss-deorbit")


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
