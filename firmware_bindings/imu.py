"""The IMU error model in the C core (``csrc/fb_imu.h``): scale factor and misalignment, turn-on bias and
bias jump, Gauss-Markov bias instability advanced with its exact discrete transition, random walk, noise
burst, and quantisation with the remainder carried, for one output interval per call.

Random numbers stay in numpy: every call takes its 18 standard normal draws (3 rows of 6: the
Gauss-Markov state noise, the independent part of its integral, the random walk) and, while a noise burst
is on, 6 more. :class:`StandardNormals` hands out a generator's draws 18 at a time from blocks of rows,
which is the same stream as drawing 18 at a time.

    >>> import numpy as np
    >>> from firmware_bindings.imu import ImuModel
    >>> m = ImuModel(np.eye(3), np.eye(3), np.zeros(6), np.zeros(6), np.zeros(6), np.zeros(6),
    ...              np.full(6, 2.0**-20), 300.0, 10.0, 100.0)
    >>> m.measure([1e-3, 0.0, 0.0], [0.0, 0.0, 0.5], 0.1, np.zeros(18)).tolist()
    [0.0010004043579101562, 0.0, 0.0, 0.0, 0.0, 0.5]
    >>> round(float(m.remainder[0] / m.lsb[0]), 9)  # the quantisation remainder, carried to the next output
    -0.424

(a perfect sensor with a 2^-20 LSB: 1e-3 rad is 1048.576 LSB, sent as 1049.)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from firmware_bindings._arrays import as_f64, dptr
from firmware_bindings._core import ffi, lib
from firmware_bindings._status import InvalidInputError, ensure

__all__ = [
    "ACCEL_SATURATED",
    "AXES",
    "DRAWS",
    "GYRO_SATURATED",
    "ImuModel",
    "StandardNormals",
    "gm_transition",
]

F64 = NDArray[np.float64]

AXES: int = int(lib.FB_IMU_AXES)
DRAWS: int = int(lib.FB_IMU_DRAWS)
GYRO_SATURATED: int = int(lib.FB_IMU_GYRO_SATURATED)
ACCEL_SATURATED: int = int(lib.FB_IMU_ACCEL_SATURATED)
_FB_E_RANGE = int(lib.FB_E_RANGE)
#: each member of fb_imu_model as a slice of the struct viewed as doubles
_FIELDS = {name: slice(f.offset // 8, (f.offset + ffi.sizeof(f.type)) // 8)
           for name, f in ffi.typeof("fb_imu_model").fields}
if sum(s.stop - s.start for s in _FIELDS.values()) * 8 != ffi.sizeof("fb_imu_model") or any(
        (f.type.item if f.type.kind == "array" else f.type).cname != "double"
        for _, f in ffi.typeof("fb_imu_model").fields):  # pragma: no cover - a header change
    raise ImportError("fb_imu_model must hold doubles only: the binding views it as one float64 array")


# -- thin checked layer ----------------------------------------------------------------------------------


def gm_transition(dt_s: float, tau_s: float) -> tuple[float, float, float, float, float]:
    """The exact transition over ``dt_s`` of a unit-sigma first-order Gauss-Markov process of correlation
    time ``tau_s`` and of its integral: ``(phi, k, l11, l21, l22)`` with ``x1 = phi x0 + l11 z0`` and
    ``integral = k x0 + l21 z0 + l22 z1`` for independent standard normals z0, z1 (scale by sigma)."""
    coef = ffi.new("double[5]")
    status = lib.fb_imu_gm_transition(float(dt_s), float(tau_s), coef)
    if status:
        if status == _FB_E_RANGE:
            err = InvalidInputError(
                f"fb_imu_gm_transition: need dt_s > 0 and tau_s > 0 with a finite ratio, got {dt_s!r} and "
                f"{tau_s!r}")
            err.code = status
            raise err
        ensure(status, "fb_imu_gm_transition")
    return coef[0], coef[1], coef[2], coef[3], coef[4]


class StandardNormals:
    """Standard normal draws of ``rng`` handed out :data:`DRAWS` (18) at a time, drawn ``rows`` outputs'
    worth at once: the values and their order are those of ``rng.standard_normal(18)`` called per output.
    A block once drawn is used up before the generator is drawn from again."""

    def __init__(self, rng: np.random.Generator, rows: int = 256) -> None:
        if rows < 1:
            raise ValueError(f"rows must be at least 1, got {rows}")
        self.rng = rng
        self.rows = rows
        self._block: F64 = np.empty(0)
        self._ptr: Any = None
        self._next = rows  # a block is drawn on the first take

    def _refill(self) -> None:
        self._block = self.rng.standard_normal(self.rows * DRAWS)
        self._ptr = ffi.from_buffer("double[]", self._block)
        self._next = 0

    def take(self) -> Any:
        """A ``double *`` to the next 18 draws, for a core call made before the next ``take`` (a new block
        may replace the memory it points into)."""
        if self._next >= self.rows:
            self._refill()
        p = self._ptr + DRAWS * self._next
        self._next += 1
        return p

    def take_array(self) -> F64:
        """The next 18 draws as a numpy array (a copy)."""
        if self._next >= self.rows:
            self._refill()
        i = DRAWS * self._next
        self._next += 1
        return self._block[i : i + DRAWS].copy()


def _draws(z: StandardNormals | ArrayLike, n: int, name: str) -> tuple[Any, Any]:
    """(pointer, keep-alive) for ``n`` draws given as a StandardNormals or an array of n numbers."""
    if isinstance(z, StandardNormals):
        return z.take(), None
    a = as_f64(z, name=name).reshape(-1)
    if a.size != n:
        raise InvalidInputError(f"{name} must hold {n} standard normal draws, got {a.size}")
    return dptr(a), a


def _vec3(x: ArrayLike, name: str) -> Any:
    """A ``double[3]`` argument: a float64 array of shape (3,) goes as a list of its floats (cffi copies
    it into a temporary array, cheaper than wrapping the buffer), anything else through as_f64."""
    if type(x) is np.ndarray and x.shape == (3,) and x.dtype.char == "d":
        return x.tolist()
    a = as_f64(x, (3,), name)
    if a.shape != (3,):
        raise InvalidInputError(f"{name} must have shape (3,), got {a.shape}")
    return dptr(a)


# -- idiomatic layer -------------------------------------------------------------------------------------


class ImuModel:
    """One IMU's error model in a caller-owned core struct. The constants and the state are numpy views
    onto the struct (``gyro_matrix``, ``accel_matrix`` 3 x 3; ``bias``, ``bias_jump``, ``gm_sigma``,
    ``gm_state``, ``walk``, ``lsb``, ``remainder``, ``burst_sigma``, ``accum_prev`` of 6: gyro axes then
    accelerometer axes): writing into them changes the model (the faults ``bias_jump`` and
    ``burst_sigma`` are meant to be changed between outputs).

    Units: rad and rad/s for axes 0-2, m/s and m/s^2 for axes 3-5; ``walk`` per sqrt(s)."""

    def __init__(
        self, gyro_matrix: ArrayLike, accel_matrix: ArrayLike, bias: ArrayLike, gm_sigma: ArrayLike,
        gm_state: ArrayLike, walk: ArrayLike, lsb: ArrayLike, correlation_time_s: float,
        gyro_range_rps: float, accel_range_mps2: float,
    ) -> None:
        arrays = {}
        given = (("gyro_matrix", gyro_matrix, (3, 3)), ("accel_matrix", accel_matrix, (3, 3)),
                 ("bias", bias, (6,)), ("gm_sigma", gm_sigma, (6,)), ("gm_state", gm_state, (6,)),
                 ("walk", walk, (6,)), ("lsb", lsb, (6,)))
        for name, value, shape in given:
            a = as_f64(value, shape, name)
            if a.shape != shape:
                raise InvalidInputError(f"{name} must have shape {shape}, got {a.shape}")
            arrays[name] = a
        self._c: Any = ffi.new("fb_imu_model *")
        status = lib.fb_imu_init(
            dptr(arrays["gyro_matrix"]), dptr(arrays["accel_matrix"]), dptr(arrays["bias"]),
            dptr(arrays["gm_sigma"]), dptr(arrays["gm_state"]), dptr(arrays["walk"]), dptr(arrays["lsb"]),
            float(correlation_time_s), float(gyro_range_rps), float(accel_range_mps2), self._c)
        ensure(status, "fb_imu_init")
        # every member is a double: one float64 array over the whole struct, fields as views of it
        self._all: F64 = np.frombuffer(ffi.buffer(self._c), dtype=np.float64)
        self._out_array: F64 = np.zeros(6)
        self._out: Any = ffi.from_buffer("double[]", self._out_array)
        self._flags: Any = ffi.new("uint32_t *")

    def _view(self, name: str) -> F64:
        return self._all[_FIELDS[name]]

    @property
    def gyro_matrix(self) -> F64:
        return self._view("gyro_matrix").reshape(3, 3)

    @property
    def accel_matrix(self) -> F64:
        return self._view("accel_matrix").reshape(3, 3)

    @property
    def bias(self) -> F64:
        return self._view("bias")

    @property
    def bias_jump(self) -> F64:
        return self._view("bias_jump")

    @property
    def gm_sigma(self) -> F64:
        return self._view("gm_sigma")

    @property
    def gm_state(self) -> F64:
        return self._view("gm_state")

    @property
    def walk(self) -> F64:
        return self._view("walk")

    @property
    def lsb(self) -> F64:
        return self._view("lsb")

    @property
    def remainder(self) -> F64:
        return self._view("remainder")

    @property
    def burst_sigma(self) -> F64:
        return self._view("burst_sigma")

    @property
    def accum_prev(self) -> F64:
        return self._view("accum_prev")

    @property
    def correlation_time_s(self) -> float:
        return float(self._c.correlation_time_s)

    def transition(self, dt_s: float) -> tuple[float, float, float, float, float]:
        """:func:`gm_transition` for this model's correlation time."""
        return gm_transition(dt_s, self._c.correlation_time_s)

    def measure(self, dtheta_true_rad: ArrayLike, dv_true_mps: ArrayLike, dt_s: float,
                z: StandardNormals | ArrayLike, burst_z: ArrayLike | None = None) -> F64:
        """The quantised measurement (rad 0-2, m/s 3-5) of one output interval of ``dt_s`` with true
        increments ``dtheta_true_rad`` and ``dv_true_mps``; ``z`` the 18 draws (rows: state noise,
        integral noise, random walk; or a :class:`StandardNormals`), ``burst_z`` the 6 draws of an active
        noise burst (None: no burst). Advances the Gauss-Markov state and the remainder."""
        zp, _keep = _draws(z, DRAWS, "z")
        bp, _keep_b = (ffi.NULL, None) if burst_z is None else _draws(burst_z, AXES, "burst_z")
        u_theta, u_vel = _vec3(dtheta_true_rad, "dtheta_true_rad"), _vec3(dv_true_mps, "dv_true_mps")
        status = lib.fb_imu_measure(u_theta, u_vel, float(dt_s), zp, bp, self._c, self._out)
        if status:
            ensure(status, "fb_imu_measure")
        return self._out_array.copy()

    def start(self, theta_cum_rad: ArrayLike, vel_cum_mps: ArrayLike) -> None:
        """Set the cumulative true integrals the next :meth:`output` differences against."""
        self.accum_prev[:3] = as_f64(theta_cum_rad, (3,), "theta_cum_rad")
        self.accum_prev[3:] = as_f64(vel_cum_mps, (3,), "vel_cum_mps")

    def output(self, theta_cum_rad: ArrayLike, vel_cum_mps: ArrayLike, dt_s: float,
               z: StandardNormals | ArrayLike, burst_z: ArrayLike | None = None) -> tuple[list[float], int]:
        """One output of a board: the true increments are the cumulative integrals less those of the last
        output (or of :meth:`start`), measured as :meth:`measure`, then each triad with a component
        beyond its range times ``dt_s`` clipped to it. Returns the six values (rad, m/s) as floats and the
        saturation flags (:data:`GYRO_SATURATED`, :data:`ACCEL_SATURATED`)."""
        zp, _keep = _draws(z, DRAWS, "z")
        bp, _keep_b = (ffi.NULL, None) if burst_z is None else _draws(burst_z, AXES, "burst_z")
        status = lib.fb_imu_output(_vec3(theta_cum_rad, "theta_cum_rad"), _vec3(vel_cum_mps, "vel_cum_mps"),
                                   dt_s, zp, bp, self._c, self._out, self._flags)
        if status:
            if not (isinstance(dt_s, float | int) and math.isfinite(dt_s) and dt_s > 0.0):
                raise InvalidInputError(f"fb_imu_output: output interval must be positive and finite, "
                                        f"got {dt_s!r}")
            ensure(status, "fb_imu_output")
        values: list[float] = self._out_array.tolist()
        return values, int(self._flags[0])
