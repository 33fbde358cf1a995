"""Properties of the attitude control law and the thruster allocator of the C core, against the numpy
oracle (tests/oracles/attitude.py) and scipy's bounded least squares."""

from __future__ import annotations

import numpy as np
from hypothesis import assume, example, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.optimize import lsq_linear

from firmware_bindings import attitude as at
from tests.oracles import attitude as oracle

unit_quats = arrays(np.float64, 4, elements=st.floats(-1.0, 1.0)).filter(
    lambda q: np.linalg.norm(q) > 1e-3).map(lambda q: q / np.linalg.norm(q))
gain3 = arrays(np.float64, 3, elements=st.floats(1e3, 1e7))
rates = arrays(np.float64, 3, elements=st.floats(-0.05, 0.05))
STACK = at.default_stack_layout()


@st.composite
def pd_setups(draw: st.DrawFn) -> tuple[at.PdGains, np.ndarray, np.ndarray, np.ndarray]:
    kp = draw(gain3)
    kd = kp * draw(arrays(np.float64, 3, elements=st.floats(5.0, 200.0)))
    gains = at.PdGains(kp_nm_per_rad=kp, kd_nms_per_rad=kd, rate_limit_rps=draw(st.floats(1e-4, 0.05)),
                       torque_limit_nm=draw(arrays(np.float64, 3, elements=st.floats(1.0, 1e5))))
    return gains, draw(unit_quats), draw(unit_quats), draw(rates)


@given(pd_setups())
def test_pd_torque_never_exceeds_its_limit_and_matches_oracle(setup: tuple) -> None:
    """Every axis of the PD torque is within its limit (exactly), and the torque equals the oracle's within
    1e-9 of the limit."""
    gains, qb, qt, w = setup
    tau = at.pd_torque(gains, qb, qt, w)
    assert np.all(np.abs(tau) <= gains.torque_limit_nm)
    ref = oracle.pd_torque(gains.kp_nm_per_rad, gains.kd_nms_per_rad, gains.rate_limit_rps,
                           gains.torque_limit_nm, qb, qt, w)
    np.testing.assert_allclose(tau, ref, rtol=0, atol=1e-9 * float(gains.torque_limit_nm.max()))


@given(pd_setups())
def test_pd_torque_at_rest_opposes_the_error(setup: tuple) -> None:
    """With the body at rest, the torque points against the attitude error e (torque . e < 0 unless e = 0)
    and, per axis, has the opposite sign of e wherever the torque is not zero."""
    gains, qb, qt, _ = setup
    tau = at.pd_torque(gains, qb, qt, np.zeros(3))
    e = at.rotvec_from_quat(at.quat_error(qb, qt))
    if np.linalg.norm(e) > 1e-12:
        assert float(tau @ e) < 0.0
    assert np.all(tau * e <= 0.0)


@given(pd_setups())
def test_large_errors_slew_at_no_more_than_the_rate_limit(setup: tuple) -> None:
    """With no torque limit active, the commanded rate w_cmd = w + tau / kd has norm at most the rate limit
    (within 1e-12 relative), whatever the error."""
    gains, qb, qt, w = setup
    free = at.PdGains(gains.kp_nm_per_rad, gains.kd_nms_per_rad, gains.rate_limit_rps, 1e30)
    tau = at.pd_torque(free, qb, qt, w)
    w_cmd = w + tau / gains.kd_nms_per_rad
    assert np.linalg.norm(w_cmd) <= gains.rate_limit_rps * (1.0 + 1e-12)


@given(unit_quats, rates)
def test_pd_torque_follows_a_moving_target(qt: np.ndarray, w_ref: np.ndarray) -> None:
    """On target and at the reference rate, the torque is zero (within 1e-9 N m): no fight with the
    reference motion."""
    gains = at.PdGains(1e5, 1e7, 0.01, 1e5)
    np.testing.assert_allclose(at.pd_torque(gains, qt, qt, w_ref, w_ref), 0.0, rtol=0, atol=1e-9)


