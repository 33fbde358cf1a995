"""The C attitude and targeting core of the ISS deorbit flight software, bound through cffi.

Import what you need from this package: every public name of the area modules (``frames``,
``environment``, ``attitude``, ``orbit``, ``reentry``, ``targeting``) is re-exported here. The compiled
module (``firmware_bindings._core``) and the thin checked wrappers behind it are private. Every function
takes and returns numpy arrays in SI units (names carry the unit and frame) and raises a ``CoreError``
subclass when the core rejects its input.

    >>> import numpy as np, firmware_bindings as fb
    >>> lat_rad, lon_rad, h_m = fb.geodetic_from_ecef(np.array([6378137.0, 0.0, 0.0]))
    >>> float(h_m)
    0.0
"""

from firmware_bindings import attitude, environment, frames, orbit, reentry, targeting
from firmware_bindings._core import lib as _lib
from firmware_bindings._status import (
    BelowGroundError,
    CapacityError,
    ConvergenceError,
    CoreError,
    InvalidInputError,
    NoSolutionError,
    ensure,
)
from firmware_bindings.attitude import *  # noqa: F403
from firmware_bindings.environment import *  # noqa: F403
from firmware_bindings.frames import *  # noqa: F403
from firmware_bindings.orbit import *  # noqa: F403
from firmware_bindings.reentry import *  # noqa: F403
from firmware_bindings.targeting import *  # noqa: F403

CORE_INTERFACE_VERSION = (0, 1)


def core_version() -> tuple[int, int]:
    """The interface version (major, minor) the compiled core reports."""
    from firmware_bindings._core import ffi

    major, minor = ffi.new("int *"), ffi.new("int *")
    ensure(_lib.fb_core_version(major, minor), "fb_core_version")
    return int(major[0]), int(minor[0])


if core_version()[0] != CORE_INTERFACE_VERSION[0]:  # pragma: no cover - a stale build
    raise ImportError(f"compiled core has interface {core_version()}, the binding needs "
                      f"{CORE_INTERFACE_VERSION}: rebuild with `pip install -e .`")

__all__ = [
    "CORE_INTERFACE_VERSION",
    "BelowGroundError",
    "CapacityError",
    "ConvergenceError",
    "CoreError",
    "InvalidInputError",
    "NoSolutionError",
    "core_version",
    *attitude.__all__,
    *environment.__all__,
    *frames.__all__,
    *orbit.__all__,
    *reentry.__all__,
    *targeting.__all__,
]
