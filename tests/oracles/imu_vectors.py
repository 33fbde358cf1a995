"""Writes the IMU error model's vector file, tests/vectors/imu.vec.

Run ``python -m tests.oracles.imu_vectors`` from the worktree root.

The Gauss-Markov transition has closed-form checks typed in here: at ``dt = T ln 2`` (phi = 1/2 exactly)
and in the long-interval limit ``dt = 1000 T`` (phi underflows to 0), from the state variance
``sigma^2 (1 - phi^2)`` of the first-order Gauss-Markov process (Gelb, Applied Optimal Estimation, 1974,
ch. 3) and the integral's variance ``sigma^2 T^2 (2x - 3 + 4 phi - phi^2)`` (the same expression gives the
process's Allan variance, IEEE Std 952-1997 annex C): with phi = 1/2, l11 = sqrt(3)/2, l21 = T / (2 sqrt 3),
l22 = T sqrt(2 ln 2 - 4/3); with phi = 0, l11 = 1, l21 = T, l22 = T sqrt(2x - 4), the integral a random
walk of variance 2 sigma^2 T dt less a constant. Every other expected value comes from the numpy reference
tests/oracles/imu_model.py for fixed standard normal draws (numpy default_rng(20261124)), never from the
core.
"""

from __future__ import annotations

import math

import numpy as np

from hil.boards.imu_model import GRADES
from tests.oracles import imu_model as ref
from tests.vectorfile import VECTOR_DIR, format_line, write_vectors

OK, E_NULL, E_NONFINITE, E_RANGE = 0, 1, 2, 3
MODEL_DOUBLES = 75


def members(m: ref.ImuErrorModel, accum_prev: np.ndarray, gyro_range: float, accel_range: float
            ) -> list[float]:
    """The 75 members of fb_imu_model, in order, of a reference model."""
    return [*m.gyro_matrix.ravel(), *m.accel_matrix.ravel(), *m.bias, *m.faults.bias_jump, *m.gm_sigma,
            *m.gm_state, *m.walk, *m.lsb, *m.remainder, *m.faults.noise_burst_sigma, *accum_prev,
            m.correlation_time_s, gyro_range, accel_range]


def transition_lines() -> list[str]:
    lines = ["# fb_imu_gm_transition: closed form at dt = T ln 2 (phi = 1/2)"]
    for tau in (1.0, 300.0):
        expect = [0.5, tau / 2.0, math.sqrt(3.0) / 2.0, tau / (2.0 * math.sqrt(3.0)),
                  tau * math.sqrt(2.0 * math.log(2.0) - 4.0 / 3.0)]
        lines.append(format_line("imu_gm_transition", OK, 1e-13 * tau, [tau * math.log(2.0), tau], expect))
    lines.append("# fb_imu_gm_transition: long-interval limit dt = 1000 T (phi = 0)")
    for tau in (2.0, 3600.0):
        expect = [0.0, tau, 1.0, tau, tau * math.sqrt(2.0 * 1000.0 - 4.0)]
        lines.append(format_line("imu_gm_transition", OK, 1e-13 * tau, [1000.0 * tau, tau], expect))
    lines.append("# fb_imu_gm_transition: reference values (series below dt/T = 1e-3, closed form above)")
    for tau in (1.0, 300.0, 3600.0, 1e5):
        for dt in (1e-3, 0.01, 0.1, 0.2999 * tau * 1e-2, 1e-3 * tau * 0.999, 1e-3 * tau * 1.001, 1.0, 10.0,
                   100.0, tau, 7.5 * tau):
            coef = ref.gm_transition(dt, tau)
            lines.append(format_line("imu_gm_transition", OK, 1e-12 * max(abs(c) for c in coef), [dt, tau],
                                     coef))
    lines.append("# fb_imu_gm_transition: refused intervals and correlation times")
    for dt, tau, status in ((0.0, 1.0, E_RANGE), (-1.0, 1.0, E_RANGE), (1.0, 0.0, E_RANGE),
                            (1.0, -5.0, E_RANGE), (math.inf, 1.0, E_RANGE), (1e300, 1e-300, E_RANGE),
                            (math.nan, 1.0, E_NONFINITE), (1.0, math.nan, E_NONFINITE)):
        lines.append(format_line("imu_gm_transition", status, 0.0, [dt, tau], [0.0] * 5))
    return lines


def init_inputs(m: ref.ImuErrorModel, gyro_range: float, accel_range: float) -> list[float]:
    return [*m.gyro_matrix.ravel(), *m.accel_matrix.ravel(), *m.bias, *m.gm_sigma, *m.gm_state, *m.walk,
            *m.lsb, m.correlation_time_s, gyro_range, accel_range]


def init_lines() -> list[str]:
    lines = ["# fb_imu_init: the constants of each grade drawn from seed 1 (faults, remainder and",
             "# accum_prev zero)"]
    for g in GRADES.values():
        m = ref.ImuErrorModel(g, 1)
        ins = init_inputs(m, g.gyro_range_rps, g.accel_range_mps2)
        lines.append(format_line("imu_init", OK, 0.0, ins,
                                 members(m, np.zeros(6), g.gyro_range_rps, g.accel_range_mps2)))
    g = GRADES["tactical"]
    good = init_inputs(ref.ImuErrorModel(g, 1), g.gyro_range_rps, g.accel_range_mps2)
    lines.append("# fb_imu_init: refused constants (NaN bias, negative sigma or walk, zero LSB, time, range)")
    refused = ((18, math.nan, E_NONFINITE), (0, math.inf, E_NONFINITE), (24, -1e-9, E_RANGE),
               (36, -1.0, E_RANGE), (42, 0.0, E_RANGE), (47, -1.0, E_RANGE), (48, 0.0, E_RANGE),
               (49, 0.0, E_RANGE), (50, -1.0, E_RANGE))
    for at, value, status in refused:
        bad = list(good)
        bad[at] = value
        lines.append(format_line("imu_init", status, 0.0, bad, [0.0] * MODEL_DOUBLES))
    return lines


