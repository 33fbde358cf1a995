"""Properties of the quaternion routines of the C core, against the numpy oracle (tests/oracles/attitude.py).

Tolerances are on unit quaternions and rotation matrices (dimensionless) or in rad, and are a few tens of
double-precision ulps unless a property says otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from firmware_bindings import InvalidInputError
from firmware_bindings import attitude as at
from tests.oracles import attitude as oracle

finite = st.floats(-10.0, 10.0, allow_nan=False, allow_infinity=False)
quats = arrays(np.float64, 4, elements=finite).filter(lambda q: np.linalg.norm(q) > 1e-3)
unit_quats = quats.map(lambda q: q / np.linalg.norm(q))
vecs = arrays(np.float64, 3, elements=st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False))
small_angles = st.floats(0.0, 1e-2, allow_nan=False)
directions = arrays(np.float64, 3, elements=finite).filter(lambda v: np.linalg.norm(v) > 1e-3)


def same_rotation(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    """a and b are the same rotation (q or -q) within tol per component."""
    return bool(min(np.max(np.abs(a - b)), np.max(np.abs(a + b))) <= tol)


@given(unit_quats, unit_quats, vecs, st.floats(-5.0, 5.0))
def test_unit_quaternions_stay_unit(a: np.ndarray, b: np.ndarray, rv: np.ndarray, t: float) -> None:
    """Products of unit quaternions, rotation-vector quaternions, propagated, interpolated and error
    quaternions all have norm 1 within 1e-14."""
    outs = [at.quat_multiply(a, b), at.quat_from_rotvec(rv), at.quat_propagate(a, rv), at.quat_slerp(a, b, t),
            at.quat_error(a, b), at.quat_normalize(a * 3.7)]
    for q in outs:
        assert abs(np.linalg.norm(q) - 1.0) <= 1e-14


@given(quats)
def test_product_with_conjugate_is_the_squared_norm(q: np.ndarray) -> None:
    """q (x) conj(q) = conj(q) (x) q = [|q|^2, 0, 0, 0] (the identity for a unit q), within 1e-14 |q|^2."""
    n2 = float(q @ q)
    for p in (at.quat_multiply(q, at.quat_conjugate(q)), at.quat_multiply(at.quat_conjugate(q), q)):
        np.testing.assert_allclose(p, [n2, 0.0, 0.0, 0.0], rtol=0, atol=1e-14 * n2)


@given(quats, quats)
def test_multiply_matches_oracle(a: np.ndarray, b: np.ndarray) -> None:
    """The Hamilton product agrees with the oracle within 1e-13 (inputs up to 20 in norm)."""
    np.testing.assert_allclose(at.quat_multiply(a, b), oracle.quat_multiply(a, b), rtol=0, atol=1e-13)


@given(quats)
def test_dcm_is_orthonormal_with_det_plus_one(q: np.ndarray) -> None:
    """dcm_from_quat gives M^T M = I and det M = +1 within 1e-14, and the oracle's matrix within 1e-15."""
    m = at.dcm_from_quat(q)
    np.testing.assert_allclose(m.T @ m, np.eye(3), rtol=0, atol=1e-14)
    assert abs(np.linalg.det(m) - 1.0) <= 1e-14
    np.testing.assert_allclose(m, oracle.dcm_from_quat(q), rtol=0, atol=1e-15)


@given(quats)
@example(np.array([0.0, 1.0, 0.0, 0.0]))  # half turns: Shepperd's x, y, z branches
@example(np.array([0.0, 0.0, 1.0, 0.0]))
@example(np.array([0.0, 0.0, 0.0, 1.0]))
@example(np.array([1e-9, 1.0, 1.0, 0.0]))
def test_dcm_round_trip(q: np.ndarray) -> None:
    """quat_from_dcm(dcm_from_quat(q)) is q/|q| up to sign, with w >= 0, within 1e-15 per component; it
    matches the oracle's eigenvector method within 1e-14 too."""
    u = q / np.linalg.norm(q)
    back = at.quat_from_dcm(at.dcm_from_quat(q))
    assert back[0] >= 0.0
    assert same_rotation(back, u, 1e-15 * 4)
    assert same_rotation(back, oracle.quat_from_dcm(at.dcm_from_quat(q)), 1e-14)


