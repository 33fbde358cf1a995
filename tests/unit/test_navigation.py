"""Navigation: gyro attitude propagation, orbit propagation from uplinks, burn delta-v, accelerometer
calibration and the error budget, with the IMU grades of reference/hardware.md through the boards' own
error model (hil.boards.imu_model)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pytest

from firmware_bindings.attitude import quat_error, quat_from_rotvec, quat_multiply, rotvec_from_quat
from firmware_bindings.orbit import propagate, state_from_elements
from flight.control import retrograde_target
from flight.navigation import ImuErrorSpec, NavConfig, Navigator
from flight.ports import ImuSample
from hil.boards.imu_model import ImuErrorModel, grade

T0_S = 959_774_400.0


def orbit() -> tuple[np.ndarray, np.ndarray]:
    return state_from_elements((6378137.0 + 220e3, 0.0005, math.radians(51.64), 1.0, 2.0, 0.0))


def angle_between(q1: npt.ArrayLike, q2: npt.ArrayLike) -> float:
    return float(np.linalg.norm(rotvec_from_quat(quat_error(q1, q2))))


def test_gyro_attitude_matches_a_constant_rate_rotation() -> None:
    """Authority: the closed-form attitude of a body turning at a constant body rate, q(t) =
    quat_from_rotvec(-omega t) (x) q0. 6,000 error-free samples at 10 Hz; tolerance 1e-9 rad."""
    q0 = np.array([0.9, 0.1, -0.3, 0.2]) / np.linalg.norm([0.9, 0.1, -0.3, 0.2])
    omega = np.array([1e-3, -2e-3, 5e-4])
    nav = Navigator(q0)
    dt = 0.1
    for k in range(1, 6001):
        nav.on_imu(ImuSample(T0_S + k * dt, tuple(omega * dt), (0.0, 0.0, 0.0), dt))
    expected = quat_multiply(quat_from_rotvec(-omega * 600.0), q0)
    assert angle_between(nav.q_body_from_eci, expected) < 1e-9
    assert nav.omega_body_rps == pytest.approx(omega, rel=1e-12)


@pytest.mark.parametrize("grade_name, spec", [("navigation", ImuErrorSpec()),
                                              ("tactical", ImuErrorSpec.tactical())])
def test_attitude_error_with_imu_grade_stays_within_its_budget(grade_name: str, spec: ImuErrorSpec) -> None:
    """One hour at the orbital rate through the boards' error model of each grade (bias, bias
    instability, random walk, scale factor, misalignment, quantisation): the attitude error against the
    closed-form truth stays below 3 sigma of navigation's own error budget (seeds 0-2)."""
    omega = np.array([0.0, 1.178e-3, 0.0])
    dt = 1.0
    for seed in range(3):
        model = ImuErrorModel(grade(grade_name), seed)
        q0 = np.array([1.0, 0.0, 0.0, 0.0])
        nav = Navigator(q0, NavConfig(imu=spec, attitude_sigma0_rad=0.0))
        nav.set_attitude(T0_S, q0)
        for k in range(1, 3601):
            dth, dv = model.measure(omega * dt, np.zeros(3), dt, T0_S + k * dt)
            nav.on_imu(ImuSample(T0_S + k * dt, tuple(dth), tuple(dv), dt))
        truth = quat_multiply(quat_from_rotvec(-omega * 3600.0), q0)
        err = angle_between(nav.q_body_from_eci, truth)
        sigma = nav.error_budget(T0_S + 3600.0).attitude_rad
        assert err < 3.0 * sigma, (grade_name, seed, err, sigma)
    if grade_name == "navigation":
        assert sigma < math.radians(0.01)


def test_coast_orbit_equals_the_c_propagator() -> None:
    """Stepping an uplinked state through 100 coast samples of 10 s equals one C-core propagation over
    1,000 s with the same force model. Tolerance 1 m (the integrator's error control)."""
    r, v = orbit()
    nav = Navigator(retrograde_target(r, v)[0])
    nav.apply_state_vector(T0_S, tuple(r), tuple(v), 450e3)
    for k in range(1, 101):
        nav.on_imu(ImuSample(T0_S + 10.0 * k, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), 10.0))
    ref = propagate(T0_S, r, v, 450e3, T0_S + 1000.0, model=nav.config.model)
    assert np.linalg.norm(np.asarray(nav.orbit().r_eci_m) - ref.r_eci_m) < 1.0
    assert nav.predict(T0_S + 2000.0).t_s == T0_S + 2000.0


