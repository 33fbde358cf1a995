"""Any input, however wrong, gets either a finite answer or a clear InvalidInputError: the core never
crashes, hangs or returns NaN with a success status (the sanitizer build runs the vector files; this
drives the API with arbitrary doubles)."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from firmware_bindings import InvalidInputError
from firmware_bindings import frames as fr
from firmware_bindings.environment import AtmosphereModel, density_kg_m3, gravity_accel, sun_direction_eci

anything = st.floats(allow_nan=True, allow_infinity=True)
vec = st.tuples(anything, anything, anything)


def _finite_or_rejected(call: object) -> None:
    try:
        out = call()  # type: ignore[operator]
    except InvalidInputError:
        return
    arrays = out if isinstance(out, tuple) else (out,)
    for a in arrays:
        assert np.all(np.isfinite(np.asarray(a, dtype=float))), out


@given(vec, anything)
@example((1.7e308, 1.7e308, 0.0), 1.0e8)
@example((1e200, 1e200, 1e200), 0.0)
@example((1e-300, 0.0, 0.0), 0.0)
def test_frames_accept_or_reject_any_doubles(r: tuple[float, float, float], t: float) -> None:
    """Geodesy, rotations, altitude and LVLH answer finitely or raise InvalidInputError."""
    _finite_or_rejected(lambda: fr.geodetic_from_ecef(r))
    _finite_or_rejected(lambda: fr.ecef_from_geodetic(r))
    _finite_or_rejected(lambda: fr.ecef_from_eci(t, r))
    _finite_or_rejected(lambda: fr.geodetic_altitude_m(t, r))
    _finite_or_rejected(lambda: fr.dcm_lvlh_from_eci(r, (r[1], r[2], r[0])))
    _finite_or_rejected(lambda: fr.great_circle(r[0], r[1], r[2], t))
    _finite_or_rejected(lambda: fr.gmst_rad(t))


@given(vec, anything, anything, st.integers(-3, 9), st.sampled_from(["exponential", "harris-priester"]),
       anything)
@example((7e6, 0.0, 0.0), 0.0, -9e4, 3, "exponential", 1.7e308)
@example((1e154, 1e154, 1e154), 0.0, 4e5, 3, "harris-priester", 1.0)
def test_environment_accepts_or_rejects_any_doubles(r: tuple[float, float, float], t: float, h: float,
                                                    n: int, kind: str, scale: float) -> None:
    """Gravity, density and the Sun answer finitely (density also non-negative) or raise
    InvalidInputError, for any position, time, altitude, exponent and scale."""
    _finite_or_rejected(lambda: gravity_accel(r))
    _finite_or_rejected(lambda: sun_direction_eci(t))
    model = AtmosphereModel(kind, scale, n)  # type: ignore[arg-type]
    try:
        rho = density_kg_m3(t, r, h, model)
    except InvalidInputError:
        return
    assert np.isfinite(rho) and rho >= 0.0