@given(unit_quats, vecs)
def test_rotate_is_the_sandwich_product_and_the_dcm(q: np.ndarray, v: np.ndarray) -> None:
    """quat_rotate(q, v) = vector part of q (x) [0, v] (x) conj(q) = dcm_from_quat(q) @ v, within
    1e-14 (1 + |v|) (a few tens of ulp of |v|)."""
    tol = 1e-14 * (1.0 + float(np.linalg.norm(v)))
    sandwich = at.quat_multiply(at.quat_multiply(q, np.concatenate([[0.0], v])), at.quat_conjugate(q))[1:]
    r = at.quat_rotate(q, v)
    np.testing.assert_allclose(r, sandwich, rtol=0, atol=tol)
    np.testing.assert_allclose(r, at.dcm_from_quat(q) @ v, rtol=0, atol=tol)
    assert abs(np.linalg.norm(r) - np.linalg.norm(v)) <= tol


@given(unit_quats, unit_quats, vecs)
def test_frames_chain_left_to_right(q_ab: np.ndarray, q_bc: np.ndarray, v_c: np.ndarray) -> None:
    """q_a_from_c = q_a_from_b (x) q_b_from_c: rotating c -> b -> a equals rotating by the product, within
    1e-14 (1 + |v|)."""
    q_ac = at.quat_multiply(q_ab, q_bc)
    np.testing.assert_allclose(at.quat_rotate(q_ac, v_c), at.quat_rotate(q_ab, at.quat_rotate(q_bc, v_c)),
                               rtol=0, atol=1e-14 * (1.0 + float(np.linalg.norm(v_c))))


@given(directions, st.floats(0.0, 3.0e-4), st.floats(-1.0, 1.0))
@example(np.array([1.0, 2.0, 3.0]), 1e-4, 0.0)
def test_rotvec_small_angle_continuity(axis: np.ndarray, angle: float, rel: float) -> None:
    """Around the series threshold (1e-4 rad) quat_from_rotvec matches the exact sinc form of the oracle
    within 2e-16 per component, and two angles 1e-12 rad apart give quaternions within 1e-12 of each other
    (no jump where the series hands over); rotvec_from_quat returns the vector within 1e-19 rad."""
    u = axis / np.linalg.norm(axis)
    rv = angle * u
    q = at.quat_from_rotvec(rv)
    np.testing.assert_allclose(q, oracle.quat_from_rotvec(rv), rtol=0, atol=2e-16)
    q2 = at.quat_from_rotvec((angle + 1e-12 * rel) * u)
    assert np.max(np.abs(q2 - q)) <= 1e-12
    np.testing.assert_allclose(at.rotvec_from_quat(q), rv, rtol=0, atol=1e-19 + 1e-15 * angle)


@given(directions, st.floats(0.0, 3.14))
def test_rotvec_round_trip_and_scipy_form(axis: np.ndarray, angle: float) -> None:
    """rotvec_from_quat(quat_from_rotvec(rv)) = rv for |rv| < pi within 1e-14 rad, and quat_from_axis_angle
    equals quat_from_rotvec of axis times angle within 1e-15."""
    u = axis / np.linalg.norm(axis)
    q = at.quat_from_rotvec(angle * u)
    np.testing.assert_allclose(at.rotvec_from_quat(q), angle * u, rtol=0, atol=1e-14)
    np.testing.assert_allclose(at.quat_from_axis_angle(axis, angle), q, rtol=0, atol=1e-15)


@given(unit_quats, directions, st.floats(1e-6, 0.05), st.integers(1, 200))
def test_propagation_n_steps_equals_one_step_of_n_times_the_angle(
        q: np.ndarray, axis: np.ndarray, rate_rps: float, n: int) -> None:
    """For a constant body rate, n propagations by omega*dt equal one propagation by n*omega*dt (the
    delta-angle update is exact for a constant rate), within n * 1e-15 per component."""
    omega = rate_rps * axis / np.linalg.norm(axis)
    dt_s = 0.1
    stepped = q
    for _ in range(n):
        stepped = at.quat_propagate(stepped, omega * dt_s)
    once = at.quat_propagate(q, n * omega * dt_s)
    assert same_rotation(stepped, once, max(n, 4) * 1e-15)
    assert same_rotation(once, oracle.quat_propagate(q, n * omega * dt_s), 1e-15 * 4)


