"""The flight journal: durable records, crash repair, corruption detection, and restarts of the flight
logic from it (no burn repeated, no command id accepted twice, the plan picked up where it stood)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import pytest

from flight.commanding import Commander, PersistCommand
from flight.journal import FILE_HEADER, RECORD_HEADER, Journal, JournalCorruptError, JournalError
from flight.ports import AckReason, BurnRef, Telecommand, TelecommandKind
from flight.sequencer import BurnOutcome, BurnResult, SeqState, Sequencer
from tests.unit.test_sequencer_rig import FAST, Rig, plan


def result(burn_id: int, dv: float = 2.0) -> BurnResult:
    return BurnResult(burn_id, f"burn-{burn_id}", False, 10.0, 4.0, 2.0, dv, BurnOutcome.COMPLETED)


def filled(path: Path) -> Journal:
    j = Journal.open(path, create=True)
    j.record_command(1, "go", "accepted", 1.0, {"key_id": 1, "seq": 7})
    j.save_plan({"plan": plan().to_dict(), "go_burn_id": 1, "crew_clear": True})
    j.record_ignition(1, 10.0, plan().to_dict())
    j.record_burn_result(result(1))
    j.record_command(2, "resume", "wrong_state", 20.0, b"\x00\x01opaque")
    return j


def state_of(j: Journal) -> str:
    """Everything the journal holds, as one comparable string (NaN-safe)."""
    return json.dumps({
        "commands": sorted([e.command_id, e.kind, e.reason, e.t_s] for e in
                           (j.command(i) for i in j.handled_command_ids) if e is not None),
        "auth": j.auth_state.hex() if isinstance(j.auth_state, bytes) else j.auth_state,
        "plan": j.plan_record,
        "burns": sorted([b, None if r is None else r.to_dict()] for b, r in j.burns.items()),
    }, sort_keys=True)


def record_offsets(data: bytes) -> list[int]:
    offs, off = [], FILE_HEADER.size
    while off < len(data):
        offs.append(off)
        length = int.from_bytes(data[off + 2: off + 6], "big")
        off += RECORD_HEADER.size + length
    return offs


def test_round_trip_of_every_record_type(tmp_path: Path) -> None:
    """What was written is what a reopened journal holds: commands, counters, auth state (bytes and
    dict), plan, ignition and result."""
    p = tmp_path / "j"
    with filled(p) as j:
        before = state_of(j)
    with Journal.open(p) as j:
        assert state_of(j) == before
        assert j.recovery is None
        assert j.auth_state == b"\x00\x01opaque"
        assert j.command_counts == {"accepted": 1, "wrong_state": 1}
        assert j.burns == {1: result(1)}
        assert j.plan_record is not None and j.plan_record["go_burn_id"] == 1


def test_missing_journal_is_an_error_unless_created(tmp_path: Path) -> None:
    """Opening a missing journal never silently starts a fresh one."""
    with pytest.raises(JournalError, match="does not exist"):
        Journal.open(tmp_path / "nothing")


@pytest.mark.parametrize("content", [b"", b"DEORBJNL", b"X" * 64])
def test_bad_file_header_is_corrupt(tmp_path: Path, content: bytes) -> None:
    """An empty file, a truncated header and a foreign file are corrupt (creation is atomic, so none of
    them is a crash artefact)."""
    p = tmp_path / "j"
    p.write_bytes(content)
    with pytest.raises(JournalCorruptError, match="header"):
        Journal.open(p)


def test_flipped_byte_in_a_record_is_corrupt_with_its_offset(tmp_path: Path) -> None:
    """A damaged byte in the second record's payload: JournalCorruptError naming record 2's offset."""
    p = tmp_path / "j"
    filled(p).close()
    data = bytearray(p.read_bytes())
    off = record_offsets(bytes(data))[1]
    data[off + RECORD_HEADER.size + 3] ^= 0x20
    p.write_bytes(bytes(data))
    with pytest.raises(JournalCorruptError, match=f"offset {off}"):
        Journal.open(p)


def test_missing_middle_record_is_a_sequence_gap(tmp_path: Path) -> None:
    """A record cut out of the middle: the sequence numbers no longer follow, reported as records lost."""
    p = tmp_path / "j"
    filled(p).close()
    data = p.read_bytes()
    offs = record_offsets(data)
    p.write_bytes(data[: offs[1]] + data[offs[2]:])
    with pytest.raises(JournalCorruptError, match="records lost"):
        Journal.open(p)


def test_valid_crc_but_invalid_record_is_corrupt(tmp_path: Path) -> None:
    """A well-framed record of an unknown type (or with fields missing) is corrupt, not ignored."""
    p = tmp_path / "j"
    filled(p).close()
    with p.open("ab") as fh:
        fh.write(Journal._record_bytes(6, {"type": "bogus"}))
    with pytest.raises(JournalCorruptError, match="unknown record type"):
        Journal.open(p)


def test_torn_last_record_is_cut_off_and_reported(tmp_path: Path) -> None:
    """A crash mid-write (the last record cut short) is repaired: the unfinished record is dropped, the
    repair reported, the file fixed so the next open is clean, and appends continue."""
    p = tmp_path / "j"
    filled(p).close()
    data = p.read_bytes()
    last = record_offsets(data)[-1]
    p.write_bytes(data[: last + 9])
    with Journal.open(p) as j:
        assert j.recovery is not None and j.recovery.discarded_bytes == 9
        assert "unfinished last record" in j.recovery.message
        assert not j.has_command(2) and j.has_command(1)
        j.record_command(3, "noop", "accepted", 30.0)
    with Journal.open(p) as j:
        assert j.recovery is None and j.handled_command_ids == {1, 3}


def test_leftover_temporary_file_is_removed_and_reported(tmp_path: Path) -> None:
    """A crash during compaction leaves a temporary file: the whole old journal stands; it is reported."""
    p = tmp_path / "j"
    filled(p).close()
    (tmp_path / "j.tmp").write_bytes(b"partial")
    with Journal.open(p) as j:
        assert j.recovery is not None and j.recovery.removed_temp_file
        assert j.handled_command_ids == {1, 2}
    assert not (tmp_path / "j.tmp").exists()


def test_journal_refuses_to_break_its_rules(tmp_path: Path) -> None:
    """A command id recorded twice, a burn ignited twice, a second different result, and an
    authenticator state that is not plain data are refused with JournalError."""
    with filled(tmp_path / "j") as j:
        with pytest.raises(JournalError, match="already recorded"):
            j.record_command(1, "go", "accepted", 2.0)
        with pytest.raises(JournalError, match="already ignited"):
            j.record_ignition(1, 11.0, plan().to_dict())
        with pytest.raises(JournalError, match="already has a result"):
            j.record_burn_result(result(1, dv=1.0))
        j.record_burn_result(result(1))  # the same result again is harmless
        with pytest.raises(JournalError, match="plain data"):
            j.save_auth_state({"k": object()})


def test_compaction_keeps_the_state_and_shrinks_the_file(tmp_path: Path) -> None:
    """Compaction rewrites the journal as one snapshot: same state, smaller file, appends continue."""
    p = tmp_path / "j"
    with filled(p) as j:
        for i in range(100, 160):
            j.save_plan({"plan": None, "go_burn_id": None, "crew_clear": bool(i % 2)})
        before, size = state_of(j), j.size_bytes
        j.compact()
        assert state_of(j) == before and j.size_bytes < size
        j.record_command(3, "noop", "accepted", 3.0)
    with Journal.open(p) as j:
        assert j.handled_command_ids == {1, 2, 3}
        assert p.stat().st_size == j.size_bytes


def test_closed_journal_refuses_writes(tmp_path: Path) -> None:
    """Writing to a closed journal is a clear JournalError, not a crash."""
    j = filled(tmp_path / "j")
    j.close()
    with pytest.raises(JournalError, match="closed"):
        j.record_command(9, "noop", "accepted", 0.0)


def _flight_with_journal(path: Path) -> tuple[Rig, Commander, Journal]:
    """A rig whose executive persists each Persist* intent in the journal before running the next."""
    journal = Journal.open(path, create=True)
    rig = Rig(persist=journal.apply_intent)
    cmd = Commander(rig.seq, FAST)
    return rig, cmd, journal


def _execute(rig: Rig, intents: Sequence[object]) -> None:
    """The executive's rule: each intent in order, persist intents durable before the next one runs."""
    for it in intents:
        if isinstance(it, PersistCommand):
            assert rig.persist is not None and rig.persist(it)
        else:
            rig.run([it])  # type: ignore[list-item]


