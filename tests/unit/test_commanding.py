"""Commanding: every telecommand accepted, and rejected for each reason that applies to it."""

from __future__ import annotations

import math

import pytest

from flight.commanding import ApplyAimPoint, ApplyStateVector, Commander, Dispatch, PersistCommand
from flight.ports import (
    AckReason,
    AimArgs,
    BurnRef,
    ImuRateArgs,
    NoArgs,
    StateVectorArgs,
    Telecommand,
    TelecommandArgs,
    TelecommandKind,
)
from flight.sequencer import CloseAllValves, Emit, SeqState, SetImuRate
from tests.unit.test_sequencer_rig import FAST, Rig, fly_nominal, plan

K = TelecommandKind
R_OK = (6378137.0 + 220e3, 0.0, 0.0)
V_OK = (0.0, 7780.0, 0.0)


class Ground:
    """Numbers commands and hands them to a commander wired to a rig (the executive's part)."""

    def __init__(self, rig: Rig | None = None, **kw: object) -> None:
        self.rig = rig or Rig()
        self.cmd = Commander(self.rig.seq, FAST, **kw)  # type: ignore[arg-type]
        self.next_id = 100

    def send(self, kind: TelecommandKind, args: TelecommandArgs | None = None,
             command_id: int | None = None) -> Dispatch:
        cid = self.next_id if command_id is None else command_id
        self.next_id += 1
        d = self.cmd.handle(self.rig.t_s, Telecommand(cid, kind, args if args is not None else NoArgs()))
        self.rig.run([i for i in d.intents if not isinstance(i, PersistCommand | ApplyStateVector
                                                                    | ApplyAimPoint)])
        return d


def reason(d: Dispatch) -> AckReason:
    return d.ack.reason


def in_burn() -> Ground:
    g = Ground()
    g.rig.run(g.rig.seq.load_plan(0.0, plan(dv=3.0)))
    g.send(K.GO, BurnRef(1))
    g.rig.cycles_until(SeqState.BURN, 0.5)
    return g


# ------------------------------------------------------------------------- bookkeeping


def test_every_handled_command_is_persisted_first_and_logged() -> None:
    """Accepted and rejected commands alike: PersistCommand is the first intent, an event the last."""
    g = Ground()
    for d in (g.send(K.NOOP), g.send(K.GO, BurnRef(7))):
        assert isinstance(d.intents[0], PersistCommand) and d.intents[0].command_id == d.ack.command_id
        assert isinstance(d.intents[-1], Emit)
        assert d.intents[-1].event.name == ("command.accepted" if d.ack.accepted else "command.rejected")
    assert g.cmd.counters == {"accepted": 1, "unknown_burn": 1}


def test_command_id_never_acts_twice() -> None:
    """A repeated command id is DUPLICATE, routes nothing and persists nothing, even if the first try was
    rejected; a commander rebuilt with the journal's ids rejects it too."""
    g = Ground()
    g.rig.run(g.rig.seq.load_plan(0.0, plan()))
    first = g.send(K.GO, BurnRef(1), command_id=5)
    assert first.ack.accepted
    again = g.send(K.GO, BurnRef(1), command_id=5)
    assert reason(again) is AckReason.DUPLICATE
    assert not any(isinstance(i, PersistCommand) for i in again.intents)
    rejected = g.send(K.RESUME, command_id=6)
    assert reason(rejected) is AckReason.WRONG_STATE
    assert reason(g.send(K.RESUME, command_id=6)) is AckReason.DUPLICATE
    restarted = Commander(g.rig.seq, FAST, handled_ids=g.cmd.handled_ids)
    assert restarted.handle(1.0, Telecommand(5, K.ABORT)).ack.reason is AckReason.DUPLICATE
    assert g.rig.seq.state is SeqState.GO_RECEIVED


def test_authenticator_state_travels_with_the_command_record() -> None:
    """The anti-replay state handed in with a command is carried, unchanged, by its PersistCommand."""
    g = Ground()
    state = {"key_id": 3, "highest_seq": 41, "window": "00ff"}
    d = g.cmd.handle(0.0, Telecommand(1, K.NOOP, key_id=3, auth_seq=41), auth_state=state)
    assert isinstance(d.intents[0], PersistCommand) and d.intents[0].auth_state == state


