"""Robustness of the orbit area: arbitrary doubles (NaN, infinities, huge and tiny values) in every input
give a result or a clear exception (a CoreError subclass or ValueError), never a crash or a hang."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_bindings import CoreError, orbit, reentry, targeting

T0 = 946728000.0 + 30 * 365.25 * 86400.0
anything = st.floats(allow_nan=True, allow_infinity=True)
# positions and velocities near the physical range, with some wild values mixed in
pos = st.one_of(st.floats(-2e7, 2e7), anything)
vel = st.one_of(st.floats(-1e4, 1e4), anything)
vec3_r = st.tuples(pos, pos, pos)
vec3_v = st.tuples(vel, vel, vel)
QUICK_ENTRY = reentry.EntryConfig(max_coast_s=3600.0, n_fragments=2,
                                  tol=orbit.Tolerance(rtol=1e-8, max_steps=5000))


@settings(max_examples=200)
@given(r=vec3_r, v=vec3_v, mass=anything, t=anything, dt=st.one_of(st.floats(0.0, 3600.0), anything))
def test_propagate_never_crashes(r: tuple[float, ...], v: tuple[float, ...], mass: float, t: float,
                                 dt: float) -> None:
    """propagate returns a finite state or raises CoreError."""
    try:
        s = orbit.propagate(t, r, v, mass, t + dt, tol=orbit.Tolerance(max_steps=2000))
    except CoreError:
        return
    assert np.all(np.isfinite(s.r_eci_m)) and np.all(np.isfinite(s.v_eci_mps))


@settings(max_examples=200)
@given(r=vec3_r, v=vec3_v, gm=st.one_of(st.just(3.986004418e14), anything))
def test_elements_never_crash(r: tuple[float, ...], v: tuple[float, ...], gm: float) -> None:
    """elements_from_state returns finite elements of an ellipse or raises CoreError."""
    try:
        el = orbit.elements_from_state(r, v, gm)
    except CoreError:
        return
    assert all(math.isfinite(x) for x in el) and el.a_m > 0 and 0 <= el.e < 1


@settings(max_examples=60, deadline=None)
@given(r=vec3_r, v=vec3_v, mass=anything, start=anything, duration=anything)
def test_predict_footprint_never_crashes(r: tuple[float, ...], v: tuple[float, ...], mass: float,
                                         start: float, duration: float) -> None:
    """predict_footprint returns a footprint with finite impact points or raises CoreError."""
    try:
        fp = reentry.predict_footprint(T0, r, v, mass, burn=orbit.Burn(start, duration), config=QUICK_ENTRY)
    except CoreError:
        return
    assert np.all(np.isfinite(fp.impact_lat_rad)) and np.all(np.isfinite(fp.impact_lon_rad))


@settings(max_examples=60, deadline=None)
@given(r=vec3_r, v=vec3_v, t_ig=st.one_of(st.floats(0.0, 6000.0), anything), hp=anything,
       max_duration=anything)
def test_perigee_solver_never_crashes(r: tuple[float, ...], v: tuple[float, ...], t_ig: float, hp: float,
                                      max_duration: float) -> None:
    """solve_perigee_burn returns a burn of finite length within its bound, with a finite perigee, or
    raises CoreError."""
    try:
        b = targeting.solve_perigee_burn(T0, r, v, 450e3, T0 + t_ig, hp, max_duration,
                                         tol=orbit.Tolerance(max_steps=5000))
    except CoreError:
        return
    assert 0.0 <= b.duration_s <= max_duration and math.isfinite(b.hp_after_m)
