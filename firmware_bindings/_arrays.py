"""Helpers of the thin binding layer: check shapes and dtypes, and hand numpy buffers to cffi.

cffi's ``from_buffer`` does not check the element type, so every array goes through ``as_f64`` (or
``as_i32``) first: a contiguous float64 (int32) copy when the caller's array is not already one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from firmware_bindings._core import ffi

F64Array = npt.NDArray[np.float64]


def as_f64(x: Any, shape_tail: tuple[int, ...] = (), name: str = "array") -> F64Array:
    """``x`` as a C-contiguous float64 array whose trailing dimensions are ``shape_tail``."""
    try:
        a = np.asarray(x, dtype=np.float64, order="C")  # keeps 0-d scalars 0-d, unlike ascontiguousarray
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from None
    if shape_tail and a.shape[a.ndim - len(shape_tail):] != shape_tail:
        raise ValueError(f"{name} must have trailing shape {shape_tail}, got {a.shape}")
    return a


def as_i32(x: Any, name: str = "array") -> npt.NDArray[np.int32]:
    a = np.asarray(x)
    if a.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integers, got {a.dtype}")
    return np.ascontiguousarray(a, dtype=np.int32)


def dptr(a: F64Array) -> Any:
    """A ``double[]`` over the buffer of a C-contiguous float64 array (one cffi call)."""
    if a.dtype != np.float64 or not a.flags.c_contiguous:
        raise TypeError("internal: dptr needs a C-contiguous float64 array")
    return ffi.from_buffer("double[]", a, require_writable=False)


def dptr_out(a: F64Array) -> Any:
    """A writable ``double[]`` over a C-contiguous float64 array."""
    if a.dtype != np.float64 or not a.flags.c_contiguous:
        raise TypeError("internal: dptr_out needs a C-contiguous float64 array")
    return ffi.from_buffer("double[]", a, require_writable=True)


def iptr(a: npt.NDArray[np.int32]) -> Any:
    if a.dtype != np.int32 or not a.flags.c_contiguous:
        raise TypeError("internal: iptr needs a C-contiguous int32 array")
    return ffi.cast("int *", ffi.from_buffer(a))