def test_burn_delta_v_is_rotated_to_eci_and_added() -> None:
    """A 10 s burn of 0.03 m/s per 0.1 s sample along +x body, the body retrograde: the velocity change
    against a drag-free propagation equals 3 m/s along the retrograde direction (tolerance 1e-3 m/s,
    gravity's differential effect over 10 s), and the mass follows the rocket equation (0.1 kg)."""
    r, v = orbit()
    q, _ = retrograde_target(r, v)
    nav = Navigator(q)
    nav.apply_state_vector(T0_S, tuple(r), tuple(v), 450e3)
    nav.begin_burn()
    for k in range(1, 101):
        nav.on_imu(ImuSample(T0_S + 0.1 * k, (0.0, 0.0, 0.0), (0.03, 0.0, 0.0), 0.1), thrusting=True)
    ref = propagate(T0_S, r, v, 450e3, T0_S + 10.0, model=replace(nav.config.model, drag=False))
    dv = np.asarray(nav.orbit().v_eci_mps) - ref.v_eci_mps
    assert np.linalg.norm(dv) == pytest.approx(3.0, abs=1e-3)
    assert float(np.dot(dv, -v / np.linalg.norm(v))) == pytest.approx(3.0, abs=2e-3)
    assert nav.orbit().mass_kg == pytest.approx(450e3 * math.exp(-3.0 / (300.0 * 9.80665)), abs=0.1)
    assert nav.error_budget().burn_dv_mps > 0.0


def test_accelerometer_bias_is_calibrated_in_coast_and_removed_in_burns() -> None:
    """Coast samples carrying a bias of (2.5e-4, -1e-4, 5e-5) m/s^2 plus the model's own drag: the bias
    estimate matches to 1e-9 m/s^2 (the samples hold no other error), and burn delta-v is corrected by it."""
    r, v = orbit()
    q, _ = retrograde_target(r, v)
    nav = Navigator(q)
    nav.apply_state_vector(T0_S, tuple(r), tuple(v), 450e3)
    bias = np.array([2.5e-4, -1e-4, 5e-5])
    assert not nav.accel_bias_known
    for k in range(1, 31):
        o = nav.orbit()
        drag_body = _drag_body(nav, o)
        nav.on_imu(ImuSample(T0_S + 10.0 * k, (0.0, 0.0, 0.0), tuple((bias + drag_body) * 10.0), 10.0))
    assert nav.accel_bias_known
    assert nav.accel_bias_mps2 == pytest.approx(bias, abs=1e-9)
    burn = ImuSample(T0_S + 300.1, (0.0, 0.0, 0.0), (0.003 + 2.5e-5, 0.0, 0.0), 0.1)
    upd = nav.on_imu(burn, thrusting=True)
    assert upd.dv_thrust_axis_mps == pytest.approx(0.003, abs=1e-12)


def _drag_body(nav: Navigator, o: object) -> np.ndarray:
    from firmware_bindings.attitude import quat_rotate
    from firmware_bindings.orbit import derivative

    m = replace(nav.config.model, burn=None)
    a1, _ = derivative(o.t_s, o.r_eci_m, o.v_eci_mps, o.mass_kg, m)  # type: ignore[attr-defined]
    a0, _ = derivative(o.t_s, o.r_eci_m, o.v_eci_mps, o.mass_kg, replace(m, drag=False))  # type: ignore[attr-defined]
    return np.asarray(quat_rotate(nav.q_body_from_eci, a1 - a0))


