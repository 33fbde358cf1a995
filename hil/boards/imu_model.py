"""The IMU's error model: what a strapdown IMU adds to the true delta-angle and delta-velocity.

For every output interval of length ``dt`` the model takes the true increments (the plant's cumulative
integrals differenced between outputs) and returns the measured ones:

    measured = (I + S + M) true + b dt + integral of x over dt + N W(dt) + fault terms, then quantised,

per sensor triad (gyro: rad and rad/s; accelerometer: m/s and m/s^2), with

- ``S`` the diagonal scale-factor errors and ``M`` the small off-diagonal misalignment (drawn once);
- ``b`` the turn-on bias (drawn once per axis);
- ``x`` the bias instability, a first-order Gauss-Markov process per axis with correlation time ``T``
  and stationary standard deviation ``sigma_gm``. It is advanced with the exact discrete solution of its
  stochastic differential equation over ``dt``: the next state and the integral over the interval are
  jointly Gaussian with the covariance given by :func:`gauss_markov_covariance`, so the statistics of the
  output are exact for any output interval (a slow coast rate loses nothing and smooths nothing);
- ``N W(dt)`` the angle (velocity) random walk: N(0, N^2 dt) per axis, exact for any ``dt``;
- quantisation to one LSB with the remainder carried into the next output, so quantisation never
  accumulates (the sum of the outputs is within one LSB of the sum of the unquantised increments).

Bias instability is quoted the IEEE Std 952 way, as the flicker floor ``B`` read from the Allan deviation
minimum (``sigma_A = 0.664 B``). A Gauss-Markov process of stationary sigma ``s`` has an Allan deviation
peak of ``0.6198 s`` at ``tau = 1.89 T`` (IEEE Std 952-1997 annex C), so the model uses
``sigma_gm = 0.664 B / 0.6198``: its Allan floor has the quoted level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]

DEG = math.pi / 180.0
HOUR_S = 3600.0
G0_MPS2 = 9.80665
FT_M = 0.3048
#: Allan deviation of a flicker floor B is 0.664 B; of a Gauss-Markov process of sigma s at most 0.6198 s.
FLICKER_ADEV_FACTOR = 0.664
GM_ADEV_PEAK_FACTOR = 0.6198
GM_ADEV_PEAK_TAU_OVER_T = 1.89


@dataclass(frozen=True)
class ImuGrade:
    """Error budget of one IMU grade, SI units. Figures and sources in :data:`GRADES`."""

    name: str
    gyro_bias_rps: float  # turn-on bias, 1 sigma per axis
    gyro_bias_instability_rps: float  # flicker floor B (Allan minimum / 0.664)
    gyro_arw_rad_per_sqrt_s: float  # angle random walk N
    gyro_scale_factor: float  # 1 sigma, dimensionless (5e-6 = 5 ppm)
    accel_bias_mps2: float
    accel_bias_instability_mps2: float
    accel_vrw_mps_per_sqrt_s: float
    accel_scale_factor: float
    misalignment_rad: float  # 1 sigma per off-diagonal element
    gyro_lsb_rad: float
    accel_lsb_mps: float
    correlation_time_s: float  # Gauss-Markov correlation time of the bias instability
    gyro_range_rps: float
    accel_range_mps2: float

    def __post_init__(self) -> None:
        for name, value in self.__dict__.items():
            if name == "name":
                continue
            if not (isinstance(value, float | int) and math.isfinite(value) and value >= 0.0):
                raise ValueError(
                    f"IMU grade {self.name}: {name} must be finite and non-negative, got {value!r}")
        positive = ("gyro_lsb_rad", "accel_lsb_mps", "correlation_time_s", "gyro_range_rps",
                    "accel_range_mps2")
        for name in positive:
            if getattr(self, name) <= 0.0:
                raise ValueError(f"IMU grade {self.name}: {name} must be positive")

    @property
    def gyro_gm_sigma_rps(self) -> float:
        return FLICKER_ADEV_FACTOR * self.gyro_bias_instability_rps / GM_ADEV_PEAK_FACTOR

    @property
    def accel_gm_sigma_mps2(self) -> float:
        return FLICKER_ADEV_FACTOR * self.accel_bias_instability_mps2 / GM_ADEV_PEAK_FACTOR

    def perfect(self) -> ImuGrade:
        """The same grade with every error zero (quantisation to a tiny LSB): a truth sensor."""
        return replace(
            self, name=f"{self.name}-perfect", gyro_bias_rps=0.0, gyro_bias_instability_rps=0.0,
            gyro_arw_rad_per_sqrt_s=0.0, gyro_scale_factor=0.0, accel_bias_mps2=0.0,
            accel_bias_instability_mps2=0.0, accel_vrw_mps_per_sqrt_s=0.0, accel_scale_factor=0.0,
            misalignment_rad=0.0, gyro_lsb_rad=1e-15, accel_lsb_mps=1e-15,
        )


#: The grades of reference/hardware.md. Brochure values: Honeywell HG9900 (navigation) gyro bias stability
#: 0.0035 deg/h, ARW 0.002 deg/sqrt(h), accelerometer bias 25 micro-g, scale factor gyro 5 ppm and
#: accelerometer 100 ppm; Honeywell HG1700 (tactical) gyro bias stability 1 deg/h, ARW 0.125 deg/sqrt(h),
#: accelerometer bias 1 milli-g, VRW 0.065 ft/s/sqrt(h). Every other figure is assumed (marked below):
#: chosen in proportion to the brochure figures of the same grade.
GRADES: dict[str, ImuGrade] = {
    "navigation": ImuGrade(
        name="navigation",
        gyro_bias_rps=0.0035 * DEG / HOUR_S,  # assumed: turn-on bias of the order of the stability
        gyro_bias_instability_rps=0.0035 * DEG / HOUR_S,
        gyro_arw_rad_per_sqrt_s=0.002 * DEG / math.sqrt(HOUR_S),
        gyro_scale_factor=5e-6,
        accel_bias_mps2=25e-6 * G0_MPS2,
        accel_bias_instability_mps2=10e-6 * G0_MPS2,  # assumed
        accel_vrw_mps_per_sqrt_s=0.008 * FT_M / math.sqrt(HOUR_S),  # assumed
        accel_scale_factor=100e-6,
        misalignment_rad=10e-6,  # assumed
        gyro_lsb_rad=2.0 ** -30,  # assumed: about 0.93 nrad
        accel_lsb_mps=2.0 ** -20,  # assumed: about 0.95 um/s
        correlation_time_s=3600.0,  # assumed
        gyro_range_rps=400.0 * DEG,  # assumed
        accel_range_mps2=30.0 * G0_MPS2,  # assumed
    ),
    "tactical": ImuGrade(
        name="tactical",
        gyro_bias_rps=1.0 * DEG / HOUR_S,  # assumed: turn-on bias of the order of the stability
        gyro_bias_instability_rps=1.0 * DEG / HOUR_S,
        gyro_arw_rad_per_sqrt_s=0.125 * DEG / math.sqrt(HOUR_S),
        gyro_scale_factor=150e-6,  # assumed
        accel_bias_mps2=1e-3 * G0_MPS2,
        accel_bias_instability_mps2=0.1e-3 * G0_MPS2,  # assumed
        accel_vrw_mps_per_sqrt_s=0.065 * FT_M / math.sqrt(HOUR_S),
        accel_scale_factor=300e-6,  # assumed
        misalignment_rad=100e-6,  # assumed
        gyro_lsb_rad=2.0 ** -20,  # assumed: about 0.95 urad
        accel_lsb_mps=2.0 ** -14,  # assumed: about 61 um/s
        correlation_time_s=300.0,  # assumed
        gyro_range_rps=1000.0 * DEG,  # assumed
        accel_range_mps2=37.0 * G0_MPS2,  # assumed
    ),
}


def grade(name: str) -> ImuGrade:
    try:
        return GRADES[name]
    except KeyError:
        raise ValueError(f"unknown IMU grade {name!r}: use one of {', '.join(GRADES)}") from None


def _f_var(x: float) -> float:
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
    c22 = s2 * tau_s * tau_s * _f_var(x)
    return phi, np.array([[c11, c12], [c12, c22]])


def _cholesky2(c: F64) -> F64:
    """Lower Cholesky factor of a 2x2 covariance that may be singular (sigma 0) or nearly so."""
    a = math.sqrt(max(c[0, 0], 0.0))
    b = c[1, 0] / a if a > 0.0 else 0.0
    d = math.sqrt(max(c[1, 1] - b * b, 0.0))
    return np.array([[a, 0.0], [b, d]])


@dataclass
class ImuFaultState:
    """Faults injected on command (the test-only IMU_FAULT_INJECT packet), in the model's units."""

    bias_jump: F64  # added to the bias: rad/s for axes 0-2, m/s^2 for axes 3-5
    noise_burst_sigma: F64  # extra white noise per output, rad or m/s, per axis
    noise_burst_until_s: float = -math.inf


