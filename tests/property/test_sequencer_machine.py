"""Stateful property test: arbitrary interleavings of commands, sensor data, faults and time drive the
sequencer in the closed loop of tests/unit/test_sequencer_rig.py (an honest thruster board and a
delta-v plant, accelerations bounded by ``accel_max_mps2``), and its safety invariants hold throughout.
"""

from __future__ import annotations

import math

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from flight.ports import ArmState
from flight.sequencer import (
    ARMED_STATES,
    CloseAllValves,
    Disarm,
    Intent,
    Rejected,
    SeqState,
)
from tests.unit.test_sequencer_rig import FAST, Rig, plan

BURN_IDS = st.integers(min_value=1, max_value=3)
A_MAX = FAST.accel_max_mps2


class SequencerMachine(RuleBasedStateMachine):
    """Invariants:

    - no valve-opening command reaches the board unless it is armed (the board records any that do);
    - a burn ignites only after a GO for that burn id that no NO-GO, ABORT or SAFE has withdrawn, and a
      final burn only after CREW_CLEAR;
    - a burn id never ignites twice;
    - ABORT (and SAFE) puts the sequencer in SAFE at once, with CloseAllValves and Disarm, and every valve
      is closed two control cycles later and stays closed until RESUME;
    - the delta-v a burn imparts (truth, main plus trim) never exceeds its target plus the 0.5 % tolerance.
    """

    def __init__(self) -> None:
        super().__init__()
        self.rig = Rig()
        self.crew_clear_sent = False
        self.go_live: set[int] = set()  # GO sent and not withdrawn since
        self.ignition_checked = 0
        self.safe_since_s: float | None = None

    def _run(self, intents: list[Intent]) -> None:
        self.rig.run(intents)
        self._check_new_ignitions()

    def _check_new_ignitions(self) -> None:
        while self.ignition_checked < len(self.rig.ignitions):
            bid = self.rig.ignitions[self.ignition_checked]
            self.ignition_checked += 1
            assert bid in self.go_live, f"burn {bid} ignited without a live GO"
            if self.rig.ignited_plans[bid]["final"]:
                assert self.crew_clear_sent, f"final burn {bid} ignited without CREW_CLEAR"

    def _withdraw_all(self) -> None:
        self.go_live.clear()

    @initialize()
    def start(self) -> None:
        self.rig.run(self.rig.seq.tick(0.0))

    # ---------------------------------------------------------------------------- commands

    @rule(burn_id=BURN_IDS, lead_s=st.floats(0.0, 20.0), dv=st.floats(0.2, 6.0), accel=st.floats(0.2, 0.6),
          final=st.booleans())
    def load_plan(self, burn_id: int, lead_s: float, dv: float, accel: float, final: bool) -> None:
        p = plan(burn_id, self.rig.t_s + lead_s, dv, accel, final)
        try:
            out = self.rig.seq.load_plan(self.rig.t_s, p)
        except Rejected:
            return
        self._run(out)

    @rule(burn_id=BURN_IDS, lead_s=st.floats(0.0, 20.0), dv=st.floats(0.2, 6.0), accel=st.floats(0.2, 0.6),
          final=st.booleans())
    def plan_and_go(self, burn_id: int, lead_s: float, dv: float, accel: float, final: bool) -> None:
        """The usual ground sequence, in one step: a plan, then its GO."""
        self.load_plan(burn_id, lead_s, dv, accel, final)
        self.go(burn_id)

    @rule()
    def crew_clear(self) -> None:
        self.crew_clear_sent = True
        self._run(self.rig.seq.crew_clear_received(self.rig.t_s))

    @rule(burn_id=BURN_IDS)
    def go(self, burn_id: int) -> None:
        try:
            out = self.rig.seq.go(self.rig.t_s, burn_id)
        except Rejected:
            return
        self.go_live.add(burn_id)
        self._run(out)

    @rule(burn_id=BURN_IDS)
    def no_go(self, burn_id: int) -> None:
        self.go_live.discard(burn_id)
        try:
            self._run(self.rig.seq.no_go(self.rig.t_s, burn_id))
        except Rejected:
            return

    @rule(kind=st.sampled_from(["abort", "safe", "fault"]))
    def abort(self, kind: str) -> None:
        self._withdraw_all()
        seq = self.rig.seq
        if kind == "fault":
            out = seq.fault(self.rig.t_s, "imu", "IMU failed")
        else:
            out = seq.abort(self.rig.t_s, kind.upper())
        self._run(out)
        assert seq.state is SeqState.SAFE
        assert any(isinstance(i, CloseAllValves) for i in out) and any(isinstance(i, Disarm) for i in out)
        assert not self.rig.main_cmd and not self.rig.trim_cmd
        self.safe_since_s = self.rig.t_s

    @rule()
    def resume(self) -> None:
        try:
            out = self.rig.seq.resume(self.rig.t_s)
        except Rejected:
            return
        self.safe_since_s = None
        self._run(out)

    # --------------------------------------------------------------------- sensors and time

    @rule(n=st.integers(1, 60), accel=st.floats(0.0, A_MAX), att_deg=st.floats(0.0, 3.0))
    def fly(self, n: int, accel: float, att_deg: float) -> None:
        for _ in range(n):
            self.rig.cycle(accel, math.radians(att_deg))
            self._check_new_ignitions()
            self._check_safe_closed()

    @rule(accel=st.none() | st.floats(0.0, A_MAX), att_deg=st.sampled_from([0.0, 0.5, 2.0]))
    def fly_to_next_state(self, accel: float | None, att_deg: float) -> None:
        """Fly cycles until the sequencer changes state (at most 300 cycles): reaches deep states fast.
        ``accel`` None flies the planned acceleration."""
        start = self.rig.seq.state
        plan_now = self.rig.seq.plan
        a = accel if accel is not None else (plan_now.accel_nominal_mps2 if plan_now else 0.5)
        for _ in range(300):
            self.rig.cycle(a, math.radians(att_deg))
            self._check_new_ignitions()
            self._check_safe_closed()
            if self.rig.seq.state is not start:
                return

    @precondition(lambda self: not (self.rig.main_cmd or self.rig.trim_cmd or self.rig.main_pending
                                    or self.rig.trim_pending or self.rig.main_open or self.rig.trim_open))
    @rule(seconds=st.floats(0.0, 30.0))
    def coast(self, seconds: float) -> None:
        self.rig.coast(seconds)
        self._check_new_ignitions()

    # ------------------------------------------------------------------------------- faults

    @rule(kind=st.sampled_from(["refuse_arm", "accept_arm", "silent", "talk", "reset"]))
    def board(self, kind: str) -> None:
        """Board faults and their clearing: arming refused, status reports stop, a reset (disarmed)."""
        rig = self.rig
        if kind in ("refuse_arm", "accept_arm"):
            rig.refuse_arm = kind == "refuse_arm"
        elif kind in ("silent", "talk"):
            rig.silent = kind == "silent"
        else:
            rig.arm = ArmState.DISARMED
            rig.main_cmd = rig.trim_cmd = rig.main_pending = rig.trim_pending = False

    # --------------------------------------------------------------------------- invariants

    def _check_safe_closed(self) -> None:
        if self.safe_since_s is None or self.rig.seq.state is not SeqState.SAFE:
            return
        if self.rig.t_s >= self.safe_since_s + 2 * FAST.control_cycle_s - 1e-9:
            assert not (self.rig.main_open or self.rig.trim_open), "valves open in SAFE"

    @invariant()
    def no_valve_command_while_disarmed(self) -> None:
        assert self.rig.violations == []

    @invariant()
    def burn_ids_ignite_once(self) -> None:
        assert len(self.rig.ignitions) == len(set(self.rig.ignitions))

    @invariant()
    def valve_commands_only_when_armed_states(self) -> None:
        if self.rig.main_cmd or self.rig.trim_cmd:
            assert self.rig.seq.state in ARMED_STATES

    @invariant()
    def delta_v_never_exceeds_target_plus_tolerance(self) -> None:
        for bid, dv in self.rig.dv_truth_mps.items():
            target = float(self.rig.ignited_plans[bid]["dv_target_mps"])  # type: ignore[arg-type]
            assert dv <= target * (1.0 + FAST.cutoff_tolerance_fraction) + 1e-9, (bid, dv, target)

    @invariant()
    def safe_after_abort_until_resume(self) -> None:
        if self.safe_since_s is not None:
            assert self.rig.seq.state is SeqState.SAFE


TestSequencerMachine = SequencerMachine.TestCase
TestSequencerMachine.settings = settings(settings(), stateful_step_count=80)