def test_error_budget_grows_as_stated() -> None:
    """Attitude sigma: sqrt(s0^2 + N^2 t + (b t)^2) with no turn; position sigma grows with time and is
    at least the uplink's; before any uplink the orbit's errors are infinite."""
    spec = ImuErrorSpec()
    cfg = NavConfig(imu=spec, attitude_sigma0_rad=1e-4)
    r, v = orbit()
    nav = Navigator(retrograde_target(r, v)[0], cfg)
    nav.set_attitude(T0_S, nav.q_body_from_eci)
    assert math.isinf(nav.error_budget(T0_S).position_m)
    t = 3600.0
    expect = math.sqrt(1e-8 + spec.gyro_arw_rad_per_sqrt_s ** 2 * t + (spec.gyro_bias_rps * t) ** 2)
    assert nav.error_budget(T0_S + t).attitude_rad == pytest.approx(expect, rel=1e-12)
    nav.apply_state_vector(T0_S, tuple(r), tuple(v), 450e3)
    p0 = nav.error_budget(T0_S).position_m
    p1 = nav.error_budget(T0_S + 86400.0).position_m
    assert p0 == pytest.approx(cfg.uplink_sigma_r_m, rel=1e-9)
    assert p1 > 10.0 * p0


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="unit quaternion"):
        Navigator(np.array([0.0, 0.0, 0.0, 0.0]))
    nav = Navigator(np.array([1.0, 0.0, 0.0, 0.0]))
    with pytest.raises(LookupError, match="no ground state vector"):
        nav.orbit()
    with pytest.raises(ValueError, match="needs the stack's mass"):
        nav.apply_state_vector(T0_S, (7e6, 0.0, 0.0), (0.0, 7.5e3, 0.0))
    nav.on_imu(ImuSample(T0_S + 1.0, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), 1.0))
    with pytest.raises(ValueError, match="not after"):
        nav.on_imu(ImuSample(T0_S + 1.0, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), 1.0))
    assert nav.rejected == 1


def test_bridged_gap_adds_delta_v_along_the_thrust_axis() -> None:
    """``bridge_gap`` adds its delta-v along +x body (retrograde here) at the current attitude: the
    velocity changes by 0.0027 m/s against the retrograde direction (1e-9 m/s) and the orbit's velocity
    error budget grows."""
    r, v = orbit()
    q, _ = retrograde_target(r, v)
    nav = Navigator(q)
    nav.apply_state_vector(T0_S, tuple(r), tuple(v), 450e3)
    before = np.asarray(nav.orbit().v_eci_mps)
    s0 = nav.error_budget(T0_S).velocity_mps
    nav.bridge_gap(0.0027, 0.8)
    dv = np.asarray(nav.orbit().v_eci_mps) - before
    assert float(np.dot(dv, -v / np.linalg.norm(v))) == pytest.approx(0.0027, abs=1e-9)
    assert nav.error_budget(T0_S).velocity_mps > s0


def test_nav_step_equals_the_array_api_bit_for_bit() -> None:
    """Authority: the array API over the same core routines (firmware_bindings.attitude quat_imu_step,
    quat_propagate and quat_rotate; OrbitStepper.propagate and drag_accel). NavStep's buffers and tuples
    change nothing: tolerance 0 (the same doubles)."""
    from firmware_bindings.attitude import quat_imu_step, quat_propagate, quat_rotate
    from firmware_bindings.nav_step import NavStep
    from firmware_bindings.orbit import OrbitStepper

    r, v = orbit()
    rt, vt = tuple(float(x) for x in r), tuple(float(x) for x in v)
    q = tuple(float(x) for x in retrograde_target(r, v)[0])
    dth, dvb = (1e-5, 1.2e-4, -3e-6), (0.00267, 1e-6, -2e-6)
    model = NavConfig().model
    step, stepper = NavStep(model), OrbitStepper(model)
    q1, dv_eci, r1, v1 = step.burn(q, dth, dvb, T0_S, rt, vt, 450e3, T0_S + 0.1)
    q_ref, dv_ref = quat_imu_step(np.array(q), np.array(dth), np.array(dvb))
    assert q1 == tuple(q_ref) and dv_eci == tuple(dv_ref)
    assert (r1, v1) == stepper.propagate(T0_S, rt, vt, 450e3, T0_S + 0.1, drag=False)
    q2, a_eci, a_body, r2, v2 = step.coast(q, dth, T0_S, rt, vt, 450e3, T0_S + 10.0)
    assert q2 == tuple(quat_propagate(np.array(q), np.array(dth))) == step.attitude(q, dth)
    assert a_eci == stepper.drag_accel(T0_S, rt, vt, 450e3) == step.drag_accel(T0_S, rt, vt, 450e3)
    assert a_body == tuple(quat_rotate(np.array(q2), np.array(a_eci))) == step.rotate(q2, a_eci)
    assert (r2, v2) == stepper.propagate(T0_S, rt, vt, 450e3, T0_S + 10.0) == step.propagate(
        T0_S, rt, vt, 450e3, T0_S + 10.0)
    assert all(type(x) is float for x in (*q1, *dv_eci, *r1, *v1, *a_body))


