"""Properties of guidance's pure helpers: the IMU rate by phase and the propellant budget."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from flight.config import FlightConfig
from flight.guidance import CampaignPlan, PlannedBurn, imu_rate_hz, next_rate_change_s, propellant_for_dv_kg

CFG = FlightConfig()
T0_S = 959_774_400.0

burns = st.lists(
    st.tuples(st.floats(0.0, 4 * 86400.0), st.floats(1.0, 3000.0)), min_size=0, max_size=4
).map(lambda bs: tuple(
    PlannedBurn(i + 1, f"B{i + 1}", T0_S + t, d, 1.0, 10.0, 1e5, 2e5, (1.0, 0.0, 0.0), 0.027)
    for i, (t, d) in enumerate(sorted(bs))))


def plan_of(bs: tuple[PlannedBurn, ...]) -> CampaignPlan:
    return CampaignPlan(T0_S, bs, None, 0.0, 0.0, 0.0, True, True, 0.0, 16e3)


@given(bs=burns, t=st.floats(-86400.0, 6 * 86400.0), armed=st.booleans())
def test_rate_is_burn_rate_when_armed_or_near_a_burn_else_coast(bs: tuple[PlannedBurn, ...], t: float,
                                                               armed: bool) -> None:
    """The rate is always one of the two configured rates; the burn rate whenever armed and throughout
    every window from arm lead plus 600 s before ignition to 600 s after cutoff; the coast rate elsewhere."""
    rate = imu_rate_hz(T0_S + t, plan_of(bs), CFG, armed=armed)
    near = any(b.t_ignition_s - CFG.arm_lead_s - 600.0 <= T0_S + t < b.t_ignition_s + b.duration_s + 600.0
               for b in bs)
    assert rate == (CFG.imu_rate_burn_hz if armed or near else CFG.imu_rate_coast_hz)


@given(bs=burns, t=st.floats(-86400.0, 6 * 86400.0), frac=st.floats(0.0, 0.999))
def test_rate_is_constant_until_the_next_change(bs: tuple[PlannedBurn, ...], t: float, frac: float) -> None:
    """Between ``t`` and ``next_rate_change_s(t)`` (exclusive) the unarmed rate does not change."""
    plan = plan_of(bs)
    nxt = next_rate_change_s(T0_S + t, plan, CFG)
    assert nxt > T0_S + t
    if math.isfinite(nxt):
        mid = T0_S + t + frac * (nxt - (T0_S + t))
        if mid < nxt:
            assert imu_rate_hz(mid, plan, CFG) == imu_rate_hz(T0_S + t, plan, CFG)


@given(m=st.floats(1e3, 1e6), a=st.floats(0.0, 100.0), b=st.floats(0.0, 100.0), isp=st.floats(100.0, 450.0))
def test_propellant_is_additive_over_split_burns_and_bounded(m: float, a: float, b: float,
                                                             isp: float) -> None:
    """Splitting a burn changes nothing (rocket equation): p(m, a + b) = p(m, a) + p(m - p(m, a), b), to
    1e-9 relative; and 0 <= p < m, increasing in delta-v."""
    pa = propellant_for_dv_kg(m, a, isp)
    whole = propellant_for_dv_kg(m, a + b, isp)
    split = pa + propellant_for_dv_kg(m - pa, b, isp)
    assert math.isclose(whole, split, rel_tol=1e-9, abs_tol=1e-9)
    assert 0.0 <= pa <= whole < m
