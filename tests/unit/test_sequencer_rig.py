"""A small closed loop for the sequencer tests: an executive that carries out intents, a thruster board that
behaves like the one in the ICD (two-step arming, valves only when armed, disarm closes every valve), and
a delta-v plant. It is the test plant, not a mock: it models the parts the sequencer's guarantees depend on.

Timing model (the worst case the sequencer plans for with ``valve_close_delay_s = 0``): a valve command
given at a sample time takes effect one control cycle later, so a cut decided at ``t_k`` still lets the
thrust run until ``t_k + dt``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from flight.config import FlightConfig
from flight.ports import ATTITUDE_THRUSTERS, MAIN_THRUSTERS, ArmState, ThrusterFaults, ThrusterStatus
from flight.sequencer import (
    ArmConfirm,
    ArmPrepare,
    BurnPlan,
    BurnResult,
    CloseAllValves,
    Disarm,
    Emit,
    Intent,
    MainValves,
    PersistBurnResult,
    PersistIgnition,
    PersistPlan,
    SeqState,
    Sequencer,
    TrimThrust,
)

#: A configuration scaled down so a whole burn runs in a few hundred control cycles.
FAST = FlightConfig(
    arm_lead_s=5.0,
    arm_timeout_s=1.0,
    settle_time_s=1.0,
    slew_timeout_s=10.0,
    ignition_late_max_s=5.0,
    ignition_timeout_s=1.0,
    accel_max_mps2=0.6,
    cutoff_timeout_s=1.0,
    trim_max_dv_mps=0.5,
    trim_accel_max_mps2=0.15,
    trim_timeout_s=5.0,
    safe_confirm_timeout_s=0.5,
    thruster_status_max_age_s=0.5,
)

MAIN_MASK = sum(1 << i for i in MAIN_THRUSTERS)
TRIM_MASK = 1 << ATTITUDE_THRUSTERS[0]  # one attitude thruster stands for the trim set


def plan(
    burn_id: int = 1, t_ig: float = 10.0, dv: float = 2.0, accel: float = 0.5, final: bool = False
) -> BurnPlan:
    return BurnPlan(burn_id, f"burn-{burn_id}", t_ig, dv, accel, (-1.0, 0.0, 0.0), final)


@dataclass
class Rig:
    config: FlightConfig = FAST
    seq: Sequencer = field(default_factory=lambda: Sequencer(FAST))
    t_s: float = 0.0
    arm: ArmState = ArmState.DISARMED
    main_cmd: bool = False
    trim_cmd: bool = False
    main_pending: bool = False
    trim_pending: bool = False
    main_open: bool = False  # actual valve states
    trim_open: bool = False
    refuse_arm: bool = False
    silent: bool = False  # the board stops reporting status
    stuck_main_open: bool = False  # a main valve stuck open whatever the command
    trim_fraction: float = 0.2  # trim acceleration as a fraction of the main one (FAST bounds it: 0.15)
    faults: ThrusterFaults = ThrusterFaults.NONE
    log: list[Intent] = field(default_factory=list)
    ignitions: list[int] = field(default_factory=list)
    ignited_plans: dict[int, dict[str, object]] = field(default_factory=dict)
    results: dict[int, BurnResult] = field(default_factory=dict)
    plan_records: list[dict[str, object]] = field(default_factory=list)
    dv_truth_mps: dict[int, float] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    current_burn: int | None = None
    persist: Callable[[object], bool] | None = None  # a journal's apply_intent, run before each intent

    def __post_init__(self) -> None:
        if self.seq.config is not self.config:
            self.seq = Sequencer(self.config)

    # the executive: carry out intents in order
    def run(self, intents: list[Intent]) -> list[Intent]:
        for it in intents:
            self.log.append(it)
            if self.persist is not None:
                self.persist(it)
            if isinstance(it, ArmPrepare):
                if self.refuse_arm or it.code != self.config.arm_code:
                    self.faults |= ThrusterFaults.ARM_REJECTED
                elif self.arm is ArmState.DISARMED:
                    self.arm = ArmState.PREPARED
            elif isinstance(it, ArmConfirm):
                if self.arm is ArmState.PREPARED and it.code == self.config.arm_code:
                    self.arm = ArmState.ARMED
            elif isinstance(it, Disarm):
                self.arm = ArmState.DISARMED
                self.faults &= ~ThrusterFaults.ARM_REJECTED
                self.main_cmd = self.trim_cmd = False
            elif isinstance(it, CloseAllValves):
                self.main_cmd = self.trim_cmd = False
            elif isinstance(it, MainValves | TrimThrust):
                if it.open and self.arm is not ArmState.ARMED:
                    self.violations.append(f"{it} while board {self.arm.value} at {self.t_s}")
                    continue
                if it.open and it.burn_id != self.current_burn:
                    self.violations.append(f"{it} for a burn that did not just ignite ({self.current_burn})")
                if isinstance(it, MainValves):
                    self.main_cmd = it.open
                else:
                    self.trim_cmd = it.open
            elif isinstance(it, PersistIgnition):
                self.ignitions.append(it.burn_id)
                self.ignited_plans[it.burn_id] = dict(it.plan)
                self.current_burn = it.burn_id
                self.dv_truth_mps.setdefault(it.burn_id, 0.0)
            elif isinstance(it, PersistBurnResult):
                self.results[it.result.burn_id] = it.result
            elif isinstance(it, PersistPlan):
                self.plan_records.append(dict(it.record))
        return intents

    def status(self) -> ThrusterStatus:
        valves = (MAIN_MASK if self.main_open else 0) | (TRIM_MASK if self.trim_open else 0)
        return ThrusterStatus(self.t_s, self.arm, valves, 0, 0, 2.0e6, 1.0e4, self.faults)

    def report(self) -> list[Intent]:
        if self.silent:
            return []
        return self.run(self.seq.thruster_status(self.t_s, self.status()))

    def cycle(self, accel_mps2: float, att_err_rad: float = 0.0) -> None:
        """One control cycle: thrust, then the samples of its end reach the sequencer."""
        dt = self.config.control_cycle_s
        a_trim = self.trim_fraction * accel_mps2
        ddv = dt * ((accel_mps2 if self.main_open else 0.0) + (a_trim if self.trim_open else 0.0))
        if ddv and self.current_burn is not None:
            self.dv_truth_mps[self.current_burn] += ddv
        self.t_s = round(self.t_s + dt, 9)
        self.run(self.seq.delta_v(self.t_s, ddv, dt))
        self.run(self.seq.attitude_error(self.t_s, att_err_rad))
        # valves follow the command one cycle late; a disarmed board holds every valve closed
        armed = self.arm is ArmState.ARMED
        self.main_open = (self.main_pending and armed) or self.stuck_main_open
        self.trim_open = self.trim_pending and armed
        self.main_pending, self.trim_pending = self.main_cmd and armed, self.trim_cmd and armed
        self.report()
        self.run(self.seq.tick(self.t_s))

    def coast(self, seconds: float) -> None:
        """Let time pass with no thrust (the board reports at the end)."""
        self.t_s = round(self.t_s + seconds, 9)
        self.report()
        self.run(self.seq.tick(self.t_s))

    def cycles_until(self, state: SeqState, accel_mps2: float, limit: int = 5000) -> None:
        for _ in range(limit):
            if self.seq.state is state:
                return
            self.cycle(accel_mps2)
        raise AssertionError(f"never reached {state}; in {self.seq.state}")

    def events(self, name: str) -> list[str]:
        return [it.event.message for it in self.log if isinstance(it, Emit) and it.event.name == name]


def fly_nominal(rig: Rig, p: BurnPlan, accel_mps2: float) -> BurnResult:
    """Plan, GO, and cycles until the burn's result is recorded."""
    rig.run(rig.seq.load_plan(rig.t_s, p))
    rig.run(rig.seq.go(rig.t_s, p.burn_id))
    for _ in range(int(200 / rig.config.control_cycle_s)):
        if p.burn_id in rig.results:
            return rig.results[p.burn_id]
        rig.cycle(accel_mps2)
    raise AssertionError(f"burn did not finish; state {rig.seq.state}")


def test_rig_board_refuses_valves_when_disarmed() -> None:
    """The test board itself records a valve-open command while disarmed (so the invariant can fail)."""
    rig = Rig()
    rig.run([MainValves(open=True, burn_id=1)])
    assert rig.violations and not rig.main_cmd


def test_rig_valves_follow_one_cycle_late() -> None:
    """An armed board opens its valves at the end of the cycle after the one the command was given in."""
    rig = Rig()
    rig.arm = ArmState.ARMED
    rig.current_burn = 1
    rig.dv_truth_mps[1] = 0.0
    rig.run([MainValves(open=True, burn_id=1)])
    rig.silent = True
    rig.cycle(0.5)
    assert not rig.main_open and rig.dv_truth_mps[1] == 0.0
    rig.cycle(0.5)
    assert rig.main_open and rig.dv_truth_mps[1] == 0.0
    rig.cycle(0.5)
    assert math.isclose(rig.dv_truth_mps[1], 0.05)
