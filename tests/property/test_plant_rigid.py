"""Properties of the rigid-body core (firmware_bindings.rigid) and of the plant built on it, with the numpy
oracle tests/oracles/rigid.py as the reference."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from firmware_bindings import rigid
from firmware_bindings.attitude import default_stack_inertia_kg_m2, quat_from_rotvec, quat_multiply
from firmware_bindings.environment import AtmosphereModel, sun_direction_eci
from hil import scenario
from hil.plant import Plant
from hil.protocol.catalogue import THRUSTER_COUNT
from tests.oracles import rigid as orc

INERTIA = default_stack_inertia_kg_m2()
T_J2030 = 946_728_000.0
RE = 6378137.0

unit = st.tuples(*[st.floats(-1.0, 1.0)] * 3).filter(lambda v: float(np.linalg.norm(v)) > 0.1)
quat = st.tuples(*[st.floats(-1.0, 1.0)] * 4).filter(lambda v: float(np.linalg.norm(v)) > 0.1)
rate = st.tuples(*[st.floats(-0.05, 0.05)] * 3)
small = st.tuples(*[st.floats(-1e4, 1e4)] * 3)


def _state(d: tuple[float, ...], alt_m: float, q: tuple[float, ...], w: tuple[float, ...], mass: float,
           t_dir: tuple[float, ...]) -> np.ndarray:
    u = np.asarray(d) / np.linalg.norm(d)
    r = (RE + alt_m) * u
    tang = np.cross(u, np.asarray(t_dir) + np.array([0.3, -0.2, 0.1]))
    if np.linalg.norm(tang) < 1e-6:
        tang = np.cross(u, [0.0, 0.0, 1.0]) if abs(u[2]) < 0.9 else np.cross(u, [1.0, 0.0, 0.0])
    tang /= np.linalg.norm(tang)
    y = np.zeros(20)
    y[0:3], y[3:6] = r, math.sqrt(3.986004418e14 / np.linalg.norm(r)) * tang
    y[6:10] = np.asarray(q) / np.linalg.norm(q)
    y[10:13], y[13] = w, mass
    return y


@given(unit, st.floats(150e3, 600e3), quat, rate, st.floats(1e3, 5e5), unit, small, small,
       st.floats(0.0, 10.0), st.floats(0.0, 86400.0 * 365), st.booleans())
def test_derivative_matches_the_oracle(d: tuple[float, ...], alt: float, q: tuple[float, ...],
                                       w: tuple[float, ...], mass: float, t_dir: tuple[float, ...],
                                       force: tuple[float, ...], torque: tuple[float, ...], mdot: float,
                                       dt: float, harris: bool) -> None:
    """For any state on orbit, attitude, rate, mass and thrust load, the core's derivative equals the
    oracle's to 1e-12 absolute plus 1e-10 relative per component (both Harris-Priester with the core's Sun,
    and the exponential table; not within 1 m of a band edge of the exponential table, where the table's
    density jumps and a sub-millimetre difference in altitude picks the other band)."""
    y = _state(d, alt, q, w, mass, t_dir)
    if not harris:
        h_km = orc.altitude_m(T_J2030 + dt, y[0:3]) / 1e3
        assume(all(abs(h_km - row[0]) > 1e-3 for row in orc.env.EXPONENTIAL))
    cop = np.array([0.4, -1.0, 2.0])
    atm = AtmosphereModel("harris-priester" if harris else "exponential", 1.2, 4)
    model = rigid.RigidBodyModel(INERTIA, cd=2.2, area_m2=2500.0, cop_body_m=cop, atmosphere=atm)
    oracle = orc.Model(INERTIA, cop_body_m=cop, atm_kind=1 if harris else 0, atm_scale=1.2, hp_n=4,
                       sun=sun_direction_eci)
    load = rigid.ThrustLoad(force, torque, mdot)
    t = T_J2030 + dt
    got = rigid.derivative(model, load, t, y)
    want = orc.derivative(oracle, orc.Thrust(np.asarray(force), np.asarray(torque), mdot), t, y)
    assert np.all(np.abs(got - want) <= 1e-12 + 1e-10 * np.abs(want))


@settings(max_examples=10)
@given(unit, st.floats(200e3, 400e3), quat, rate, unit, st.floats(1.0, 20.0), st.floats(2.0, 6.0))
def test_propagation_matches_the_oracle(d: tuple[float, ...], alt: float, q: tuple[float, ...],
                                        w: tuple[float, ...], t_dir: tuple[float, ...], span: float,
                                        h_max: float) -> None:
    """A propagation of any span in steps of any length equals the oracle's RK4 to 1e-6 m, 1e-9 m/s and
    1e-12 in the quaternion and rates (rounding only), and the quaternion stays a unit one to 1e-15."""
    y = _state(d, alt, q, w, 4.5e5, t_dir)
    model = rigid.RigidBodyModel(INERTIA, cd=2.2, area_m2=2500.0, cop_body_m=(0.0, 0.0, 2.0))
    oracle = orc.Model(INERTIA, cop_body_m=np.array([0.0, 0.0, 2.0]), sun=sun_direction_eci)
    res = rigid.propagate(model, rigid.COAST, T_J2030, y, T_J2030 + span, h_max)
    t_end, want, stopped = orc.propagate(oracle, orc.Thrust(), T_J2030, y, T_J2030 + span, h_max)
    assert res.t_s == t_end and not res.stopped and not stopped
    assert np.all(np.abs(res.y[0:3] - want[0:3]) < 1e-6)
    assert np.all(np.abs(res.y[3:6] - want[3:6]) < 1e-9)
    assert np.all(np.abs(res.y[6:13] - want[6:13]) < 1e-12)
    assert abs(np.linalg.norm(res.y[6:10]) - 1.0) < 1e-15 * 4


@given(quat, rate, st.floats(1.0, 600.0))
def test_free_rotation_of_a_spherical_body_is_a_constant_rate_turn(q: tuple[float, ...], w: tuple[float, ...],
                                                                    span: float) -> None:
    """With equal principal moments and no torque the rate is constant, the gyro accumulator grows by
    omega * T exactly (to 1e-12 rad) and the attitude is q_from_rotvec(-omega T) (x) q0 (the project's
    convention) to twice RK4's phase error: each step of h turns the quaternion (angular frequency |w| / 2)
    with a phase error of (|w| h / 2)^5 / 120, plus 1e-13 of rounding."""
    model = rigid.RigidBodyModel(np.eye(3) * 1e8, cd=0.0, area_m2=0.0, drag_on=False,
                                 gravity_gradient_on=False)
    y = _state((1.0, 0.0, 0.0), 400e3, q, w, 1e5, (0.0, 1.0, 0.0))
    res = rigid.propagate(model, rigid.COAST, 0.0, y, span, 1.0)
    w_arr = np.asarray(w)
    assert np.all(np.abs(res.y[10:13] - w_arr) < 1e-15)
    assert np.all(np.abs(res.y[14:17] - w_arr * span) < 1e-12)
    q_want = quat_multiply(quat_from_rotvec(-w_arr * span), y[6:10])
    err = min(np.linalg.norm(res.y[6:10] - q_want), np.linalg.norm(res.y[6:10] + q_want))
    phase_error = math.ceil(span / 1.0) * (float(np.linalg.norm(w_arr)) * 1.0 / 2) ** 5 / 120
    assert err < 2 * phase_error + 1e-13


@settings(max_examples=10, deadline=None)
@given(st.lists(st.floats(0.01, 30.0), min_size=1, max_size=8), st.integers(0, 2**31))
def test_plant_result_does_not_depend_on_how_time_is_cut(cuts: list[float], seed: int) -> None:
    """Advancing the plant to the same time in different pieces (with a burn window inside) gives the same
    truth within the integration error: 1 mm, 1e-6 m/s, 1e-9 rad/s, and the same mass to 1e-9 kg (the
    valve transitions are hit exactly however the time is cut)."""
    s = scenario.load("iss-deorbit")
    a, b = Plant.from_scenario(s, seed % 1000), Plant.from_scenario(s, seed % 1000)
    for p in (a, b):
        until = np.full(THRUSTER_COUNT, -math.inf)
        until[16:46] = p.t_s + 7.3
        until[3] = p.t_s + 0.45
        p.set_valves(p.t_s, until)
    t_end = a.t_s + sum(cuts)
    a.advance_to(t_end)
    for c in cuts:
        b.advance_to(min(b.t_s + c, t_end))
    b.advance_to(t_end)
    ya, yb = a.state_vector, b.state_vector
    assert np.all(np.abs(ya[0:3] - yb[0:3]) < 1e-3)
    assert np.all(np.abs(ya[3:6] - yb[3:6]) < 1e-6)
    assert np.all(np.abs(ya[10:13] - yb[10:13]) < 1e-9)
    assert abs(ya[13] - yb[13]) < 1e-9


valve_cycle = st.tuples(st.integers(0, 45), st.floats(0.0, 0.1), st.floats(0.01, 0.5))


@settings(max_examples=20, deadline=None)
@given(st.lists(valve_cycle, min_size=1, max_size=20), st.integers(0, 1000))
def test_plant_bookkeeping_under_any_valve_schedule(cycles: list[tuple[int, float, float]],
                                                    seed: int) -> None:
    """Under any schedule of pulses (thruster, on-time, cycle length): time only moves forward, the mass
    never rises, the propellant used equals the sum over thrusters of flow times valve-open time (to 1e-9
    kg), each thruster's open time equals what was commanded (to 1e-9 s, once expressed in the time scale),
    and the quaternion stays a unit one (1e-14)."""
    s = scenario.load("iss-deorbit")
    p = Plant.from_scenario(s, seed)
    m0 = p.mass_kg
    commanded = np.zeros(THRUSTER_COUNT)
    last_mass = m0
    for i, on, cycle in cycles:
        t = p.t_s
        until = np.full(THRUSTER_COUNT, -math.inf)
        until[i] = t + min(on, cycle)
        commanded[i] += max(0.0, until[i] - t)
        p.set_valves(t, until)
        p.advance_to(t + cycle)
        assert p.t_s == t + cycle
        assert p.mass_kg <= last_mass
        last_mass = p.mass_kg
    assert np.allclose(p.valve_open_s, commanded, rtol=0.0, atol=1e-9)
    used = float(p.valve_open_s @ p.thrusters.mdot_kg_s)
    assert m0 - p.mass_kg == pytest.approx(used, abs=1e-9)
    assert abs(np.linalg.norm(p.truth().q_body_from_eci) - 1.0) < 1e-14
