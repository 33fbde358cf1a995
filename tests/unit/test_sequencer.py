"""Scenario tests of the burn sequencer in the closed loop of tests/unit/test_sequencer_rig.py."""

from __future__ import annotations

import dataclasses
import math

import pytest

from flight.config import FlightConfig
from flight.ports import AckReason, ArmState
from flight.sequencer import (
    BurnOutcome,
    BurnPlan,
    CloseAllValves,
    Disarm,
    MainValves,
    PersistIgnition,
    Rejected,
    SeqState,
    Sequencer,
    TrimThrust,
)
from tests.unit.test_sequencer_rig import FAST, Rig, fly_nominal, plan


def test_nominal_burn_cuts_off_within_half_a_percent() -> None:
    """Constant thrust, 30 m/s target: the achieved delta-v lies within 0.5 % (0.15 m/s) of the target (the
    task's goal) without a trim, and the sequencer ends in IDLE with the board disarmed."""
    rig = Rig()
    result = fly_nominal(rig, plan(dv=30.0, accel=0.5, t_ig=10.0), accel_mps2=0.5)
    assert result.outcome is BurnOutcome.COMPLETED
    assert abs(result.dv_achieved_mps - 30.0) <= 0.005 * 30.0
    assert abs(rig.dv_truth_mps[1] - 30.0) <= 0.005 * 30.0
    assert not any(isinstance(i, TrimThrust) for i in rig.log)
    rig.cycle(0.5)
    rig.cycle(0.5)
    assert rig.seq.state is SeqState.IDLE and rig.arm is ArmState.DISARMED and not rig.main_open
    assert rig.violations == []


def test_ignition_is_persisted_before_the_main_valves_open() -> None:
    """The PersistIgnition intent comes before the first MainValves(open) of the burn, in the same batch."""
    rig = Rig()
    fly_nominal(rig, plan(), accel_mps2=0.5)
    i_persist = next(i for i, it in enumerate(rig.log) if isinstance(it, PersistIgnition))
    i_open = next(i for i, it in enumerate(rig.log) if isinstance(it, MainValves) and it.open)
    assert i_persist < i_open


def test_sequence_passes_through_every_state_in_order() -> None:
    """A nominal burn visits PLANNED, GO_RECEIVED, ARMING, SLEW, SETTLE, IGNITION, BURN, CUTOFF, IDLE."""
    rig = Rig()
    fly_nominal(rig, plan(dv=30.0), accel_mps2=0.5)
    rig.cycle(0.5)
    seen = [m.split(": ")[0].split(" -> ")[1] for m in rig.events("sequencer.state")]
    assert seen == ["PLANNED", "GO_RECEIVED", "ARMING", "SLEW", "SETTLE", "IGNITION", "BURN", "CUTOFF",
                    "IDLE"]


def test_trim_makes_up_a_residual_left_by_the_safety_bound() -> None:
    """With a high acceleration bound the safety rule cuts early; the attitude-thruster trim brings the
    delta-v within 0.5 % of the target without passing it by more than the tolerance."""
    cfg = dataclasses.replace(FAST, accel_max_mps2=1.0, trim_accel_max_mps2=0.015, trim_timeout_s=30.0)
    rig = Rig(config=cfg, trim_fraction=0.02)
    result = fly_nominal(rig, plan(dv=1.0, accel=0.5), accel_mps2=0.5)
    assert any(isinstance(it, TrimThrust) and it.open for it in rig.log)
    assert result.outcome is BurnOutcome.COMPLETED
    assert abs(result.dv_achieved_mps - 1.0) <= 0.005 * 1.0
    assert rig.dv_truth_mps[1] <= 1.0 * 1.005


