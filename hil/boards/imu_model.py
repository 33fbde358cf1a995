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

The arithmetic runs in the C core (:mod:`firmware_bindings.imu`, ``csrc/fb_imu.h``); the random numbers
stay in numpy. The generator ``numpy.random.default_rng(seed)`` draws the constants (turn-on bias, the
sensor matrices, the initial Gauss-Markov state) and then 18 standard normals per output, in blocks of
256 outputs (the same stream as 18 at a time). A noise burst's extra 6 draws per output come from a
second generator, the first child of ``seed``'s seed sequence
(``default_rng(SeedSequence(seed).spawn(1)[0])``), so that a burst does not shift the main stream.
The numpy reference of the model is tests/oracles/imu_model.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from firmware_bindings.imu import ImuModel, StandardNormals, gm_transition

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


def gauss_markov_transition(dt_s: float, tau_s: float) -> tuple[float, float, float, float, float]:
    """The exact transition of a unit-sigma first-order Gauss-Markov process of correlation time ``tau_s``
    and of its integral over ``dt_s``: ``(phi, k, l11, l21, l22)``, ``x1 = phi x0 + l11 z0`` and
    ``integral = k x0 + l21 z0 + l22 z1`` for independent standard normals (:func:`gm_transition` of the
    core). Raises ValueError unless ``dt_s > 0`` and ``tau_s > 0``."""
    return gm_transition(dt_s, tau_s)


_LINKED = ("bias_jump", "noise_burst_sigma")


@dataclass
class ImuFaultState:
    """Faults injected on command (the test-only IMU_FAULT_INJECT packet), in the model's units.

    In an :class:`ImuErrorModel` the two arrays are views onto the core model: change them in place
    (``faults.bias_jump[2] += 1e-3``); assigning a new array copies its values in."""

    bias_jump: F64  # added to the bias: rad/s for axes 0-2, m/s^2 for axes 3-5
    noise_burst_sigma: F64  # extra white noise per output, rad or m/s, per axis
    noise_burst_until_s: float = -math.inf

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LINKED and name in self.__dict__:
            self.__dict__[name][:] = value  # keep the view onto the core model
        else:
            object.__setattr__(self, name, value)


def _f64(x: ArrayLike, shape: tuple[int, ...], name: str) -> F64:
    a = np.array(x, dtype=np.float64)
    if a.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {a.shape}")
    return a


