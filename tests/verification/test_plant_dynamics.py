"""Verification of the truth simulation's dynamics against conservation laws, closed forms and the C core's
independent orbit propagator.

Authorities and tolerances (physical units):
- the zonal field conserves the specific energy (J2-J4 potential included) and the polar component of the
  specific angular momentum: over one day, with drag and thrust off, to 0.01 J/kg (3e-10 relative) and
  1e-8 relative (0.5 m^2/s);
- natural decay from 220 km agrees with fb_orbit_propagate (the orbit area's adaptive Dormand-Prince 5(4),
  rtol 1e-10) with the same Harris-Priester atmosphere, drag coefficient and area: 5 m of altitude and
  100 m of position after 24 h (measured: 0.26 m and 18 m);
- Euler's equations without torque conserve rotational kinetic energy and the inertial angular momentum:
  over one hour of a 0.02 rad/s tumble, to 1e-6 relative;
- the gravity-gradient torque gives the pitch libration of a body held in the local orbital frame on a
  circular orbit at n sqrt(3 (Ix - Iz) / Iy) (Hughes, Spacecraft Attitude Dynamics, 1986, ch. 9; x along
  track, z to nadir, y the pitch axis): the period to 0.1 % (measured 8e-5) with a point-mass field, the
  amplitude of a 1 deg pitch offset kept to 1 % and no roll or yaw appearing (1e-12 rad);
- a pure couple about a principal axis spins the body up at tau / I: the rate after 10 s to 1e-9 rad/s and
  the angle to 1e-8 rad (omega = tau T / I, theta = tau T^2 / (2 I), exact for constant torque about a
  principal axis);
- the delivered impulse equals the commanded on-times times each thruster's thrust: the IMU delta-v
  accumulator to 1e-9 relative of the rocket equation for a common window, and within 0.75 % (four sigma of
  the mean of 30 thrusters with the scenario's 1 % thrust dispersion) of the nominal 400 N.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from firmware_bindings._core import ffi, lib

from firmware_bindings import attitude, frames, rigid
from firmware_bindings._status import ensure
from firmware_bindings.environment import GravityModel
from hil import scenario
from hil.plant import Plant
from hil.protocol.catalogue import DEORBIT_THRUSTERS, THRUSTER_COUNT
from tests.oracles import rigid as orc

G0 = 9.80665


@pytest.fixture(scope="module")
def iss() -> scenario.Scenario:
    """The default stack on an exactly circular 220 km orbit starting at the ascending node, pinned here so
    that tuning the shipped scenario's start does not move these checks."""
    s = scenario.load("iss-deorbit")
    return dataclasses.replace(s, orbit=scenario.InitialOrbit(
        perigee_alt_km=220.0, apogee_alt_km=220.0, inclination_deg=51.64, raan_deg=30.0,
        arg_perigee_deg=0.0, true_anomaly_deg=0.0))


def _quiet(p: Plant, drag: bool = False, gravity_gradient: bool = False) -> None:
    p.model = dataclasses.replace(p.model, drag_on=drag, gravity_gradient_on=gravity_gradient)


def test_zonal_energy_and_polar_angular_momentum_conserved_over_a_day(iss: scenario.Scenario) -> None:
    p = Plant.from_scenario(iss, seed=1)
    _quiet(p, gravity_gradient=True)
    y = p.state_vector
    e0 = rigid.orbit_energy_j_kg(y[0:3], y[3:6])
    hz0 = float(np.cross(y[0:3], y[3:6])[2])
    e_oracle0 = orc.orbit_energy(y[0:3], y[3:6])
    assert e0 == pytest.approx(e_oracle0, abs=1e-6)
    for _ in range(8640):  # the coast output rate, 0.1 Hz
        p.advance_to(p.t_s + 10.0)
    y = p.state_vector
    assert abs(rigid.orbit_energy_j_kg(y[0:3], y[3:6]) - e0) < 0.01
    assert abs(float(np.cross(y[0:3], y[3:6])[2]) - hz0) < 1e-8 * abs(hz0)


def _core_propagate(p: Plant, y0: np.ndarray, t0_s: float, t1_s: float) -> np.ndarray:
    """fb_orbit_propagate with the truth's atmosphere, drag coefficient and area."""
    m = ffi.new("fb_force_model *")
    ensure(lib.fb_orbit_default_model(m), "fb_orbit_default_model")
    atm = p.model.atmosphere
    m.atm.kind = 1 if atm.kind == "harris-priester" else 0
    m.atm.scale, m.atm.hp_n = atm.scale, atm.hp_n
    m.cd, m.area_m2 = p.model.cd, p.model.area_m2
    m.omega_earth_rad_s = p.model.omega_earth_rad_s
    tol = ffi.new("fb_orbit_tol *")
    ensure(lib.fb_orbit_default_tol(tol), "fb_orbit_default_tol")
    y_in = ffi.new("double[7]", [*y0[0:6], y0[13]])
    y_out = ffi.new("double[7]")
    ensure(lib.fb_orbit_propagate(m, tol, t0_s, y_in, t1_s, y_out), "fb_orbit_propagate")
    return np.array(list(y_out))


