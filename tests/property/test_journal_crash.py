"""Property tests of the journal under crashes and damage.

A sequence of journal operations runs against a model; the file's bytes are captured after every
operation. A crash is simulated after any prefix of the operations, including in the middle of the next
write (the file holding only part of that record), and the journal is reopened from those bytes.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, note
from hypothesis import strategies as st

from flight.commanding import Commander
from flight.journal import Journal, JournalCorruptError, JournalError
from flight.ports import AckReason, Telecommand, TelecommandKind
from flight.sequencer import BurnOutcome, BurnResult, Sequencer
from tests.unit.test_sequencer_rig import FAST

Op = tuple[Any, ...]

OPS = st.one_of(
    st.tuples(st.just("cmd"), st.integers(0, 12), st.sampled_from(["accepted", "wrong_state"]),
              st.none() | st.integers(0, 1000)),
    st.tuples(st.just("plan"), st.none() | st.integers(0, 5), st.booleans()),
    st.tuples(st.just("ignite"), st.integers(0, 4)),
    st.tuples(st.just("result"), st.integers(0, 4), st.floats(0.0, 50.0)),
    st.tuples(st.just("auth"), st.binary(max_size=24)),
    st.tuples(st.just("compact")),
)


def _result(burn_id: int, dv: float) -> BurnResult:
    return BurnResult(burn_id, f"b{burn_id}", False, 1.0, 2.0, 3.0, dv, BurnOutcome.COMPLETED)


def _apply(j: Journal, model: dict[str, Any], op: Op) -> None:
    """Apply one operation to the journal and, if the journal accepts it, to the model."""
    kind = op[0]
    if kind == "cmd":
        _, cid, reason, auth = op
        if cid in model["commands"]:
            try:
                j.record_command(cid, "go", reason, 0.0)
            except JournalError:
                return
            raise AssertionError(f"command id {cid} recorded twice")
        state = None if auth is None else {"highest_seq": auth}
        j.record_command(cid, "go", reason, float(cid), state)
        model["commands"][cid] = reason
        if state is not None:
            model["auth"] = state
    elif kind == "plan":
        _, bid, go = op
        rec = {"plan": None if bid is None else {"burn_id": bid}, "go_burn_id": bid if go else None}
        j.save_plan(rec)
        model["plan"] = rec
    elif kind == "ignite":
        bid = op[1]
        if bid in model["burns"]:
            try:
                j.record_ignition(bid, 0.0, {})
            except JournalError:
                return
            raise AssertionError(f"burn {bid} ignited twice")
        j.record_ignition(bid, 0.0, {})
        model["burns"][bid] = None
    elif kind == "result":
        _, bid, dv = op
        if model["burns"].get(bid) is not None:
            return
        j.record_burn_result(_result(bid, dv))
        model["burns"][bid] = dv
    elif kind == "auth":
        j.save_auth_state(op[1])
        model["auth"] = op[1].hex()
    else:
        j.compact()


def _observe(j: Journal) -> dict[str, Any]:
    auth = j.auth_state
    return {
        "commands": {cid: e.reason for cid in j.handled_command_ids if (e := j.command(cid)) is not None},
        "auth": auth.hex() if isinstance(auth, bytes) else (dict(auth) if auth is not None else None),
        "plan": j.plan_record,
        "burns": {b: None if r is None else r.dv_achieved_mps for b, r in j.burns.items()},
    }


def _empty() -> dict[str, Any]:
    return {"commands": {}, "auth": None, "plan": None, "burns": {}}


def _norm(model: dict[str, Any]) -> str:
    return json.dumps({k: ({str(a): b for a, b in v.items()} if k in ("commands", "burns") else v)
                       for k, v in model.items()}, sort_keys=True)


@given(ops=st.lists(OPS, min_size=1, max_size=20), crash_at=st.integers(0, 20), cut=st.floats(0.0, 1.0))
def test_crash_after_any_prefix_loses_nothing_acknowledged(ops: list[Op], crash_at: int, cut: float) -> None:
    """Property: reopening after a crash that follows operation k (possibly in the middle of writing
    operation k+1) yields exactly the state after operation k (or after k+1, had that write completed, as
    for an atomic compaction); so no completed burn is lost and no recorded command id is accepted again."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "journal"
        j = Journal.open(path, create=True)
        model = _empty()
        images = [path.read_bytes()]
        models = [_norm(model)]
        for op in ops:
            _apply(j, model, op)
            images.append(path.read_bytes())
            models.append(_norm(model))
        j.close()

        k = min(crash_at, len(ops) - 1)
        before, after = images[k], images[k + 1]
        if after.startswith(before) and len(after) > len(before):
            torn = before + after[len(before): len(before) + int(cut * (len(after) - len(before) - 1))]
            allowed = {models[k]}
        else:  # compaction replaced the file atomically: either whole image
            torn = after if cut >= 0.5 else before
            allowed = {models[k], models[k + 1]}
        note(f"crash after op {k} ({ops[k][0]}), {len(torn) - len(before)} bytes of the next write")
        crashed = Path(d) / "crashed"
        crashed.write_bytes(torn)
        with Journal.open(crashed) as r:
            seen = _observe(r)
            assert _norm(seen) in allowed
            for cid in seen["commands"]:  # a recorded command id is refused, by the journal and by commanding
                try:
                    r.record_command(cid, "go", "accepted", 0.0)
                except JournalError:
                    pass
                else:
                    raise AssertionError(f"command id {cid} accepted twice")
                cmd = Commander(Sequencer(FAST), FAST, handled_ids=r.handled_command_ids)
                ack = cmd.handle(0.0, Telecommand(cid, TelecommandKind.NOOP)).ack
                assert ack.reason is AckReason.DUPLICATE
            for bid in seen["burns"]:
                try:
                    r.record_ignition(bid, 0.0, {})
                except JournalError:
                    pass
                else:
                    raise AssertionError(f"burn {bid} ignited twice")


@given(ops=st.lists(OPS, min_size=1, max_size=8), where=st.floats(0.0, 1.0), bit=st.integers(0, 7))
def test_any_single_bit_flip_is_detected(ops: list[Op], where: float, bit: int) -> None:
    """Property: flipping any one bit anywhere in a journal file makes opening it fail with
    JournalCorruptError (CRC-32 over every header and payload catches every single-bit error), never a
    silent change of state."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "journal"
        with Journal.open(path, create=True) as j:
            model = _empty()
            for op in ops:
                _apply(j, model, op)
        data = bytearray(path.read_bytes())
        i = min(int(where * len(data)), len(data) - 1)
        data[i] ^= 1 << bit
        path.write_bytes(bytes(data))
        try:
            Journal.open(path).close()
        except JournalCorruptError:
            return
        raise AssertionError(f"bit {bit} of byte {i} flipped and not detected")