class ImuErrorModel:
    """The error model of one IMU, drawn from ``seed``: constant errors at construction, noise per output.

    ``bias``, ``gyro_matrix``, ``accel_matrix``, ``gm_sigma``, ``gm_state``, ``walk``, ``lsb`` and
    ``remainder`` are numpy views onto the core model (see :class:`firmware_bindings.imu.ImuModel`).
    Random numbers: ``rng`` (``default_rng(seed)``) draws the constants, then 18 standard normals per
    output in blocks of 256 outputs; a noise burst's 6 draws per output come from ``burst_rng``, the first
    child of ``SeedSequence(seed)``, so the main stream, and with it every output after a burst, does not
    depend on bursts (before this model moved into the core, bursts drew from ``rng``)."""

    def __init__(self, grade: ImuGrade, seed: int) -> None:
        self.grade = grade
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.burst_rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
        g = grade
        rng = self.rng
        bias = np.concatenate([rng.normal(0.0, g.gyro_bias_rps, 3), rng.normal(0.0, g.accel_bias_mps2, 3)])
        gyro_matrix = self._sensor_matrix(g.gyro_scale_factor, g.misalignment_rad)
        accel_matrix = self._sensor_matrix(g.accel_scale_factor, g.misalignment_rad)
        gm_sigma = np.array([g.gyro_gm_sigma_rps] * 3 + [g.accel_gm_sigma_mps2] * 3)
        gm_state = rng.normal(0.0, 1.0, 6) * gm_sigma  # stationary from the start
        walk = np.array([g.gyro_arw_rad_per_sqrt_s] * 3 + [g.accel_vrw_mps_per_sqrt_s] * 3)
        lsb = np.array([g.gyro_lsb_rad] * 3 + [g.accel_lsb_mps] * 3)
        self.core = ImuModel(gyro_matrix, accel_matrix, bias, gm_sigma, gm_state, walk, lsb,
                             g.correlation_time_s, g.gyro_range_rps, g.accel_range_mps2)
        self.normals = StandardNormals(rng)
        self._faults = ImuFaultState(self.core.bias_jump, self.core.burst_sigma)

    def _sensor_matrix(self, scale_sigma: float, misalignment_sigma: float) -> F64:
        m = np.eye(3) + np.diag(self.rng.normal(0.0, scale_sigma, 3))
        off = self.rng.normal(0.0, misalignment_sigma, (3, 3))
        np.fill_diagonal(off, 0.0)
        return m + off

    # -- the constants and the state, as views onto the core model -----------------------------------
    @property
    def faults(self) -> ImuFaultState:
        return self._faults

    @faults.setter
    def faults(self, value: ImuFaultState) -> None:
        self._faults.bias_jump = _f64(value.bias_jump, (6,), "bias_jump")
        self._faults.noise_burst_sigma = _f64(value.noise_burst_sigma, (6,), "noise_burst_sigma")
        self._faults.noise_burst_until_s = float(value.noise_burst_until_s)

    @property
    def bias(self) -> F64:
        return self.core.bias

    @property
    def gyro_matrix(self) -> F64:
        return self.core.gyro_matrix

    @property
    def accel_matrix(self) -> F64:
        return self.core.accel_matrix

    @property
    def gm_sigma(self) -> F64:
        return self.core.gm_sigma

    @property
    def gm_state(self) -> F64:
        return self.core.gm_state

    @gm_state.setter
    def gm_state(self, value: ArrayLike) -> None:
        self.core.gm_state[:] = _f64(value, (6,), "gm_state")

    @property
    def walk(self) -> F64:
        return self.core.walk

    @property
    def lsb(self) -> F64:
        return self.core.lsb

    @property
    def remainder(self) -> F64:
        return self.core.remainder

    @remainder.setter
    def remainder(self, value: ArrayLike) -> None:
        self.core.remainder[:] = _f64(value, (6,), "remainder")

    def errors_free(self, dtheta_true: F64, dv_true: F64) -> F64:
        """The deterministic part: scale factor and misalignment applied to the true increments."""
        return np.concatenate([self.gyro_matrix @ dtheta_true, self.accel_matrix @ dv_true])

    # -- outputs ---------------------------------------------------------------------------------------
    def _burst(self, t_s: float) -> F64 | None:
        """The noise burst's 6 draws for an output ending at ``t_s``, or None outside a burst."""
        return self.burst_rng.standard_normal(6) if t_s < self._faults.noise_burst_until_s else None

    def measure(
        self, dtheta_true_rad: F64, dv_true_mps: F64, dt_s: float, t_s: float = 0.0
    ) -> tuple[F64, F64]:
        """Measured (delta-angle rad, delta-velocity m/s) over an output interval of ``dt_s`` ending at
        ``t_s``, with every error of the grade and the active faults; advances the noise state."""
        if not (math.isfinite(dt_s) and dt_s > 0.0):
            raise ValueError(f"output interval must be positive and finite, got {dt_s!r}")
        out = self.core.measure(dtheta_true_rad, dv_true_mps, dt_s, self.normals, self._burst(t_s))
        return out[:3], out[3:]

    def start(self, theta_cum_rad: ArrayLike, vel_cum_mps: ArrayLike) -> None:
        """Set the cumulative true integrals (rad, m/s) that the next :meth:`output` differences against."""
        self.core.start(theta_cum_rad, vel_cum_mps)

    def output(self, theta_cum_rad: ArrayLike, vel_cum_mps: ArrayLike, dt_s: float, t_s: float
               ) -> tuple[list[float], int]:
        """One output of a board from the plant's cumulative integrals (rad, m/s): the increments since the
        last output (or :meth:`start`) measured as :meth:`measure`, then each triad beyond the grade's
        range times ``dt_s`` clipped to it. Returns the six values as floats (rad 0-2, m/s 3-5) and the
        saturation flags (``firmware_bindings.imu.GYRO_SATURATED``, ``ACCEL_SATURATED``)."""
        return self.core.output(theta_cum_rad, vel_cum_mps, dt_s, self.normals, self._burst(t_s))
