"""The environment area's vector files (tests/vectors/env_*.vec) through the Python API.

The same lines the C runner checks (tests/unit/test_c_vectors.py) are evaluated here through
firmware_bindings.frames and firmware_bindings.environment, batch paths included: a status other than 0
must raise the matching exception, a status of 0 must reproduce the outputs within the line's tolerance.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

from firmware_bindings import frames as fr
from firmware_bindings._status import STATUS, CoreError
from firmware_bindings.environment import (
    AtmosphereModel,
    GravityModel,
    density_kg_m3,
    gravity_accel,
    sun_direction_eci,
)
from tests.vectorfile import VECTOR_DIR, Vector, read_vectors

A_M = fr.WGS84_A_M
KINDS = {0: "exponential", 1: "harris-priester"}


def _utc(fn: Callable[..., float], v: Sequence[float]) -> list[float]:
    return [fn(int(v[0]), int(v[1]), int(v[2]), int(v[3]), int(v[4]), v[5])]


def _atm(v: Sequence[float]) -> Any:
    kind = KINDS.get(int(v[0]))
    if kind is None:  # an unknown kind is rejected before the core is called
        raise STATUS[3][1]("unknown kind")
    model = AtmosphereModel(kind, v[1], int(v[2]))  # type: ignore[arg-type]
    return [density_kg_m3(v[3], v[4:7], v[7], model)]


def _grav(v: Sequence[float]) -> Any:
    return gravity_accel(v[5:8], GravityModel(*v[:5]))


def _geodetic_m(v: Sequence[float]) -> Any:
    g = fr.geodetic_from_ecef(v)
    return [g[0] * A_M, g[1] * A_M, g[2]]


CALLS: dict[str, Callable[[Sequence[float]], Any]] = {
    "time_jd_from_utc": lambda v: _utc(fr.jd_from_utc, v),
    "time_j2000_s_from_utc": lambda v: _utc(fr.j2000_s_from_utc, v),
    "time_gmst_rad": lambda v: [fr.gmst_rad(v[0])],
    "frame_ecef_from_eci": lambda v: fr.ecef_from_eci(v[0], v[1:4]),
    "frame_eci_from_ecef": lambda v: fr.eci_from_ecef(v[0], v[1:4]),
    "frame_dcm_ecef_from_eci": lambda v: fr.dcm_ecef_from_eci(v[0]).ravel(),
    "frame_ecef_state_from_eci": lambda v: np.concatenate(fr.ecef_state_from_eci(v[0], v[1:4], v[4:7])),
    "frame_eci_state_from_ecef": lambda v: np.concatenate(fr.eci_state_from_ecef(v[0], v[1:4], v[4:7])),
    "frame_geodetic_from_ecef": lambda v: fr.geodetic_from_ecef(v),
    "frame_geodetic_from_ecef_m": _geodetic_m,
    "frame_ecef_from_geodetic": lambda v: fr.ecef_from_geodetic(v),
    "frame_altitude_m": lambda v: [fr.geodetic_altitude_m(v[0], v[1:4])],
    "frame_dcm_lvlh_from_eci": lambda v: fr.dcm_lvlh_from_eci(v[:3], v[3:6]).ravel(),
    "frame_great_circle": lambda v: list(fr.great_circle(*v)),
    "grav_default": lambda v: [
        getattr(GravityModel.default(), k) for k in ("gm_m3_s2", "re_m", "j2", "j3", "j4")
    ],
    "grav_accel": _grav,
    "atm_density": _atm,
    "atm_sun_eci": lambda v: sun_direction_eci(v[0]),
}

VECTORS = [v for f in sorted(VECTOR_DIR.glob("env*.vec")) for v in read_vectors(f)]


def test_every_env_case_has_a_python_call() -> None:
    """Every case in the env vector files is mapped to the Python API (so none is silently skipped)."""
    assert VECTORS
    assert {v.case for v in VECTORS} <= set(CALLS)


@pytest.mark.parametrize("vec", VECTORS, ids=[v.where for v in VECTORS])
def test_vector_through_python_api(vec: Vector) -> None:
    """The Python API reproduces the vector line: the status as an exception, or the outputs within tol."""
    call = CALLS[vec.case]
    if vec.status != 0:
        with pytest.raises(STATUS[vec.status][1]):
            call(vec.inputs)
        return
    got = np.asarray(call(vec.inputs), dtype=float)
    want = np.asarray(vec.outputs, dtype=float)
    assert got.shape == want.shape
    assert np.all(np.abs(got - want) <= vec.tol), f"{vec.where}: {got} != {want} (tol {vec.tol})"


def test_batch_matches_single_calls_on_the_vectors() -> None:
    """One batch call over all geodetic vector points equals the point-by-point results exactly."""
    pts = np.array([v.inputs for v in VECTORS if v.case == "frame_geodetic_from_ecef_m" and v.status == 0])
    batch = fr.geodetic_from_ecef(pts)
    single = np.array([fr.geodetic_from_ecef(p) for p in pts])
    assert np.array_equal(batch, single)
    assert issubclass(STATUS[3][1], CoreError)
