"""Properties of the IMU error model in the C core against its numpy reference
(tests/oracles/imu_model.py)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from firmware_bindings.imu import gm_transition
from hil.boards.imu_model import GRADES, ImuErrorModel
from tests.oracles import imu_model as ref

DT = st.floats(1e-3, 100.0)
TAU = st.floats(1.0, 1e5)
INCREMENT = st.floats(-0.5, 0.5)
# one output: true increments scaled by dt, the interval, and a fault action before it:
# None, ("jump", axis, magnitude), ("burst", sigma, duration_s) or ("clear",)
FAULT = st.one_of(
    st.none(),
    st.tuples(st.just("jump"), st.integers(0, 5), st.floats(-1e-2, 1e-2)),
    st.tuples(st.just("burst"), st.floats(0.0, 0.1), st.floats(0.0, 300.0)),
    st.tuples(st.just("clear")),
)
STEP = st.tuples(st.lists(INCREMENT, min_size=6, max_size=6), DT, FAULT)


@given(dt=st.floats(1e-3, 1e4), tau=TAU)
def test_transition_coefficients_match_the_reference(dt: float, tau: float) -> None:
    """fb_imu_gm_transition's (phi, k, l11, l21, l22) equal the reference's (exp, expm1, the 2 x 2
    covariance and its Cholesky factor) within 1e-12 relative each."""
    for got, want in zip(gm_transition(dt, tau), ref.gm_transition(dt, tau), strict=True):
        assert math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-300), (got, want)


def _apply(fault: tuple[Any, ...] | None, t_s: float, *models: ImuErrorModel | ref.ImuErrorModel) -> None:
    if fault is None:
        return
    for m in models:
        f = m.faults
        if fault[0] == "jump":
            f.bias_jump[int(fault[1])] += float(fault[2])
        elif fault[0] == "burst":
            f.noise_burst_sigma[:] = float(fault[1])
            f.noise_burst_until_s = t_s + float(fault[2])
        else:
            f.bias_jump[:] = 0.0
            f.noise_burst_sigma[:] = 0.0
            f.noise_burst_until_s = -math.inf


@given(seed=st.integers(0, 2**32 - 1), grade_name=st.sampled_from(sorted(GRADES)),
       steps=st.lists(STEP, min_size=1, max_size=40))
def test_model_matches_the_reference_over_any_sequence(
    seed: int, grade_name: str, steps: list[tuple[list[float], float, tuple[Any, ...] | None]]
) -> None:
    """For any seed, grade and sequence of true increments (up to 0.5 rad or m/s per second of interval),
    intervals (1 ms to 100 s), bias jumps, noise bursts and clears, the core-backed ImuErrorModel's every
    output is within one LSB of the reference's (same draws: quantisation may round differently only
    where the unquantised values differ in the last bits), and so are the running sums of the outputs."""
    g = GRADES[grade_name]
    ours, theirs = ImuErrorModel(g, seed), ref.ImuErrorModel(g, seed)
    lsb = theirs.lsb * (1.0 + 1e-9)
    sum_ours, sum_theirs = np.zeros(6), np.zeros(6)
    t_s = 0.0
    for inc, dt, fault in steps:
        _apply(fault, t_s, ours, theirs)
        t_s += dt
        true = np.array(inc) * dt
        a = np.concatenate(ours.measure(true[:3], true[3:], dt, t_s))
        b = np.concatenate(theirs.measure(true[:3], true[3:], dt, t_s))
        sum_ours += a
        sum_theirs += b
        assert np.all(np.abs(a - b) <= lsb), (a - b) / theirs.lsb
        assert np.all(np.abs(sum_ours - sum_theirs) <= lsb), (sum_ours - sum_theirs) / theirs.lsb


@given(seed=st.integers(0, 2**32 - 1), grade_name=st.sampled_from(sorted(GRADES)),
       steps=st.lists(st.tuples(st.lists(st.floats(-1.5, 1.5), min_size=6, max_size=6), DT),
                      min_size=1, max_size=20))
def test_board_output_matches_the_reference_differencing_and_range_check(
    seed: int, grade_name: str, steps: list[tuple[list[float], float]]
) -> None:
    """ImuErrorModel.output over cumulative integrals equals the reference measuring their differences
    followed by the board's range check (clip to range times dt, a flag per triad): outputs within one LSB
    (clipped values exactly at the limit), and the same saturation flags. Rates up to 1.5 times each
    grade's range so that both sides of the check occur."""
    g = GRADES[grade_name]
    ours, theirs = ImuErrorModel(g, seed), ref.ImuErrorModel(g, seed)
    scale = np.array([g.gyro_range_rps] * 3 + [g.accel_range_mps2] * 3)
    cum = np.array([0.25, -1.0, 3.0, 100.0, -7.0, 0.5])
    ours.start(cum[:3], cum[3:])
    lsb = theirs.lsb * (1.0 + 1e-9)
    t_s = 0.0
    for frac, dt in steps:
        t_s += dt
        new = cum + np.array(frac) * scale * dt
        got, flags = ours.output(new[:3], new[3:], dt, t_s)
        raw = np.concatenate(theirs.measure(new[:3] - cum[:3], new[3:] - cum[3:], dt, t_s))
        want, want_flags = ref.clip_output(raw, dt, g.gyro_range_rps, g.accel_range_mps2)
        cum = new
        assert flags == want_flags
        assert np.all(np.abs(np.array(got) - want) <= lsb)