def test_max_duration_bounds_a_weak_burn() -> None:
    """At 60 % of the planned thrust the burn stops at 1.3 times the planned duration (1 control cycle)."""
    rig = Rig()
    result = fly_nominal(rig, plan(dv=2.0, accel=0.5), accel_mps2=0.3)
    assert result.outcome is BurnOutcome.MAX_DURATION
    assert result.duration_s == pytest.approx(1.3 * 4.0, abs=FAST.control_cycle_s + 1e-9)
    assert result.dv_achieved_mps < 2.0


def test_ignition_failure_goes_to_safe() -> None:
    """No measured thrust within ignition_timeout_s: cutoff, then SAFE with the burn done for good."""
    rig = Rig()
    result = fly_nominal(rig, plan(), accel_mps2=0.0)
    assert result.outcome is BurnOutcome.IGNITION_FAILED
    rig.cycle(0.0)
    assert rig.seq.state is SeqState.SAFE
    with pytest.raises(Rejected) as exc:
        rig.seq.load_plan(rig.t_s, plan(t_ig=rig.t_s + 20.0))
    assert exc.value.reason is AckReason.BURN_DONE


def test_final_burn_waits_for_crew_clear() -> None:
    """A final burn with GO but no CREW_CLEAR is not armed (interlock event); CREW_CLEAR lets it arm."""
    rig = Rig()
    rig.run(rig.seq.load_plan(0.0, plan(final=True, t_ig=10.0)))
    rig.run(rig.seq.go(0.0, 1))
    for _ in range(60):
        rig.cycle(0.5)
    assert rig.seq.state is SeqState.GO_RECEIVED and rig.arm is ArmState.DISARMED
    assert rig.events("sequencer.interlock")
    rig.run(rig.seq.crew_clear_received(rig.t_s))
    rig.cycles_until(SeqState.SLEW, 0.5, limit=30)
    assert rig.arm is ArmState.ARMED


def test_final_burn_window_missed_without_crew_clear() -> None:
    """Without CREW_CLEAR the final burn never ignites; when its window closes the plan is dropped."""
    rig = Rig()
    rig.run(rig.seq.load_plan(0.0, plan(final=True, t_ig=10.0)))
    rig.run(rig.seq.go(0.0, 1))
    for _ in range(200):
        rig.cycle(0.5)
    assert rig.seq.state is SeqState.IDLE and rig.ignitions == [] and rig.seq.plan is None


def test_burn_never_ignites_twice() -> None:
    """After a burn, its id is refused by load_plan and by GO (BURN_DONE)."""
    rig = Rig()
    fly_nominal(rig, plan(), accel_mps2=0.5)
    for call in (lambda: rig.seq.load_plan(rig.t_s, plan(t_ig=rig.t_s + 30)), lambda: rig.seq.go(rig.t_s, 1)):
        with pytest.raises(Rejected) as exc:
            call()
        assert exc.value.reason is AckReason.BURN_DONE
    assert rig.ignitions == [1]


def test_abort_during_burn_reaches_safe_with_valves_closed() -> None:
    """ABORT mid-burn: SAFE at once with CloseAllValves and Disarm; valves closed within two cycles; the
    board's confirmation is required before RESUME is accepted."""
    rig = Rig()
    rig.run(rig.seq.load_plan(0.0, plan(dv=3.0)))
    rig.run(rig.seq.go(0.0, 1))
    rig.cycles_until(SeqState.BURN, 0.5)
    rig.cycle(0.5)
    out = rig.run(rig.seq.abort(rig.t_s))
    assert rig.seq.state is SeqState.SAFE
    assert any(isinstance(i, CloseAllValves) for i in out) and any(isinstance(i, Disarm) for i in out)
    assert rig.results[1].outcome is BurnOutcome.ABORTED
    with pytest.raises(Rejected) as exc:
        rig.seq.resume(rig.t_s)
    assert exc.value.reason is AckReason.INTERLOCK
    rig.cycle(0.5)
    rig.cycle(0.5)
    assert not rig.main_open and not rig.trim_open
    rig.run(rig.seq.resume(rig.t_s))
    assert rig.seq.state is SeqState.IDLE


