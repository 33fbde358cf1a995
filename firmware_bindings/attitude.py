"""Attitude: quaternions and kinematics, the attitude control law and thruster allocation (C core).

Convention (the project's only one; the same words head ``csrc/fb_quat.h``):

- A quaternion is ``[w, x, y, z]``, scalar first, multiplied as Hamilton quaternions (``i j = k``).
- ``q_a_from_b`` takes components in frame b to components in frame a:
  ``[0, v_a] = q_a_from_b (x) [0, v_b] (x) conj(q_a_from_b)``; frames chain as
  ``q_a_from_c = q_a_from_b (x) q_b_from_c``.
- ``dcm_a_from_b`` is the row-major 3x3 matrix with ``v_a = dcm_a_from_b @ v_b``. It equals
  ``scipy.spatial.transform.Rotation.from_quat([x, y, z, w]).as_matrix()`` (scipy is scalar-last).
- A rotation vector ``rv`` (rad) gives ``[cos(|rv|/2), sin(|rv|/2) rv/|rv|]``: frame b is frame a turned
  right-handedly by ``|rv|`` about ``rv``.
- ``omega_body_rps`` is the rate of the body relative to inertial (ECI), in body components. A body
  delta-angle ``dtheta_body_rad`` (``omega_body_rps * dt_s`` for a constant rate) advances the attitude as
  ``q_body_from_eci(t + dt) = quat_from_rotvec(-dtheta_body_rad) (x) q_body_from_eci(t)``
  (exact for a constant rate; :func:`quat_propagate`).
- The attitude error is ``q_target_from_body = q_target_from_eci (x) conj(q_body_from_eci)`` with
  ``w >= 0``; its rotation vector ``e`` says the body is the target frame turned by ``e``.

Body axes of the deorbit stack (:func:`default_stack_layout`): +x body is the deorbit thrust axis (the 30
deorbit Dracos sit at the aft, -x, end and push along +x), +y along the truss towards its starboard tip,
+z completing the right-handed triad. The attitude control law and the allocator are described in
``csrc/fb_control.h``; in short, the PD torque is rate-limited (corrective rate norm at most
``rate_limit_rps``) and torque-limited per axis by scaling the whole vector; the allocator solves a
bounded least-squares problem for the on-times, then ROUNDS pulses shorter than ``min_on_s`` (never drops
them blindly): one at a time, longest first, each to whichever of 0 and ``min_on_s`` leaves the smaller
residual, re-solving for the other thrusters after each decision. For attitude control use the 16
attitude thrusters (``layout.subset(layout.indices("ATT-"))``); the deorbit ring is for the burns.

Every function accepts any leading shape where that is natural (broadcasting like numpy), works in SI
units, and raises a :class:`firmware_bindings.CoreError` subclass when the core rejects its input (NaN or
infinity: ``InvalidInputError`` with FB_E_NONFINITE).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from firmware_bindings._arrays import as_f64, dptr, dptr_out
from firmware_bindings._core import ffi, lib
from firmware_bindings._status import ensure

F64Array = npt.NDArray[np.float64]

MAX_THRUSTERS: int = int(lib.FB_CTL_MAX_THRUSTERS)
_INT_MAX = 2**31 - 1

__all__ = [
    "MAX_THRUSTERS",
    "AllocationResult",
    "AllocatorConfig",
    "AllocatorWarmStart",
    "AttitudeStep",
    "AttitudeStepResult",
    "PdGains",
    "ThrusterLayout",
    "allocate_thrusters",
    "attitude_error_rad",
    "dcm_from_quat",
    "default_stack_inertia_kg_m2",
    "default_stack_layout",
    "pd_torque",
    "quat_conjugate",
    "quat_error",
    "quat_from_axis_angle",
    "quat_from_dcm",
    "quat_from_rotvec",
    "quat_from_two_axes",
    "quat_imu_step",
    "quat_multiply",
    "quat_normalize",
    "quat_propagate",
    "quat_rotate",
    "quat_slerp",
    "retrograde_target",
    "rotvec_from_quat",
]


# ---- thin binding: broadcast, check shapes, call the core once over all elements ----

def _buf(a: F64Array, writable: bool = False) -> Any:
    return dptr_out(a) if writable else dptr(a)


def _broadcast(args: list[tuple[Any, tuple[int, ...], str]]) -> tuple[tuple[int, ...], list[F64Array]]:
    """Arrays with their element shapes, broadcast over a common leading shape, made contiguous float64."""
    arrays: list[F64Array] = []
    leads: list[tuple[int, ...]] = []
    for x, tail, name in args:
        a = as_f64(x, tail, name)
        if not tail and a.shape == (1,) and np.ndim(x) == 0:  # ascontiguousarray makes a scalar 1-d
            a = a.reshape(())
        arrays.append(a)
        leads.append(a.shape[: a.ndim - len(tail)])
    if all(lead == leads[0] for lead in leads):
        return leads[0], arrays
    try:
        lead = np.broadcast_shapes(*leads)
    except ValueError:
        names = ", ".join(f"{name} {a.shape}" for a, (_, _, name) in zip(arrays, args, strict=True))
        raise ValueError(f"leading shapes do not broadcast: {names}") from None
    out = [
        np.ascontiguousarray(np.broadcast_to(a, lead + tail))
        for a, (_, tail, _) in zip(arrays, args, strict=True)
    ]
    return lead, out


def _count(lead: tuple[int, ...]) -> int:
    n = 1
    for d in lead:
        n *= d
    if n > _INT_MAX:
        raise ValueError(f"too many elements for one call: {n}")
    return n


def _single(args: list[tuple[Any, tuple[int, ...], str]]) -> bool:
    """Every argument already one element: a float64 C-contiguous array of exactly its element shape."""
    for x, tail, _ in args:
        if type(x) is not np.ndarray or x.shape != tail or x.dtype != np.float64 or not x.flags.c_contiguous:
            return False
    return True


def _elementwise(fname: str, args: list[tuple[Any, tuple[int, ...], str]],
                 out_tail: tuple[int, ...]) -> F64Array:
    if _single(args):  # the common case of a control loop: no conversion or broadcasting to do
        out = np.empty(out_tail, dtype=np.float64)
        ensure(getattr(lib, fname)(1, *(dptr(x) for x, _, _ in args), dptr_out(out)), fname)
        return out
    lead, arrays = _broadcast(args)
    n = _count(lead)
    out = np.empty(lead + out_tail, dtype=np.float64)
    fn = getattr(lib, fname)
    ensure(fn(n, *(_buf(a) for a in arrays), _buf(out, writable=True)), fname)
    return out


# ---- quaternions and kinematics ----

def quat_multiply(a: Any, b: Any) -> F64Array:
    """Hamilton product ``a (x) b`` of ``[..., 4]`` arrays; ``q_a_from_c = q_a_from_b (x) q_b_from_c``."""
    return _elementwise("fb_quat_multiply", [(a, (4,), "a"), (b, (4,), "b")], (4,))


def quat_conjugate(q: Any) -> F64Array:
    """``conj(q) = [w, -x, -y, -z]``: for a unit ``q_a_from_b`` this is ``q_b_from_a``."""
    return _elementwise("fb_quat_conjugate", [(q, (4,), "q")], (4,))


def quat_normalize(q: Any) -> F64Array:
    """``q / |q|``; a zero quaternion raises ``InvalidInputError`` (FB_E_DEGENERATE)."""
    return _elementwise("fb_quat_normalize", [(q, (4,), "q")], (4,))


def quat_rotate(q_a_from_b: Any, v_b: Any) -> F64Array:
    """Components in frame a of a vector given in frame b (``q`` normalised first)."""
    return _elementwise("fb_quat_rotate", [(q_a_from_b, (4,), "q_a_from_b"), (v_b, (3,), "v_b")], (3,))


def dcm_from_quat(q_a_from_b: Any) -> F64Array:
    """``dcm_a_from_b`` ``[..., 3, 3]`` (``v_a = dcm @ v_b``) of ``q_a_from_b`` (normalised first)."""
    return _elementwise("fb_quat_to_dcm", [(q_a_from_b, (4,), "q_a_from_b")], (3, 3))


def quat_from_dcm(dcm_a_from_b: Any) -> F64Array:
    """``q_a_from_b`` (``w >= 0``) of a rotation matrix by Shepperd's method.

    A matrix that is not a rotation within 1e-6 raises ``InvalidInputError`` (FB_E_RANGE).
    """
    return _elementwise("fb_quat_from_dcm", [(dcm_a_from_b, (3, 3), "dcm_a_from_b")], (4,))


def quat_from_axis_angle(axis: Any, angle_rad: Any) -> F64Array:
    """Quaternion of a right-handed rotation by ``angle_rad`` about ``axis`` (any non-zero length)."""
    return _elementwise("fb_quat_from_axis_angle", [(axis, (3,), "axis"), (angle_rad, (), "angle_rad")], (4,))


def quat_from_rotvec(rotvec_rad: Any) -> F64Array:
    """Quaternion of a rotation vector (rad), smooth through zero (series below 1e-4 rad)."""
    return _elementwise("fb_quat_from_rotvec", [(rotvec_rad, (3,), "rotvec_rad")], (4,))


def rotvec_from_quat(q: Any) -> F64Array:
    """Rotation vector (rad, angle in ``[0, pi]``) of ``q`` (normalised, ``w >= 0`` representative)."""
    return _elementwise("fb_quat_to_rotvec", [(q, (4,), "q")], (3,))


def quat_error(q_body_from_eci: Any, q_target_from_eci: Any) -> F64Array:
    """``q_target_from_body = q_target_from_eci (x) conj(q_body_from_eci)`` with ``w >= 0``.

    Its rotation vector is the attitude error: the body is the target frame turned by it.
    """
    return _elementwise(
        "fb_quat_error",
        [(q_body_from_eci, (4,), "q_body_from_eci"), (q_target_from_eci, (4,), "q_target_from_eci")],
        (4,),
    )


def attitude_error_rad(q_body_from_eci: Any, q_target_from_eci: Any) -> F64Array:
    """Angle (rad, in ``[0, pi]``) by which the body must turn to reach the target attitude: the norm of the
    rotation vector of :func:`quat_error`. Leading shapes broadcast; the result has the leading shape."""
    e = rotvec_from_quat(quat_error(q_body_from_eci, q_target_from_eci))
    return np.asarray(np.sqrt(np.einsum("...i,...i->...", e, e)), dtype=np.float64)


def quat_propagate(q_body_from_eci: Any, dtheta_body_rad: Any) -> F64Array:
    """``q_body_from_eci`` after the body turns by the delta-angle ``dtheta_body_rad`` (body axes, rad).

    ``quat_from_rotvec(-dtheta_body_rad) (x) q_body_from_eci``: exact for a constant body rate, where
    ``dtheta_body_rad = omega_body_rps * dt_s``.
    """
    return _elementwise(
        "fb_quat_propagate",
        [(q_body_from_eci, (4,), "q_body_from_eci"), (dtheta_body_rad, (3,), "dtheta_body_rad")],
        (4,),
    )


def quat_imu_step(q_body_from_eci: Any, dtheta_body_rad: Any, v_body: Any) -> tuple[F64Array, F64Array]:
    """One IMU interval in one core call: the attitude after the delta-angle (:func:`quat_propagate`) and a
    vector measured over the interval in body axes (a delta-velocity) in ECI components, rotated with the
    mid-interval attitude ``quat_propagate(q, dtheta / 2)``. Leading shapes broadcast."""
    args: list[tuple[Any, tuple[int, ...], str]] = [
        (q_body_from_eci, (4,), "q_body_from_eci"), (dtheta_body_rad, (3,), "dtheta_body_rad"),
        (v_body, (3,), "v_body")]
    if _single(args):
        arrays = [x for x, _, _ in args]
        lead: tuple[int, ...] = ()
    else:
        lead, arrays = _broadcast(args)
    q_next = np.empty((*lead, 4), dtype=np.float64)
    v_eci = np.empty((*lead, 3), dtype=np.float64)
    ensure(lib.fb_quat_imu_step(_count(lead), *(dptr(a) for a in arrays), dptr_out(q_next), dptr_out(v_eci)),
           "fb_quat_imu_step")
    return q_next, v_eci


def quat_slerp(q0: Any, q1: Any, t: Any) -> F64Array:
    """Interpolation from ``q0`` (t = 0) to ``q1`` (t = 1) on the shorter arc at a constant angular rate."""
    return _elementwise("fb_quat_slerp", [(q0, (4,), "q0"), (q1, (4,), "q1"), (t, (), "t")], (4,))


def quat_from_two_axes(primary_b: Any, secondary_b: Any, primary_a: Any, secondary_a: Any) -> F64Array:
    """``q_a_from_b`` (``w >= 0``) that carries ``primary_b`` exactly onto the direction ``primary_a`` and
    ``secondary_b`` as close as it can to ``secondary_a`` (TRIAD).

    Burn attitude with +x body retrograde and +z body towards nadir::

        q_eci_from_body = quat_from_two_axes([1, 0, 0], [0, 0, 1], -v_eci_mps, -r_eci_m)
        q_target_from_eci = quat_conjugate(q_eci_from_body)

    Parallel or zero pairs raise ``InvalidInputError`` (FB_E_DEGENERATE).
    """
    return _elementwise(
        "fb_quat_from_two_axes",
        [(primary_b, (3,), "primary_b"), (secondary_b, (3,), "secondary_b"), (primary_a, (3,), "primary_a"),
         (secondary_a, (3,), "secondary_a")],
        (4,),
    )


# ---- attitude control law ----

def _vec3(x: Any, name: str) -> F64Array:
    a = np.broadcast_to(as_f64(x, name=name), (3,)).copy()
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class PdGains:
    """Gains and limits of the rate-limited PD law (see ``csrc/fb_control.h``); scalars apply to all axes.

    Below the limits, ``torque = -kp * e - kd * (omega - omega_ref)``; the corrective rate ``-kp/kd * e``
    is capped in norm at ``rate_limit_rps``, and the torque is scaled as a whole so that no axis exceeds
    its ``torque_limit_nm``.
    """

    kp_nm_per_rad: Any
    kd_nms_per_rad: Any
    rate_limit_rps: float
    torque_limit_nm: Any
    _c: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("kp_nm_per_rad", "kd_nms_per_rad", "torque_limit_nm"):
            object.__setattr__(self, name, _vec3(getattr(self, name), name))
        object.__setattr__(self, "rate_limit_rps", float(self.rate_limit_rps))
        c = ffi.new("fb_ctl_pd_config *")
        c.kp_nm_per_rad = list(self.kp_nm_per_rad)
        c.kd_nms_per_rad = list(self.kd_nms_per_rad)
        c.rate_limit_rps = self.rate_limit_rps
        c.torque_limit_nm = list(self.torque_limit_nm)
        object.__setattr__(self, "_c", c)


def pd_torque(gains: PdGains, q_body_from_eci: Any, q_target_from_eci: Any, omega_body_rps: Any,
              omega_ref_body_rps: Any = (0.0, 0.0, 0.0)) -> F64Array:
    """Commanded body torque (N m, shape (3,)) of the rate- and torque-limited PD law.

    ``omega_ref_body_rps`` is the target frame's rate in body axes (zero for an inertial hold).
    """
    qb = as_f64(q_body_from_eci, (4,), "q_body_from_eci")
    qt = as_f64(q_target_from_eci, (4,), "q_target_from_eci")
    w = as_f64(omega_body_rps, (3,), "omega_body_rps")
    wr = as_f64(omega_ref_body_rps, (3,), "omega_ref_body_rps")
    for a, name in ((qb, "q_body_from_eci"), (qt, "q_target_from_eci"), (w, "omega_body_rps"),
                    (wr, "omega_ref_body_rps")):
        if a.ndim != 1:
            raise ValueError(f"{name} must be a single vector, got shape {a.shape}")
    out = np.empty(3, dtype=np.float64)
    ensure(lib.fb_ctl_pd_torque(gains._c, _buf(qb), _buf(qt), _buf(w), _buf(wr), _buf(out, writable=True)),
           "fb_ctl_pd_torque")
    return out


# ---- thruster allocation ----

@dataclass(frozen=True, eq=False)
class ThrusterLayout:
    """Thrusters about the centre of mass: positions (m) and unit thrust directions in body axes, thrust (N).

    ``dir_body`` is the direction of the force on the vehicle (opposite to the exhaust).
    """

    r_body_m: Any
    dir_body: Any
    thrust_n: Any
    names: tuple[str, ...] = ()
    _c: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        r = as_f64(self.r_body_m, (3,), "r_body_m").copy()
        d = as_f64(self.dir_body, (3,), "dir_body").copy()
        f = as_f64(self.thrust_n, name="thrust_n").copy()
        if r.ndim != 2 or d.shape != r.shape or f.shape != (r.shape[0],):
            raise ValueError(
                f"need r_body_m (n, 3), dir_body (n, 3), thrust_n (n,); got {r.shape}, {d.shape}, {f.shape}")
        n = r.shape[0]
        if not 1 <= n <= MAX_THRUSTERS:
            raise ValueError(f"a layout holds 1 to {MAX_THRUSTERS} thrusters, got {n}")
        names = tuple(self.names) if self.names else tuple(f"T{k:02d}" for k in range(n))
        if len(names) != n:
            raise ValueError(f"{len(names)} names for {n} thrusters")
        for a in (r, d, f):
            a.setflags(write=False)
        object.__setattr__(self, "r_body_m", r)
        object.__setattr__(self, "dir_body", d)
        object.__setattr__(self, "thrust_n", f)
        object.__setattr__(self, "names", names)
        c = ffi.new("fb_ctl_thruster_layout *")
        c.n = n
        pad_r = np.zeros((MAX_THRUSTERS, 3))
        pad_d = np.zeros((MAX_THRUSTERS, 3))
        pad_f = np.zeros(MAX_THRUSTERS)
        pad_r[:n], pad_d[:n], pad_f[:n] = r, d, f
        ffi.buffer(c.r_body_m)[:] = pad_r.tobytes()
        ffi.buffer(c.dir_body)[:] = pad_d.tobytes()
        ffi.buffer(c.thrust_n)[:] = pad_f.tobytes()
        object.__setattr__(self, "_c", c)

    @property
    def n(self) -> int:
        return int(self.thrust_n.shape[0])

    def effectiveness(self) -> F64Array:
        """The 6 x n matrix mapping on-fractions (t/T) to cycle-average ``[torque_nm; force_n]``."""
        f = self.dir_body * self.thrust_n[:, None]
        return np.vstack([np.cross(self.r_body_m, f).T, f.T])

    def subset(self, indices: Any) -> ThrusterLayout:
        """The layout of the thrusters at ``indices`` (for example without a failed thruster)."""
        idx = np.asarray(indices, dtype=np.intp)
        return ThrusterLayout(r_body_m=self.r_body_m[idx], dir_body=self.dir_body[idx],
                              thrust_n=self.thrust_n[idx], names=tuple(self.names[k] for k in idx))

    def indices(self, prefix: str) -> list[int]:
        """Indices of the thrusters whose name starts with ``prefix``."""
        return [k for k, name in enumerate(self.names) if name.startswith(prefix)]


@dataclass(frozen=True, eq=False)
class AllocatorConfig:
    """Settings of the allocator (see ``csrc/fb_control.h``).

    ``force_weight_m`` weighs force errors against torque errors (a force error of 1 N counts as a torque
    error of ``force_weight_m`` N m); ``reg_nm2`` is a small Tikhonov weight that makes the solution unique;
    each solve stops when a step changes the achieved output by less than ``tol`` times the largest output
    of a unit on-fraction vector, or after ``max_iter`` iterations (``AllocationResult.converged`` says
    which). The defaults reproduce achievable stack torques to about 1e-3 N m in a few hundred iterations.
    """

    cycle_s: float
    min_on_s: float = 0.0
    force_weight_m: float = 10.0
    reg_nm2: float = 1.0
    tol: float = 1e-10
    max_iter: int = 3000
    _c: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        c = ffi.new("fb_ctl_alloc_config *")
        c.cycle_s = float(self.cycle_s)
        c.min_on_s = float(self.min_on_s)
        c.force_weight_m = float(self.force_weight_m)
        c.reg_nm2 = float(self.reg_nm2)
        c.tol = float(self.tol)
        if not -_INT_MAX <= int(self.max_iter) <= _INT_MAX:
            raise ValueError(f"max_iter out of range: {self.max_iter}")
        c.max_iter = int(self.max_iter)
        object.__setattr__(self, "_c", c)


@dataclass(frozen=True)
class AllocationResult:
    """On-times for one control cycle and what they achieve (cycle-average, body axes)."""

    on_time_s: F64Array
    torque_body_nm: F64Array
    force_body_n: F64Array
    torque_residual_nm: F64Array
    force_residual_n: F64Array
    iterations: int
    converged: bool


class AllocatorWarmStart:
    """What one allocation leaves for the next: the active set of its first solve (which thrusters sat at
    0, at full on or in between). Passed to :func:`allocate_thrusters` cycle after cycle it cuts the solver
    to one or two iterations when the command changes little; the result does not depend on it (the
    solution is unique). A layout of another size starts cold."""

    def __init__(self) -> None:
        self._c = ffi.new("fb_ctl_alloc_warm *")

    def reset(self) -> None:
        """Forget the history: the next allocation starts cold."""
        self._c.n = 0

    @property
    def active_set(self) -> tuple[int, ...]:
        """Per thruster of the last allocation: -1 off, 0 in between, +1 full on (empty when cold)."""
        return tuple(int(x) for x in self._c.set[0:self._c.n])


def allocate_thrusters(layout: ThrusterLayout, config: AllocatorConfig, torque_cmd_body_nm: Any,
                       force_cmd_body_n: Any = (0.0, 0.0, 0.0),
                       warm: AllocatorWarmStart | None = None) -> AllocationResult:
    """On-times (s) in ``[0, cycle_s]``, each 0 or at least ``min_on_s``, for a commanded cycle-average
    body torque (N m) and force (N), by bounded least squares (``warm``: start from, and update, the
    previous cycle's active set)."""
    tau = as_f64(torque_cmd_body_nm, (3,), "torque_cmd_body_nm")
    force = as_f64(force_cmd_body_n, (3,), "force_cmd_body_n")
    if tau.ndim != 1 or force.ndim != 1:
        raise ValueError("allocate_thrusters takes one torque (3,) and one force (3,)")
    res = ffi.new("fb_ctl_alloc_result *")
    w = warm._c if warm is not None else ffi.NULL
    ensure(lib.fb_ctl_allocate_warm(layout._c, config._c, w, _buf(tau), _buf(force), res), "fb_ctl_allocate")
    return _allocation(layout.n, res)


def _allocation(n: int, res: Any) -> AllocationResult:
    return AllocationResult(
        on_time_s=np.frombuffer(ffi.buffer(res.on_time_s), dtype=np.float64)[:n].copy(),
        torque_body_nm=np.array(list(res.torque_body_nm)),
        force_body_n=np.array(list(res.force_body_n)),
        torque_residual_nm=np.array(list(res.torque_residual_nm)),
        force_residual_n=np.array(list(res.force_residual_n)),
        iterations=int(res.iterations),
        converged=bool(res.converged),
    )


# ---- one control cycle in one core call ----

def retrograde_target(r_eci_m: Any, v_eci_mps: Any) -> tuple[F64Array, F64Array]:
    """The burn attitude ``q_target_from_eci`` (``w >= 0``): +x body along ``-v_eci`` (retrograde), +z body
    as near nadir as that allows; and the target frame's inertial rate in target axes (rad/s: the orbit
    rate, about +y, the orbit normal, for a circular orbit). Zero or parallel ``r`` and ``v`` raise
    ``InvalidInputError``."""
    r = as_f64(r_eci_m, (3,), "r_eci_m")
    v = as_f64(v_eci_mps, (3,), "v_eci_mps")
    if r.ndim != 1 or v.ndim != 1:
        raise ValueError("retrograde_target takes one r (3,) and one v (3,)")
    q = np.empty(4)
    w = np.empty(3)
    ensure(lib.fb_ctl_retrograde_target(_buf(r), _buf(v), _buf(q, writable=True), _buf(w, writable=True)),
           "fb_ctl_retrograde_target")
    return q, w


class AttitudeStepResult(NamedTuple):
    """One control cycle (see :class:`AttitudeStep`); vectors as tuples of floats. A named tuple: a control
    loop makes one every cycle."""

    q_target_from_eci: tuple[float, ...]
    omega_target_rps: tuple[float, ...]  # target axes
    omega_ref_body_rps: tuple[float, ...]
    attitude_error_rad: float
    thrust_axis_error_rad: float
    torque_cmd_body_nm: tuple[float, ...]  # zero without control
    on_time_s: tuple[float, ...]  # per thruster of the layout; zero without control
    iterations: int
    converged: bool


class AttitudeStep:
    """One control cycle of the burn-attitude law in one core call (``fb_ctl_attitude_step``): the
    retrograde target, the attitude and thrust-axis errors and, with ``control``, the PD torque and its
    allocation over ``layout``, warm-started from the previous call.

    Made for a control loop: the inputs are copied into buffers kept by the object (any sequence of four or
    three numbers; a wrong length raises ``ValueError``, NaN ``InvalidInputError``), so a cycle costs a few
    microseconds of Python around the core instead of one array check per operation.
    """

    def __init__(self, gains: PdGains, layout: ThrusterLayout, config: AllocatorConfig) -> None:
        self.gains = gains
        self.layout = layout
        self.config = config
        self.warm = AllocatorWarmStart()
        self._q = ffi.new("double[4]")
        self._w = ffi.new("double[3]")
        self._r = ffi.new("double[3]")
        self._v = ffi.new("double[3]")
        self._f = ffi.new("double[3]")
        self._res = ffi.new("fb_ctl_step_result *")
        self._n = layout.n

    def __call__(self, q_body_from_eci: Any, omega_body_rps: Any, r_eci_m: Any, v_eci_mps: Any,
                 force_cmd_body_n: Any = (0.0, 0.0, 0.0), control: bool | int = True) -> AttitudeStepResult:
        """The cycle's target, errors and (``control``: 1 or True; 0 or False for the errors alone) torque
        and on-times; the core rejects any other ``control`` with ``InvalidInputError``."""
        try:
            self._q[0:4] = q_body_from_eci
            self._w[0:3] = omega_body_rps
            self._r[0:3] = r_eci_m
            self._v[0:3] = v_eci_mps
            self._f[0:3] = force_cmd_body_n
        except (IndexError, TypeError, ValueError) as exc:
            raise ValueError(f"attitude step inputs: q (4,), omega, r, v and force (3,): {exc}") from None
        res = self._res
        code = lib.fb_ctl_attitude_step(self.gains._c, self.layout._c, self.config._c, self.warm._c,
                                        int(control), self._q, self._w, self._r, self._v, self._f, res)
        if code:
            ensure(code, "fb_ctl_attitude_step")
        a = res.alloc
        # cffi reads double and int fields as Python floats and ints
        return AttitudeStepResult(
            tuple(res.q_target_from_eci), tuple(res.omega_target_rps), tuple(res.omega_ref_body_rps),
            res.attitude_error_rad, res.thrust_axis_error_rad, tuple(res.torque_cmd_body_nm),
            tuple(ffi.unpack(a.on_time_s, self._n)), a.iterations, a.converged != 0)


# ---- the deorbit stack (ISS with the US Deorbit Vehicle) ----

# Assumed geometry about the stack's centre of mass, body axes as in the module docstring. The ISS spans
# about 109 m (truss, y) by 73 m (x) (NASA ISS facts and figures); the USDV is docked at the aft (-x) end.
_TRUSS_TIP_Y_M = 54.0
_FORWARD_X_M = 33.0
_AFT_X_M = -45.0
_DEORBIT_RING_X_M = -48.0
_DEORBIT_RING_RADIUS_M = 1.6
_DRACO_THRUST_N = 400.0


def default_stack_layout() -> ThrusterLayout:
    """The 46 Dracos of the deorbit stack (400 N each; reference/hardware.md), positions assumed.

    - ``ATT-*``, 16 attitude thrusters at the extremities: four at each truss tip (y = +-54 m) firing
      +-z (roll couples) and +-x (yaw couples), four at the forward end (x = +33 m) and four at the aft
      end (x = -45 m) firing +-y (yaw couples) and +-z (pitch couples). Each pair of opposite tips or ends
      gives a pure couple, so the set makes torque about all three axes with no net force.
    - ``DEO-*``, 30 deorbit thrusters on a ring of radius 1.6 m at x = -48 m (the aft end, -x), all
      pushing along +x body, the deorbit thrust axis.
    """
    r: list[tuple[float, float, float]] = []
    d: list[tuple[float, float, float]] = []
    names: list[str] = []

    def add(name: str, pos: tuple[float, float, float], direction: tuple[float, float, float]) -> None:
        names.append(name)
        r.append(pos)
        d.append(direction)

    for side, y in (("STBD", _TRUSS_TIP_Y_M), ("PORT", -_TRUSS_TIP_Y_M)):
        add(f"ATT-{side}-PZ", (0.0, y, 0.0), (0.0, 0.0, 1.0))
        add(f"ATT-{side}-MZ", (0.0, y, 0.0), (0.0, 0.0, -1.0))
        add(f"ATT-{side}-PX", (0.0, y, 0.0), (1.0, 0.0, 0.0))
        add(f"ATT-{side}-MX", (0.0, y, 0.0), (-1.0, 0.0, 0.0))
    for end, x in (("FWD", _FORWARD_X_M), ("AFT", _AFT_X_M)):
        add(f"ATT-{end}-PY", (x, 0.0, 0.0), (0.0, 1.0, 0.0))
        add(f"ATT-{end}-MY", (x, 0.0, 0.0), (0.0, -1.0, 0.0))
        add(f"ATT-{end}-PZ", (x, 0.0, 0.0), (0.0, 0.0, 1.0))
        add(f"ATT-{end}-MZ", (x, 0.0, 0.0), (0.0, 0.0, -1.0))
    for k in range(30):
        phi = 2.0 * np.pi * k / 30.0
        add(f"DEO-{k:02d}", (_DEORBIT_RING_X_M, _DEORBIT_RING_RADIUS_M * float(np.cos(phi)),
                             _DEORBIT_RING_RADIUS_M * float(np.sin(phi))), (1.0, 0.0, 0.0))
    return ThrusterLayout(r_body_m=np.array(r), dir_body=np.array(d),
                          thrust_n=np.full(len(names), _DRACO_THRUST_N), names=tuple(names))


def default_stack_inertia_kg_m2() -> F64Array:
    """Assumed inertia tensor of the stack about its centre of mass, body axes (kg m^2).

    Of order 1e8 kg m^2 per axis (reference/hardware.md); the products of inertia are chosen so that the
    principal axes sit a few degrees off the body axes, as on the real station. Symmetric positive definite.
    """
    return np.array([
        [1.27e8, -3.1e6, 7.2e6],
        [-3.1e6, 1.07e8, 1.4e6],
        [7.2e6, 1.4e6, 2.01e8],
    ])
