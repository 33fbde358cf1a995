"""The C core's quaternion conversions against scipy.spatial.transform.Rotation (an independent
implementation; scalar-last, so [x, y, z, w] there is [w, x, y, z] here), on 2,000 seeded random rotations
and on the edge cases (identity, half turns, near-zero and near-180-degree angles).

Mapping: q_a_from_b here is Rotation.from_quat([x, y, z, w]); Rotation.apply maps frame b components to
frame a; as_matrix() is dcm_a_from_b; composition q_a_from_b (x) q_b_from_c is Rotation(ab) * Rotation(bc).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation, Slerp

from firmware_bindings import attitude as at

N = 2000


def to_scipy(q: np.ndarray) -> Rotation:
    return Rotation.from_quat(np.asarray(q)[..., [1, 2, 3, 0]])


def from_scipy(r: Rotation) -> np.ndarray:
    return r.as_quat()[..., [3, 0, 1, 2]]


def sign_aligned(q: np.ndarray, ref: np.ndarray) -> np.ndarray:
    s = np.sign(np.sum(q * ref, axis=-1, keepdims=True))
    return q * np.where(s == 0, 1.0, s)


@pytest.fixture(scope="module")
def rots() -> np.ndarray:
    rng = np.random.default_rng(1969)
    q = Rotation.random(N, random_state=rng)
    edge = Rotation.from_rotvec(np.array([
        [0.0, 0.0, 0.0], [np.pi, 0, 0], [0, np.pi, 0], [0, 0, np.pi], [1e-10, 0, 0], [0, 3e-5, 1e-5],
        [np.pi - 1e-9, 0, 0], [0, 0, -np.pi + 1e-12], [1.0, 1.0, 1.0],
    ]))
    return from_scipy(Rotation.concatenate([q, edge]))


def test_dcm_against_scipy_as_matrix(rots: np.ndarray) -> None:
    """dcm_from_quat equals scipy's as_matrix within 2e-15 per element (a few ulp)."""
    np.testing.assert_allclose(at.dcm_from_quat(rots), to_scipy(rots).as_matrix(), rtol=0, atol=2e-15)


def test_quat_from_dcm_against_scipy_from_matrix(rots: np.ndarray) -> None:
    """quat_from_dcm equals scipy's from_matrix (sign chosen so that w >= 0) within 1e-15 per component
    (a few ulp), half turns included."""
    m = to_scipy(rots).as_matrix()
    ours = at.quat_from_dcm(m)
    theirs = from_scipy(Rotation.from_matrix(m))
    assert np.all(ours[:, 0] >= 0.0)
    np.testing.assert_allclose(ours, sign_aligned(theirs, ours), rtol=0, atol=1e-15)


def test_rotate_against_scipy_apply(rots: np.ndarray) -> None:
    """quat_rotate(q_a_from_b, v_b) equals Rotation.apply(v_b) within 1e-14 for vectors of order 1, and
    within 1e-8 m (1.5e-15 relative) for an orbit-sized position of 6.8e6 m."""
    rng = np.random.default_rng(7)
    v = rng.normal(size=(len(rots), 3))
    np.testing.assert_allclose(at.quat_rotate(rots, v), to_scipy(rots).apply(v), rtol=0, atol=1e-14)
    r_eci_m = np.array([6.778e6, -1.2e5, 3.1e5])
    r_body_m = at.quat_rotate(rots, r_eci_m)
    np.testing.assert_allclose(r_body_m, to_scipy(rots).apply(r_eci_m), rtol=0, atol=1e-8)


def test_composition_against_scipy(rots: np.ndarray) -> None:
    """quat_multiply(q_ab, q_bc) is the rotation Rotation(ab) * Rotation(bc) within 1e-15 per component."""
    a, b = rots, np.roll(rots, 1, axis=0)
    ours = at.quat_multiply(a, b)
    theirs = from_scipy(to_scipy(a) * to_scipy(b))
    np.testing.assert_allclose(ours, sign_aligned(theirs, ours), rtol=0, atol=1e-15)


