"""The attitude API (firmware_bindings.attitude) on the shared vector files, and its argument handling."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest

from firmware_bindings import CoreError, InvalidInputError
from firmware_bindings import attitude as at
from tests.oracles import attitude as oracle
from tests.vectorfile import VECTOR_DIR, Vector, read_vectors

Adapter = Callable[[Sequence[float]], np.ndarray]


def _a(x: Sequence[float]) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _pd(v: Sequence[float]) -> np.ndarray:
    x = _a(v)
    gains = at.PdGains(kp_nm_per_rad=x[0:3], kd_nms_per_rad=x[3:6], rate_limit_rps=float(x[6]),
                       torque_limit_nm=x[7:10])
    return at.pd_torque(gains, x[10:14], x[14:18], x[18:21], x[21:24])


def _allocate(v: Sequence[float], n_out: int) -> np.ndarray:
    x = _a(v)
    n = int(x[0])
    n_read = n if 1 <= n <= at.MAX_THRUSTERS else 0  # as the C case: no thruster data for a bad count
    body = x[1:1 + 7 * n_read].reshape(n_read, 7)
    if n_read == 0:
        body = np.tile([0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0], (n, 1))
    c = x[1 + 7 * n_read:]
    layout = at.ThrusterLayout(r_body_m=body[:, 0:3], dir_body=body[:, 3:6], thrust_n=body[:, 6])
    cfg = at.AllocatorConfig(cycle_s=c[0], min_on_s=c[1], force_weight_m=c[2], reg_nm2=c[3], tol=c[4],
                             max_iter=int(c[5]))
    res = at.allocate_thrusters(layout, cfg, c[6:9], c[9:12])
    t = res.on_time_s
    bad = np.count_nonzero(~((t == 0.0) | ((t >= cfg.min_on_s) & (t <= cfg.cycle_s))))
    out = np.concatenate([res.torque_body_nm, res.force_body_n, [bad]])
    return np.concatenate([out, t]) if n_out > 7 else out


def _step(v: Sequence[float]) -> np.ndarray:
    """ctl_attitude_step through AttitudeStep, allocating over the C adapter's one thruster."""
    x = _a(v)
    gains = at.PdGains(kp_nm_per_rad=x[0:3], kd_nms_per_rad=x[3:6], rate_limit_rps=float(x[6]),
                       torque_limit_nm=x[7:10])
    layout = at.ThrusterLayout(r_body_m=[[0.0, 10.0, 0.0]], dir_body=[[0.0, 0.0, 1.0]], thrust_n=[100.0])
    cfg = at.AllocatorConfig(cycle_s=0.1, min_on_s=0.0, force_weight_m=1.0, reg_nm2=1.0, tol=1e-10,
                             max_iter=1000)
    res = at.AttitudeStep(gains, layout, cfg)(x[11:15], x[15:18], x[18:21], x[21:24], (0.0, 0.0, 0.0),
                                              int(x[10]))
    return np.array([*res.q_target_from_eci, *res.omega_target_rps, *res.omega_ref_body_rps,
                     res.attitude_error_rad, res.thrust_axis_error_rad, *res.torque_cmd_body_nm])


def _target(v: Sequence[float]) -> np.ndarray:
    q, w = at.retrograde_target(v[0:3], v[3:6])
    return np.concatenate([q, w])


ADAPTERS: dict[str, Adapter] = {
    "ctl_attitude_step": _step,
    "ctl_retrograde_target": _target,
    "quat_multiply": lambda v: at.quat_multiply(v[0:4], v[4:8]),
    "quat_conjugate": lambda v: at.quat_conjugate(v),
    "quat_normalize": lambda v: at.quat_normalize(v),
    "quat_rotate": lambda v: at.quat_rotate(v[0:4], v[4:7]),
    "quat_rotate_batch": lambda v: at.quat_rotate(_a(v[0:8]).reshape(2, 4), _a(v[8:14]).reshape(2, 3)),
    "quat_to_dcm": lambda v: at.dcm_from_quat(v).ravel(),
    "quat_from_dcm": lambda v: at.quat_from_dcm(_a(v).reshape(3, 3)),
    "quat_from_axis_angle": lambda v: at.quat_from_axis_angle(v[0:3], v[3]),
    "quat_from_rotvec": lambda v: at.quat_from_rotvec(v),
    "quat_to_rotvec": lambda v: at.rotvec_from_quat(v),
    "quat_error": lambda v: at.quat_error(v[0:4], v[4:8]),
    "quat_propagate": lambda v: at.quat_propagate(v[0:4], v[4:7]),
    "quat_imu_step": lambda v: np.concatenate(at.quat_imu_step(v[0:4], v[4:7], v[7:10])),
    "quat_slerp": lambda v: at.quat_slerp(v[0:4], v[4:8], v[8]),
    "quat_from_two_axes": lambda v: at.quat_from_two_axes(v[0:3], v[3:6], v[6:9], v[9:12]),
    "ctl_pd_torque": _pd,
}
# Cases about NULL pointers and raw counts, which the Python API cannot express: C runner only.
C_ONLY = {"quat_bad_arguments", "ctl_null_arguments"}