_add_rows = np.add.reduce


class ImuErrorModel:
    """The error model of one IMU, drawn from ``seed``: constant errors at construction, noise per output."""

    def __init__(self, grade: ImuGrade, seed: int) -> None:
        self.grade = grade
        self.rng = np.random.default_rng(seed)
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
        self.remainder = np.zeros(6)
        self.faults = ImuFaultState(np.zeros(6), np.zeros(6))
        self._transition_cache: dict[float, tuple[float, float, F64, F64]] = {}

    def _sensor_matrix(self, scale_sigma: float, misalignment_sigma: float) -> F64:
        m = np.eye(3) + np.diag(self.rng.normal(0.0, scale_sigma, 3))
        off = self.rng.normal(0.0, misalignment_sigma, (3, 3))
        np.fill_diagonal(off, 0.0)
        return m + off

    def _transition(self, dt_s: float) -> tuple[float, float, F64, F64]:
        """For output interval ``dt_s``: (phi, k, noise, w1) where the Gauss-Markov state moves as
        ``phi x + w1 z0``, its integral over the interval is ``k x`` plus noise, and the whole random part of
        one output, from three standard normal draws per axis ``z`` (3 x 6), is ``(noise * z).sum(0)``:
        rows 0 and 1 the Gauss-Markov integral (the unit Cholesky factor's second row times sigma), row 2 the
        random walk (sigma sqrt(dt))."""
        hit = self._transition_cache.get(dt_s)
        if hit is not None:
            return hit
        tau = self.grade.correlation_time_s
        phi, unit = gauss_markov_covariance(dt_s, tau, 1.0)
        chol = _cholesky2(unit)
        # w = sigma * chol @ z: first row gives w1 (state), second w2 (integral)
        sigma = self.gm_sigma
        noise = np.stack([sigma * chol[1, 0], sigma * chol[1, 1], self.walk * math.sqrt(dt_s)])
        result = (phi, tau * -math.expm1(-dt_s / tau), noise, self.gm_sigma * chol[0, 0])
        if len(self._transition_cache) > 64:
            self._transition_cache.clear()
        self._transition_cache[dt_s] = result
        return result

    def errors_free(self, dtheta_true: F64, dv_true: F64) -> F64:
        """The deterministic part: scale factor and misalignment applied to the true increments."""
        return np.concatenate([self.gyro_matrix @ dtheta_true, self.accel_matrix @ dv_true])

    def measure(
        self, dtheta_true_rad: F64, dv_true_mps: F64, dt_s: float, t_s: float = 0.0
    ) -> tuple[F64, F64]:
        """Measured (delta-angle rad, delta-velocity m/s) over an output interval of ``dt_s`` ending at
        ``t_s``, with every error of the grade and the active faults; advances the noise state."""
        if not (math.isfinite(dt_s) and dt_s > 0.0):
            raise ValueError(f"output interval must be positive and finite, got {dt_s!r}")
        out = self.errors_free(np.asarray(dtheta_true_rad, float), np.asarray(dv_true_mps, float))
        phi, k, noise, w1 = self._transition(dt_s)
        z = self.rng.standard_normal((3, 6))
        out += (self.bias + self.faults.bias_jump) * dt_s + k * self.gm_state + _add_rows(noise * z, axis=0)
        self.gm_state = phi * self.gm_state + w1 * z[0]
        if t_s < self.faults.noise_burst_until_s:
            out += self.faults.noise_burst_sigma * self.rng.standard_normal(6)
        total = out + self.remainder
        quantised = np.rint(total / self.lsb) * self.lsb
        self.remainder = total - quantised
        return quantised[:3], quantised[3:]