def test_restart_mid_burn_never_repeats_the_burn_nor_a_command(tmp_path: Path) -> None:
    """Fly to mid-burn with the journal recording; 'crash'; rebuild sequencer and commander from the
    journal: the sequencer is SAFE with the burn INTERRUPTED, the burn id cannot be planned again, and the
    GO's command id is a DUPLICATE."""
    p = tmp_path / "j"
    rig, cmd, journal = _flight_with_journal(p)
    _execute(rig, rig.seq.load_plan(0.0, plan(dv=3.0)))
    d = cmd.handle(0.0, Telecommand(41, TelecommandKind.GO, BurnRef(1)), auth_state={"seq": 41})
    _execute(rig, d.intents)
    for _ in range(2000):
        if rig.seq.state is SeqState.BURN:
            break
        rig.cycle(0.5)
    assert rig.seq.state is SeqState.BURN
    journal.close()  # the crash: nothing else is written

    with Journal.open(p) as j2:
        assert j2.burns == {1: None} and j2.auth_state == {"seq": 41}
        seq, intents = Sequencer.restore(FAST, j2.plan_record, j2.burns, rig.t_s + 1.0, j2.ignitions)
        for it in intents:
            j2.apply_intent(it)
        assert seq.state is SeqState.SAFE
        cmd2 = Commander(seq, FAST, handled_ids=j2.handled_command_ids)
        again = cmd2.handle(rig.t_s + 1.0, Telecommand(41, TelecommandKind.GO, BurnRef(1)))
        assert again.ack.reason is AckReason.DUPLICATE
        fresh = cmd2.handle(rig.t_s + 1.0, Telecommand(42, TelecommandKind.GO, BurnRef(1)))
        assert fresh.ack.reason in (AckReason.BURN_DONE, AckReason.WRONG_STATE)
    with Journal.open(p) as j3:
        r = j3.burns[1]
        assert r is not None and r.outcome is BurnOutcome.INTERRUPTED and math.isnan(r.dv_achieved_mps)
        assert (r.name, r.dv_target_mps, r.t_ignition_s) == ("burn-1", 3.0, 10.0)