def test_safe_resends_when_board_does_not_confirm_and_gives_up_bounded() -> None:
    """A silent board in SAFE: close and disarm are re-sent every safe_confirm_timeout_s, at most
    safe_max_retries times, then one CRITICAL event."""
    rig = Rig()
    rig.silent = True
    rig.run(rig.seq.abort(0.0))
    for _ in range(100):
        rig.coast(0.1)
    closes = [i for i in rig.log if isinstance(i, CloseAllValves)]
    assert len(closes) == 1 + FAST.safe_max_retries
    assert len(rig.events("sequencer.safe_unconfirmed")) == 1


def test_no_go_before_ignition_stands_down() -> None:
    """NO-GO while slewing: disarm, back to PLANNED, GO withdrawn (a new GO is needed)."""
    rig = Rig()
    rig.run(rig.seq.load_plan(0.0, plan()))
    rig.run(rig.seq.go(0.0, 1))
    rig.cycles_until(SeqState.SLEW, 0.5)
    rig.run(rig.seq.no_go(rig.t_s, 1))
    assert rig.seq.state is SeqState.PLANNED and rig.seq.go_burn_id is None
    rig.cycle(0.5)
    assert rig.arm is ArmState.DISARMED


def test_no_go_during_burn_stops_it() -> None:
    """NO-GO mid-burn: cutoff, result STOPPED, IDLE."""
    rig = Rig()
    rig.run(rig.seq.load_plan(0.0, plan(dv=3.0)))
    rig.run(rig.seq.go(0.0, 1))
    rig.cycles_until(SeqState.BURN, 0.5)
    rig.run(rig.seq.no_go(rig.t_s, 1))
    rig.cycles_until(SeqState.IDLE, 0.5, limit=20)
    assert rig.results[1].outcome is BurnOutcome.STOPPED
    assert rig.results[1].dv_achieved_mps < 3.0


@pytest.mark.parametrize(
    ("fault", "why"),
    [("refuse_arm", "rejected arming"), ("silent", "silent"), ("attitude", "attitude not reached")],
)
def test_faults_before_ignition_go_to_safe(fault: str, why: str) -> None:
    """Arming refused, a silent board and an attitude that never settles each end in SAFE, unignited."""
    rig = Rig()
    rig.run(rig.seq.load_plan(0.0, plan(t_ig=12.0)))
    rig.run(rig.seq.go(0.0, 1))
    if fault == "refuse_arm":
        rig.refuse_arm = True
    rig.cycles_until(SeqState.ARMING, 0.5)
    if fault == "silent":
        rig.silent = True
    for _ in range(200):
        rig.cycle(0.5, att_err_rad=math.radians(5.0) if fault == "attitude" else 0.0)
        if rig.seq.state is SeqState.SAFE:
            break
    assert rig.seq.state is SeqState.SAFE
    assert any(why in m for m in rig.events("sequencer.state"))
    assert rig.ignitions == []


def test_slew_timeout_goes_to_safe() -> None:
    """An attitude error that stays above the threshold for slew_timeout_s ends the sequence in SAFE."""
    rig = Rig(config=dataclasses.replace(FAST, slew_timeout_s=2.0))
    rig.run(rig.seq.load_plan(0.0, plan(t_ig=10.0)))
    rig.run(rig.seq.go(0.0, 1))
    for _ in range(100):
        rig.cycle(0.0, att_err_rad=math.radians(3.0))
    assert rig.seq.state is SeqState.SAFE
    assert any("slew timed out" in m for m in rig.events("sequencer.state"))