def test_malformed_arguments_for_every_kind() -> None:
    """Arguments of the wrong type for the kind are MALFORMED, with no routing."""
    g = Ground()
    wrong: dict[TelecommandKind, TelecommandArgs] = {
        K.GO: NoArgs(), K.NO_GO: AimArgs(0, 0), K.STATE_VECTOR: BurnRef(1), K.SET_AIM: NoArgs(),
        K.SET_IMU_RATE: BurnRef(1), K.NOOP: BurnRef(1), K.CREW_CLEAR: ImuRateArgs(1.0),
        K.ABORT: BurnRef(1), K.SAFE: BurnRef(1), K.RESUME: BurnRef(1),
    }
    assert set(wrong) == set(K)
    for kind, args in wrong.items():
        d = g.send(kind, args)
        assert reason(d) is AckReason.MALFORMED, kind
        assert [type(i) for i in d.intents] == [PersistCommand, Emit]
    assert g.rig.seq.state is SeqState.IDLE and not g.rig.seq.crew_clear


def test_disabled_kind_is_unsupported() -> None:
    """A kind no consumer handles in this configuration is rejected as UNSUPPORTED."""
    g = Ground(disabled=[K.STATE_VECTOR])
    assert reason(g.send(K.STATE_VECTOR, StateVectorArgs(0.0, R_OK, V_OK))) is AckReason.UNSUPPORTED


# ---------------------------------------------------------------------- per command kind


def test_noop_and_crew_clear_accepted() -> None:
    """NOOP changes nothing; CREW_CLEAR sets the flag."""
    g = Ground()
    assert g.send(K.NOOP).ack.accepted
    assert g.send(K.CREW_CLEAR).ack.accepted and g.rig.seq.crew_clear


def test_go_accepted_and_each_rejection() -> None:
    """GO: accepted for the planned burn; UNKNOWN_BURN without a plan or for another id; WRONG_STATE in
    SAFE and once the burn sequence is under way; BURN_DONE after the burn."""
    g = Ground()
    assert reason(g.send(K.GO, BurnRef(1))) is AckReason.UNKNOWN_BURN
    g.rig.run(g.rig.seq.load_plan(0.0, plan(burn_id=1)))
    assert reason(g.send(K.GO, BurnRef(2))) is AckReason.UNKNOWN_BURN
    assert g.send(K.GO, BurnRef(1)).ack.accepted
    g.rig.cycles_until(SeqState.SLEW, 0.5)
    assert reason(g.send(K.GO, BurnRef(1))) is AckReason.WRONG_STATE
    g.send(K.ABORT)
    assert reason(g.send(K.GO, BurnRef(1))) is AckReason.WRONG_STATE
    g2 = Ground()
    fly_nominal(g2.rig, plan(burn_id=4), 0.5)
    assert reason(g2.send(K.GO, BurnRef(4))) is AckReason.BURN_DONE


def test_no_go_accepted_and_each_rejection() -> None:
    """NO_GO: accepted for the planned burn (stands down) and mid-burn (cuts off); UNKNOWN_BURN for
    another id; BURN_DONE for a finished burn."""
    g = Ground()
    g.rig.run(g.rig.seq.load_plan(0.0, plan(burn_id=1)))
    assert reason(g.send(K.NO_GO, BurnRef(3))) is AckReason.UNKNOWN_BURN
    g.send(K.GO, BurnRef(1))
    assert g.send(K.NO_GO, BurnRef(1)).ack.accepted and g.rig.seq.state is SeqState.PLANNED
    b = in_burn()
    assert b.send(K.NO_GO, BurnRef(1)).ack.accepted and b.rig.seq.state is SeqState.CUTOFF
    b.rig.cycles_until(SeqState.IDLE, 0.5, limit=50)
    assert reason(b.send(K.NO_GO, BurnRef(1))) is AckReason.BURN_DONE


@pytest.mark.parametrize("kind", [K.ABORT, K.SAFE])
def test_abort_and_safe_always_accepted(kind: TelecommandKind) -> None:
    """ABORT and SAFE are accepted in IDLE, mid-burn and in SAFE; mid-burn they close every valve."""
    g = Ground()
    assert g.send(kind).ack.accepted and g.rig.seq.state is SeqState.SAFE
    assert g.send(kind).ack.accepted
    b = in_burn()
    d = b.send(kind)
    assert d.ack.accepted and b.rig.seq.state is SeqState.SAFE
    assert any(isinstance(i, CloseAllValves) for i in d.intents)


