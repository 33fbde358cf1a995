"""Properties of guidance: plans from any near-circular start, and its pure helpers (the IMU rate by phase
and the propellant budget)."""

from __future__ import annotations

import math

from hypothesis import example, given
from hypothesis import strategies as st

from firmware_bindings.orbit import state_from_elements
from flight.config import FlightConfig
from flight.guidance import (
    CampaignPlan,
    Guidance,
    PlannedBurn,
    imu_rate_hz,
    next_rate_change_s,
    propellant_for_dv_kg,
)
from flight.navigation import OrbitState

CFG = FlightConfig()
T0_S = 959_774_400.0

burns = st.lists(
    st.tuples(st.floats(0.0, 4 * 86400.0), st.floats(1.0, 3000.0)), min_size=0, max_size=4
).map(lambda bs: tuple(
    PlannedBurn(i + 1, f"B{i + 1}", T0_S + t, d, 1.0, 10.0, 1e5, 2e5, (1.0, 0.0, 0.0), 0.027)
    for i, (t, d) in enumerate(sorted(bs))))


def plan_of(bs: tuple[PlannedBurn, ...]) -> CampaignPlan:
    return CampaignPlan(T0_S, bs, None, 0.0, 0.0, 0.0, True, True, 0.0, 16e3)


@given(bs=burns, t=st.floats(-86400.0, 6 * 86400.0), armed=st.booleans(),
       ignition=st.none() | st.floats(-86400.0, 6 * 86400.0))
def test_rate_follows_the_phase(bs: tuple[PlannedBurn, ...], t: float, armed: bool,
                                ignition: float | None) -> None:
    """The rate is always one of the three configured rates: the burn rate throughout every window from
    the margin before an ignition to the margin after its cutoff; outside them, when armed, the slew rate
    while the sequencer's burn is more than the margin ahead and the burn rate otherwise; unarmed, the slew
    rate from arm lead plus margin before an ignition and the coast rate elsewhere. The rate never drops
    below the slew rate while armed (the thruster board's watchdog needs commands)."""
    now = T0_S + t
    t_ig = None if ignition is None else T0_S + ignition
    m = CFG.burn_rate_margin_s
    rate = imu_rate_hz(now, plan_of(bs), CFG, armed=armed, next_ignition_s=t_ig)
    burning = any(b.t_ignition_s - m <= now < b.t_ignition_s + b.duration_s + m for b in bs)
    slewing = any(b.t_ignition_s - CFG.arm_lead_s - m <= now < b.t_ignition_s - m for b in bs)
    if burning:
        assert rate == CFG.imu_rate_burn_hz
    elif armed:
        far = t_ig is not None and now < t_ig - m
        assert rate == (CFG.imu_rate_slew_hz if far else CFG.imu_rate_burn_hz)
    else:
        assert rate == (CFG.imu_rate_slew_hz if slewing else CFG.imu_rate_coast_hz)
    if armed:
        assert rate >= CFG.imu_rate_slew_hz


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


angle = st.floats(0.0, 2.0 * math.pi)


@given(e=st.floats(0.0, 1e-3), raan=angle, argp=angle, nu=angle)
@example(e=0.0, raan=0.0, argp=0.0, nu=0.0)  # exactly circular at the ascending node: guidance used to fail
def test_plans_from_any_near_circular_start(e: float, raan: float, argp: float, nu: float) -> None:
    """From any 220 km near-circular orbit (eccentricity up to 1e-3, any node, perigee and phase) the
    default campaign has a plan: burns in time order, none before now plus the arming lead, every lowering
    burn to its perigee target and the final burn to 50 km (each to 100 m), the along-track miss solved to
    1 km and the footprint centre within half a ground-track spacing (1,000 km) across the track."""
    r, v = state_from_elements((6378137.0 + 220e3, e, math.radians(51.64), raan, argp, nu))
    g = Guidance(T0_S)
    plan = g.plan(OrbitState(T0_S, tuple(r), tuple(v), 450e3))
    times = [b.t_ignition_s for b in plan.burns]
    assert times == sorted(times) and times[0] >= T0_S + g.config.min_lead_s
    targets = {i + 1: spec.hp_target_m for i, spec in enumerate(g.config.lowering)}
    for b in plan.burns:
        target = g.config.final_hp_m if b.final else targets[b.burn_id]
        assert abs(b.hp_after_m - target) < 100.0
    assert plan.burns[-1].final
    assert abs(plan.miss_along_m) < 1e3
    assert abs(plan.miss_cross_m) < 1e6