def test_board_disarming_itself_during_burn_is_a_fault() -> None:
    """The board reports DISARMED mid-burn (a reset): SAFE, burn result ABORTED."""
    rig = Rig()
    rig.run(rig.seq.load_plan(0.0, plan(dv=3.0)))
    rig.run(rig.seq.go(0.0, 1))
    rig.cycles_until(SeqState.BURN, 0.5)
    rig.arm = ArmState.DISARMED
    rig.cycle(0.5)
    assert rig.seq.state is SeqState.SAFE
    assert rig.results[1].outcome is BurnOutcome.ABORTED


def test_rejections_name_their_reason() -> None:
    """GO without a plan, GO for another burn id, GO in SAFE, RESUME outside SAFE, a plan in the past."""
    seq = Sequencer(FAST)
    cases = [
        (lambda: seq.go(0.0, 1), AckReason.UNKNOWN_BURN),
        (lambda: seq.resume(0.0), AckReason.WRONG_STATE),
        (lambda: seq.load_plan(100.0, plan(t_ig=10.0)), AckReason.OUT_OF_RANGE),
    ]
    for call, reason in cases:
        with pytest.raises(Rejected) as exc:
            call()
        assert exc.value.reason is reason
    seq.load_plan(0.0, plan(burn_id=2))
    with pytest.raises(Rejected) as exc:
        seq.go(0.0, 3)
    assert exc.value.reason is AckReason.UNKNOWN_BURN
    seq.abort(0.0)
    with pytest.raises(Rejected) as exc:
        seq.go(0.0, 2)
    assert exc.value.reason is AckReason.WRONG_STATE


def test_rejected_input_changes_nothing() -> None:
    """A rejected GO leaves state, time and GO untouched."""
    seq = Sequencer(FAST)
    seq.load_plan(1.0, plan(burn_id=2))
    before = (seq.state, seq.t_s, seq.go_burn_id)
    with pytest.raises(Rejected):
        seq.go(5.0, 9)
    assert (seq.state, seq.t_s, seq.go_burn_id) == before


def test_replan_keeps_go_only_for_the_same_burn() -> None:
    """Guidance re-plans burn 1 (new time): GO kept; a plan for burn 2 drops it."""
    seq = Sequencer(FAST)
    seq.load_plan(0.0, plan(burn_id=1, t_ig=30.0))
    seq.go(0.0, 1)
    seq.load_plan(0.0, plan(burn_id=1, t_ig=40.0))
    assert seq.state is SeqState.GO_RECEIVED and seq.go_burn_id == 1
    seq.load_plan(0.0, plan(burn_id=2, t_ig=40.0))
    assert seq.state is SeqState.PLANNED and seq.go_burn_id is None


def test_bad_sensor_values_are_events_not_crashes() -> None:
    """NaN attitude error and NaN delta-v are ignored with a warning event; time stepping back too."""
    seq = Sequencer(FAST)
    out = seq.attitude_error(1.0, math.nan) + seq.delta_v(1.0, math.nan, 0.1) + seq.tick(0.5)
    names = [i.event.name for i in out if hasattr(i, "event")]
    assert names.count("sequencer.bad_input") == 2 and "sequencer.time_backwards" in names
    assert seq.t_s == 1.0
    with pytest.raises(ValueError, match="finite"):
        seq.tick(math.inf)


