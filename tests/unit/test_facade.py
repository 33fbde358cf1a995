"""The package facade: one import gives every public name, and the compiled core's version matches."""

from __future__ import annotations

import doctest

import numpy as np

import firmware_bindings as fb
from firmware_bindings import attitude, environment, frames, orbit, reentry, targeting


def test_facade_reexports_every_public_name() -> None:
    """Every name in an area module's __all__ is reachable as firmware_bindings.<name>, the same object."""
    for module in (attitude, environment, frames, orbit, reentry, targeting):
        for name in module.__all__:
            assert getattr(fb, name) is getattr(module, name), f"{module.__name__}.{name}"


def test_core_version_matches_the_binding() -> None:
    """The compiled core reports the interface version the binding was written for."""
    assert fb.core_version() == fb.CORE_INTERFACE_VERSION


def test_facade_docstring_example_runs() -> None:
    """The example in the package docstring is true."""
    result = doctest.testmod(fb, verbose=False)
    assert result.attempted >= 1 and result.failed == 0


def test_geodetic_round_trip_through_the_facade() -> None:
    """geodetic_from_ecef and ecef_from_geodetic invert each other (1 mm) for any leading shape."""
    r = np.array([[[6_578_137.0, 10.0, -3.0], [0.0, 0.0, 6_400_000.0]]])
    lla = fb.geodetic_from_ecef(r)
    assert lla.shape == r.shape
    assert np.max(np.abs(fb.ecef_from_geodetic(lla) - r)) < 1e-3
