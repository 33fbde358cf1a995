"""The rigid-body area's vector file (tests/vectors/rigid.vec) through firmware_bindings.rigid.

The same lines the C runner checks (tests/unit/test_c_vectors.py): a status other than 0 must raise the
exception of that status (with that code), a status of 0 must reproduce the outputs within the line's
absolute tolerance.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

from firmware_bindings import rigid
from firmware_bindings._status import STATUS, CoreError
from firmware_bindings.environment import AtmosphereModel, GravityModel
from tests.vectorfile import VECTOR_DIR, Vector, read_vectors

KINDS = {0: "exponential", 1: "harris-priester"}


def _model(v: Sequence[float]) -> rigid.RigidBodyModel:
    kind = KINDS.get(int(v[5]))
    if kind is None:
        raise STATUS[3][1]("unknown atmosphere kind")
    return rigid.RigidBodyModel(
        inertia_kg_m2=np.reshape(v[16:25], (3, 3)), cd=v[11], area_m2=v[12], cop_body_m=v[13:16],
        gravity=GravityModel(*v[0:5]), atmosphere=AtmosphereModel(kind, v[6], int(v[7])),  # type: ignore[arg-type]
        omega_earth_rad_s=v[8], drag_on=bool(v[9]), gravity_gradient_on=bool(v[10]))


def _thrust(v: Sequence[float]) -> rigid.ThrustLoad:
    return rigid.ThrustLoad(force_body_n=v[0:3], torque_body_nm=v[3:6], mdot_kg_s=v[6])


def _deriv(v: Sequence[float]) -> Any:
    return rigid.derivative(_model(v[:25]), _thrust(v[25:32]), v[32], v[33:53])


def _propagate(v: Sequence[float]) -> Any:
    res = rigid.propagate(_model(v[:25]), _thrust(v[25:32]), v[32], v[33:53], v[53], v[54], v[55])
    return [res.t_s, float(res.stopped), *res.y]


def _valves(v: Sequence[float]) -> Any:
    n = int(v[25])
    if not 0 <= n <= rigid.MAX_THRUSTERS:  # ThrusterBank refuses it before the core sees it
        err = STATUS[3][1]("thruster count out of range")
        err.code = 3
        raise err
    bank_flat = np.reshape(v[26:26 + 7 * n], (n, 7))
    bank = rigid.ThrusterBank(bank_flat[:, 0:3], bank_flat[:, 3:6], bank_flat[:, 6])
    rest = v[26 + 7 * n:]
    res = rigid.propagate_valves(_model(v[:25]), bank, rest[:n], rest[n], rest[n + 1], rest[n + 2:n + 22],
                                 rest[n + 22], rest[n + 23], rest[n + 24])
    return [res.t_s, float(res.stopped), *res.y, *res.open_s]


def _energy(v: Sequence[float]) -> Any:
    return [rigid.orbit_energy_j_kg(v[5:8], v[8:11], GravityModel(*v[0:5]))]


CALLS: dict[str, Callable[[Sequence[float]], Any]] = {
    "rb_deriv": _deriv,
    "rb_propagate": _propagate,
    "rb_propagate_valves": _valves,
    "rb_orbit_energy": _energy,
}

VECTORS = read_vectors(VECTOR_DIR / "rigid.vec")


def test_every_case_has_a_python_call() -> None:
    """Every case of rigid.vec is mapped to the Python API, and every call appears in the file."""
    assert {v.case for v in VECTORS} == set(CALLS)


@pytest.mark.parametrize("vec", VECTORS, ids=[v.where for v in VECTORS])
def test_vector_through_python_api(vec: Vector) -> None:
    """The Python API reproduces the vector line: the status as an exception, or the outputs within tol."""
    call = CALLS[vec.case]
    if vec.status != 0:
        with pytest.raises(STATUS[vec.status][1]) as info:
            call(vec.inputs)
        assert isinstance(info.value, CoreError) and info.value.code == vec.status
        return
    got = np.asarray(call(vec.inputs), dtype=float)
    want = np.asarray(vec.outputs, dtype=float)
    assert got.shape == want.shape
    assert np.all(np.abs(got - want) <= vec.tol), f"{vec.where}: {got} != {want} (tol {vec.tol})"


def test_python_layer_rejects_bad_shapes() -> None:
    """Shapes are checked before the core is called."""
    model = rigid.RigidBodyModel(np.eye(3) * 1e8, cd=2.2, area_m2=2500.0)
    with pytest.raises(ValueError, match="shape"):
        rigid.derivative(model, rigid.COAST, 0.0, np.zeros(19))
    with pytest.raises(ValueError, match="force_body_n"):
        rigid.ThrustLoad(force_body_n=[1.0, 2.0])
    with pytest.raises(ValueError):
        rigid.RigidBodyModel(np.eye(2), cd=2.2, area_m2=2500.0)


def test_in_place_propagator_equals_the_function() -> None:
    """ValvePropagator.step gives the same state, bit for bit, as propagate_valves on the same inputs, and
    leaves its state unchanged when the core rejects the call."""
    vec = next(v for v in VECTORS if v.case == "rb_propagate_valves" and v.status == 0)
    v = vec.inputs
    bank_flat = np.reshape(v[26:26 + 21], (3, 7))
    bank = rigid.ThrusterBank(bank_flat[:, 0:3], bank_flat[:, 3:6], bank_flat[:, 6])
    rest = v[26 + 21:]
    model = _model(v[:25])
    want = rigid.propagate_valves(model, bank, rest[:3], rest[3], rest[4], rest[5:25], rest[25], rest[26],
                                  rest[27])
    prop = rigid.ValvePropagator(model, bank, rest[3], rest[5:25])
    prop.open_until_s[:] = rest[:3]
    t, stopped = prop.step(rest[4], rest[25], rest[26], rest[27])
    assert (t, stopped) == (want.t_s, want.stopped)
    assert np.array_equal(prop.y, want.y) and np.array_equal(prop.open_s, want.open_s)
    before = prop.y.copy()
    with pytest.raises(CoreError):
        prop.step(rest[25], rest[25] - 1.0, 5.0, -np.inf)
    assert np.array_equal(prop.y, before)


def test_a_trace_of_propellant_is_not_burnt_below_the_dry_mass() -> None:
    """Propellant that the flow would burn in less than one tick of the time scale (here 1e-5 kg at
    1e3 kg/s at t = 1e9 s, whose tick is 1.2e-7 s) counts as none: the span coasts and the mass never goes
    below the dry mass."""
    model = rigid.RigidBodyModel(np.eye(3) * 1e8, cd=2.2, area_m2=2500.0)
    bank = rigid.ThrusterBank([[1e6, 0.0, 0.0]], [[0.0, 0.0, 0.0]], [1e3])
    y = np.zeros(20)
    y[0:3], y[3:6], y[6], y[13] = [6.8e6, 0.0, 0.0], [0.0, 7.6e3, 0.0], 1.0, 4.5e5 + 1e-5
    res = rigid.propagate_valves(model, bank, [np.inf], 4.5e5, 1e9, y, 1e9 + 10.0, 5.0)
    assert res.y[13] >= 4.5e5
    assert res.open_s[0] <= 1.2e-7
