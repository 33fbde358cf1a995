"""The numpy API of firmware_bindings.environment: models, defaults, shapes and clear errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from firmware_bindings import InvalidInputError
from firmware_bindings import frames as fr
from firmware_bindings.environment import (
    AtmosphereModel,
    GravityModel,
    density_kg_m3,
    gravity_accel,
    sun_direction_eci,
)


def test_gravity_default_model_and_terms_switch_off() -> None:
    """model=None is the default model; with every J zero the field is the point mass -GM r / |r|^3."""
    r = np.array([[7e6, 1e5, 2e6], [-3e6, 4e6, 5e6]])
    assert np.array_equal(gravity_accel(r), gravity_accel(r, GravityModel.default()))
    d = GravityModel.default()
    pm = gravity_accel(r, GravityModel(d.gm_m3_s2, d.re_m, 0.0, 0.0, 0.0))
    want = -d.gm_m3_s2 * r / np.linalg.norm(r, axis=-1, keepdims=True) ** 3
    assert np.allclose(pm, want, rtol=1e-15, atol=0.0)


def test_gravity_rejects_points_inside_the_earth_and_bad_models() -> None:
    """Positions within 1,000 km of the centre and a non-positive GM are InvalidInputErrors."""
    with pytest.raises(InvalidInputError, match="FB_E_RANGE"):
        gravity_accel([1.0, 0.0, 0.0])
    d = GravityModel.default()
    with pytest.raises(InvalidInputError, match="FB_E_RANGE"):
        gravity_accel([7e6, 0.0, 0.0], GravityModel(-1.0, d.re_m, d.j2, d.j3, d.j4))


def test_density_computes_the_altitude_when_not_given() -> None:
    """Without h_m the geodetic altitude of each position is used (same result as passing it)."""
    t = np.array([8.0e8, 8.1e8])
    r = np.array([[6.778e6, 0.0, 0.0], [0.0, 4.0e6, 5.4e6]])
    h = fr.geodetic_altitude_m(t, r)
    for model in (AtmosphereModel(), AtmosphereModel("harris-priester", 1.2, 4)):
        assert np.array_equal(density_kg_m3(t, r, model=model), density_kg_m3(t, r, h, model))
    assert isinstance(density_kg_m3(8e8, r[0]), float)


def test_density_scale_multiplies() -> None:
    """The scale factor multiplies the density exactly (to rounding)."""
    r = [6.778e6, 0.0, 0.0]
    base = density_kg_m3(8e8, r, 400e3, AtmosphereModel("harris-priester"))
    assert math.isclose(density_kg_m3(8e8, r, 400e3, AtmosphereModel("harris-priester", 1.3)), 1.3 * base,
                        rel_tol=1e-15)


@pytest.mark.parametrize(
    "model",
    [AtmosphereModel("harris-priester", 1.0, 7), AtmosphereModel("exponential", 0.0),
     AtmosphereModel("exponential", -1.0)],
)
def test_density_rejects_bad_models(model: AtmosphereModel) -> None:
    """A cosine exponent outside 2..6 or a scale not positive is an InvalidInputError."""
    with pytest.raises(InvalidInputError, match="FB_E_RANGE"):
        density_kg_m3(0.0, [7e6, 0.0, 0.0], 400e3, model)


def test_unknown_atmosphere_kind_is_a_value_error() -> None:
    """An unknown kind name is rejected in Python with the valid names listed."""
    with pytest.raises(ValueError, match="harris-priester"):
        density_kg_m3(0.0, [7e6, 0.0, 0.0], 400e3, AtmosphereModel("msis"))  # type: ignore[arg-type]


def test_sun_direction_shapes() -> None:
    """One time gives a 3-vector; n times give (n, 3) unit vectors."""
    assert sun_direction_eci(0.0).shape == (3,)
    u = sun_direction_eci(np.linspace(0, 3.15e7, 5))
    assert u.shape == (5, 3)
    assert np.allclose(np.linalg.norm(u, axis=1), 1.0, atol=1e-15)


def test_a_failing_density_batch_names_the_bad_point() -> None:
    """A batch with one altitude below -100 km fails naming that point's index."""
    r = np.tile([6.8e6, 0.0, 0.0], (4, 1))
    h = np.array([400e3, 300e3, -2e5, 100e3])
    with pytest.raises(InvalidInputError, match=r"density_kg_m3 at index \(2,\)"):
        density_kg_m3(0.0, r, h)


def test_density_broadcasts_times_altitudes_and_positions() -> None:
    """One position and time with a column of altitudes gives one density per altitude."""
    h = np.array([150e3, 300e3, 450e3])
    rho = density_kg_m3(8e8, [6.8e6, 0.0, 0.0], h, AtmosphereModel("harris-priester"))
    assert rho.shape == (3,)
    assert rho[0] > rho[1] > rho[2] > 0.0
    with pytest.raises(ValueError, match="do not broadcast"):
        density_kg_m3(np.zeros(2), np.zeros((3, 3)) + 7e6, 4e5)
