"""The C attitude and targeting core of the ISS deorbit flight software, bound through cffi.

Import what you need from this package; the compiled module (``firmware_bindings._core``) and the thin
per-area wrappers behind it are private. Every function takes and returns numpy arrays in SI units
(names carry the unit and frame) and raises a ``CoreError`` subclass when the core rejects its input.
"""

from firmware_bindings._status import (
    BelowGroundError,
    CapacityError,
    ConvergenceError,
    CoreError,
    InvalidInputError,
    NoSolutionError,
)

__all__ = [
    "BelowGroundError",
    "CapacityError",
    "ConvergenceError",
    "CoreError",
    "InvalidInputError",
    "NoSolutionError",
]