@given(unit_quats, directions, st.floats(1e-3, 0.5))
def test_propagation_agrees_with_the_kinematic_equation(
        q: np.ndarray, axis: np.ndarray, rate_rps: float) -> None:
    """q_body_from_eci follows d(q_eci_from_body)/dt = 1/2 q_eci_from_body (x) [0, omega_body]: one exact step
    against a fine RK4 integration of that equation over 1 s, within 1e-12."""
    omega = rate_rps * axis / np.linalg.norm(axis)
    qe = at.quat_conjugate(q)  # q_eci_from_body
    h = 1e-2
    wq = np.concatenate([[0.0], omega])
    for _ in range(100):
        k1 = 0.5 * oracle.quat_multiply(qe, wq)
        k2 = 0.5 * oracle.quat_multiply(qe + 0.5 * h * k1, wq)
        k3 = 0.5 * oracle.quat_multiply(qe + 0.5 * h * k2, wq)
        k4 = 0.5 * oracle.quat_multiply(qe + h * k3, wq)
        qe = qe + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    assert same_rotation(at.quat_propagate(q, omega * 1.0), at.quat_conjugate(qe), 1e-12)


@given(unit_quats, unit_quats)
@example(np.array([1.0, 0.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0, 0.0]))  # exactly 180 deg apart
@example(np.array([1.0, 0.0, 0.0, 0.0]), np.array([-1.0, 1e-12, 0.0, 0.0]))  # 0 deg apart, opposite sign
def test_slerp_endpoints(q0: np.ndarray, q1: np.ndarray) -> None:
    """slerp(q0, q1, 0) = q0 and slerp(q0, q1, 1) = q1 as rotations, within 1e-14."""
    assert same_rotation(at.quat_slerp(q0, q1, 0.0), q0, 1e-15 * 4)
    assert same_rotation(at.quat_slerp(q0, q1, 1.0), q1, 1e-14)


@given(unit_quats, unit_quats, st.floats(0.0, 1.0), st.floats(0.0, 1.0))
@example(np.array([1.0, 0.0, 0.0, 0.0]), np.array([1e-7, 1.0, 0.0, 0.0]), 0.3, 0.9)  # near 180 deg
@example(np.array([1.0, 0.0, 0.0, 0.0]), np.array([1.0, 1e-9, 0.0, 0.0]), 0.3, 0.9)  # near 0 deg
def test_slerp_turns_at_a_constant_angular_rate(q0: np.ndarray, q1: np.ndarray, t1: float, t2: float) -> None:
    """The angle between slerp(t1) and slerp(t2) is |t2 - t1| times the (shorter) angle from q0 to q1,
    within 1e-7 rad (arccos near 0 loses half the digits), and slerp matches the oracle's sine-weighted
    form as a rotation within 1e-7 away from exactly 180 deg."""
    total = float(oracle.angle_between(q0, q1))
    a, b = at.quat_slerp(q0, q1, t1), at.quat_slerp(q0, q1, t2)
    assert abs(float(oracle.angle_between(a, b)) - abs(t2 - t1) * total) <= 1e-7
    assume(total < np.pi - 1e-6)
    assert same_rotation(a, oracle.quat_slerp(q0, q1, t1), 1e-7)


@given(unit_quats, unit_quats)
def test_error_quaternion_takes_body_to_target(qb: np.ndarray, qt: np.ndarray) -> None:
    """quat_error gives q_target_from_body with w >= 0: q_target_from_body (x) q_body_from_eci is
    q_target_from_eci, within 1e-14; it matches the oracle within 1e-14."""
    e = at.quat_error(qb, qt)
    assert e[0] >= 0.0
    assert same_rotation(at.quat_multiply(e, qb), qt, 1e-14)
    np.testing.assert_allclose(e, oracle.quat_error(qb, qt), rtol=0, atol=1e-14)



Q = np.array([0.5, 0.5, -0.5, 0.5])
V = np.array([0.1, -0.2, 0.3])
NAN_CASES: dict[str, tuple[Callable[..., np.ndarray], list[np.ndarray]]] = {
    # name: (call, the inputs it takes)
    "quat_multiply": (at.quat_multiply, [Q, Q]),
    "quat_conjugate": (at.quat_conjugate, [Q]),
    "quat_normalize": (at.quat_normalize, [Q]),
    "quat_rotate": (at.quat_rotate, [Q, V]),
    "dcm_from_quat": (at.dcm_from_quat, [Q]),
    "quat_from_dcm": (at.quat_from_dcm, [np.eye(3)]),
    "quat_from_axis_angle": (at.quat_from_axis_angle, [V, np.array(0.4)]),
    "quat_from_rotvec": (at.quat_from_rotvec, [V]),
    "rotvec_from_quat": (at.rotvec_from_quat, [Q]),
    "quat_error": (at.quat_error, [Q, Q]),
    "quat_propagate": (at.quat_propagate, [Q, V]),
    "quat_slerp": (at.quat_slerp, [Q, Q, np.array(0.4)]),
    "quat_from_two_axes": (at.quat_from_two_axes, [V, V[::-1].copy(), V, V[::-1].copy()]),
}