def test_bad_plan_is_refused_at_construction() -> None:
    """Zero delta-v, zero thrust direction and NaN time raise ValueError naming the field."""
    with pytest.raises(ValueError, match="dv_target_mps"):
        BurnPlan(1, "x", 0.0, 0.0, 0.1, (1.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="thrust_dir_eci"):
        BurnPlan(1, "x", 0.0, 1.0, 0.1, (0.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="t_ignition_s"):
        BurnPlan(1, "x", math.nan, 1.0, 0.1, (1.0, 0.0, 0.0))


def test_restore_after_restart_mid_burn_goes_safe_and_never_reignites() -> None:
    """Journal data with an ignition and no result: the burn closes as INTERRUPTED, the sequencer starts
    in SAFE, and the burn id is refused afterwards."""
    rig = Rig()
    rig.run(rig.seq.load_plan(0.0, plan(dv=3.0)))
    rig.run(rig.seq.go(0.0, 1))
    rig.cycles_until(SeqState.BURN, 0.5)
    record = rig.plan_records[-1]
    seq, intents = Sequencer.restore(FAST, record, {1: None}, rig.t_s)
    assert seq.state is SeqState.SAFE
    assert any(isinstance(i, CloseAllValves) for i in intents)
    assert seq.burns[1] is not None and seq.burns[1].outcome is BurnOutcome.INTERRUPTED
    with pytest.raises(Rejected) as exc:
        seq.load_plan(rig.t_s, plan(t_ig=rig.t_s + 30.0))
    assert exc.value.reason is AckReason.BURN_DONE


def test_restore_picks_up_the_plan_and_go() -> None:
    """A restart before arming comes back in GO_RECEIVED with the same plan."""
    seq = Sequencer(FAST)
    p = plan(t_ig=100.0)
    seq.load_plan(0.0, p)
    seq.go(0.0, 1)
    seq.crew_clear_received(0.0)
    restored, _ = Sequencer.restore(FAST, seq.plan_record(), {}, 1.0)
    assert restored.state is SeqState.GO_RECEIVED and restored.plan == p and restored.crew_clear


def test_telemetry_reports_state_and_progress() -> None:
    """Telemetry carries the state, the planned burn and the measured delta-v of the burn under way."""
    rig = Rig()
    assert rig.seq.telemetry().values["state"] == "IDLE"
    rig.run(rig.seq.load_plan(0.0, plan(dv=3.0)))
    rig.run(rig.seq.go(0.0, 1))
    rig.cycles_until(SeqState.BURN, 0.5)
    rig.cycle(0.5)
    tm = rig.seq.telemetry()
    assert tm.values["state"] == "BURN" and tm.values["burn_id"] == 1 and tm.values["go"] is True
    assert tm.values["dv_measured_mps"] == pytest.approx(rig.dv_truth_mps[1])
    assert tm.t_s == rig.t_s


def test_final_burn_cutoff_with_reference_vehicle_numbers() -> None:
    """The final burn with the numbers of reference/hardware.md: 30 Dracos of 400 N (Isp 300 s) on a 450 t
    stack, 28.7 m/s target (200 x 145 km to 200 x 50 km), flight configuration defaults (10 Hz control,
    0.05 m/s^2 bound), mass falling as propellant burns. Authority: the reference numbers and the 0.5 %
    goal; tolerance 0.005 x 28.7 = 0.1435 m/s on the truth delta-v; duration near the quoted 18 minutes."""
    cfg = dataclasses.replace(FlightConfig(), arm_lead_s=120.0)
    rig = Rig(config=cfg)
    thrust_n, isp_s, g0 = 30 * 400.0, 300.0, 9.80665
    mass_kg = 450_000.0
    t_ig = 200.0
    rig.run(rig.seq.load_plan(0.0, BurnPlan(7, "final", t_ig, 28.7, thrust_n / mass_kg, (0.0, -1.0, 0.0),
                                            final=True)))
    rig.run(rig.seq.crew_clear_received(0.0))
    rig.run(rig.seq.go(0.0, 7))
    rig.coast(t_ig - cfg.arm_lead_s - 1.0)
    while 7 not in rig.results:
        assert rig.t_s < t_ig + 3600.0, rig.seq.state
        rig.cycle(thrust_n / mass_kg)
        if rig.main_open:
            mass_kg -= thrust_n / (isp_s * g0) * cfg.control_cycle_s
    result = rig.results[7]
    assert result.outcome is BurnOutcome.COMPLETED
    assert abs(rig.dv_truth_mps[7] - 28.7) <= 0.005 * 28.7
    assert 17.0 * 60.0 <= result.duration_s <= 19.0 * 60.0
    assert rig.violations == []