def test_rotation_vectors_against_scipy(rots: np.ndarray) -> None:
    """rotvec_from_quat equals scipy's as_rotvec within 1e-14 rad (away from exactly 180 deg, where the
    sign is a convention), and quat_from_rotvec equals from_rotvec within 1e-15."""
    rv = to_scipy(rots).as_rotvec()
    ours = at.rotvec_from_quat(rots)
    away = np.linalg.norm(rv, axis=1) < np.pi - 1e-6
    np.testing.assert_allclose(ours[away], rv[away], rtol=0, atol=1e-14)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), np.linalg.norm(rv, axis=1), rtol=0, atol=1e-14)
    q = at.quat_from_rotvec(rv)
    np.testing.assert_allclose(q, sign_aligned(from_scipy(Rotation.from_rotvec(rv)), q), rtol=0, atol=1e-15)


def test_axis_angle_against_scipy(rots: np.ndarray) -> None:
    """quat_from_axis_angle(axis, angle) equals Rotation.from_rotvec(angle * unit axis) within 1e-15, for
    angles beyond a full turn and axes of any length."""
    rng = np.random.default_rng(11)
    axis = rng.normal(size=(N, 3)) * rng.uniform(0.01, 100.0, size=(N, 1))
    angle = rng.uniform(-8.0, 8.0, size=N)
    unit = axis / np.linalg.norm(axis, axis=1, keepdims=True)
    q = at.quat_from_axis_angle(axis, angle)
    theirs = from_scipy(Rotation.from_rotvec(angle[:, None] * unit))
    np.testing.assert_allclose(q, sign_aligned(theirs, q), rtol=0, atol=2e-15)


def test_slerp_against_scipy_slerp(rots: np.ndarray) -> None:
    """quat_slerp matches scipy's Slerp between consecutive keys (scipy takes the shorter arc too) within
    1e-14 per component, away from exactly 180 deg between keys."""
    rng = np.random.default_rng(3)
    q0, q1 = rots[:-1], rots[1:]
    t = rng.uniform(0.0, 1.0, size=len(q0))
    rel = (to_scipy(q0).inv() * to_scipy(q1)).magnitude()
    keep = rel < np.pi - 1e-6
    ours = at.quat_slerp(q0, q1, t)
    theirs = np.empty_like(ours)
    for i in np.flatnonzero(keep):
        s = Slerp([0.0, 1.0], to_scipy(np.stack([q0[i], q1[i]])))
        theirs[i] = from_scipy(s([t[i]]))[0]
    np.testing.assert_allclose(ours[keep], sign_aligned(theirs[keep], ours[keep]), rtol=0, atol=1e-14)


def test_error_and_propagation_against_scipy(rots: np.ndarray) -> None:
    """quat_error(q_body_from_eci, q_target_from_eci) is R_target * R_body^-1; quat_propagate(q, dtheta) is
    (R_body^-1 * R(dtheta))^-1 (the body turning by dtheta in its own axes), both within 1e-15."""
    qb, qt = rots, np.roll(rots, 3, axis=0)
    e = at.quat_error(qb, qt)
    np.testing.assert_allclose(e, sign_aligned(from_scipy(to_scipy(qt) * to_scipy(qb).inv()), e),
                               rtol=0, atol=2e-15)
    rng = np.random.default_rng(5)
    dtheta = rng.normal(size=(len(rots), 3)) * 0.1
    nxt = at.quat_propagate(qb, dtheta)
    theirs = from_scipy((to_scipy(qb).inv() * Rotation.from_rotvec(dtheta)).inv())
    np.testing.assert_allclose(nxt, sign_aligned(theirs, nxt), rtol=0, atol=2e-15)


def test_two_axes_against_scipy_align_vectors() -> None:
    """quat_from_two_axes equals scipy's align_vectors with an infinite weight on the primary pair (the
    primary matched exactly, the secondary as close as it can), within 1e-13 per component (scipy solves
    it by a singular value decomposition, a few tens of ulp)."""
    rng = np.random.default_rng(17)
    q_true = Rotation.random(200, random_state=rng)
    u_b, v_b = rng.normal(size=(200, 3)), rng.normal(size=(200, 3))
    u_a = q_true.apply(u_b) * rng.uniform(0.1, 10.0, size=(200, 1))
    v_a = q_true.apply(v_b) + 0.2 * rng.normal(size=(200, 3))
    ours = at.quat_from_two_axes(u_b, v_b, u_a, v_a)
    for i in range(200):
        est, _ = Rotation.align_vectors([u_a[i], v_a[i]], [u_b[i], v_b[i]], weights=[np.inf, 1.0])
        np.testing.assert_allclose(ours[i], sign_aligned(from_scipy(est), ours[i]), rtol=0, atol=1e-13)