def test_nav_step_refuses_bad_input() -> None:
    """Wrong lengths raise ValueError naming the input; NaN and a backward time come back from the core as
    InvalidInputError (FB_E_NONFINITE, FB_E_RANGE)."""
    from firmware_bindings import CoreError, InvalidInputError
    from firmware_bindings.nav_step import NavStep

    r, v = orbit()
    rt, vt = tuple(float(x) for x in r), tuple(float(x) for x in v)
    step = NavStep()
    with pytest.raises(ValueError, match="q_body_from_eci must be 4 numbers"):
        step.attitude((1.0, 0.0, 0.0), (0.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="r_eci_m and v_eci_mps"):
        step.propagate(T0_S, rt[:2], vt, 450e3, T0_S + 1.0)
    with pytest.raises(ValueError, match="body vector"):
        step.burn((1.0, 0.0, 0.0, 0.0), (0.0, 0.0, 0.0), (1.0, 2.0), T0_S, rt, vt, 450e3, T0_S + 1.0)
    with pytest.raises(InvalidInputError):
        step.attitude((1.0, 0.0, 0.0, 0.0), (math.nan, 0.0, 0.0))
    with pytest.raises(CoreError):
        step.coast((1.0, 0.0, 0.0, 0.0), (0.0, 0.0, 0.0), T0_S, rt, vt, 450e3, T0_S - 1.0)


def test_burn_delta_v_error_is_that_of_the_burns_last_sample() -> None:
    """The burn's delta-v sigma, computed when read, is the one of the burn's latest delta-v: coast samples
    after the burn (which move the orbit and the calibration window) leave it unchanged, and it equals
    sqrt((b T)^2 + (k dv)^2) with the bias b = 25 micro-g before any calibration, T the burn time and k the
    accelerometer scale factor (relative tolerance 1e-12)."""
    r, v = orbit()
    q, _ = retrograde_target(r, v)
    read, unread = Navigator(q), Navigator(q)  # the budget of one is read right after the burn
    for nav in (read, unread):
        nav.apply_state_vector(T0_S, tuple(r), tuple(v), 450e3)
        nav.begin_burn()
        assert nav.error_budget().burn_dv_mps == 0.0
        for k in range(1, 51):
            nav.on_imu(ImuSample(T0_S + 0.1 * k, (0.0, 0.0, 0.0), (0.003, 0.0, 0.0), 0.1), thrusting=True)
    spec = read.config.imu
    expect = math.hypot(spec.accel_bias_mps2 * 5.0, spec.accel_scale_factor * 0.15)
    after_burn = read.error_budget().burn_dv_mps
    assert after_burn == pytest.approx(expect, rel=1e-12)
    for nav in (read, unread):
        for k in range(1, 21):
            nav.on_imu(ImuSample(T0_S + 5.0 + 10.0 * k, (0.0, 0.0, 0.0), (1e-4, 0.0, 0.0), 10.0))
        assert nav.accel_bias_known
        assert nav.residual_accel_bias_mps2() < 0.5 * spec.accel_bias_mps2  # calibrated since the burn
        assert nav.error_budget().burn_dv_mps == after_burn
        nav.begin_burn()
        assert nav.error_budget().burn_dv_mps == 0.0


def test_attitude_and_rate_are_tuples_of_floats() -> None:
    """The executive copies q_body_from_eci and omega_body_rps into the controller's buffers: both are
    plain tuples of floats, the quaternion normalised (|q| = 1 within 1e-15)."""
    nav = Navigator(np.array([2.0, 0.0, 0.0, 0.0]))
    assert nav.q_body_from_eci == (1.0, 0.0, 0.0, 0.0)
    nav.on_imu(ImuSample(T0_S + 0.5, (1e-4, -2e-4, 3e-4), (0.0, 0.0, 0.0), 0.5))
    assert type(nav.q_body_from_eci) is tuple and type(nav.omega_body_rps) is tuple
    assert all(type(x) is float for x in (*nav.q_body_from_eci, *nav.omega_body_rps))
    assert nav.omega_body_rps == pytest.approx((2e-4, -4e-4, 6e-4), rel=1e-15)
    assert math.sqrt(sum(x * x for x in nav.q_body_from_eci)) == pytest.approx(1.0, abs=1e-15)