def test_natural_decay_from_220_km_agrees_with_the_core_orbit_propagator(iss: scenario.Scenario) -> None:
    p = Plant.from_scenario(iss, seed=1)
    y0, t0 = p.state_vector, p.t_s
    for k in range(1, 24 * 360 + 1):
        p.advance_to(t0 + 10.0 * k)
    ref = _core_propagate(p, y0, t0, p.t_s)
    h_ref = float(frames.geodetic_altitude_m(p.t_s, ref[0:3]))
    tr = p.truth()
    assert tr.altitude_m < 220e3 - 1e3  # it did decay (about 3 km in a day at this density)
    assert abs(tr.altitude_m - h_ref) < 5.0
    assert np.linalg.norm(tr.r_eci_m - ref[0:3]) < 100.0


def test_torque_free_tumble_conserves_energy_and_angular_momentum(iss: scenario.Scenario) -> None:
    p = Plant.from_scenario(iss, seed=1)
    _quiet(p)
    p.set_attitude(p.truth().q_body_from_eci, [0.01, -0.02, 0.015])
    inertia = np.asarray(p.model.inertia_kg_m2)
    y = p.state_vector
    t0, h0 = orc.rotational_energy(inertia, y[10:13]), orc.angular_momentum_eci(inertia, y[6:10], y[10:13])
    p.advance_to(p.t_s + 3600.0)
    y = p.state_vector
    t1, h1 = orc.rotational_energy(inertia, y[10:13]), orc.angular_momentum_eci(inertia, y[6:10], y[10:13])
    assert abs(t1 - t0) < 1e-6 * t0
    assert np.linalg.norm(h1 - h0) < 1e-6 * np.linalg.norm(h0)
    assert not np.allclose(y[10:13], [0.01, -0.02, 0.015], atol=1e-4)  # it did tumble (rates changed)


def test_gravity_gradient_pitch_libration_period(iss: scenario.Scenario) -> None:
    i_x, i_y, i_z = 2.0e8, 2.5e8, 1.0e8
    s = dataclasses.replace(iss, vehicle=dataclasses.replace(
        iss.vehicle, inertia_kg_m2=((i_x, 0.0, 0.0), (0.0, i_y, 0.0), (0.0, 0.0, i_z))))
    p = Plant.from_scenario(s, seed=0)
    g = GravityModel.default()
    point_mass = GravityModel(g.gm_m3_s2, g.re_m, 0.0, 0.0, 0.0)
    p.model = dataclasses.replace(p.model, drag_on=False, gravity=point_mass)
    tr = p.truth()
    q_lvlh = attitude.quat_from_dcm(frames.dcm_lvlh_from_eci(tr.r_eci_m, tr.v_eci_mps))
    n = math.sqrt(g.gm_m3_s2 / float(np.linalg.norm(tr.r_eci_m)) ** 3)
    pitch0 = math.radians(1.0)
    q0 = attitude.quat_multiply(attitude.quat_from_rotvec([0.0, pitch0, 0.0]), q_lvlh)
    p.set_attitude(q0, [0.0, -n, 0.0])
    t0, times, angles = p.t_s, [], []
    for k in range(4 * 120):  # four hours, every 30 s
        p.advance_to(t0 + 30.0 * k)
        tr = p.truth()
        q_lvlh = attitude.quat_from_dcm(frames.dcm_lvlh_from_eci(tr.r_eci_m, tr.v_eci_mps))
        angles.append(attitude.rotvec_from_quat(attitude.quat_error(q_lvlh, tr.q_body_from_eci)))
        times.append(p.t_s - t0)
    e = np.array(angles)
    t = np.array(times)
    pitch = e[:, 1]
    crossings = [t[i] - pitch[i] * (t[i + 1] - t[i]) / (pitch[i + 1] - pitch[i])
                 for i in range(len(t) - 1) if pitch[i] * pitch[i + 1] < 0.0]
    assert len(crossings) >= 4
    period = 2.0 * float(np.mean(np.diff(crossings)))
    expected = 2.0 * math.pi / (n * math.sqrt(3.0 * (i_x - i_z) / i_y))
    assert period == pytest.approx(expected, rel=1e-3)
    assert float(np.abs(pitch).max()) == pytest.approx(pitch0, rel=1e-2)
    assert float(np.abs(e[:, [0, 2]]).max()) < 1e-12


def _no_dispersion(s: scenario.Scenario,
                   inertia: tuple[tuple[float, ...], ...] | None = None) -> scenario.Scenario:
    thr = dataclasses.replace(s.thrusters, thrust_sigma_fraction=0.0, misalignment_sigma_deg=0.0)
    veh = s.vehicle if inertia is None else dataclasses.replace(s.vehicle, inertia_kg_m2=inertia)
    return dataclasses.replace(s, thrusters=thr, vehicle=veh)