def test_restart_before_arming_picks_up_the_plan(tmp_path: Path) -> None:
    """A restart after plan, GO and crew clear resumes in GO_RECEIVED with the same plan."""
    p = tmp_path / "j"
    rig, cmd, journal = _flight_with_journal(p)
    _execute(rig, rig.seq.load_plan(0.0, plan(t_ig=100.0, final=True)))
    for cid, kind, args in [(1, TelecommandKind.CREW_CLEAR, None), (2, TelecommandKind.GO, BurnRef(1))]:
        tc = Telecommand(cid, kind, args) if args else Telecommand(cid, kind)
        _execute(rig, cmd.handle(0.0, tc).intents)
    journal.close()
    with Journal.open(p) as j2:
        seq, _ = Sequencer.restore(FAST, j2.plan_record, j2.burns, 1.0)
    assert seq.state is SeqState.GO_RECEIVED and seq.crew_clear and seq.plan == plan(t_ig=100.0, final=True)


def test_persist_command_intent_goes_through_apply_intent(tmp_path: Path) -> None:
    """apply_intent persists PersistCommand and the sequencer's Persist* intents, and declines others."""
    with Journal.open(tmp_path / "j", create=True) as j:
        assert j.apply_intent(PersistCommand(5, "noop", "accepted", 0.0, b"s"))
        assert not j.apply_intent(object())
        assert j.has_command(5) and j.auth_state == b"s"


def test_restart_in_safe_comes_back_in_safe(tmp_path: Path) -> None:
    """A flight software that was in SAFE (after a ground SAFE) restarts in SAFE, valves closed and board
    disarmed first; only a RESUME leaves it."""
    p = tmp_path / "j"
    rig, cmd, journal = _flight_with_journal(p)
    _execute(rig, rig.seq.load_plan(0.0, plan(t_ig=100.0)))
    _execute(rig, cmd.handle(0.0, Telecommand(1, TelecommandKind.SAFE)).intents)
    journal.close()
    with Journal.open(p) as j2:
        seq, intents = Sequencer.restore(FAST, j2.plan_record, j2.burns, 1.0, j2.ignitions)
    assert seq.state is SeqState.SAFE
    assert [type(i).__name__ for i in intents[:2]] == ["CloseAllValves", "Disarm"]
