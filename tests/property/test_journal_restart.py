"""Property test of whole flight-software restarts: the sequencer and commander run in the closed loop of
tests/unit/test_sequencer_rig.py with the journal recording; the software 'crashes' at an arbitrary point
(possibly in the middle of a journal write), is rebuilt from the journal, hears every earlier telecommand
again (as a replay would deliver them) and carries on with the rest of the script.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import event, given, note
from hypothesis import strategies as st

from flight.commanding import Commander, PersistCommand
from flight.journal import Journal
from flight.ports import AckReason, BurnRef, NoArgs, Telecommand, TelecommandKind
from flight.sequencer import Intent, Rejected, SeqState, Sequencer
from tests.unit.test_sequencer_rig import FAST, Rig, plan

K = TelecommandKind
STEPS = st.one_of(
    st.tuples(st.just("plan"), st.integers(1, 3), st.floats(0.0, 15.0), st.booleans()),
    st.tuples(st.just("cmd"), st.sampled_from([K.GO, K.NO_GO]), st.integers(1, 3)),
    st.tuples(st.just("cmd"), st.sampled_from([K.CREW_CLEAR, K.ABORT, K.RESUME, K.NOOP]), st.just(0)),
    st.tuples(st.just("fly"), st.integers(1, 200)),
    st.tuples(st.just("burn"), st.integers(1, 3), st.booleans(), st.integers(55, 120)),
)


class Flight:
    """One life of the flight software: sequencer, commander and journal, driving the rig."""

    def __init__(self, rig: Rig, journal: Journal, handled: frozenset[int] = frozenset()) -> None:
        self.rig = rig
        self.journal = journal
        self.cmd = Commander(rig.seq, FAST, handled_ids=handled)

    def execute(self, intents: list[Any]) -> None:
        for it in intents:
            if isinstance(it, PersistCommand):
                self.journal.apply_intent(it)
            else:
                self.rig.run([it])

    def command(self, cid: int, kind: TelecommandKind, burn_id: int) -> AckReason:
        args = BurnRef(burn_id) if kind in (K.GO, K.NO_GO) else NoArgs()
        d = self.cmd.handle(self.rig.t_s, Telecommand(cid, kind, args), auth_state={"seq": cid})
        self.execute(d.intents)
        return d.ack.reason

    def step(self, step: tuple[Any, ...], cid: int) -> None:
        if step[0] == "plan":
            _, bid, lead, final = step
            try:
                out: list[Intent] = self.rig.seq.load_plan(self.rig.t_s, plan(bid, self.rig.t_s + lead,
                                                                              2.0, 0.5, final))
            except Rejected:
                return
            self.execute(out)
        elif step[0] == "cmd":
            self.command(cid, step[1], step[2])
        elif step[0] == "burn":  # the usual way to a burn: plan, crew clear if final, GO, then fly
            _, bid, final, n = step
            self.step(("plan", bid, 6.0, final), cid)
            if final:
                self.command(cid + 1, K.CREW_CLEAR, 0)
            self.command(cid + 2, K.GO, bid)
            self.step(("fly", n), cid)
        else:
            for _ in range(step[1]):
                self.rig.cycle(0.5)


@given(script=st.lists(STEPS, min_size=1, max_size=25), crash_at=st.integers(0, 25), torn=st.integers(0, 40),
       after=st.lists(STEPS, max_size=15))
def test_restart_never_repeats_a_burn_nor_a_command(script: list[tuple[Any, ...]], crash_at: int, torn: int,
                                                    after: list[tuple[Any, ...]]) -> None:
    """Property: across a crash at any point of a flight (a journal write possibly cut short) and a
    restart from the journal, no burn id ignites in both lives (nor twice in one), every telecommand id
    handled before the crash is a DUPLICATE when heard again, and a restart during a burn comes up SAFE."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "journal"
        j1 = Journal.open(path, create=True)
        life1 = Flight(Rig(persist=j1.apply_intent), j1)
        k = min(crash_at, len(script))
        for i, step in enumerate(script[:k]):
            life1.step(step, cid=10 * i)
        in_burn = life1.rig.seq.state in (SeqState.IGNITION, SeqState.BURN, SeqState.CUTOFF, SeqState.TRIM)
        handled_before = life1.cmd.handled_ids
        next_seq = j1.record_count + 1
        j1.close()
        if torn:  # the crash interrupts a journal write: part of one more record reaches the disk
            with path.open("ab") as fh:
                fh.write(Journal._record_bytes(next_seq, {"type": "command", "id": 999})[:torn])
        event(f"crash {'during a burn' if in_burn else 'outside a burn'}; "
              f"{'with' if life1.rig.ignitions else 'without'} an ignition before")
        note(f"crash after {k} steps in {life1.rig.seq.state}, ignitions {life1.rig.ignitions}")

        with Journal.open(path) as j2:
            t0 = life1.rig.t_s + 1.0
            seq, first = Sequencer.restore(FAST, j2.plan_record, j2.burns, t0, j2.ignitions)
            rig2 = Rig(seq=seq, t_s=t0, persist=j2.apply_intent)
            life2 = Flight(rig2, j2, j2.handled_command_ids)
            life2.execute(first)
            if in_burn:
                assert seq.state is SeqState.SAFE
            for cid in sorted(handled_before):  # everything heard again
                assert life2.command(cid, K.GO, 1) is AckReason.DUPLICATE
            assert handled_before <= life2.cmd.handled_ids
            for i, step in enumerate(after):
                life2.step(step, cid=10_000 + 10 * i)
            both = life1.rig.ignitions + life2.rig.ignitions
            assert len(both) == len(set(both)), f"burn ignited twice across the restart: {both}"
            assert life1.rig.violations == [] and life2.rig.violations == []