ALL_VECTORS = [v for name in ("quat.vec", "control.vec") for v in read_vectors(VECTOR_DIR / name)]
VECTORS = [v for v in ALL_VECTORS if v.case not in C_ONLY]


def test_every_attitude_case_has_a_python_adapter() -> None:
    """Each case in quat.vec and control.vec is run from Python too, except the C-only ones."""
    cases = {v.case for v in ALL_VECTORS}
    assert cases - C_ONLY == set(ADAPTERS) | {"ctl_allocate"}
    assert len(VECTORS) > 100


@pytest.mark.parametrize("vec", VECTORS, ids=lambda v: v.where)
def test_python_api_reproduces_vector(vec: Vector) -> None:
    """The numpy API returns the vector's outputs within its tolerance, or raises for its status code."""
    def call() -> np.ndarray:
        if vec.case == "ctl_allocate":
            return _allocate(vec.inputs, len(vec.outputs))
        return np.asarray(ADAPTERS[vec.case](vec.inputs)).ravel()

    if vec.status != 0:
        if vec.case == "ctl_allocate" and int(vec.inputs[0]) not in range(1, at.MAX_THRUSTERS + 1):
            with pytest.raises(ValueError, match="1 to 64 thrusters"):
                call()
            return
        with pytest.raises(CoreError) as info:
            call()
        assert info.value.code == vec.status
        return
    got = call()
    want = np.asarray(vec.outputs)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=0.0, atol=vec.tol)


def test_nan_is_rejected_with_nonfinite() -> None:
    """NaN and infinity raise InvalidInputError carrying FB_E_NONFINITE (2) and naming the C call."""
    with pytest.raises(InvalidInputError, match=r"fb_quat_rotate.*FB_E_NONFINITE") as info:
        at.quat_rotate([1.0, 0.0, 0.0, 0.0], [0.0, np.nan, 0.0])
    assert info.value.code == 2
    with pytest.raises(InvalidInputError, match="FB_E_NONFINITE"):
        at.quat_multiply([[1.0, 0.0, 0.0, 0.0], [np.inf, 0.0, 0.0, 0.0]], [1.0, 0.0, 0.0, 0.0])


def test_shapes_broadcast_over_leading_axes() -> None:
    """One quaternion against a (2, 3) stack of vectors gives a (2, 3, 3) result, as numpy broadcasting."""
    q = at.quat_from_axis_angle([0.0, 0.0, 1.0], np.pi / 2)
    v = np.arange(18.0).reshape(2, 3, 3)
    out = at.quat_rotate(q, v)
    assert out.shape == (2, 3, 3)
    np.testing.assert_allclose(out[1, 2], at.quat_rotate(q, v[1, 2]), rtol=0, atol=0)
    assert at.dcm_from_quat(np.ones((4, 5, 4))).shape == (4, 5, 3, 3)
    assert at.quat_slerp([1.0, 0, 0, 0], [0.0, 1, 0, 0], np.linspace(0, 1, 7)).shape == (7, 4)
    assert at.quat_multiply(np.ones((0, 4)), np.ones((0, 4))).shape == (0, 4)