@st.composite
def stack_commands(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """A command the stack can achieve: made from random on-fractions of a random subset of thrusters."""
    mask = draw(arrays(np.bool_, STACK.n))
    u = draw(arrays(np.float64, STACK.n, elements=st.floats(0.0, 1.0))) * mask
    return u, STACK.effectiveness() @ u


@given(stack_commands())
@example((np.zeros(46), np.zeros(6)))
def test_allocation_reproduces_an_achievable_command(cmd: tuple[np.ndarray, np.ndarray]) -> None:
    """A command made from on-times in [0, T] (min on-time 0) is reproduced within 1e-3 N m and 1e-4 N
    (commands reach ~1e5 N m), and the C and oracle allocations achieve the same within that."""
    _, b = cmd
    cfg = at.AllocatorConfig(cycle_s=0.1, min_on_s=0.0, max_iter=20000, tol=1e-13)
    res = at.allocate_thrusters(STACK, cfg, b[:3], b[3:])
    assert np.all((res.on_time_s >= 0.0) & (res.on_time_s <= 0.1))
    np.testing.assert_allclose(res.torque_residual_nm, 0.0, rtol=0, atol=1e-3)
    np.testing.assert_allclose(res.force_residual_n, 0.0, rtol=0, atol=1e-4)
    ref = oracle.allocate(STACK.r_body_m, STACK.dir_body, STACK.thrust_n, 0.1, 0.0, cfg.force_weight_m,
                          cfg.reg_nm2, b[:3], b[3:], tol=1e-13, max_iter=20000)
    np.testing.assert_allclose(res.torque_body_nm, ref.torque_body_nm, rtol=0, atol=1e-3)


@given(arrays(np.float64, 6, elements=st.floats(-1e5, 1e5)))
def test_allocation_is_the_bounded_least_squares_optimum(b: np.ndarray) -> None:
    """With no minimum on-time and no regularisation, the weighted residual is that of scipy's lsq_linear
    on the same bounded problem, within 1e-6 relative plus 1e-3 N m (commands may be unachievable)."""
    cfg = at.AllocatorConfig(cycle_s=1.0, min_on_s=0.0, force_weight_m=10.0, reg_nm2=0.0, tol=1e-13,
                             max_iter=50000)
    res = at.allocate_thrusters(STACK, cfg, b[:3], b[3:])
    w = np.array([1.0, 1.0, 1.0, 10.0, 10.0, 10.0])
    a = STACK.effectiveness() * w[:, None]
    best = lsq_linear(a, b * w, bounds=(0.0, 1.0), tol=1e-14, method="bvls")
    ours = float(np.linalg.norm(w * np.concatenate([res.torque_residual_nm, res.force_residual_n])))
    theirs = float(np.linalg.norm(a @ best.x - b * w))
    assert ours <= theirs * (1.0 + 1e-6) + 1e-3


@st.composite
def random_layouts(draw: st.DrawFn) -> at.ThrusterLayout:
    n = draw(st.integers(1, 24))
    r = draw(arrays(np.float64, (n, 3), elements=st.floats(-50.0, 50.0)))
    d = draw(arrays(np.float64, (n, 3), elements=st.floats(-1.0, 1.0)).filter(
        lambda m: bool(np.all(np.linalg.norm(m, axis=1) > 0.1))))
    f = draw(arrays(np.float64, n, elements=st.floats(1.0, 1000.0)))
    return at.ThrusterLayout(r_body_m=r, dir_body=d / np.linalg.norm(d, axis=1)[:, None], thrust_n=f)


@given(random_layouts(), arrays(np.float64, 6, elements=st.floats(-1e4, 1e4)), st.floats(0.05, 2.0),
       st.floats(0.0, 1.0))
def test_on_times_are_zero_or_between_the_minimum_and_the_cycle(
        layout: at.ThrusterLayout, b: np.ndarray, cycle_s: float, min_frac: float) -> None:
    """For any layout and command, every on-time is 0 or within [min_on_s, cycle_s]; the achieved torque and
    force are those of the on-times; and rounding never leaves the weighted residual worse than firing
    nothing (within 1e-9 relative)."""
    cfg = at.AllocatorConfig(cycle_s=cycle_s, min_on_s=min_frac * cycle_s, max_iter=2000)
    res = at.allocate_thrusters(layout, cfg, b[:3], b[3:])
    t = res.on_time_s
    assert np.all((t == 0.0) | ((t >= cfg.min_on_s) & (t <= cycle_s)))
    achieved = layout.effectiveness() @ (t / cycle_s)
    scale = 1e-12 * (1.0 + float(np.abs(layout.effectiveness()).sum()))
    np.testing.assert_allclose(res.torque_body_nm, achieved[:3], rtol=0, atol=scale)
    np.testing.assert_allclose(res.force_body_n, achieved[3:], rtol=0, atol=scale)
    w = np.array([1.0, 1.0, 1.0, 10.0, 10.0, 10.0])
    resid = np.linalg.norm(w * np.concatenate([res.torque_residual_nm, res.force_residual_n]))
    assert resid <= np.linalg.norm(w * b) * (1.0 + 1e-9) + scale


@given(random_layouts(), st.data(), st.sampled_from([0.005, 0.01, 0.02]))
def test_minimum_on_time_allocation_matches_oracle(layout: at.ThrusterLayout, data: st.DataObject,
                                                   min_on_s: float) -> None:
    """With a minimum on-time the C allocator and the oracle make the same rounding decisions on a layout
    without symmetries (where ties between equal pulses would be broken by rounding noise): same on-times
    within 0.1 us (both solve each bounded least-squares problem exactly: the C core by its active-set
    method, the oracle by scipy's bounded-variable least squares finished by a numpy active-set method; on
    ill-conditioned layouts, 1 N beside 935 N thrusters, they part by a few nanoseconds; 0.1 us is a
    ten-thousandth of a valve's millisecond response) and same achieved torque within 1e-6 of the
    layout's largest output."""
    e = layout.effectiveness()
    cols = e / np.maximum(np.linalg.norm(e, axis=0), 1e-300)
    gap = np.linalg.norm(cols[:, :, None] - cols[:, None, :], axis=0) + np.eye(layout.n) * 2.0
    assume(float(gap.min()) > 1e-3)  # no two thrusters alike: ties would be broken by rounding noise
    u = data.draw(arrays(np.float64, layout.n, elements=st.floats(0.0, 1.0)))
    b = e @ u
    cfg = at.AllocatorConfig(cycle_s=0.1, min_on_s=min_on_s)
    res = at.allocate_thrusters(layout, cfg, b[:3], b[3:])
    ref = oracle.allocate(layout.r_body_m, layout.dir_body, layout.thrust_n, 0.1, min_on_s,
                          cfg.force_weight_m, cfg.reg_nm2, b[:3], b[3:], tol=cfg.tol, max_iter=cfg.max_iter)
    np.testing.assert_allclose(res.on_time_s, ref.on_time_s, rtol=0, atol=1e-7)
    scale = float(np.abs(layout.effectiveness()).sum())
    np.testing.assert_allclose(res.torque_body_nm, ref.torque_body_nm, rtol=0, atol=1e-6 * scale)


orbit_vectors = st.tuples(arrays(np.float64, 3, elements=st.floats(-1.0, 1.0)),
                          arrays(np.float64, 3, elements=st.floats(-1.0, 1.0))).filter(
    lambda rv: bool(np.linalg.norm(rv[0]) > 0.1 and np.linalg.norm(rv[1]) > 0.1
                    and np.linalg.norm(np.cross(rv[0], rv[1]))
                    > 0.1 * np.linalg.norm(rv[0]) * np.linalg.norm(rv[1]))).map(
    lambda rv: (6.7e6 * rv[0] / np.linalg.norm(rv[0]), 7.7e3 * rv[1] / np.linalg.norm(rv[1])))
ATT = STACK.subset(STACK.indices("ATT-"))


@given(orbit_vectors, unit_quats, rates, st.booleans())
def test_attitude_step_matches_the_oracle_and_the_separate_calls(rv: tuple, q: np.ndarray, w: np.ndarray,
                                                                 trim: bool) -> None:
    """One fb_ctl_attitude_step equals its parts: the target, its rate, the reference rate and both error
    angles equal the numpy oracle's within 1e-12 (rad, rad/s; the quaternions' components within 1e-12,
    up to the sign that makes q and -q one rotation), the torque equals the PD law's with that reference
    rate within 1e-9 of its limit, and the on-times equal a cold allocation of that torque within 1 ns.
    Errors within 1e-6 rad of a half turn are left out: there the error axis is undefined."""
    r, v = rv
    gains = at.PdGains(kp_nm_per_rad=[5e5, 4e5, 8e5], kd_nms_per_rad=[2e7, 1.7e7, 3.2e7],
                       rate_limit_rps=0.0035, torque_limit_nm=26_000.0)
    cfg = at.AllocatorConfig(cycle_s=0.1, min_on_s=0.02)
    force = (800.0 if trim else 0.0, 0.0, 0.0)
    res = at.AttitudeStep(gains, ATT, cfg)(q, w, r, v, force)
    ref = oracle.attitude_step_errors(q, r, v)
    assume(ref.attitude_error_rad < np.pi - 1e-6)
    q_ref = ref.q_target_from_eci
    if float(np.dot(res.q_target_from_eci, q_ref)) < 0.0:  # q and -q are one rotation (w = 0 has both)
        q_ref = -q_ref
    np.testing.assert_allclose(res.q_target_from_eci, q_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.omega_target_rps, ref.omega_target_rps, rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.omega_ref_body_rps, ref.omega_ref_body_rps, rtol=0, atol=1e-12)
    assert abs(res.attitude_error_rad - ref.attitude_error_rad) < 1e-12
    assert abs(res.thrust_axis_error_rad - ref.thrust_axis_error_rad) < 1e-12
    tau = oracle.pd_torque(gains.kp_nm_per_rad, gains.kd_nms_per_rad, gains.rate_limit_rps,
                           gains.torque_limit_nm, q, ref.q_target_from_eci, w, ref.omega_ref_body_rps)
    np.testing.assert_allclose(res.torque_cmd_body_nm, tau, rtol=0, atol=1e-9 * 26_000.0)
    cold = at.allocate_thrusters(ATT, cfg, res.torque_cmd_body_nm, force)
    np.testing.assert_allclose(res.on_time_s, cold.on_time_s, rtol=0, atol=1e-9)


@given(st.lists(arrays(np.float64, 3, elements=st.floats(-3e4, 3e4)), min_size=2, max_size=8),
       st.sampled_from([0.0, 0.01, 0.02]))
def test_warm_start_changes_the_iterations_not_the_result(torques: list, min_on_s: float) -> None:
    """A sequence of commands allocated with a warm start kept from cycle to cycle gives the same on-times
    as each allocated cold, within 1 ns (the solution is unique), and the warm start holds one active-set
    entry per thruster of the layout."""
    cfg = at.AllocatorConfig(cycle_s=0.1, min_on_s=min_on_s)
    warm = at.AllocatorWarmStart()
    for tau in torques:
        hot = at.allocate_thrusters(ATT, cfg, tau, warm=warm)
        cold = at.allocate_thrusters(ATT, cfg, tau)
        np.testing.assert_allclose(hot.on_time_s, cold.on_time_s, rtol=0, atol=1e-9)
        assert len(warm.active_set) == ATT.n and set(warm.active_set) <= {-1, 0, 1}
