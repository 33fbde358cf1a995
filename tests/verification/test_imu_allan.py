"""Verification of the IMU error model by Allan deviation (IEEE Std 952-1997, annex C).

A long static run (no rotation, no specific force) of the board's error model at a fixed seed is reduced
to the overlapping Allan variance of each triad (pooled over its three axes), and the model
``AVAR(tau) = N^2 / tau + s^2 g_T(tau)`` (white rate noise plus a Gauss-Markov bias of the configured
correlation time T) is fitted by least squares. The recovered angle (velocity) random walk N and bias
instability B (the Allan floor of the bias process over 0.664, IEEE Std 952 C.1.4) must match the grade's
configured values within 20 %. Authority: the grade figures of reference/hardware.md (Honeywell HG9900 and
HG1700 brochure values) and the Allan variance definitions of IEEE Std 952-1997.

Runs: tactical at 1 s outputs for 10^5 s (333 correlation times), navigation at 10 s outputs (the coast
rate) for 10^6 s (278 correlation times): the statistics hold at any output interval.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.typing import NDArray

from hil.boards.imu_model import FLICKER_ADEV_FACTOR, GM_ADEV_PEAK_FACTOR, GRADES, ImuErrorModel

F64 = NDArray[np.float64]
TOLERANCE = 0.20


def overlapping_avar(theta: F64, dt_s: float, m_values: NDArray[np.int64]) -> tuple[F64, F64]:
    """(tau, Allan variance) from cumulative angle series (rows: time, columns: axes, pooled) sampled every
    ``dt_s``: AVAR(tau) = < (theta[k+2m] - 2 theta[k+m] + theta[k])^2 > / (2 tau^2), tau = m dt."""
    taus, avars = [], []
    for m in (int(x) for x in m_values):
        if 2 * m >= len(theta):
            break
        d = theta[2 * m :] - 2.0 * theta[m:-m] + theta[: -2 * m]
        tau = m * dt_s
        taus.append(tau)
        avars.append(float(np.mean(d * d)) / (2.0 * tau * tau))
    return np.array(taus), np.array(avars)


def gauss_markov_avar(tau: F64, corr_s: float) -> F64:
    """Allan variance of a unit-sigma first-order Gauss-Markov rate of correlation time ``corr_s``."""
    x = tau / corr_s
    return (2.0 * corr_s / tau) * (1.0 - (3.0 - 4.0 * np.exp(-x) + np.exp(-2.0 * x)) / (2.0 * x))


def fit_white_and_gm(tau: F64, avar: F64, corr_s: float) -> tuple[float, float]:
    """Least squares with relative weights of AVAR = N^2 / tau + s^2 g_T(tau): returns (N, s)."""
    a = np.column_stack([1.0 / tau, gauss_markov_avar(tau, corr_s)]) / avar[:, None]
    coef, *_ = np.linalg.lstsq(a, np.ones_like(avar), rcond=None)
    return math.sqrt(max(float(coef[0]), 0.0)), math.sqrt(max(float(coef[1]), 0.0))


def static_run(grade_name: str, dt_s: float, n: int, seed: int) -> F64:
    model = ImuErrorModel(GRADES[grade_name], seed)
    zero = np.zeros(3)
    out = np.empty((n + 1, 6))
    out[0] = 0.0
    for i in range(1, n + 1):
        theta, vel = model.measure(zero, zero, dt_s)
        out[i, :3] = theta
        out[i, 3:] = vel
    return np.cumsum(out, axis=0)


@pytest.mark.parametrize(("grade_name", "dt_s", "n"),
                         [("tactical", 1.0, 100_000), ("navigation", 10.0, 100_000)])
def test_allan_deviation_recovers_random_walk_and_bias_instability(
    grade_name: str, dt_s: float, n: int
) -> None:
    """Fitted N and B of gyro and accelerometer triads are within 20 % of the grade's configured values."""
    g = GRADES[grade_name]
    cumulative = static_run(grade_name, dt_s, n, seed=2024)
    m_values = np.unique(np.logspace(0, math.log10(n / 5), 40).astype(np.int64))
    triads = {
        "gyro": (slice(0, 3), g.gyro_arw_rad_per_sqrt_s, g.gyro_bias_instability_rps),
        "accel": (slice(3, 6), g.accel_vrw_mps_per_sqrt_s, g.accel_bias_instability_mps2),
    }
    for name, (axes, walk, instability) in triads.items():
        tau, avar = overlapping_avar(cumulative[:, axes], dt_s, m_values)
        n_fit, s_fit = fit_white_and_gm(tau, avar, g.correlation_time_s)
        b_fit = s_fit * GM_ADEV_PEAK_FACTOR / FLICKER_ADEV_FACTOR
        assert abs(n_fit / walk - 1.0) < TOLERANCE, f"{grade_name} {name}: random walk {n_fit} vs {walk}"
        assert abs(b_fit / instability - 1.0) < TOLERANCE, (
            f"{grade_name} {name}: bias instability {b_fit} vs {instability}")
