"""Pure numpy reference of the attitude area of the C core (csrc/fb_quat.c, csrc/fb_control.c).

Same conventions as firmware_bindings.attitude (scalar-first Hamilton quaternions, q_a_from_b takes frame b
components to frame a). Where a routine has a second textbook method, the oracle uses it so that it is not a
transliteration of the C: quaternion from DCM by Bar-Itzhack's eigenvector method rather than Shepperd's
branches, slerp by the sine-weighted formula rather than the exponential map. The allocator mirrors the C
algorithm (its result is checked against scipy's bounded least squares in the tests).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


def _q(q: npt.ArrayLike) -> F64:
    return np.asarray(q, dtype=np.float64)


def quat_multiply(a: npt.ArrayLike, b: npt.ArrayLike) -> F64:
    a, b = _q(a), _q(b)
    aw, ax, ay, az = np.moveaxis(a, -1, 0)
    bw, bx, by, bz = np.moveaxis(b, -1, 0)
    return np.stack([
        aw * bw - ax * bx - ay * by - az * bz,
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
    ], axis=-1)


def quat_conjugate(q: npt.ArrayLike) -> F64:
    return _q(q) * np.array([1.0, -1.0, -1.0, -1.0])


def quat_normalize(q: npt.ArrayLike) -> F64:
    q = _q(q)
    return q / np.linalg.norm(q, axis=-1, keepdims=True)


def canonical(q: npt.ArrayLike) -> F64:
    """The representative with w >= 0."""
    q = _q(q)
    return np.where(q[..., :1] < 0.0, -q, q)


def dcm_from_quat(q: npt.ArrayLike) -> F64:
    w, x, y, z = np.moveaxis(quat_normalize(q), -1, 0)
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], axis=-1),
        np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], axis=-1),
        np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], axis=-1),
    ], axis=-2)


def quat_rotate(q_a_from_b: npt.ArrayLike, v_b: npt.ArrayLike) -> F64:
    return np.einsum("...ij,...j->...i", dcm_from_quat(q_a_from_b), _q(v_b))


def quat_from_dcm(dcm: npt.ArrayLike) -> F64:
    """Bar-Itzhack (2000): the eigenvector of the largest eigenvalue of a symmetric 4x4 matrix of M."""
    m = _q(dcm)
    m00, m01, m02 = m[..., 0, 0], m[..., 0, 1], m[..., 0, 2]
    m10, m11, m12 = m[..., 1, 0], m[..., 1, 1], m[..., 1, 2]
    m20, m21, m22 = m[..., 2, 0], m[..., 2, 1], m[..., 2, 2]
    k = np.stack([
        np.stack([m00 + m11 + m22, m21 - m12, m02 - m20, m10 - m01], axis=-1),
        np.stack([m21 - m12, m00 - m11 - m22, m01 + m10, m02 + m20], axis=-1),
        np.stack([m02 - m20, m01 + m10, m11 - m00 - m22, m12 + m21], axis=-1),
        np.stack([m10 - m01, m02 + m20, m12 + m21, m22 - m00 - m11], axis=-1),
    ], axis=-2) / 3.0
    _, vecs = np.linalg.eigh(k)
    return canonical(vecs[..., :, -1])


def quat_from_axis_angle(axis: npt.ArrayLike, angle_rad: npt.ArrayLike) -> F64:
    axis = _q(axis)
    u = axis / np.linalg.norm(axis, axis=-1, keepdims=True)
    h = 0.5 * np.asarray(angle_rad, dtype=np.float64)[..., None]
    return np.concatenate([np.cos(h), np.sin(h) * u], axis=-1)


def quat_from_rotvec(rv: npt.ArrayLike) -> F64:
    rv = _q(rv)
    angle = np.linalg.norm(rv, axis=-1, keepdims=True)
    k = 0.5 * np.sinc(angle / (2.0 * np.pi))  # sin(angle/2)/angle, exact at 0
    return np.concatenate([np.cos(0.5 * angle), k * rv], axis=-1)


def rotvec_from_quat(q: npt.ArrayLike) -> F64:
    q = canonical(quat_normalize(q))
    s = np.linalg.norm(q[..., 1:], axis=-1, keepdims=True)
    angle = 2.0 * np.arctan2(s, q[..., :1])
    with np.errstate(invalid="ignore", divide="ignore"):
        k = np.where(s > 1e-300, angle / np.where(s > 1e-300, s, 1.0), 2.0)
    return k * q[..., 1:]


def quat_error(q_body_from_eci: npt.ArrayLike, q_target_from_eci: npt.ArrayLike) -> F64:
    """q_target_from_body, w >= 0."""
    e = quat_multiply(quat_normalize(q_target_from_eci), quat_conjugate(quat_normalize(q_body_from_eci)))
    return canonical(quat_normalize(e))


def quat_propagate(q_body_from_eci: npt.ArrayLike, dtheta_body_rad: npt.ArrayLike) -> F64:
    step = quat_from_rotvec(-_q(dtheta_body_rad))
    return quat_normalize(quat_multiply(step, quat_normalize(q_body_from_eci)))


def quat_imu_step(q_body_from_eci: npt.ArrayLike, dtheta_body_rad: npt.ArrayLike,
                  v_body: npt.ArrayLike) -> tuple[F64, F64]:
    """fb_quat_imu_step: the propagated attitude and v_body in ECI with the mid-interval attitude."""
    q_mid = quat_propagate(q_body_from_eci, 0.5 * _q(dtheta_body_rad))
    return quat_propagate(q_body_from_eci, dtheta_body_rad), quat_rotate(quat_conjugate(q_mid), v_body)


def quat_slerp(q0: npt.ArrayLike, q1: npt.ArrayLike, t: npt.ArrayLike) -> F64:
    """Sine-weighted slerp on the shorter arc (Shoemake 1985), linear blend when the arc is tiny."""
    a, b = quat_normalize(q0), quat_normalize(q1)
    t = np.asarray(t, dtype=np.float64)[..., None]
    dot = np.sum(a * b, axis=-1, keepdims=True)
    b = np.where(dot < 0.0, -b, b)
    dot = np.abs(dot)
    omega = np.arccos(np.clip(dot, -1.0, 1.0))
    so = np.sin(omega)
    small = so < 1e-9
    safe = np.where(small, 1.0, so)
    wa = np.where(small, 1.0 - t, np.sin((1.0 - t) * omega) / safe)
    wb = np.where(small, t, np.sin(t * omega) / safe)
    return quat_normalize(wa * a + wb * b)


def quat_from_two_axes(u_b: npt.ArrayLike, v_b: npt.ArrayLike, u_a: npt.ArrayLike,
                       v_a: npt.ArrayLike) -> F64:
    """TRIAD (Black 1964): q_a_from_b from the triads of a primary and a secondary direction in each frame."""
    def triad(u_in: npt.ArrayLike, v_in: npt.ArrayLike) -> F64:
        u, v = _q(u_in), _q(v_in)
        t1 = u / np.linalg.norm(u, axis=-1, keepdims=True)
        c = np.cross(u, v)
        t2 = c / np.linalg.norm(c, axis=-1, keepdims=True)
        return np.stack([t1, t2, np.cross(t1, t2)], axis=-1)

    m = triad(u_a, v_a) @ np.swapaxes(triad(u_b, v_b), -1, -2)
    return quat_from_dcm(m)


def angle_between(q0: npt.ArrayLike, q1: npt.ArrayLike) -> F64:
    """Rotation angle (rad, in [0, pi]) from q0 to q1."""
    d = np.abs(np.sum(quat_normalize(q0) * quat_normalize(q1), axis=-1))
    return 2.0 * np.arccos(np.clip(d, 0.0, 1.0))


# ---- control ----

def pd_torque(kp: npt.ArrayLike, kd: npt.ArrayLike, rate_limit_rps: float, torque_limit_nm: npt.ArrayLike,
              q_body_from_eci: npt.ArrayLike, q_target_from_eci: npt.ArrayLike, omega_body_rps: npt.ArrayLike,
              omega_ref_body_rps: npt.ArrayLike = (0.0, 0.0, 0.0)) -> F64:
    kp_a, kd_a, lim = (np.broadcast_to(_q(x), (3,)) for x in (kp, kd, torque_limit_nm))
    e = rotvec_from_quat(quat_error(q_body_from_eci, q_target_from_eci))
    w_corr = -(kp_a / kd_a) * e
    wn = np.linalg.norm(w_corr)
    if wn > rate_limit_rps:
        w_corr = w_corr * (rate_limit_rps / wn)
    tau = kd_a * (_q(omega_ref_body_rps) + w_corr - _q(omega_body_rps))
    over = np.abs(tau) / lim
    s = 1.0 / over.max() if over.max() > 1.0 else 1.0
    return np.clip(s * tau, -lim, lim)


def retrograde_target(r_eci_m: npt.ArrayLike, v_eci_mps: npt.ArrayLike) -> tuple[F64, F64]:
    """fb_ctl_retrograde_target: +x along -v, +z towards nadir as near as allowed; the orbit rate
    (r x v) / |r|^2 in target axes."""
    r, v = _q(r_eci_m), _q(v_eci_mps)
    x = -v / np.linalg.norm(v)
    n = -r / np.linalg.norm(r)
    z = n - (n @ x) * x
    z = z / np.linalg.norm(z)
    dcm = np.vstack([x, np.cross(z, x), z])
    return quat_from_dcm(dcm), dcm @ (np.cross(r, v) / (r @ r))


@dataclass(frozen=True)
class StepErrors:
    q_target_from_eci: F64
    omega_target_rps: F64
    omega_ref_body_rps: F64
    attitude_error_rad: float
    thrust_axis_error_rad: float


def attitude_step_errors(q_body_from_eci: npt.ArrayLike, r_eci_m: npt.ArrayLike,
                         v_eci_mps: npt.ArrayLike) -> StepErrors:
    """The target and error part of fb_ctl_attitude_step (its torque is pd_torque with omega_ref_body_rps
    as the reference rate, its on-times the allocation of that torque)."""
    qt, wt = retrograde_target(r_eci_m, v_eci_mps)
    qe = quat_error(q_body_from_eci, qt)
    e = rotvec_from_quat(qe)
    x_body = quat_rotate(quat_conjugate(q_body_from_eci), [1.0, 0.0, 0.0])
    x_t = -_q(v_eci_mps) / np.linalg.norm(_q(v_eci_mps))
    axis = float(np.arctan2(np.linalg.norm(np.cross(x_body, x_t)), x_body @ x_t))
    w_ref = quat_rotate(quat_conjugate(qe), wt)
    return StepErrors(qt, wt, w_ref, float(np.linalg.norm(e)), axis)


@dataclass(frozen=True)
class Allocation:
    on_time_s: F64
    torque_body_nm: F64
    force_body_n: F64


def effectiveness(r_body_m: npt.ArrayLike, dir_body: npt.ArrayLike, thrust_n: npt.ArrayLike) -> F64:
    """6 x n: on-fraction to cycle-average [torque_nm; force_n]."""
    f = _q(dir_body) * _q(thrust_n)[:, None]
    return np.vstack([np.cross(_q(r_body_m), f).T, f.T])


def _fista(a: F64, b: F64, reg: float, lo: F64, hi: F64, u0: F64, tol: float, max_iter: int) -> F64:
    lam = float(np.linalg.eigvalsh(a @ a.T).max())
    lip = 2.0 * (lam + reg)
    lip = lip if lip > 0 else 1.0
    out_tol = tol * np.sqrt(max(lam, 0.0))
    x = np.clip(u0, lo, hi)
    y = x.copy()
    t = 1.0
    for _ in range(max_iter):
        g = 2.0 * (a.T @ (a @ y - b) + reg * y)
        p = np.clip(y - g / lip, lo, hi)
        if np.linalg.norm(a @ (p - y)) <= out_tol:
            return p
        restart = float((y - p) @ (p - x)) > 0.0
        t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        beta = 0.0 if restart else (t - 1.0) / t_next
        if restart:
            t_next = 0.5 * (1.0 + np.sqrt(5.0))
        y = np.clip(p + beta * (p - x), lo, hi)
        x = p
        t = t_next
    return x


def _exact(a: F64, b: F64, reg: float, lo: F64, hi: F64) -> F64:
    """The unique minimiser of |a u - b|^2 + reg |u|^2 (reg > 0) over the box: scipy's bounded-variable
    least squares on the stacked system [a; sqrt(reg) I] u = [b; 0] (thrusters with lo == hi held there),
    then finished by a primal active-set method (Lawson-Hanson style, each free set solved by numpy's
    least squares) until the optimality conditions hold: bvls stops at a tolerance and can end on a
    neighbouring active set of a nearly flat problem. Free values within 1e-12 of a bound are put on it,
    as the C core does (rounding noise, not pulses)."""
    from scipy.optimize import lsq_linear

    u = lo.copy()
    var = hi > lo
    nf = int(var.sum())
    if not nf:
        return u
    lo_f, hi_f = lo[var], hi[var]
    r = b - a[:, ~var] @ lo[~var]
    m = np.vstack([a[:, var], np.sqrt(reg) * np.eye(nf)])
    rhs = np.concatenate([r, np.zeros(nf)])
    sol = lsq_linear(m, rhs, bounds=(lo_f, hi_f), method="bvls", tol=1e-15)
    x = np.clip(sol.x, lo_f, hi_f)
    free = (x > lo_f + 1e-12) & (x < hi_f - 1e-12)
    x = np.where(free, x, np.where(x <= lo_f + 1e-12, lo_f, hi_f))
    g_tol = 1e-12 * (1.0 + float(np.abs(m).max()) ** 2)
    for _ in range(10 * nf + 20):
        if free.any():
            xi = np.linalg.lstsq(m[:, free], rhs - m[:, ~free] @ x[~free], rcond=None)[0]
            cur = x[free]
            inside = (xi >= lo_f[free]) & (xi <= hi_f[free])
            if not inside.all():
                # step towards xi until the first free value meets its bound; that one leaves the free set
                step = xi - cur
                lim = np.where(step < 0, (lo_f[free] - cur) / np.where(step < 0, step, 1.0),
                               np.where(step > 0, (hi_f[free] - cur) / np.where(step > 0, step, 1.0), 1.0))
                alpha = float(np.clip(lim.min(), 0.0, 1.0))
                x[free] = np.clip(cur + alpha * step, lo_f[free], hi_f[free])
                idx = np.flatnonzero(free)
                hit = idx[np.argmin(lim)]
                x[hit] = lo_f[hit] if step[np.argmin(lim)] < 0 else hi_f[hit]
                free[hit] = False
                continue
            x[free] = xi
        g = m.T @ (m @ x - rhs)
        wrong = np.where(~free & (x <= lo_f) & (g < -g_tol), -g, 0.0)
        wrong = np.maximum(wrong, np.where(~free & (x >= hi_f) & (g > g_tol), g, 0.0))
        if not np.any(wrong > 0.0):
            break
        free[int(np.argmax(wrong))] = True
    x = np.where(x <= lo_f + 1e-12, lo_f, np.where(x >= hi_f - 1e-12, hi_f, x))
    u[var] = x
    return u


def _solve(a: F64, b: F64, reg: float, lo: F64, hi: F64, u0: F64, tol: float, max_iter: int) -> F64:
    """Each solve of fb_control.h: exact for reg > 0, projected gradient otherwise."""
    if reg > 0.0:
        return _exact(a, b, reg, lo, hi)
    return _fista(a, b, reg, lo, hi, u0, tol, max_iter)


def allocate(r_body_m: npt.ArrayLike, dir_body: npt.ArrayLike, thrust_n: npt.ArrayLike, cycle_s: float,
             min_on_s: float, force_weight_m: float, reg_nm2: float, torque_cmd_body_nm: npt.ArrayLike,
             force_cmd_body_n: npt.ArrayLike, tol: float = 1e-10, max_iter: int = 3000) -> Allocation:
    """The allocator of fb_control.h: bounded least squares, then minimum on-time rounding, one at a time."""
    e = effectiveness(r_body_m, dir_body, thrust_n)
    w = np.array([1.0, 1.0, 1.0, force_weight_m, force_weight_m, force_weight_m])
    a = e * w[:, None]
    b = np.concatenate([_q(torque_cmd_body_nm), _q(force_cmd_body_n)]) * w
    n = a.shape[1]
    lo, hi = np.zeros(n), np.ones(n)
    u = _solve(a, b, reg_nm2, lo, hi, np.zeros(n), tol, max_iter)
    umin = min_on_s / cycle_s
    passes = 0
    if umin > 0.0:
        for _ in range(n):
            free = hi > lo
            short = free & (u > 0.0) & (u < umin)
            if not short.any():
                break
            k = int(np.argmax(np.where(short, u, -1.0)))
            k = int(np.flatnonzero(short & (u >= u[k] - 1e-12))[0])  # equal pulses: the first
            r = a @ u - b
            uk = float(u[k])

            def cost(c: float, col: F64 = a[:, k], r: F64 = r, uk: float = uk) -> float:
                rr = r + col * (c - uk)
                return float(rr @ rr + reg_nm2 * (c * c - uk * uk))

            if cost(umin) <= cost(0.0):
                lo[k] = hi[k] = umin
            else:
                lo[k] = hi[k] = 0.0
            u = _solve(a, b, reg_nm2, lo, hi, u, max(tol, 1e-8), max_iter)
            passes += 1
        if passes:
            u = _solve(a, b, reg_nm2, lo, hi, u, tol, max_iter)
            r = a @ u - b
            if float(r @ r) > float(b @ b):  # rounding left it worse than firing nothing
                u = np.zeros(n)
    t = np.where(u <= 0.0, 0.0, np.clip(u * cycle_s, min_on_s, cycle_s))
    achieved = e @ (t / cycle_s)
    return Allocation(on_time_s=t, torque_body_nm=achieved[:3], force_body_n=achieved[3:])
