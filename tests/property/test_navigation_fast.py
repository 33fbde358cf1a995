"""The float-and-buffer Navigator (flight/navigation.py) against its reference, the numpy implementation
it replaced (tests/oracles/navigation.py).

Property: over any sequence of inputs (IMU samples in coast and in burns at 0.1 to 10 Hz with arbitrary
body rates and accelerometer biases, out-of-order samples, state-vector uplinks with and without a mass,
``bridge_gap``, ``begin_burn``, ``set_attitude`` and ``set_mass``), the two navigators agree BIT FOR BIT:
attitude and body rate, the orbit (time, position, velocity, mass), the accelerometer bias estimate and
whether it is known, every field of the error budget, the residual bias, the thrust axis and retrograde
directions, each sample's ``NavUpdate`` and the sample counters. The tolerance is zero: 0 m of position,
0 m/s of velocity, 0 kg of mass, 0 rad of attitude and 0 m/s^2 of bias after every step of up to 60
steps (both run the same core routines on the same doubles in the same order; only the Python around
them changed).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from firmware_bindings.orbit import state_from_elements
from flight import navigation as fast
from flight.ports import ImuSample
from tests.oracles import navigation as ref

T0_S = 959_774_400.0

UNIT = st.floats(-1.0, 1.0)
QUAT = st.tuples(st.floats(0.5, 1.0) | st.floats(-1.0, -0.5), UNIT, UNIT, UNIT)  # not normalised: |q| >= 0.5
RATE_RPS = st.tuples(*(st.floats(-0.02, 0.02),) * 3)
BIAS_MPS2 = st.tuples(*(st.floats(-5e-3, 5e-3),) * 3)
DT_S = st.sampled_from([0.1, 0.2, 0.5, 1.0, 2.0, 10.0]) | st.floats(0.1, 10.0)

# one step: a sample (coast or burn), an out-of-order sample, an uplink, a gap bridged in a burn, the start
# of a burn's count, an attitude fix or a mass from the propellant gauge
SAMPLE = st.tuples(st.just("imu"), DT_S, RATE_RPS, BIAS_MPS2, st.booleans(), st.floats(0.0, 0.05))
STEP = st.one_of(
    SAMPLE, SAMPLE, SAMPLE,
    st.tuples(st.just("late"), st.floats(0.0, 5.0)),
    st.tuples(st.just("uplink"), st.floats(-1e3, 1e3), st.floats(-1.0, 1.0), st.booleans()),
    st.tuples(st.just("bridge"), st.floats(-0.5, 3.0), st.floats(0.0, 20.0)),
    st.tuples(st.just("begin_burn")),
    st.tuples(st.just("set_attitude"), QUAT),
    st.tuples(st.just("set_mass"), st.floats(1e5, 5e5)),
)


def _configs(window_s: float, min_s: float) -> tuple[fast.NavConfig, ref.NavConfig]:
    return (fast.NavConfig(accel_cal_window_s=window_s, accel_cal_min_s=min_s),
            ref.NavConfig(accel_cal_window_s=window_s, accel_cal_min_s=min_s))


def _same(a: Any, b: Any) -> None:
    """Equal bit for bit: the same floats (NaN nowhere expected), element by element."""
    assert np.array_equal(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)), (a, b)


def _agree(new: fast.Navigator, old: ref.Navigator) -> None:
    _same(new.q_body_from_eci, old.q_body_from_eci)
    _same(new.omega_body_rps, old.omega_body_rps)
    _same(new.accel_bias_mps2, old.accel_bias_mps2)
    assert new.accel_bias_known == old.accel_bias_known
    assert (new.t_s, new.samples, new.rejected) == (old.t_s, old.samples, old.rejected)
    assert new.has_orbit == old.has_orbit
    if old.has_orbit:
        o, p = new.orbit(), old.orbit()
        _same((o.t_s, *o.r_eci_m, *o.v_eci_mps, o.mass_kg), (p.t_s, *p.r_eci_m, *p.v_eci_mps, p.mass_kg))
        _same(new.retrograde_eci(), old.retrograde_eci())
    _same(new.thrust_axis_eci(), old.thrust_axis_eci())
    _same(new.residual_accel_bias_mps2(), old.residual_accel_bias_mps2())
    for t in (None, (old.t_s or T0_S) + 100.0):
        e, f = new.error_budget(t), old.error_budget(t)
        _same((e.t_s, e.attitude_rad, e.position_m, e.velocity_mps, e.burn_dv_mps),
              (f.t_s, f.attitude_rad, f.position_m, f.velocity_mps, f.burn_dv_mps))


@given(q0=QUAT, nu=st.floats(0.0, 2.0 * math.pi), uplink_first=st.sampled_from([True, True, True, False]),
       window_s=st.sampled_from([120.0, 30.0, 5.0]), min_s=st.sampled_from([10.0, 1.0]),
       steps=st.lists(st.tuples(STEP, st.booleans()), min_size=8, max_size=60))
def test_fast_navigator_equals_the_reference_bit_for_bit(q0: tuple[float, ...], nu: float, uplink_first: bool,
                                                        window_s: float, min_s: float,
                                                        steps: list[tuple[tuple[Any, ...], bool]]) -> None:
    """See the module docstring: both navigators hold the same doubles (tolerance 0) after the steps that
    say so (``check``) and at the end; the others go unread, as the error budget is between housekeeping
    reads (it is computed when read)."""
    cfg_new, cfg_old = _configs(window_s, min(min_s, window_s))
    new, old = fast.Navigator(q0, cfg_new), ref.Navigator(q0, cfg_old)
    r, v = state_from_elements((6378137.0 + 220e3, 0.0005, math.radians(51.64), 1.0, 2.0, nu))
    if uplink_first:
        new.apply_state_vector(T0_S, tuple(r), tuple(v), 450e3)
        old.apply_state_vector(T0_S, tuple(r), tuple(v), 450e3)
    t = T0_S
    for step, check in steps:
        kind = step[0]
        if kind == "imu":
            _, dt, rate, bias, thrusting, accel = step
            t += dt
            dtheta = (rate[0] * dt, rate[1] * dt, rate[2] * dt)
            dv = ((accel + bias[0]) * dt, bias[1] * dt, bias[2] * dt)
            s = ImuSample(t, dtheta, dv, dt)
            u, w = new.on_imu(s, thrusting), old.on_imu(s, thrusting)
            if old.has_orbit:
                event("burn sample" if thrusting else "coast sample with an orbit")
            _same((u.t_s, u.interval_s, *u.omega_body_rps, *u.dv_body_mps, u.dv_thrust_axis_mps),
                  (w.t_s, w.interval_s, *w.omega_body_rps, *w.dv_body_mps, w.dv_thrust_axis_mps))
        elif kind == "late":
            s = ImuSample(t - step[1], (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), 0.1)
            if new.t_s is None:
                continue
            with pytest.raises(ValueError):
                new.on_imu(s)
            with pytest.raises(ValueError):
                old.on_imu(s)
        elif kind == "uplink":
            _, dr, dvel, with_mass = step
            if not old.has_orbit and not with_mass:
                continue
            base = old.predict(t) if old.has_orbit and t >= old.orbit().t_s else None
            rr = tuple(float(x) + dr for x in (base.r_eci_m if base else r))
            vv = tuple(float(x) + dvel for x in (base.v_eci_mps if base else v))
            m = 4.4e5 if with_mass else None
            new.apply_state_vector(t, rr, vv, m)
            old.apply_state_vector(t, rr, vv, m)
        elif kind == "bridge":
            new.bridge_gap(step[1], step[2])
            old.bridge_gap(step[1], step[2])
        elif kind == "begin_burn":
            new.begin_burn()
            old.begin_burn()
        elif kind == "set_attitude":
            new.set_attitude(t, step[1])
            old.set_attitude(t, step[1])
        else:
            new.set_mass(step[1])
            old.set_mass(step[1])
        if check:
            _agree(new, old)
    _agree(new, old)
    if old.accel_bias_known:
        event("bias estimated")


def test_long_mixed_run_stays_bit_identical() -> None:
    """Property of the module docstring over a long run that fills and slides the calibration window:
    400 coast samples at 1 Hz with a bias and drag-sized specific force, a burn of 1,200 samples at 10 Hz
    with a slow rotation, then coast again; tolerance 0 m, 0 m/s, 0 kg, 0 rad after every 50 samples."""
    r, v = state_from_elements((6378137.0 + 220e3, 0.0005, math.radians(51.64), 1.0, 2.0, 0.3))
    q0 = (0.9, 0.1, -0.3, 0.2)
    new, old = fast.Navigator(q0), ref.Navigator(q0)
    for nav in (new, old):
        nav.apply_state_vector(T0_S, tuple(r), tuple(v), 450e3)
    t = T0_S
    plan = [(400, 1.0, False), (1200, 0.1, True), (300, 1.0, False)]
    k = 0
    for n, dt, thrusting in plan:
        if thrusting:
            new.begin_burn()
            old.begin_burn()
        for _ in range(n):
            t += dt
            k += 1
            dv = ((0.0267 if thrusting else -1.1e-4) * dt + 2.4e-4 * dt, -1e-4 * dt, 3e-5 * dt)
            s = ImuSample(t, (1e-5 * dt, 1.17e-3 * dt, -2e-5 * dt), dv, dt)
            new.on_imu(s, thrusting)
            old.on_imu(s, thrusting)
            if k % 50 == 0:
                _agree(new, old)
    _agree(new, old)
    assert new.accel_bias_known