def test_pure_couple_spins_up_at_torque_over_inertia(iss: scenario.Scenario) -> None:
    """ATT-STBD-PZ (0) and ATT-PORT-MZ (5), 54 m either side of the centre of mass, 400 N each: a couple of
    43,200 N m about +x body and no net force."""
    i_xx = 1.27e8
    s = _no_dispersion(iss, ((i_xx, 0.0, 0.0), (0.0, 1.07e8, 0.0), (0.0, 0.0, 2.01e8)))
    p = Plant.from_scenario(s, seed=0)
    _quiet(p)
    p.set_attitude(p.truth().q_body_from_eci, [0.0, 0.0, 0.0])
    th0, dv0 = p.imu_accumulators()
    until = np.full(THRUSTER_COUNT, -math.inf)
    until[[0, 5]] = p.t_s + 10.0
    p.set_valves(p.t_s, until)
    p.advance_to(p.t_s + 10.0)
    tau = 2 * 54.0 * 400.0
    w = p.truth().omega_body_rps
    assert w[0] == pytest.approx(tau * 10.0 / i_xx, abs=1e-9)
    assert abs(w[1]) < 1e-9 and abs(w[2]) < 1e-9
    th, dv = p.imu_accumulators()
    assert th[0] - th0[0] == pytest.approx(tau * 100.0 / (2 * i_xx), abs=1e-8)
    assert np.linalg.norm(dv - dv0) < 1e-12  # a couple: no net force


def test_deorbit_burn_delivers_the_rocket_equation_delta_v(iss: scenario.Scenario) -> None:
    p = Plant.from_scenario(iss, seed=11)
    _quiet(p)
    idx = list(DEORBIT_THRUSTERS)
    m0 = p.mass_kg
    _, dv0 = p.imu_accumulators()
    until = np.full(THRUSTER_COUNT, -math.inf)
    until[idx] = p.t_s + 60.0
    p.set_valves(p.t_s, until)
    for _ in range(600):  # a 10 Hz control loop
        p.advance_to(p.t_s + 0.1)
    _, dv1 = p.imu_accumulators()
    force = p.thrusters.force_body_n[idx].sum(axis=0)
    mdot = float(p.thrusters.mdot_kg_s[idx].sum())
    assert p.mass_kg == pytest.approx(m0 - mdot * 60.0, rel=1e-12)
    expected = force / mdot * math.log(m0 / p.mass_kg)
    assert np.linalg.norm(dv1 - dv0 - expected) < 1e-9 * np.linalg.norm(expected)
    nominal = 300.0 * G0 * math.log(m0 / (m0 - 30 * 400.0 * 60.0 / (300.0 * G0)))
    assert np.linalg.norm(dv1 - dv0) == pytest.approx(nominal, rel=0.0075)


def test_pulse_train_impulse_equals_on_times_times_thrust(iss: scenario.Scenario) -> None:
    """Pulses of 20 to 100 ms in every 0.1 s cycle for 10 s, different per attitude thruster: each
    thruster's valve-open time equals the commanded sum to 1e-9 s (the integrator lands on every valve
    transition; "commanded" is the on-time as the time scale represents it, (t_k + on) - t_k, since t_s
    near 9.6e8 s resolves 1.2e-7 s), and the delta-v accumulator times the mass equals the impulse sum of
    F_i t_i to 1e-4 relative (the mass falls by 5e-5 over the train)."""
    p = Plant.from_scenario(iss, seed=5)
    _quiet(p)
    rng = np.random.default_rng(3)
    on = rng.uniform(0.02, 0.1, size=(100, 16))
    _, dv0 = p.imu_accumulators()
    t0 = p.t_s
    for k in range(100):
        t_k = t0 + 0.1 * k
        p.advance_to(t_k)
        until = np.full(THRUSTER_COUNT, -math.inf)
        until[:16] = t_k + on[k]
        on[k] = until[:16] - t_k
        p.set_valves(t_k, until)
    p.advance_to(t0 + 10.0)
    assert np.allclose(p.valve_open_s[:16], on.sum(axis=0), rtol=0.0, atol=1e-9)
    assert not p.valve_open_s[16:].any()
    impulse = (p.thrusters.force_body_n[:16] * on.sum(axis=0)[:, None]).sum(axis=0)
    _, dv1 = p.imu_accumulators()
    # attitude thrusters fire in opposed sets: compare per axis against the total thrust impulse scale
    scale = float((p.thrusters.thrust_n[:16] * on.sum(axis=0)).sum())
    assert np.linalg.norm((dv1 - dv0) * p.mass_kg - impulse) < 1e-4 * scale
    assert np.allclose(p.impulse_body_ns, impulse, rtol=1e-12, atol=1e-9)