def test_resume_accepted_and_each_rejection() -> None:
    """RESUME: WRONG_STATE outside SAFE; INTERLOCK before the board confirms safe; accepted after."""
    g = Ground()
    assert reason(g.send(K.RESUME)) is AckReason.WRONG_STATE
    g.send(K.SAFE)
    assert reason(g.send(K.RESUME)) is AckReason.INTERLOCK
    g.rig.cycle(0.0)
    assert g.send(K.RESUME).ack.accepted and g.rig.seq.state is SeqState.IDLE


def test_state_vector_accepted_and_each_rejection() -> None:
    """STATE_VECTOR: routed to navigation; OUT_OF_RANGE for a radius, speed or epoch outside the envelope
    or a NaN; WRONG_STATE during a burn."""
    g = Ground()
    d = g.send(K.STATE_VECTOR, StateVectorArgs(0.0, R_OK, V_OK))
    assert d.ack.accepted
    assert [i for i in d.intents if isinstance(i, ApplyStateVector)] == [
        ApplyStateVector(d.ack.command_id, 0.0, R_OK, V_OK)]
    bad = [
        StateVectorArgs(0.0, (6378137.0, 0.0, 0.0), V_OK),  # on the surface
        StateVectorArgs(0.0, (4.2e7, 0.0, 0.0), V_OK),  # geostationary
        StateVectorArgs(0.0, R_OK, (0.0, 11.2e3, 0.0)),  # escape speed
        StateVectorArgs(0.0, R_OK, (0.0, math.nan, 0.0)),
        StateVectorArgs(FAST.state_vector_max_age_s + 1.0, R_OK, V_OK),  # epoch too far ahead
    ]
    for args in bad:
        assert reason(g.send(K.STATE_VECTOR, args)) is AckReason.OUT_OF_RANGE, args
    b = in_burn()
    assert reason(b.send(K.STATE_VECTOR, StateVectorArgs(b.rig.t_s, R_OK, V_OK))) is AckReason.WRONG_STATE


def test_set_aim_accepted_and_each_rejection() -> None:
    """SET_AIM: Point Nemo accepted and routed; latitude or longitude out of range; WRONG_STATE armed."""
    g = Ground()
    d = g.send(K.SET_AIM, AimArgs(-48.876667, -123.393333))
    assert d.ack.accepted and any(isinstance(i, ApplyAimPoint) for i in d.intents)
    for args in (AimArgs(91.0, 0.0), AimArgs(0.0, -180.5), AimArgs(math.nan, 0.0)):
        assert reason(g.send(K.SET_AIM, args)) is AckReason.OUT_OF_RANGE
    b = in_burn()
    assert reason(b.send(K.SET_AIM, AimArgs(-48.9, -123.4))) is AckReason.WRONG_STATE


def test_set_imu_rate_accepted_and_each_rejection() -> None:
    """SET_IMU_RATE: accepted within bounds (SetImuRate routed); OUT_OF_RANGE outside them; INTERLOCK
    when it would drop below the burn rate while armed (a faster rate is still accepted then)."""
    g = Ground()
    d = g.send(K.SET_IMU_RATE, ImuRateArgs(1.0))
    assert d.ack.accepted and SetImuRate(1.0) in d.intents
    for rate in (0.0, FAST.imu_rate_max_hz * 2, math.inf):
        assert reason(g.send(K.SET_IMU_RATE, ImuRateArgs(rate))) is AckReason.OUT_OF_RANGE
    b = in_burn()
    assert reason(b.send(K.SET_IMU_RATE, ImuRateArgs(1.0))) is AckReason.INTERLOCK
    assert b.send(K.SET_IMU_RATE, ImuRateArgs(50.0)).ack.accepted


def test_non_finite_time_is_a_clear_error() -> None:
    """The executive passing a NaN time is a programming error: ValueError, nothing recorded."""
    g = Ground()
    with pytest.raises(ValueError, match="finite"):
        g.cmd.handle(math.nan, Telecommand(1, K.NOOP))
    assert 1 not in g.cmd.handled_ids
