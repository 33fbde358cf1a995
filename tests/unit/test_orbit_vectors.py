"""The orbit vectors (tests/vectors/orbit.vec) through the Python API: the same lines the C runner checks,
now through the thin binding and the numpy layer, with each line's status mapped to its exception."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest

from firmware_bindings import environment, orbit, reentry, targeting
from firmware_bindings._status import STATUS, CoreError
from tests.vectorfile import VECTOR_DIR, Vector, read_vectors

VECTORS = read_vectors(VECTOR_DIR / "orbit.vec")
GM = 3.986004418e14
# cases of the generic integrators, which the Python API does not expose (the C runner covers them)
C_ONLY = {"orbit_rk4_oscillator", "orbit_dp54_event", "orbit_dp54_steps"}


def _two_body(x: Sequence[float]) -> list[float]:
    g = environment.GravityModel.default()
    model = orbit.ForceModel(gravity=environment.GravityModel(g.gm_m3_s2, g.re_m, 0.0, 0.0, 0.0), drag=False)
    r, v = orbit.state_from_elements(x[:6])
    s = orbit.propagate(0.0, r, v, 1000.0, x[6], model,
                        orbit.Tolerance(rtol=1e-12, atol_r_m=1e-6, atol_v_mps=1e-9))
    return [*s.r_eci_m, *s.v_eci_mps]


def _deriv(x: Sequence[float]) -> list[float]:
    model = orbit.ForceModel(burn=orbit.Burn(x[8], x[9]))
    a, mdot = orbit.derivative(x[0], x[1:4], x[4:7], x[7], model)
    return [*x[4:7], *a, mdot]


def _propagate(x: Sequence[float]) -> list[float]:
    s = orbit.propagate(x[0], x[1:4], x[4:7], x[7], x[8])
    return [*s.r_eci_m, *s.v_eci_mps, s.mass_kg]


def _footprint(x: Sequence[float]) -> reentry.Footprint:
    return reentry.predict_footprint(x[0], x[1:4], x[4:7], x[7], burn=orbit.Burn(x[8], x[9]))


def _entry_points(x: Sequence[float]) -> list[float]:
    fp = _footprint(x)
    return [fp.breakup_lat_rad, fp.breakup_lon_rad, fp.heel_lat_rad, fp.heel_lon_rad, fp.toe_lat_rad,
            fp.toe_lon_rad, fp.centre_lat_rad, fp.centre_lon_rad]


def _inside(x: Sequence[float]) -> list[float]:
    zone = targeting.Zone("test", tuple(x[0:8:2]), tuple(x[1:8:2]), 0.0, 0.0)
    return [float(targeting.inside_zone(x[8], x[9], zone))]


def _perigee(x: Sequence[float]) -> list[float]:
    b = targeting.solve_perigee_burn(x[0], x[1:4], x[4:7], x[7], x[8], x[9], max_duration_s=x[10],
                                     tol_duration_s=1e-4)
    return [b.duration_s]


CALLS: dict[str, Callable[[Sequence[float]], list[float]]] = {
    "orbit_two_body": _two_body,
    "orbit_deriv": _deriv,
    "orbit_propagate": _propagate,
    "orbit_elements_a": lambda x: [orbit.elements_from_state(x[:3], x[3:6], GM).a_m],
    "orbit_elements_angles": lambda x: list(orbit.elements_from_state(x[:3], x[3:6], GM))[1:],
    "orbit_state_from_elements": lambda x: [*np.concatenate(orbit.state_from_elements(x, GM))],
    "orbit_apsis": lambda x: list(orbit.apsis_altitudes_m(x[:3], x[3:6])),
    "entry_times": lambda x: [(fp := _footprint(x)).t_interface_s, fp.t_breakup_s],
    "entry_points": _entry_points,
    "entry_length": lambda x: [_footprint(x).length_m],
    "target_inside_zone": _inside,
    "target_perigee_burn": _perigee,
}


def test_every_orbit_case_has_a_python_call() -> None:
    """Every case in orbit.vec is checked here or is a C-only integrator case."""
    assert {v.case for v in VECTORS} <= set(CALLS) | C_ONLY


@pytest.mark.parametrize("vec", [v for v in VECTORS if v.case in CALLS], ids=lambda v: v.where)
def test_orbit_vector_through_python(vec: Vector) -> None:
    """The Python API returns the expected outputs within the line's tolerance, or raises the exception
    of the expected status."""
    call = CALLS[vec.case]
    if vec.status != 0:
        with pytest.raises(STATUS[vec.status][1]) as info:
            call(vec.inputs)
        assert isinstance(info.value, CoreError) and info.value.code == vec.status
        return
    got = np.asarray(call(vec.inputs), dtype=float)
    np.testing.assert_allclose(got, vec.outputs, rtol=0, atol=vec.tol, err_msg=vec.where)
