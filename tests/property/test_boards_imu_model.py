"""Properties of the IMU error model (hil.boards.imu_model)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from hil.boards.imu_model import GRADES, ImuErrorModel, gauss_markov_transition
from tests.oracles.imu_model import f_var

DT = st.floats(1e-3, 1e4)
TAU = st.floats(1.0, 1e5)


def _covariance(dt: float, tau: float) -> tuple[float, float, list[list[float]]]:
    """(phi, k, unit covariance of (state noise, integral noise)) from the core's transition."""
    phi, k, l11, l21, l22 = gauss_markov_transition(dt, tau)
    return phi, k, [[l11 * l11, l11 * l21], [l11 * l21, l21 * l21 + l22 * l22]]


@given(dt=DT, tau=TAU)
def test_gauss_markov_transition_composes_exactly(dt: float, tau: float) -> None:
    """Two steps of dt give the same joint law (state, integral) as one step of 2 dt (relative 1e-9): the
    core's discretisation is exact, so the statistics do not depend on the output interval."""
    phi, k, c = _covariance(dt, tau)
    phi2, k2, c2 = _covariance(2 * dt, tau)
    var_x = phi * phi * c[0][0] + c[0][0]
    cov_xi = phi * c[0][1] + phi * k * c[0][0] + c[0][1]
    var_i = 2 * c[1][1] + k * k * c[0][0] + 2 * k * c[0][1]
    assert math.isclose(phi2, phi * phi, rel_tol=1e-12)
    assert math.isclose(k2, k * (1.0 + phi), rel_tol=1e-12)
    scale = tau * tau * max(c2[1][1], 1e-300) ** 0.5
    assert math.isclose(var_x, c2[0][0], rel_tol=1e-9, abs_tol=1e-300)
    assert math.isclose(cov_xi, c2[0][1], rel_tol=1e-9, abs_tol=1e-9 * scale)
    assert math.isclose(var_i, c2[1][1], rel_tol=1e-8, abs_tol=1e-300)


@given(x=st.floats(1e-9, 10.0))
def test_integral_variance_is_positive_and_smooth_across_the_series_switch(x: float) -> None:
    """2x - 3 + 4e^-x - e^-2x (the reference's form) is positive and within 1e-9 (relative) of its Taylor
    series for small x."""
    f = f_var(x)
    assert f > 0.0
    if x < 2e-3:
        series = x**3 * (2 / 3 - x / 2 + 7 * x * x / 30 - x**3 / 10)
        assert math.isclose(f, series, rel_tol=1e-9)


@given(
    steps=st.lists(st.tuples(st.floats(-1e-2, 1e-2), st.floats(1e-3, 100.0)), min_size=1, max_size=60),
    lsb=st.sampled_from([2.0**-30, 2.0**-20, 1e-6, 1e-3]),
)
def test_quantisation_carries_its_remainder(steps: list[tuple[float, float]], lsb: float) -> None:
    """With every random error off, the sum of the quantised outputs stays within half an LSB (plus
    rounding) of the sum of the true increments, however many outputs: quantisation never accumulates."""
    g = dataclasses.replace(GRADES["tactical"].perfect(), gyro_lsb_rad=lsb, accel_lsb_mps=lsb)
    model = ImuErrorModel(g, 0)
    total_true = np.zeros(3)
    total_out = np.zeros(3)
    for x, dt in steps:
        true = np.array([x, -x, 0.5 * x])
        out, _ = model.measure(true, np.zeros(3), dt)
        total_true += true
        total_out += out
        assert np.all(np.abs(total_out - total_true) <= 0.5 * lsb * (1 + 1e-9) + 1e-15)


@given(seed=st.integers(0, 2**32 - 1), dt=st.floats(1e-3, 100.0))
def test_same_seed_same_errors(seed: int, dt: float) -> None:
    """The model is deterministic for a seed: two models of one seed give bit-identical outputs."""
    a, b = ImuErrorModel(GRADES["navigation"], seed), ImuErrorModel(GRADES["navigation"], seed)
    for _ in range(3):
        xa = a.measure(np.ones(3) * 1e-3, np.ones(3) * 1e-2, dt)
        xb = b.measure(np.ones(3) * 1e-3, np.ones(3) * 1e-2, dt)
        assert all(np.array_equal(p, q) for p, q in zip(xa, xb, strict=True))
