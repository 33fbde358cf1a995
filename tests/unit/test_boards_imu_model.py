"""Unit tests of the IMU error model and grades (hil.boards.imu_model)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from hil.boards.imu_model import DEG, GRADES, HOUR_S, ImuErrorModel, grade


def test_grades_carry_the_reference_figures() -> None:
    """Navigation: ARW 0.002 deg/sqrt(h), bias stability 0.0035 deg/h; tactical: 0.125 deg/sqrt(h), 1 deg/h
    (reference/hardware.md), to 1e-12 relative."""
    nav, tac = GRADES["navigation"], GRADES["tactical"]
    assert math.isclose(nav.gyro_arw_rad_per_sqrt_s, 0.002 * DEG / math.sqrt(HOUR_S), rel_tol=1e-12)
    assert math.isclose(nav.gyro_bias_instability_rps, 0.0035 * DEG / HOUR_S, rel_tol=1e-12)
    assert math.isclose(tac.gyro_arw_rad_per_sqrt_s, 0.125 * DEG / math.sqrt(HOUR_S), rel_tol=1e-12)
    assert math.isclose(tac.gyro_bias_instability_rps, 1.0 * DEG / HOUR_S, rel_tol=1e-12)
    with pytest.raises(ValueError, match="unknown IMU grade"):
        grade("consumer")


def test_perfect_grade_passes_the_truth_through() -> None:
    """A perfect sensor returns the true increments to 1e-14 rad and m/s."""
    model = ImuErrorModel(GRADES["navigation"].perfect(), 3)
    true_theta, true_v = np.array([1e-3, -2e-4, 5e-5]), np.array([0.02, 0.0, -0.01])
    out_theta, out_v = model.measure(true_theta, true_v, 0.1)
    assert np.allclose(out_theta, true_theta, atol=1e-14)
    assert np.allclose(out_v, true_v, atol=1e-14)


@pytest.mark.parametrize("dt_s", [0.01, 10.0])
def test_random_walk_variance_is_exact_for_any_interval(dt_s: float) -> None:
    """With only the random walks on, output variance is N^2 dt for 0.01 s and 10 s intervals, within 4 %
    (20,000 outputs: the sample variance's 1-sigma spread is 1 %)."""
    g0 = GRADES["tactical"].perfect()
    tac = GRADES["tactical"]
    g = dataclasses.replace(g0, gyro_arw_rad_per_sqrt_s=tac.gyro_arw_rad_per_sqrt_s,
                            accel_vrw_mps_per_sqrt_s=tac.accel_vrw_mps_per_sqrt_s)
    model = ImuErrorModel(g, 11)
    out = np.array([np.concatenate(model.measure(np.zeros(3), np.zeros(3), dt_s)) for _ in range(20_000)])
    var = out.var(axis=0)
    expected = np.array([g.gyro_arw_rad_per_sqrt_s] * 3 + [g.accel_vrw_mps_per_sqrt_s] * 3) ** 2 * dt_s
    assert np.all(np.abs(var / expected - 1.0) < 0.04)


def test_scale_factor_and_misalignment_stay_within_the_grade() -> None:
    """Drawn scale factors are within 5 sigma of the grade's (100 ppm accelerometer, navigation)."""
    g = GRADES["navigation"]
    model = ImuErrorModel(g, 5)
    sf = np.diag(model.accel_matrix) - 1.0
    off = model.accel_matrix - np.diag(np.diag(model.accel_matrix))
    assert np.all(np.abs(sf) < 5 * g.accel_scale_factor)
    assert np.all(np.abs(off) < 5 * g.misalignment_rad)


def test_bad_interval_is_refused() -> None:
    """A zero, negative or non-finite output interval raises ValueError."""
    model = ImuErrorModel(GRADES["tactical"], 0)
    for dt in (0.0, -1.0, math.inf, math.nan):
        with pytest.raises(ValueError, match="output interval"):
            model.measure(np.zeros(3), np.zeros(3), dt)


def test_noise_burst_does_not_shift_the_main_stream() -> None:
    """A noise burst draws from its own generator: after a 5-output burst of 0.01 rad and m/s, a model's
    outputs are those of the same seed without the burst within one LSB (only the carried quantisation
    remainder differs), and during it they differ by the burst's size (above 1e-4 on some axis)."""
    g = GRADES["tactical"]
    quiet, burst = ImuErrorModel(g, 21), ImuErrorModel(g, 21)
    burst.faults.noise_burst_sigma[:] = 0.01
    burst.faults.noise_burst_until_s = 0.45
    zero = np.zeros(3)
    lsb = np.array([g.gyro_lsb_rad] * 3 + [g.accel_lsb_mps] * 3) * (1.0 + 1e-9)
    for k in range(1, 21):
        a = np.concatenate(quiet.measure(zero, zero, 0.1, 0.1 * k))
        b = np.concatenate(burst.measure(zero, zero, 0.1, 0.1 * k))
        if 0.1 * k < 0.45:
            assert np.max(np.abs(a - b)) > 1e-4
        else:
            assert np.all(np.abs(a - b) <= lsb)