@given(st.sampled_from(sorted(NAN_CASES)), st.integers(0, 100), st.sampled_from([np.nan, np.inf, -np.inf]))
def test_nan_or_infinity_in_any_input_is_rejected(name: str, slot: int, bad: float) -> None:
    """Whichever function and whichever input component holds NaN or an infinity, the call raises
    InvalidInputError with FB_E_NONFINITE (code 2) rather than returning a value."""
    fn, inputs = NAN_CASES[name]
    flat = np.concatenate([x.ravel() for x in inputs])
    flat[slot % flat.size] = bad
    args, start = [], 0
    for x in inputs:
        args.append(flat[start:start + x.size].reshape(x.shape))
        start += x.size
    with pytest.raises(InvalidInputError) as info:
        fn(*args)
    assert info.value.code == 2


@given(unit_quats, directions, directions, arrays(np.float64, 3, elements=st.floats(-0.5, 0.5)))
def test_two_axes_carries_the_primary_exactly(q: np.ndarray, u_b: np.ndarray, v_b: np.ndarray,
                                              noise: np.ndarray) -> None:
    """quat_from_two_axes maps the primary body direction onto the primary reference direction within 1e-12
    rad, keeps the secondary on its side of the primary, recovers q exactly (1e-12) from consistent pairs,
    and matches the oracle's TRIAD (1e-10); pairs closer than 1e-3 rad to parallel are left out."""
    un, vn = u_b / np.linalg.norm(u_b), v_b / np.linalg.norm(v_b)
    assume(np.linalg.norm(np.cross(un, vn)) > 1e-3)
    u_a = at.quat_rotate(q, u_b)
    v_a = at.quat_rotate(q, v_b) + noise * np.linalg.norm(v_b)
    assume(np.linalg.norm(np.cross(u_a, v_a)) > 1e-3 * np.linalg.norm(u_a) * np.linalg.norm(v_a))
    got = at.quat_from_two_axes(u_b, v_b, u_a, v_a)
    mapped = at.quat_rotate(got, un)
    assert np.linalg.norm(np.cross(mapped, u_a / np.linalg.norm(u_a))) <= 1e-12
    assert mapped @ u_a > 0.0
    side = np.cross(u_a, v_a)
    assert np.cross(u_a, at.quat_rotate(got, v_b)) @ side > 0.0
    assert same_rotation(got, oracle.quat_from_two_axes(u_b, v_b, u_a, v_a), 1e-10)
    exact = at.quat_from_two_axes(u_b, v_b, u_a, at.quat_rotate(q, v_b))
    assert same_rotation(exact, q, 1e-12)


@given(unit_quats, directions, st.floats(0.0, 3.14))
def test_attitude_error_angle_is_the_angle_turned(
        q_target: np.ndarray, axis: np.ndarray, angle: float) -> None:
    """A body turned by angle about any axis away from the target has attitude_error_rad equal to that
    angle within 1e-14 rad, and within 1e-7 rad of the oracle's arccos form (which loses digits near 0)."""
    q_body = at.quat_multiply(at.quat_from_axis_angle(axis, angle), q_target)
    err = float(at.attitude_error_rad(q_body, q_target))
    assert abs(err - angle) <= 1e-14
    assert abs(err - float(oracle.angle_between(q_body, q_target))) <= 1e-7


@given(unit_quats, vecs.map(lambda v: v * 1e-3), vecs)
def test_imu_step_is_propagate_and_the_mid_interval_rotation(q: np.ndarray, d: np.ndarray,
                                                              v: np.ndarray) -> None:
    """fb_quat_imu_step equals its two parts: the attitude of quat_propagate (the same rotation within
    1e-15 per component) and v_body rotated to ECI with the attitude half way through the interval (the
    oracle's, within 1e-12 relative to |v|, m/s for a delta-velocity), one call or a batch of two."""
    q_next, v_eci = at.quat_imu_step(q, d, v)
    ref_q, ref_v = oracle.quat_imu_step(q, d, v)
    assert same_rotation(q_next, ref_q, 1e-15)
    np.testing.assert_allclose(v_eci, ref_v, rtol=0, atol=1e-12 * (1.0 + float(np.linalg.norm(v))))
    qb, vb = at.quat_imu_step(np.stack([q, q]), np.stack([d, -d]), v)
    assert qb.shape == (2, 4) and vb.shape == (2, 3)
    np.testing.assert_array_equal(qb[0], q_next)
    np.testing.assert_array_equal(vb[0], v_eci)
