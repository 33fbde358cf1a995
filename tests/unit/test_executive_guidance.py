"""The executive with guidance: the plan reaches the sequencer, inline (deterministic) and in a worker
thread, and a ground state vector triggers a re-plan. Ports are the doubles of test_executive.py."""

from __future__ import annotations

import asyncio
import math

from firmware_bindings.orbit import state_from_elements
from flight.control import retrograde_target
from flight.executive import Executive, ExecutiveConfig
from flight.guidance import CampaignConfig, Guidance
from flight.navigation import Navigator
from flight.ports import StateVectorArgs, Telecommand, TelecommandKind
from flight.sequencer import SeqState
from tests.unit.test_executive import T0_S, FakeGround, FakeImu, FakeThrusters, still_sample

CAMPAIGN = CampaignConfig(lowering=(), final_offset_s=3 * 5300.0, final_rev_search=3, min_lead_s=600.0)


def _exec(plan_inline: bool) -> tuple[Executive, FakeImu, FakeThrusters, FakeGround]:
    r, v = state_from_elements((6_550_637.0, 0.0042, math.radians(51.64), 1.0, 2.0, 3.1416))
    nav = Navigator(retrograde_target(r, v)[0])
    nav.apply_state_vector(T0_S, tuple(r), tuple(v), 450e3)
    imu, thr, gnd = FakeImu(), FakeThrusters(), FakeGround()
    ex = Executive(imu, thr, gnd, navigator=nav, guidance=Guidance(T0_S, CAMPAIGN),
                   exec_config=ExecutiveConfig(imu_timeout_s=0.5, port_timeout_s=0.5,
                                               plan_inline=plan_inline))
    return ex, imu, thr, gnd


def test_inline_plan_is_loaded_into_the_sequencer_at_the_first_cycle() -> None:
    """Inline planning: the first sample's cycle plans and loads the final burn (state PLANNED), the same
    plan guidance returned; far from the burn the IMU is asked for the coast rate."""
    ex, imu, thr, _ = _exec(plan_inline=True)
    for k in range(1, 4):
        imu.push(still_sample(T0_S + 10.0 * k, 10.0))
    asyncio.run(ex.run(until_s=T0_S + 30.0))
    assert ex.plans == 1
    assert ex.seq.state is SeqState.PLANNED
    assert ex.guidance is not None and ex.guidance.last_plan is not None
    planned = ex.guidance.last_plan.burns[-1]
    assert ex.seq.plan == planned.to_burn_plan()
    assert ex.seq.plan.final
    assert ex._rate_wanted == ex.config.imu_rate_coast_hz
    assert len(thr.commands) == 3


def test_threaded_plan_reaches_the_sequencer_while_cycles_go_on() -> None:
    async def main() -> Executive:
        ex, imu, _, _ = _exec(plan_inline=False)
        stop = asyncio.Event()
        run = asyncio.create_task(ex.run(stop))
        for k in range(1, 2000):
            imu.push(still_sample(T0_S + 10.0 * k, 10.0))
            await asyncio.sleep(0.01)
            if ex.seq.state is SeqState.PLANNED:
                break
        stop.set()
        await asyncio.wait_for(run, 10.0)
        return ex

    ex = asyncio.run(main())
    assert ex.seq.state is SeqState.PLANNED and ex.plans == 1


def test_state_vector_uplink_triggers_a_replan() -> None:
    """A STATE_VECTOR telecommand is applied to navigation and guidance plans again (two plans)."""

    async def main() -> Executive:
        ex, imu, _, gnd = _exec(plan_inline=True)
        stop = asyncio.Event()
        run = asyncio.create_task(ex.run(stop))
        imu.push(still_sample(T0_S + 10.0, 10.0))
        for _ in range(500):
            await asyncio.sleep(0.01)
            if ex.plans == 1:
                break
        o = ex.nav.orbit()
        gnd.stream.queue.put_nowait(Telecommand(5, TelecommandKind.STATE_VECTOR,
                                                StateVectorArgs(o.t_s, o.r_eci_m, o.v_eci_mps)))
        for k in range(2, 500):
            imu.push(still_sample(T0_S + 10.0 * k, 10.0))
            await asyncio.sleep(0.01)
            if ex.plans == 2:
                break
        stop.set()
        await asyncio.wait_for(run, 10.0)
        return ex

    ex = asyncio.run(main())
    assert dict(ex.commander.counters) == {'accepted': 1}, (ex.commander.counters, ex.fdir.counts)
    assert ex.plans == 2
    assert ex.commander.counters["accepted"] == 1