def _model(grade_name: str, seed: int, rng: np.random.Generator, faults: bool) -> ref.ImuErrorModel:
    m = ref.ImuErrorModel(GRADES[grade_name], seed)
    m.remainder = (rng.random(6) - 0.5) * m.lsb
    if faults:
        m.faults.bias_jump[:] = rng.normal(0.0, 1e-3, 6)
        m.faults.noise_burst_sigma[:] = np.abs(rng.normal(0.0, 1e-2, 6))
    return m


def measure_lines() -> list[str]:
    rng = np.random.default_rng(20261124)
    lines = ["# fb_imu_measure: one output of the reference model with fixed draws; outputs must be exact,",
             "# state and remainder within a thousandth of the smallest LSB"]
    for k in range(24):
        grade_name = ("navigation", "tactical")[k % 2]
        faults, burst = k % 3 == 1, k % 3 == 2
        m = _model(grade_name, k, rng, faults or burst)
        dt = float(10.0 ** rng.uniform(-3, 2))
        dtheta, dv = rng.normal(0.0, 0.1, 3) * dt, rng.normal(0.0, 5.0, 3) * dt
        z = rng.standard_normal((3, 6))
        bz = rng.standard_normal(6)
        before = members(m, np.zeros(6), 1.0, 1.0)
        out = m.step(dtheta, dv, dt, z, bz if burst else None)
        tol = 1e-3 * float(m.lsb.min())
        ins = [*before, *dtheta, *dv, dt, *z.ravel(), float(burst), *bz]
        lines.append(format_line("imu_measure", OK, tol, ins, [*out, *m.gm_state, *m.remainder]))
    m = _model("tactical", 99, rng, False)
    base = members(m, np.zeros(6), 1.0, 1.0)
    zs = list(rng.standard_normal(18))
    lines.append("# fb_imu_measure: refused inputs (interval zero, negative, infinite, NaN; a NaN increment")
    lines.append("# or an infinite draw)")
    refused = ((0.0, 0.0, 0.0, E_RANGE), (-0.1, 0.0, 0.0, E_RANGE), (math.inf, 0.0, 0.0, E_RANGE),
               (math.nan, 0.0, 0.0, E_NONFINITE), (0.1, math.nan, 0.0, E_NONFINITE),
               (0.1, 0.0, math.inf, E_NONFINITE))
    for dt, dth0, z0, status in refused:
        ins = [*base, dth0, 0, 0, 0, 0, 0, dt, z0, *zs[1:], 0.0, *[0.0] * 6]
        lines.append(format_line("imu_measure", status, 0.0, ins, [0.0] * 18))
    return lines


def output_lines() -> list[str]:
    rng = np.random.default_rng(20261125)
    lines = ["# fb_imu_output: differencing, one output of the reference model and the board's range check",
             "# (hil/boards/imu.py before the core); outputs and flags exact, state within 1e-3 smallest LSB"]
    for k in range(16):
        grade_name = ("navigation", "tactical")[k % 2]
        g = GRADES[grade_name]
        burst = k % 4 == 3
        m = _model(grade_name, 100 + k, rng, burst)
        dt = float(10.0 ** rng.uniform(-3, 1))
        accum_prev = rng.normal(0.0, 100.0, 6)
        # every fourth output beyond the gyro range, every fifth beyond the accelerometer range
        rate = rng.normal(0.0, 0.1, 3) + (3.0 * g.gyro_range_rps if k % 4 == 0 else 0.0)
        accel = rng.normal(0.0, 5.0, 3) - (3.0 * g.accel_range_mps2 if k % 5 == 0 else 0.0)
        theta_cum = accum_prev[:3] + rate * dt
        vel_cum = accum_prev[3:] + accel * dt
        z = rng.standard_normal((3, 6))
        bz = rng.standard_normal(6)
        before = members(m, accum_prev, g.gyro_range_rps, g.accel_range_mps2)
        raw = m.step(theta_cum - accum_prev[:3], vel_cum - accum_prev[3:], dt, z, bz if burst else None)
        out, flags = ref.clip_output(raw, dt, g.gyro_range_rps, g.accel_range_mps2)
        tol = 1e-3 * float(m.lsb.min())
        lines.append(format_line("imu_output", OK, tol,
                                 [*before, *theta_cum, *vel_cum, dt, *z.ravel(), float(burst), *bz],
                                 [*out, float(flags), *m.gm_state, *m.remainder, *theta_cum, *vel_cum]))
    return lines


def null_lines() -> list[str]:
    return ["# every required pointer of every entry point NULL in turn: FB_E_NULL"] + [
        format_line("imu_null", E_NULL, 0.0, [float(i)], [0.0]) for i in range(15)]


def main() -> None:
    provenance = [
        "provenance: the numpy reference of the IMU error model, tests/oracles/imu_model.py, for fixed",
        "standard normal draws (numpy default_rng(20261124) and (20261125)); the Gauss-Markov transition's",
        "closed forms at dt = T ln 2 and dt = 1000 T from the exact discrete solution of the first-order",
        "Gauss-Markov process (Gelb, Applied Optimal Estimation, 1974, ch. 3; IEEE Std 952-1997 annex C).",
        "Written by tests/oracles/imu_vectors.py, do not edit by hand.",
    ]
    lines = transition_lines() + init_lines() + measure_lines() + output_lines() + null_lines()
    write_vectors(VECTOR_DIR / "imu.vec", provenance, lines)


if __name__ == "__main__":
    main()
