"""Reference of the IMU error model in numpy: the oracle of the C core's fb_imu routines (csrc/fb_imu.h).

This is the model the emulated IMU board used before it moved into the core
(:mod:`hil.boards.imu_model` documents the model itself). Per output interval ``dt`` and axis:

    measured = (I + S + M) true + (b + j) dt + k x + sigma (l21 z0 + l22 z1) + N sqrt(dt) z2,
    x <- phi x + sigma l11 z0,   [+ burst sigma e while a noise burst is on],   quantised with the
    remainder carried,

with ``z`` = ``rng.standard_normal((3, 6))`` per output from the generator of ``seed`` (after the constants)
and the burst's draws ``e`` = ``standard_normal(6)`` from the second generator of :func:`burst_generator`.
The Gauss-Markov transition is the exact discrete solution (:func:`gauss_markov_covariance`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hil.boards.imu_model import ImuGrade

F64 = NDArray[np.float64]


def burst_generator(seed: int) -> np.random.Generator:
    """The generator of a noise burst's draws: the first child of ``seed``'s seed sequence."""
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])


def f_var(x: float) -> float:
    """2x - 3 + 4 e^-x - e^-2x (the integral's variance over sigma^2 T^2), accurate for small x."""
    if x < 1e-3:
        return x**3 * (2.0 / 3.0 - x / 2.0 + 7.0 * x * x / 30.0)
    return 2.0 * x + 4.0 * math.expm1(-x) - math.expm1(-2.0 * x)


def gauss_markov_covariance(dt_s: float, tau_s: float, sigma: float) -> tuple[float, F64]:
    """Exact one-interval transition of a first-order Gauss-Markov process and its integral.

    For ``dx = -x/T dt + sqrt(2 sigma^2 / T) dW``, over ``dt``: ``x1 = phi x0 + w1`` and
    ``integral of x over dt = T (1 - phi) x0 + w2`` with ``phi = exp(-dt/T)`` and (w1, w2) zero-mean
    Gaussian of covariance ``[[s^2 (1 - phi^2), s^2 T (1 - phi)^2], [., s^2 T^2 (2x - 3 + 4 phi - phi^2)]]``
    where ``x = dt/T``. Returns ``(phi, covariance)``.
    """
    if not (dt_s > 0.0 and tau_s > 0.0 and sigma >= 0.0):
        raise ValueError("need dt_s > 0, tau_s > 0 and sigma >= 0")
    x = dt_s / tau_s
    phi = math.exp(-x)
    one_minus_phi = -math.expm1(-x)
    s2 = sigma * sigma
    c11 = s2 * -math.expm1(-2.0 * x)
    c12 = s2 * tau_s * one_minus_phi**2
    c22 = s2 * tau_s * tau_s * f_var(x)
    return phi, np.array([[c11, c12], [c12, c22]])


def cholesky2(c: F64) -> F64:
    """Lower Cholesky factor of a 2x2 covariance that may be singular (sigma 0) or nearly so."""
    a = math.sqrt(max(c[0, 0], 0.0))
    b = c[1, 0] / a if a > 0.0 else 0.0
    d = math.sqrt(max(c[1, 1] - b * b, 0.0))
    return np.array([[a, 0.0], [b, d]])


def gm_transition(dt_s: float, tau_s: float) -> tuple[float, float, float, float, float]:
    """(phi, k, l11, l21, l22) of a unit-sigma process over ``dt_s``: the oracle of fb_imu_gm_transition."""
    phi, unit = gauss_markov_covariance(dt_s, tau_s, 1.0)
    chol = cholesky2(unit)
    k = tau_s * -math.expm1(-dt_s / tau_s)
    return phi, k, float(chol[0, 0]), float(chol[1, 0]), float(chol[1, 1])


@dataclass
class FaultState:
    bias_jump: F64
    noise_burst_sigma: F64
    noise_burst_until_s: float = -math.inf


class ImuErrorModel:
    """The numpy model of one IMU, drawn from ``seed`` the way hil.boards.imu_model.ImuErrorModel draws."""

    def __init__(self, grade: ImuGrade, seed: int) -> None:
        self.grade = grade
        self.rng = np.random.default_rng(seed)
        self.burst_rng = burst_generator(seed)
        g = grade
        rng = self.rng
        self.bias = np.concatenate(
            [rng.normal(0.0, g.gyro_bias_rps, 3), rng.normal(0.0, g.accel_bias_mps2, 3)])
        self.gyro_matrix = self._sensor_matrix(g.gyro_scale_factor, g.misalignment_rad)
        self.accel_matrix = self._sensor_matrix(g.accel_scale_factor, g.misalignment_rad)
        self.gm_sigma = np.array([g.gyro_gm_sigma_rps] * 3 + [g.accel_gm_sigma_mps2] * 3)
        self.gm_state = rng.normal(0.0, 1.0, 6) * self.gm_sigma  # stationary from the start
        self.walk = np.array([g.gyro_arw_rad_per_sqrt_s] * 3 + [g.accel_vrw_mps_per_sqrt_s] * 3)
        self.lsb = np.array([g.gyro_lsb_rad] * 3 + [g.accel_lsb_mps] * 3)
        self.correlation_time_s = g.correlation_time_s
        self.remainder = np.zeros(6)
        self.faults = FaultState(np.zeros(6), np.zeros(6))

    def _sensor_matrix(self, scale_sigma: float, misalignment_sigma: float) -> F64:
        m = np.eye(3) + np.diag(self.rng.normal(0.0, scale_sigma, 3))
        off = self.rng.normal(0.0, misalignment_sigma, (3, 3))
        np.fill_diagonal(off, 0.0)
        return m + off

    def step(self, dtheta_true_rad: F64, dv_true_mps: F64, dt_s: float, z: F64,
             burst_z: F64 | None = None) -> F64:
        """One output with the draws given: ``z`` of shape (3, 6), ``burst_z`` of 6 or None (no burst)."""
        out = np.concatenate([self.gyro_matrix @ np.asarray(dtheta_true_rad, float),
                              self.accel_matrix @ np.asarray(dv_true_mps, float)])
        phi, k, l11, l21, l22 = gm_transition(dt_s, self.correlation_time_s)
        sigma = self.gm_sigma
        noise = np.stack([sigma * l21, sigma * l22, self.walk * math.sqrt(dt_s)])
        random_part = np.add.reduce(noise * z, axis=0)
        out += (self.bias + self.faults.bias_jump) * dt_s + k * self.gm_state + random_part
        self.gm_state = phi * self.gm_state + (sigma * l11) * z[0]
        if burst_z is not None:
            out += self.faults.noise_burst_sigma * burst_z
        total = out + self.remainder
        quantised: F64 = np.rint(total / self.lsb) * self.lsb
        self.remainder = total - quantised
        return quantised

    def measure(self, dtheta_true_rad: F64, dv_true_mps: F64, dt_s: float, t_s: float = 0.0
                ) -> tuple[F64, F64]:
        """Measured (delta-angle rad, delta-velocity m/s) over ``dt_s`` ending at ``t_s``."""
        if not (math.isfinite(dt_s) and dt_s > 0.0):
            raise ValueError(f"output interval must be positive and finite, got {dt_s!r}")
        z = self.rng.standard_normal((3, 6))
        burst = self.burst_rng.standard_normal(6) if t_s < self.faults.noise_burst_until_s else None
        q = self.step(dtheta_true_rad, dv_true_mps, dt_s, z, burst)
        return q[:3], q[3:]


def clip_output(values: F64, dt_s: float, gyro_range_rps: float, accel_range_mps2: float) -> tuple[F64, int]:
    """The board's range check (hil/boards/imu.py before the core): a triad with a component beyond its
    range times ``dt_s`` is clipped to it; flags 1 gyro, 2 accelerometer."""
    out = values.copy()
    flags = 0
    for i, limit, flag in ((0, gyro_range_rps * dt_s, 1), (3, accel_range_mps2 * dt_s, 2)):
        if np.any(np.abs(out[i : i + 3]) > limit):
            flags |= flag
            out[i : i + 3] = np.clip(out[i : i + 3], -limit, limit)
    return out, flags