def test_bad_shapes_raise_value_error() -> None:
    """A wrong trailing dimension or leading shapes that do not broadcast give a ValueError naming it."""
    with pytest.raises(ValueError, match="q_a_from_b"):
        at.quat_rotate([1.0, 0.0, 0.0], [1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="do not broadcast"):
        at.quat_multiply(np.ones((2, 4)), np.ones((3, 4)))
    with pytest.raises(ValueError, match="numeric"):
        at.quat_conjugate(["a", "b", "c", "d"])


def test_pd_gains_and_layout_validate() -> None:
    """Gains that are not positive raise InvalidInputError (FB_E_RANGE); a malformed layout a ValueError."""
    gains = at.PdGains(kp_nm_per_rad=1.0, kd_nms_per_rad=0.0, rate_limit_rps=0.01, torque_limit_nm=1.0)
    with pytest.raises(InvalidInputError, match="FB_E_RANGE"):
        at.pd_torque(gains, [1.0, 0, 0, 0], [1.0, 0, 0, 0], [0.0, 0, 0])
    with pytest.raises(ValueError, match="thrust_n"):
        at.ThrusterLayout(r_body_m=np.zeros((2, 3)), dir_body=np.eye(3)[:2], thrust_n=[1.0])
    with pytest.raises(ValueError, match="names"):
        at.ThrusterLayout(r_body_m=np.zeros((1, 3)), dir_body=np.eye(3)[:1], thrust_n=[1.0], names=("a", "b"))
    with pytest.raises(ValueError, match="single vector"):
        at.pd_torque(gains, np.ones((2, 4)), [1.0, 0, 0, 0], [0.0, 0, 0])


def test_default_stack_layout_matches_the_hardware_reference() -> None:
    """46 Dracos of 400 N (reference/hardware.md): 16 attitude, 30 deorbit pushing along +x body from -x."""
    lay = at.default_stack_layout()
    att, deo = lay.indices("ATT-"), lay.indices("DEO-")
    assert (lay.n, len(att), len(deo)) == (46, 16, 30)
    np.testing.assert_array_equal(lay.thrust_n, 400.0)
    np.testing.assert_array_equal(lay.dir_body[deo], np.tile([1.0, 0.0, 0.0], (30, 1)))
    assert np.all(lay.r_body_m[deo, 0] < -40.0)
    np.testing.assert_allclose(np.linalg.norm(lay.dir_body, axis=1), 1.0, rtol=0, atol=1e-15)
    # all deorbit thrusters on: 12 kN along +x and no torque about the centre of mass
    e = lay.effectiveness()
    u = np.zeros(46)
    u[deo] = 1.0
    np.testing.assert_allclose(e @ u, [0, 0, 0, 12000.0, 0, 0], rtol=0, atol=1e-9)


def test_attitude_thrusters_make_pure_couples_about_every_axis() -> None:
    """For each body axis, some non-negative firing of the attitude thrusters gives torque about that axis
    alone with zero net force (a couple): checked by the allocator reaching it within 1e-6 N m and N."""
    lay = at.default_stack_layout()
    att = lay.indices("ATT-")
    sub = lay.subset(att)
    assert sub.names == tuple(lay.names[k] for k in att)
    cfg = at.AllocatorConfig(cycle_s=1.0, reg_nm2=0.0, tol=1e-14, max_iter=20000)
    for axis in range(3):
        for sign in (1.0, -1.0):
            tau = np.zeros(3)
            tau[axis] = sign * 5000.0
            res = at.allocate_thrusters(sub, cfg, tau, np.zeros(3))
            np.testing.assert_allclose(res.torque_residual_nm, 0.0, rtol=0, atol=1e-6)
            np.testing.assert_allclose(res.force_body_n, 0.0, rtol=0, atol=1e-6)


def test_stack_inertia_is_symmetric_positive_definite_of_order_1e8() -> None:
    """The assumed inertia is symmetric, positive definite, meets the triangle inequality, ~1e8 kg m^2."""
    j = at.default_stack_inertia_kg_m2()
    np.testing.assert_array_equal(j, j.T)
    p = np.linalg.eigvalsh(j)
    assert np.all(p > 5e7) and np.all(p < 5e8)
    assert p[0] + p[1] >= p[2]


def test_allocation_result_reports_convergence_and_iterations() -> None:
    """A one-iteration cap is reported as not converged, with the on-times still valid."""
    lay = at.default_stack_layout()
    res = at.allocate_thrusters(lay, at.AllocatorConfig(cycle_s=0.1, max_iter=1), [1e4, 0, 0])
    assert not res.converged and res.iterations == 1
    assert np.all((res.on_time_s >= 0.0) & (res.on_time_s <= 0.1))
    res = at.allocate_thrusters(lay, at.AllocatorConfig(cycle_s=0.1), [1e4, 0, 0])
    assert res.converged and res.iterations > 1


def test_burn_attitude_from_two_axes_points_x_body_retrograde() -> None:
    """The docstring's burn attitude: +x body along -v (retrograde, so thrust along +x slows the stack) and
    +z body towards nadir, within 1e-15 for an orbit's r and v."""
    r_eci_m = np.array([6.6e6, 1.2e6, -2.0e5])
    v_eci_mps = np.array([-1.3e3, 6.1e3, 4.2e3])
    q_eci_from_body = at.quat_from_two_axes([1, 0, 0], [0, 0, 1], -v_eci_mps, -r_eci_m)
    x_eci = at.quat_rotate(q_eci_from_body, [1.0, 0.0, 0.0])
    np.testing.assert_allclose(x_eci, -v_eci_mps / np.linalg.norm(v_eci_mps), rtol=0, atol=1e-15)
    z_eci = at.quat_rotate(q_eci_from_body, [0.0, 0.0, 1.0])
    assert z_eci @ (-r_eci_m) > 0.99 * np.linalg.norm(r_eci_m)  # r is nearly perpendicular to v


def test_small_command_fires_a_minimum_pulse_when_that_is_closer_than_nothing() -> None:
    """Roll 1500 N m from the attitude thrusters (0.1 s cycle, 10 ms minimum): a single roll thruster at
    10 ms gives 54 m x 400 N x 0.1 = 2160 N m and 40 N of side force (weighted residual 660^2 + 400^2 N^2 m^2)
    which is closer than firing nothing (1500^2), so exactly one pulse of 10 ms is fired; a command of
    500 N m is closer to nothing and fires nothing."""
    lay = at.default_stack_layout()
    att = lay.subset(lay.indices("ATT-"))
    cfg = at.AllocatorConfig(cycle_s=0.1, min_on_s=0.01)
    res = at.allocate_thrusters(att, cfg, [1500.0, 0.0, 0.0])
    fired = np.flatnonzero(res.on_time_s)
    assert len(fired) == 1 and res.on_time_s[fired[0]] == pytest.approx(0.01, abs=1e-12)
    np.testing.assert_allclose(res.torque_body_nm, [2160.0, 0.0, 0.0], rtol=0, atol=1e-9)
    res = at.allocate_thrusters(att, cfg, [500.0, 0.0, 0.0])
    assert not np.any(res.on_time_s)


def test_warm_start_cuts_iterations_of_a_slowly_changing_command() -> None:
    """A torque that changes by 1 % from cycle to cycle: warm-started from the previous cycle's active set
    the allocator needs fewer iterations in all than cold, for the same on-times (within 1 ns)."""
    lay = at.default_stack_layout()
    att = lay.subset(lay.indices("ATT-"))
    cfg = at.AllocatorConfig(cycle_s=0.1)
    warm = at.AllocatorWarmStart()
    it_warm = it_cold = 0
    for k in range(20):
        tau = np.array([4000.0, -2500.0, 1500.0]) * (1.0 + 0.01 * k)
        hot = at.allocate_thrusters(att, cfg, tau, warm=warm)
        cold = at.allocate_thrusters(att, cfg, tau)
        np.testing.assert_allclose(hot.on_time_s, cold.on_time_s, rtol=0, atol=1e-9)
        it_warm += hot.iterations
        it_cold += cold.iterations
    assert it_warm < it_cold


def test_bad_warm_start_is_rejected_and_a_reset_starts_cold() -> None:
    """A stored active-set value outside -1..1 is FB_E_RANGE (the core does not guess); reset() forgets the
    history and the next allocation starts cold."""
    lay = at.default_stack_layout()
    att = lay.subset(lay.indices("ATT-"))
    cfg = at.AllocatorConfig(cycle_s=0.1)
    warm = at.AllocatorWarmStart()
    at.allocate_thrusters(att, cfg, [1e3, 0.0, 0.0], warm=warm)
    warm._c.set[0] = 7
    with pytest.raises(InvalidInputError) as info:
        at.allocate_thrusters(att, cfg, [1e3, 0.0, 0.0], warm=warm)
    assert info.value.code == 3
    warm.reset()
    assert warm.active_set == ()
    at.allocate_thrusters(att, cfg, [1e3, 0.0, 0.0], warm=warm)
    assert len(warm.active_set) == att.n


def test_attitude_step_rejects_wrong_lengths_with_a_clear_error() -> None:
    """A quaternion of three numbers is a ValueError naming the inputs, not a crash or a silent pad."""
    gains = at.PdGains(kp_nm_per_rad=1.0, kd_nms_per_rad=1.0, rate_limit_rps=1.0, torque_limit_nm=1.0)
    lay = at.default_stack_layout()
    step = at.AttitudeStep(gains, lay, at.AllocatorConfig(cycle_s=0.1))
    with pytest.raises(ValueError, match="attitude step inputs"):
        step([1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [7e6, 0.0, 0.0], [0.0, 7e3, 0.0])


def test_full_stack_allocation_with_minimum_pulse_matches_the_oracle() -> None:
    """The 46 Dracos with a 10 ms minimum pulse: 30 alike deorbit thrusters on a ring make the primal-dual
    active sets cycle in some solves, which the primal active-set method then finishes; the on-times still
    equal the oracle's (scipy's bounded least squares finished in numpy, the same rounding rule) within
    0.1 us for commands from 1 to 10 kN m with and without a push along +x."""
    lay = at.default_stack_layout()
    cfg = at.AllocatorConfig(cycle_s=0.1, min_on_s=0.01)
    rng = np.random.default_rng(3)
    for _ in range(12):
        tau = rng.normal(size=3) * rng.choice([1e3, 1e4])
        force = np.array([rng.choice([0.0, 800.0, 6000.0]), 0.0, 0.0])
        res = at.allocate_thrusters(lay, cfg, tau, force)
        ref = oracle.allocate(lay.r_body_m, lay.dir_body, lay.thrust_n, 0.1, 0.01, cfg.force_weight_m,
                              cfg.reg_nm2, tau, force)
        assert res.converged
        np.testing.assert_allclose(res.on_time_s, ref.on_time_s, rtol=0, atol=1e-7)
