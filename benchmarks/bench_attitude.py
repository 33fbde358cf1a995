"""Attitude area: cost of a small cffi call (a quaternion product) and of one thruster allocation for the
stack's 46 Dracos, each against the same computation in the oracle of tests/oracles (numpy; its allocation
solves with scipy's bounded least squares finished in numpy), measured in the same run; the allocation over
the 16 attitude thrusters cold and warm-started cycle after cycle, and one whole control step in one core
call (``AttitudeStep``)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from firmware_bindings._core import lib

from benchmarks.timing import best_time_s, figure
from firmware_bindings import attitude as at
from firmware_bindings._arrays import dptr, dptr_out
from tests.oracles import attitude as oracle


def run(quick: bool) -> Iterator[dict[str, object]]:
    repeat = 3 if quick else 7
    rng = np.random.default_rng(0)
    a = oracle.quat_normalize(rng.normal(size=4))
    b = oracle.quat_normalize(rng.normal(size=4))
    out = np.empty(4)
    pa, pb, po = dptr(a), dptr(b), dptr_out(out)

    number = 2000 if quick else 20000
    raw_s = best_time_s(lambda: lib.fb_quat_multiply(1, pa, pb, po), repeat=repeat, number=number)
    api_s = best_time_s(lambda: at.quat_multiply(a, b), repeat=repeat, number=number)
    np_s = best_time_s(lambda: oracle.quat_multiply(a, b), repeat=repeat, number=number)
    yield figure("quat_multiply_cffi_call_ns", raw_s * 1e9, "ns")
    yield figure("quat_multiply_api_ns", api_s * 1e9, "ns")
    yield figure("quat_multiply_numpy_ns", np_s * 1e9, "ns")
    yield figure("quat_multiply_cffi_call_speedup", np_s / raw_s, "x")
    yield figure("quat_multiply_api_speedup", np_s / api_s, "x")

    n = 10_000
    qa = oracle.quat_normalize(rng.normal(size=(n, 4)))
    qb = oracle.quat_normalize(rng.normal(size=(n, 4)))
    batch_c = best_time_s(lambda: at.quat_multiply(qa, qb), repeat=repeat, number=5 if quick else 50)
    batch_np = best_time_s(lambda: oracle.quat_multiply(qa, qb), repeat=repeat, number=5 if quick else 50)
    yield figure("quat_multiply_batch10k_per_element_ns", batch_c / n * 1e9, "ns")
    yield figure("quat_multiply_batch10k_numpy_per_element_ns", batch_np / n * 1e9, "ns")
    yield figure("quat_multiply_batch10k_speedup", batch_np / batch_c, "x")

    gains = at.PdGains(kp_nm_per_rad=8e5, kd_nms_per_rad=2e7, rate_limit_rps=5e-3, torque_limit_nm=4e4)
    q_target = oracle.quat_normalize(rng.normal(size=4))
    w_rps = np.array([1e-3, -2e-3, 5e-4])
    pd_s = best_time_s(lambda: at.pd_torque(gains, a, q_target, w_rps), repeat=repeat, number=number // 4)

    def numpy_pd() -> object:
        return oracle.pd_torque(gains.kp_nm_per_rad, gains.kd_nms_per_rad, gains.rate_limit_rps,
                                gains.torque_limit_nm, a, q_target, w_rps)

    pd_np_s = best_time_s(numpy_pd, repeat=repeat, number=number // 4)
    yield figure("pd_torque_api_ns", pd_s * 1e9, "ns")
    yield figure("pd_torque_numpy_ns", pd_np_s * 1e9, "ns")
    yield figure("pd_torque_speedup", pd_np_s / pd_s, "x")

    layout = at.default_stack_layout()
    cfg = at.AllocatorConfig(cycle_s=0.1, min_on_s=0.0)
    tau_nm = np.array([3.0e3, -5.0e3, 8.0e3])
    force_n = np.array([100.0, 0.0, 0.0])
    alloc = at.allocate_thrusters(layout, cfg, tau_nm, force_n)
    c_s = best_time_s(lambda: at.allocate_thrusters(layout, cfg, tau_nm, force_n), repeat=repeat,
                      number=20 if quick else 200)

    def numpy_alloc() -> object:
        return oracle.allocate(layout.r_body_m, layout.dir_body, layout.thrust_n, cfg.cycle_s, cfg.min_on_s,
                               cfg.force_weight_m, cfg.reg_nm2, tau_nm, force_n, tol=cfg.tol,
                               max_iter=cfg.max_iter)

    np_alloc_s = best_time_s(numpy_alloc, repeat=repeat, number=2 if quick else 10)
    yield figure("allocate_46_thrusters_us", c_s * 1e6, "us")
    yield figure("allocate_46_thrusters_iterations", alloc.iterations, "iterations")
    yield figure("allocate_46_thrusters_numpy_us", np_alloc_s * 1e6, "us")
    yield figure("allocate_46_thrusters_speedup", np_alloc_s / c_s, "x")

    cfg_min = at.AllocatorConfig(cycle_s=0.1, min_on_s=0.01)
    min_s = best_time_s(lambda: at.allocate_thrusters(layout, cfg_min, tau_nm, force_n), repeat=repeat,
                        number=10 if quick else 100)
    yield figure("allocate_46_thrusters_min_on_10ms_us", min_s * 1e6, "us")

    att = layout.subset(layout.indices("ATT-"))
    cfg_att = at.AllocatorConfig(cycle_s=0.1, min_on_s=0.02)
    att_s = best_time_s(lambda: at.allocate_thrusters(att, cfg_att, tau_nm, np.zeros(3)), repeat=repeat,
                        number=20 if quick else 200)
    yield figure("allocate_16_attitude_min_on_20ms_us", att_s * 1e6, "us")

    warm = at.AllocatorWarmStart()
    k = [0]

    def warm_alloc() -> object:
        k[0] += 1  # a command that drifts by 0.1 % a cycle, as a PD torque does in a steady burn
        return at.allocate_thrusters(att, cfg_att, tau_nm * (1.0 + 1e-3 * (k[0] % 100)), np.zeros(3),
                                     warm=warm)

    warm_s = best_time_s(warm_alloc, repeat=repeat, number=20 if quick else 200)
    yield figure("allocate_16_attitude_min_on_20ms_warm_us", warm_s * 1e6, "us")
    yield figure("allocate_16_attitude_min_on_20ms_warm_iterations", warm_alloc().iterations, "iterations")

    step = at.AttitudeStep(gains, att, cfg_att)
    r_m, v_mps = (6.6e6, 0.0, 0.0), (0.0, 5.4e3, 5.4e3)
    q_t, _ = at.retrograde_target(r_m, v_mps)
    step_s = best_time_s(lambda: step(q_t, w_rps, r_m, v_mps), repeat=repeat, number=200 if quick else 2000)
    yield figure("attitude_step_one_call_us", step_s * 1e6, "us")
