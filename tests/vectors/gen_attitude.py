"""Writes quat.vec and control.vec: ``python -m tests.vectors.gen_attitude`` from the repository root.

Expected values come from authorities independent of the core: scipy.spatial.transform.Rotation (scalar
last; its sign fixed by the closed-form definition where a quaternion's sign matters), textbook closed forms
(i j = k, a quarter turn about z), the PD law's closed form in fb_control.h evaluated with scipy's rotation
vectors, and allocations that are exact by construction (commands made from known on-times). The generator
checks each closed form against scipy before writing it. Inputs come from a fixed seed.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import scipy
from scipy.spatial.transform import Rotation

from tests.vectorfile import format_line, write_vectors

HERE = Path(__file__).resolve().parent
NAN = float("nan")
INF = float("inf")


def _rot(q: np.ndarray) -> Rotation:
    return Rotation.from_quat([q[1], q[2], q[3], q[0]])


def _wxyz(r: Rotation) -> np.ndarray:
    x, y, z, w = r.as_quat()
    return np.array([w, x, y, z])


def _same_sign(q: np.ndarray, ref: np.ndarray) -> np.ndarray:
    return q if float(q @ ref) >= 0.0 else -q


def _canonical(q: np.ndarray) -> np.ndarray:
    return -q if q[0] < 0.0 else q


def _hamilton(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    aw, av = a[0], a[1:]
    bw, bv = b[0], b[1:]
    return np.concatenate([[aw * bw - av @ bv], aw * bv + bw * av + np.cross(av, bv)])


def _unit(rng: np.random.Generator, size: int) -> np.ndarray:
    v = rng.normal(size=size)
    return v / np.linalg.norm(v)


def quat_lines(rng: np.random.Generator) -> list[str]:
    out: list[str] = []
    tol = 4e-15

    def add(case: str, status: int, t: float, ins: list[float], outs: list[float]) -> None:
        out.append(format_line(case, status, t, ins, outs))

    # textbook: i j = k, j i = -k, i i = -1
    i, j, k = np.eye(4)[1], np.eye(4)[2], np.eye(4)[3]
    add("quat_multiply", 0, 0.0, [*i, *j], [*k])
    add("quat_multiply", 0, 0.0, [*j, *i], [*(-k)])
    add("quat_multiply", 0, 0.0, [*i, *i], [-1.0, 0.0, 0.0, 0.0])
    # products of random unit quaternions: the rotation of scipy's composition, sign of the Hamilton product
    for _ in range(6):
        a, b = _unit(rng, 4), _unit(rng, 4)
        ref = _hamilton(a, b)
        sc = _same_sign(_wxyz(_rot(a) * _rot(b)), ref)
        assert np.allclose(sc, ref, atol=1e-15, rtol=0)
        add("quat_multiply", 0, tol, [*a, *b], [*sc])
    add("quat_multiply", 2, 0.0, [NAN, 0, 0, 0, 1, 0, 0, 0], [NAN] * 4)
    add("quat_multiply", 2, 0.0, [1, 0, 0, 0, 1, 0, INF, 0], [NAN] * 4)

    for _ in range(3):
        q = rng.normal(size=4)
        add("quat_conjugate", 0, 0.0, [*q], [q[0], -q[1], -q[2], -q[3]])
        add("quat_normalize", 0, 2e-16, [*q], [*(q / np.linalg.norm(q))])
    add("quat_conjugate", 2, 0.0, [0, 0, NAN, 0], [NAN] * 4)
    add("quat_normalize", 10, 0.0, [0, 0, 0, 0], [NAN] * 4)
    add("quat_normalize", 10, 0.0, [1e-120, 0, 0, 0], [NAN] * 4)
    add("quat_normalize", 3, 0.0, [1e200, 1e200, 0, 0], [NAN] * 4)
    add("quat_normalize", 2, 0.0, [1, 0, 0, INF], [NAN] * 4)

    # a quarter turn about z: frame b is frame a turned +90 deg about z, so b's x axis is a's y axis
    qz = [math.cos(math.pi / 4), 0.0, 0.0, math.sin(math.pi / 4)]
    add("quat_rotate", 0, 5e-16, [*qz, 1.0, 0.0, 0.0], [0.0, 1.0, 0.0])
    add("quat_to_dcm", 0, 3e-16, qz, [0.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0])
    for _ in range(6):
        q = rng.normal(size=4) * rng.uniform(0.5, 2.0)  # not unit: the core normalises
        v = rng.normal(size=3) * 7.0
        add("quat_rotate", 0, 8e-15, [*q, *v], [*_rot(q).apply(v)])
        add("quat_to_dcm", 0, 2e-15, [*q], [*_rot(q).as_matrix().ravel()])
    q2 = rng.normal(size=(2, 4))
    v2 = rng.normal(size=(2, 3))
    add("quat_rotate_batch", 0, 4e-15, [*q2.ravel(), *v2.ravel()],
        [*np.concatenate([_rot(q2[0]).apply(v2[0]), _rot(q2[1]).apply(v2[1])])])
    add("quat_rotate", 10, 0.0, [0, 0, 0, 0, 1, 2, 3], [NAN] * 3)
    add("quat_rotate", 2, 0.0, [1, 0, 0, 0, 1, NAN, 3], [NAN] * 3)
    add("quat_to_dcm", 10, 0.0, [0, 0, 0, 0], [NAN] * 9)

    # DCM to quaternion: random rotations, and each branch of Shepperd's method (w, x, y, z largest),
    # including half turns about each axis where the trace formula alone would divide by zero
    mats = [Rotation.from_quat(_unit(rng, 4)).as_matrix() for _ in range(4)]
    mats += [Rotation.from_rotvec(math.pi * np.eye(3)[a]).as_matrix() for a in range(3)]
    mats += [Rotation.from_rotvec(0.999 * math.pi * _unit(rng, 3)).as_matrix(), np.eye(3)]
    for m in mats:
        ref = _canonical(_wxyz(Rotation.from_matrix(m)))
        add("quat_from_dcm", 0, 4e-15, [*m.ravel()], [*ref])
    bad = np.eye(3)
    add("quat_from_dcm", 3, 0.0, [*(bad * 1.01).ravel()], [NAN] * 4)  # not orthonormal
    add("quat_from_dcm", 3, 0.0, [*np.diag([1.0, 1.0, -1.0]).ravel()], [NAN] * 4)  # a reflection
    add("quat_from_dcm", 2, 0.0, [1, 0, 0, 0, 1, 0, 0, 0, NAN], [NAN] * 4)

    for _ in range(4):
        axis = rng.normal(size=3) * 3.0
        angle = rng.uniform(-7.0, 7.0)
        u = axis / np.linalg.norm(axis)
        ref = np.concatenate([[math.cos(angle / 2)], math.sin(angle / 2) * u])
        assert np.allclose(np.abs(ref @ _wxyz(Rotation.from_rotvec(angle * u))), 1.0, atol=1e-15)
        add("quat_from_axis_angle", 0, 3e-16, [*axis, angle], [*ref])
    add("quat_from_axis_angle", 10, 0.0, [0, 0, 0, 1.0], [NAN] * 4)
    add("quat_from_axis_angle", 2, 0.0, [1, 0, 0, INF], [NAN] * 4)

    # rotation vectors, from zero through the series threshold (1e-4 rad) to beyond a half turn
    for mag in (0.0, 1e-12, 3e-6, 9.9e-5, 1.01e-4, 0.3, 2.0, 3.1, 5.0):
        rv = mag * _unit(rng, 3)
        ang = float(np.linalg.norm(rv))
        ref = np.concatenate([[math.cos(ang / 2)], (math.sin(ang / 2) / ang if ang else 0.5) * rv])
        assert np.allclose(np.abs(ref @ _wxyz(Rotation.from_rotvec(rv))), 1.0, atol=1e-15)
        add("quat_from_rotvec", 0, 3e-16, [*rv], [*ref])
        if ang < math.pi:  # rotvec of the quaternion gives the same vector back
            add("quat_to_rotvec", 0, 2e-15, [*ref], [*Rotation.from_rotvec(rv).as_rotvec()])
    flipped = _rot(np.array([0.5, -0.5, -0.5, -0.5])).as_rotvec()  # w < 0 is read as its negative
    add("quat_to_rotvec", 0, 2e-15, [-0.5, 0.5, 0.5, 0.5], [*flipped])
    add("quat_from_rotvec", 2, 0.0, [NAN, 0, 0], [NAN] * 4)
    add("quat_from_rotvec", 3, 0.0, [1e200, 1e200, 0], [NAN] * 4)
    add("quat_to_rotvec", 10, 0.0, [0, 0, 0, 0], [NAN] * 3)

    # error: q_target_from_body = q_target_from_eci (x) conj(q_body_from_eci), w >= 0
    for _ in range(5):
        qb, qt = _unit(rng, 4), _unit(rng, 4)
        ref = _canonical(_wxyz(_rot(qt) * _rot(qb).inv()))
        add("quat_error", 0, 4e-15, [*qb, *qt], [*ref])
    add("quat_error", 10, 0.0, [1, 0, 0, 0, 0, 0, 0, 0], [NAN] * 4)

    # propagation: the body turns by dtheta (body axes) relative to ECI, so q_eci_from_body gains a
    # right-multiplied rotation: scipy's R_eci_from_body * R(dtheta), inverted
    for mag in (0.0, 1e-9, 0.01, 1.0):
        q = _unit(rng, 4)
        d = mag * _unit(rng, 3)
        nxt = (_rot(q).inv() * Rotation.from_rotvec(d)).inv()
        ref = _same_sign(_wxyz(nxt), _hamilton(np.concatenate([[math.cos(mag / 2)], -0.5 * d]), q))
        add("quat_propagate", 0, 4e-15, [*q, *d], [*ref])
    add("quat_propagate", 2, 0.0, [1, 0, 0, 0, 0, NAN, 0], [NAN] * 4)

    # slerp at a constant rate: q0 * R(t * rotvec(q0^-1 q1)) on the shorter arc; near 0 and near 180 deg
    for ang, t in ((0.7, 0.25), (1e-10, 0.5), (2.5, 0.8), (math.pi - 1e-9, 0.5), (1.2, 1.5)):
        q0 = _unit(rng, 4)
        rel = Rotation.from_rotvec(ang * _unit(rng, 3))
        q1 = _wxyz(_rot(q0) * rel)
        if rng.uniform() < 0.5:
            q1 = -q1  # the other sign of the same attitude: still the shorter arc
        ref_rot = _rot(q0) * Rotation.from_rotvec(t * rel.as_rotvec())
        ref = _same_sign(_wxyz(ref_rot), q0)
        add("quat_slerp", 0, 4e-15, [*q0, *q1, t], [*ref])
    add("quat_slerp", 2, 0.0, [1, 0, 0, 0, 0, 1, 0, 0, NAN], [NAN] * 4)
    add("quat_slerp", 10, 0.0, [1, 0, 0, 0, 0, 0, 0, 0, 0.5], [NAN] * 4)
    add("quat_slerp", 3, 0.0, [1, 0, 0, 0, 0, 1, 0, 0, 1e308], [NAN] * 4)

    # two axes (TRIAD): scipy's align_vectors with an infinite weight on the primary pair
    for _ in range(4):
        q_true = _unit(rng, 4)
        u_b, v_b = rng.normal(size=3), rng.normal(size=3)
        u_a = _rot(q_true).apply(u_b) * rng.uniform(0.5, 3.0)
        v_a = _rot(q_true).apply(v_b) + 0.3 * rng.normal(size=3)  # not exactly consistent
        est, _ = Rotation.align_vectors([u_a, v_a], [u_b, v_b], weights=[np.inf, 1.0])
        ref = _canonical(_wxyz(est))
        add("quat_from_two_axes", 0, 4e-15, [*u_b, *v_b, *u_a, *v_a], [*ref])
    # burn attitude: +x body along -y ECI (retrograde), +z body towards -x ECI (nadir)
    q_burn = _canonical(_wxyz(Rotation.from_matrix(np.array([[0, 0, -1], [-1, 0, 0], [0, 1, 0.0]]))))
    add("quat_from_two_axes", 0, 4e-16, [1, 0, 0, 0, 0, 1, 0, -1, 0, -1, 0, 0], [*q_burn])
    add("quat_from_two_axes", 10, 0.0, [1, 0, 0, 2, 0, 0, 0, 1, 0, 1, 0, 0], [NAN] * 4)
    add("quat_from_two_axes", 10, 0.0, [1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0], [NAN] * 4)
    add("quat_from_two_axes", 2, 0.0, [1, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, NAN], [NAN] * 4)

    # one IMU interval: the propagation above and the body vector taken to ECI with the mid-interval
    # attitude (scipy); its own generator keeps the other cases' random draws as they were
    rng2 = np.random.default_rng(20261124)
    for mag in (0.0, 1e-4, 0.3):
        q = _unit(rng2, 4)
        d = mag * _unit(rng2, 3)
        v = rng2.normal(size=3)
        nxt = (_rot(q).inv() * Rotation.from_rotvec(d)).inv()
        ref = _same_sign(_wxyz(nxt), _hamilton(np.concatenate([[math.cos(mag / 2)], -0.5 * d]), q))
        mid = (_rot(q).inv() * Rotation.from_rotvec(0.5 * d)).inv()
        add("quat_imu_step", 0, 4e-15, [*q, *d, *v], [*ref, *mid.inv().apply(v)])
    add("quat_imu_step", 2, 0.0, [1, 0, 0, 0, 0, 0, 0, 0, NAN, 0], [NAN] * 7)
    add("quat_imu_step", 10, 0.0, [0, 0, 0, 0, 0, 0, 0, 1, 0, 0], [NAN] * 7)

    add("quat_bad_arguments", 0, 0.0, [1, 1, 0, 0, 0], [0, 13])
    add("quat_bad_arguments", 0, 0.0, [0, NAN, 0, 0, 0], [0, 13])  # n = 0 reads nothing
    add("quat_bad_arguments", 0, 0.0, [-1, 1, 0, 0, 0], [3, 13])
    return out


def _pd_expected(kp: np.ndarray, kd: np.ndarray, rate: float, lim: np.ndarray, qb: np.ndarray,
                 qt: np.ndarray, w: np.ndarray, wr: np.ndarray) -> np.ndarray:
    e = (_rot(qt) * _rot(qb).inv()).as_rotvec()
    corr = -(kp / kd) * e
    if np.linalg.norm(corr) > rate:
        corr *= rate / np.linalg.norm(corr)
    tau = kd * (wr + corr - w)
    s = min(1.0, float(np.min(lim / np.abs(tau))))
    return s * tau


def control_lines(rng: np.random.Generator) -> list[str]:
    out: list[str] = []

    def add(case: str, status: int, t: float, ins: list[float], outs: list[float]) -> None:
        out.append(format_line(case, status, t, ins, outs))

    kp = np.array([3.2e5, 2.7e5, 5.0e5])
    kd = np.array([1.2e7, 1.0e7, 1.9e7])
    big = np.full(3, 1e9)
    # small errors: tau = -kp e - kd (w - w_ref), no limit active
    for _ in range(3):
        qt = _unit(rng, 4)
        qb = _wxyz(Rotation.from_rotvec(0.01 * _unit(rng, 3)) * _rot(qt))
        w = 1e-4 * rng.normal(size=3)
        wr = 1e-4 * rng.normal(size=3)
        e = (_rot(qt) * _rot(qb).inv()).as_rotvec()
        ref = -kp * e - kd * (w - wr)
        assert np.allclose(ref, _pd_expected(kp, kd, 1.0, big, qb, qt, w, wr), rtol=0, atol=1e-9)
        add("ctl_pd_torque", 0, 1e-7, [*kp, *kd, 1.0, *big, *qb, *qt, *w, *wr], [*ref])
    # a large error at rest: the corrective rate is capped at the rate limit
    rate = math.radians(0.3)
    for _ in range(2):
        qt = _unit(rng, 4)
        qb = _wxyz(Rotation.from_rotvec(math.radians(90.0) * _unit(rng, 3)) * _rot(qt))
        z = np.zeros(3)
        ref = _pd_expected(kp, kd, rate, big, qb, qt, z, z)
        corr = ref / kd
        assert abs(np.linalg.norm(corr) - rate) < 1e-15
        add("ctl_pd_torque", 0, 1e-7, [*kp, *kd, rate, *big, *qb, *qt, *z, *z], [*ref])
    # the torque limit scales the whole vector so the worst axis sits on its limit
    lim = np.array([8.0e4, 6.0e4, 9.0e4])
    for _ in range(2):
        qt = _unit(rng, 4)
        qb = _wxyz(Rotation.from_rotvec(1.0 * _unit(rng, 3)) * _rot(qt))
        w = 0.01 * rng.normal(size=3)
        z = np.zeros(3)
        ref = _pd_expected(kp, kd, rate, lim, qb, qt, w, z)
        assert np.any(np.isclose(np.abs(ref), lim, rtol=1e-14))
        add("ctl_pd_torque", 0, 1e-7, [*kp, *kd, rate, *lim, *qb, *qt, *w, *z], [*ref])
    ok = [*kp, *kd, rate, *lim, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    for idx, val, status in ((0, NAN, 2), (4, 0.0, 3), (6, -1.0, 3), (8, 0.0, 3), (19, INF, 2), (23, NAN, 2)):
        bad = list(ok)
        bad[idx] = val
        add("ctl_pd_torque", status, 0.0, bad, [NAN] * 3)
    bad = list(ok)
    bad[10:14] = [0, 0, 0, 0]
    add("ctl_pd_torque", 10, 0.0, bad, [NAN] * 3)

    def layout_in(r: np.ndarray, d: np.ndarray, f: np.ndarray) -> list[float]:
        vals: list[float] = [float(len(f))]
        for k in range(len(f)):
            vals += [*r[k], *d[k], f[k]]
        return vals

    def effect(r: np.ndarray, d: np.ndarray, f: np.ndarray) -> np.ndarray:
        force = d * f[:, None]
        return np.vstack([np.cross(r, force).T, force.T])

    # six thrusters with a square, well-conditioned effectiveness: the exact on-times are unique
    for _ in range(2):
        while True:
            r = rng.uniform(-3.0, 3.0, size=(6, 3))
            d = np.array([_unit(rng, 3) for _ in range(6)])
            f = rng.uniform(50.0, 200.0, size=6)
            a = effect(r, d, f)
            if np.linalg.cond(a) < 30.0:
                break
        cycle = 0.5
        u = rng.uniform(0.2, 0.8, size=6)
        cmd = a @ u
        add("ctl_allocate", 0, 1e-7, [*layout_in(r, d, f), cycle, 0.0, 1.0, 0.0, 1e-14, 100000, *cmd],
            [*cmd, 0.0, *(u * cycle)])
    # one thruster (torque about x and force along z, 10 N m and 10 N when on), cycle 1 s, minimum 0.2 s:
    # a 0.15 s pulse is rounded up to 0.2 s, a 0.05 s pulse dropped, a 1.5 s request saturates at 1 s
    one = layout_in(np.array([[0.0, 1.0, 0.0]]), np.array([[0.0, 0.0, 1.0]]), np.array([10.0]))
    for want, got in ((0.15, 0.2), (0.05, 0.0), (0.4, 0.4), (1.5, 1.0)):
        cmd1 = [10.0 * want, 0.0, 0.0, 0.0, 0.0, 10.0 * want]
        add("ctl_allocate", 0, 1e-9, [*one, 1.0, 0.2, 1.0, 0.0, 1e-14, 1000, *cmd1],
            [10.0 * got, 0, 0, 0, 0, 10.0 * got, 0.0, got])
    # with force_weight_m = 0 only the torque counts: a force request along y is ignored, 0.3 s
    add("ctl_allocate", 0, 1e-9, [*one, 1.0, 0.0, 0.0, 0.0, 1e-14, 1000, 3.0, 0, 0, 0, 50.0, 0],
        [3.0, 0, 0, 0, 0, 3.0, 0.0, 0.3])
    # the stack: 16 attitude Dracos at the extremities and 30 deorbit Dracos (as default_stack_layout)
    r46, d46 = [], []
    for y in (54.0, -54.0):
        for dd in ((0, 0, 1), (0, 0, -1), (1, 0, 0), (-1, 0, 0)):
            r46.append((0.0, y, 0.0))
            d46.append(dd)
    for x in (33.0, -45.0):
        for dd in ((0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)):
            r46.append((x, 0.0, 0.0))
            d46.append(dd)
    for kk in range(30):
        phi = 2 * math.pi * kk / 30
        r46.append((-48.0, 1.6 * math.cos(phi), 1.6 * math.sin(phi)))
        d46.append((1, 0, 0))
    r46a, d46a, f46 = np.array(r46), np.array(d46, dtype=float), np.full(46, 400.0)
    a46 = effect(r46a, d46a, f46)
    for _ in range(3):
        u = np.where(rng.uniform(size=46) < 0.4, rng.uniform(0.1, 0.9, size=46), 0.0)
        cmd = a46 @ u
        add("ctl_allocate", 0, 1e-3, [*layout_in(r46a, d46a, f46), 0.1, 0.0, 10.0, 0.0, 1e-13, 100000, *cmd],
            [*cmd, 0.0])
    base = [*one, 1.0, 0.2, 1.0, 0.0, 1e-12, 100, 1, 0, 0, 0, 0, 0]
    for idx, val, status in ((6, 0.5, 10), (7, 0.0, 3), (7, NAN, 2), (8, 0.0, 3), (9, 2.0, 3), (10, -1.0, 3),
                             (11, -1.0, 3), (12, 0.0, 3), (12, 1.0, 3), (13, 0, 3), (13, 200000, 3),
                             (14, NAN, 2), (19, INF, 2)):
        bad = list(base)
        bad[idx] = val
        add("ctl_allocate", status, 0.0, bad, [NAN] * 8)
    # a command a million times beyond the layout's output (10 N m for this thruster) is rejected
    bad = list(base)
    bad[14] = 2e7
    add("ctl_allocate", 3, 0.0, bad, [NAN] * 8)
    bad[14] = 1e7  # within the bound: saturates at full on
    add("ctl_allocate", 0, 1e-9, bad, [10.0, 0, 0, 0, 0, 10.0, 0.0, 1.0])
    for count in (0, 65):
        cfg_cmd = [1.0, 0.2, 1.0, 0.0, 1e-12, 100, 1, 0, 0, 0, 0, 0]
        add("ctl_allocate", 3, 0.0, [float(count), *cfg_cmd], [NAN] * 7)
    add("ctl_null_arguments", 0, 0.0, [], [4])

    # the retrograde target: +x along -v, +z towards nadir (-r) as near as allowed, from scipy's rotation of
    # the DCM whose rows are those axes, and the orbit rate (r x v) / |r|^2 in target axes
    def target(r: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, Rotation]:
        x = -v / np.linalg.norm(v)
        n = -r / np.linalg.norm(r)
        z = n - (n @ x) * x
        z /= np.linalg.norm(z)
        dcm = np.vstack([x, np.cross(z, x), z])
        rot = Rotation.from_matrix(dcm)
        return _canonical(_wxyz(rot)), dcm @ (np.cross(r, v) / (r @ r)), rot

    for _ in range(3):
        r = 6.6e6 * _unit(rng, 3)
        v = 7.6e3 * _unit(rng, 3)
        qt, wt, _ = target(r, v)
        add("ctl_retrograde_target", 0, 1e-14, [*r, *v], [*qt, *wt])
    r0, v0 = [6.8e6, 0.0, 0.0], [0.0, 7.6e3, 0.0]
    for bad_r, bad_v, status in ((r0, [0.0, 0.0, 0.0], 10), ([0.0, 0.0, 0.0], v0, 10),
                                 (r0, [1.0, 0.0, 0.0], 10), ([NAN, 0.0, 0.0], v0, 2),
                                 (r0, [0.0, INF, 0.0], 2)):
        add("ctl_retrograde_target", status, 0.0, [*bad_r, *bad_v], [NAN] * 7)
    # one control cycle: the target above, the errors (scipy), the target rate in body axes and the PD
    # closed form with it as the reference rate; the adapter allocates over one thruster
    for control in (0.0, 1.0):
        for _ in range(2):
            r = 6.6e6 * _unit(rng, 3)
            v = 7.6e3 * _unit(rng, 3)
            qt, wt, rot_t = target(r, v)
            qb = _wxyz(Rotation.from_rotvec(0.05 * _unit(rng, 3)) * rot_t)
            w = 1e-3 * rng.normal(size=3)
            rot_b = _rot(qb)
            err = rot_t * rot_b.inv()
            e = err.as_rotvec()
            x_body = rot_b.inv().apply([1.0, 0.0, 0.0])
            x_t = -v / np.linalg.norm(v)
            axis = math.atan2(float(np.linalg.norm(np.cross(x_body, x_t))), float(x_body @ x_t))
            w_ref = err.inv().apply(wt)
            tau = _pd_expected(kp, kd, rate, lim, qb, qt, w, w_ref) if control else np.zeros(3)
            add("ctl_attitude_step", 0, 1e-9, [*kp, *kd, rate, *lim, control, *qb, *w, *r, *v],
                [*qt, *wt, *w_ref, float(np.linalg.norm(e)), axis, *tau])
    good = [*kp, *kd, rate, *lim, 1.0, 1, 0, 0, 0, 0, 0, 0, *r0, *v0]
    for idx, val, status in ((10, 2.0, 3), (11, NAN, 2), (11, 0.0, 10), (15, INF, 2), (18, NAN, 2)):
        bad = list(good)
        bad[idx] = val
        if idx == 11 and val == 0.0:
            bad[11:15] = [0.0, 0.0, 0.0, 0.0]
        add("ctl_attitude_step", status, 0.0, bad, [NAN] * 15)
    return out


def main() -> None:
    rng = np.random.default_rng(20261123)
    ver = scipy.__version__
    write_vectors(HERE / "quat.vec", [
        f"provenance: scipy.spatial.transform.Rotation (scipy {ver}, scalar-last, sign fixed by the",
        "Hamilton definition), the closed forms i j = k and a quarter turn about z, and the rotation-vector",
        "formula q = [cos(a/2), sin(a/2) u]; written by tests/vectors/gen_attitude.py (seed 20261123).",
        "case status tol : inputs : outputs; quaternions [w, x, y, z];",
        "status 2 NaN/inf, 3 range, 10 degenerate",
    ], quat_lines(rng))
    write_vectors(HERE / "control.vec", [
        "provenance: the PD law's closed form (csrc/fb_control.h) with attitude errors from",
        f"scipy.spatial.transform.Rotation (scipy {ver}); allocations exact by construction (commands made",
        "from known on-times; the one-thruster rounding cases by the rounding rule of fb_control.h);",
        "written by tests/vectors/gen_attitude.py (seed 20261123).",
        "ctl_allocate outputs: torque_nm[3] force_n[3] count_of_bad_on_times [on_time_s...]",
        "ctl_retrograde_target: r[3] v[3] : q_target_from_eci[4] omega_target_rps[3]",
        "ctl_attitude_step: kp[3] kd[3] rate_limit torque_limit[3] control q[4] omega[3] r[3] v[3] :",
        "q_target[4] omega_target[3] omega_ref_body[3] attitude_error axis_error torque[3]",
    ], control_lines(rng))


if __name__ == "__main__":
    main()
