"""Restart: the executive carries out the sequencer's restore intents from the journal first, so a flight
software that restarts during a burn closes every valve, disarms, records the burn as interrupted and
waits in SAFE; the burn never ignites again."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np

from flight.config import FlightConfig
from flight.journal import Journal
from flight.sequencer import BurnOutcome, BurnPlan, Rejected, SeqState, Sequencer
from tests.unit.test_executive import (
    T0_S,
    FakeGround,
    FakeImu,
    FakeThrusters,
    make_exec,
    orbit_220km,
    still_sample,
)


def test_restart_during_a_burn_makes_safe_and_never_reignites(tmp_path: Path) -> None:
    cfg = FlightConfig()
    _, v = orbit_220km()
    plan = BurnPlan(1, "PLB-1", T0_S + 100.0, 5.0, 0.027, tuple(-v / np.linalg.norm(v)))
    with Journal.open(tmp_path / "j", create=True) as j:
        j.save_plan({"plan": plan.to_dict(), "go_burn_id": 1, "crew_clear": False, "safe": False})
        j.record_ignition(1, T0_S + 100.0, plan.to_dict())  # the previous life died mid-burn

    journal = Journal.open(tmp_path / "j")
    seq, startup = Sequencer.restore(cfg, journal.plan_record, journal.burns, T0_S + 200.0, journal.ignitions)
    imu, thr, gnd = FakeImu(), FakeThrusters(), FakeGround()
    thr.arm_state = thr.arm_state.ARMED  # the board was left armed
    ex = make_exec(imu, thr, gnd, with_orbit=True)
    ex.seq, ex.commander.sequencer = seq, seq
    ex.journal = journal
    ex._pending = list(startup)
    for k in range(1, 4):
        imu.push(still_sample(T0_S + 200.0 + 0.1 * k))
    asyncio.run(ex.run(until_s=T0_S + 200.3))
    journal.close()

    assert thr.arm_steps[0] == "disarm"
    assert not any(c.opens_any_valve for c in thr.commands)
    assert ex.seq.state is SeqState.SAFE
    with Journal.open(tmp_path / "j") as j2:
        result = j2.burns[1]
        assert result is not None and result.outcome is BurnOutcome.INTERRUPTED
    try:
        ex.seq.load_plan(T0_S + 300.0, plan)
        raise AssertionError("a burn that ignited was accepted again")
    except Rejected as exc:
        assert exc.reason.value == "burn_done"
