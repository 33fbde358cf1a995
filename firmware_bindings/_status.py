"""Status codes of the C core and the one place that turns them into exceptions.

The codes mirror ``csrc/fb_status.h``; a test checks that the two agree.
"""

from __future__ import annotations


class CoreError(Exception):
    """An error reported by the C core."""

    code: int = -1


class InvalidInputError(CoreError, ValueError):
    """The inputs were rejected (NaN, infinity, out of range, degenerate)."""


class BelowGroundError(InvalidInputError):
    """A state lies below the Earth's surface where that is not allowed."""


class ConvergenceError(CoreError, ArithmeticError):
    """An iteration or integration did not finish within its bound."""


class NoSolutionError(CoreError):
    """The problem has no solution (for example an impossible burn)."""


class CapacityError(CoreError):
    """An output buffer was too small."""


# code: (name, exception class, message)
STATUS: dict[int, tuple[str, type[CoreError], str]] = {
    1: ("FB_E_NULL", InvalidInputError, "a required argument is missing"),
    2: ("FB_E_NONFINITE", InvalidInputError, "an input holds NaN or an infinity"),
    3: ("FB_E_RANGE", InvalidInputError, "an input lies outside its valid range"),
    4: ("FB_E_BELOW_GROUND", BelowGroundError, "the state lies below the Earth's surface"),
    5: ("FB_E_NO_CONVERGENCE", ConvergenceError, "the iteration did not converge within its bound"),
    6: ("FB_E_MAX_STEPS", ConvergenceError, "the integration used up its step budget"),
    7: ("FB_E_NO_SOLUTION", NoSolutionError, "the problem has no solution"),
    8: ("FB_E_CAPACITY", CapacityError, "an output buffer is too small"),
    9: ("FB_E_STEP_TOO_SMALL", ConvergenceError, "the adaptive step size fell below its floor"),
    10: ("FB_E_DEGENERATE", InvalidInputError, "the geometry is degenerate (zero vector or undefined axis)"),
}


def ensure(code: int, what: str) -> None:
    """Raise the exception for a non-zero status ``code`` of the C call named ``what``."""
    if code == 0:
        return
    name, exc, message = STATUS.get(code, (f"code {code}", CoreError, "unknown status code"))
    err = exc(f"{what}: {message} ({name})")
    err.code = code
    raise err
