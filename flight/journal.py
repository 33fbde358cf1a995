"""The flight journal: what must survive a flight software restart, written durably.

It holds the burns that have ignited (with their results once known), every handled telecommand id with
its verdict (the command counters are derived from them), the authenticator's anti-replay state (opaque
plain data from ``flight.security``), and the current plan with its GO and the crew-clear flag. A restarted
flight software rebuilt from it never repeats a burn, never accepts a replayed command id, and picks the
plan up where it stood (``Sequencer.restore``, ``Commander(handled_ids=...)``).

File format (all integers big-endian), one file, append-only, each record fsync'd before the call returns:

- file header, 16 octets: magic ``DEORBJNL``, format version (u16), reserved (u16, zero), CRC-32 of the
  first 12 octets (u32);
- records, each a 22-octet header and a payload: marker ``0xD5 0x4A``, payload length (u32, at most
  1 MiB), record sequence number (u64, 1, 2, 3... without gaps), CRC-32 of the payload (u32), CRC-32 of
  the preceding 18 header octets (u32); then the payload, compact UTF-8 JSON with a ``type`` field.

Crash consistency. A record is written with one ``write`` and then ``fsync``; the call returns only after
both, so everything acknowledged is on disk. A crash during a write can leave only an *incomplete last
record* (a header or payload cut short by the end of the file): on open it is cut off, the file is
fsync'd, and the loss of that unacknowledged record is reported in ``Journal.recovery``. Anything else is
corruption and raises :class:`JournalCorruptError` with the offset and what is wrong: a bad file header, a
complete record whose header or payload CRC fails (every single-bit error is caught: CRC-32 detects them
all), a bad marker, a sequence gap, an oversize length, or a payload that is not a valid record. The
journal is never silently reset: opening a missing file is an error unless ``create=True``, and creation
and compaction write a temporary file, fsync it and rename it into place (then fsync the directory), so
a crash leaves either the old or the new file whole.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import struct
import zlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from flight.commanding import PersistCommand
from flight.sequencer import BurnResult, PersistBurnResult, PersistIgnition, PersistPlan

MAGIC = b"DEORBJNL"
VERSION = 1
FILE_HEADER = struct.Struct(">8sHHI")
RECORD_MARKER = b"\xd5\x4a"
RECORD_HEADER = struct.Struct(">2sIQII")
MAX_PAYLOAD = 1 << 20
COMPACT_ABOVE_BYTES = 4 << 20

AuthState = Mapping[str, Any] | bytes


class JournalError(Exception):
    """The journal cannot be used (missing, unwritable, or asked to break one of its rules)."""


class JournalCorruptError(JournalError):
    """The journal file is damaged in a way a crash cannot explain."""


@dataclass(frozen=True)
class Recovery:
    """What opening the journal had to repair after a crash (reported, never silent)."""

    discarded_bytes: int  # an unfinished last record, cut off
    removed_temp_file: bool  # an unfinished creation or compaction left a temporary file

    @property
    def message(self) -> str:
        parts = []
        if self.discarded_bytes:
            parts.append(f"cut off an unfinished last record ({self.discarded_bytes} bytes)")
        if self.removed_temp_file:
            parts.append("removed the temporary file of an unfinished compaction")
        return "; ".join(parts)


@dataclass(frozen=True)
class CommandEntry:
    command_id: int
    kind: str
    reason: str
    t_s: float


def _encode_auth(state: AuthState | None) -> dict[str, Any] | None:
    if state is None:
        return None
    if isinstance(state, bytes | bytearray):
        return {"b64": base64.b64encode(bytes(state)).decode("ascii")}
    try:
        json.dumps(state)
    except (TypeError, ValueError) as exc:
        raise JournalError(f"authenticator state is not plain data: {exc}") from None
    return {"json": dict(state)}


def _decode_auth(raw: Any) -> AuthState | None:
    if raw is None:
        return None
    if "b64" in raw:
        return base64.b64decode(raw["b64"], validate=True)
    return dict(raw["json"])


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Journal:
    """An open journal. Use :meth:`open`; close it (or use ``with``) when done."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.recovery: Recovery | None = None
        self._fd: int | None = None
        self._seq = 0
        self._size = 0
        self._commands: dict[int, CommandEntry] = {}
        self._auth: AuthState | None = None
        self._plan: dict[str, Any] | None = None
        self._burns: dict[int, BurnResult | None] = {}
        self._ignitions: dict[int, tuple[float, dict[str, Any]]] = {}

    # ---------------------------------------------------------------------- open and close

    @classmethod
    def open(cls, path: str | Path, *, create: bool = False) -> Journal:
        """Open the journal at ``path``, repairing a crash-torn tail; create it only if ``create``."""
        j = cls(Path(path))
        tmp = j._tmp_path
        removed_tmp = False
        if tmp.exists():
            tmp.unlink()
            removed_tmp = True
        if not j.path.exists():
            if not create:
                raise JournalError(f"journal {str(j.path)!r} does not exist (create it on first boot only)")
            j._write_file_atomically([])
        discarded = j._load()
        if discarded or removed_tmp:
            j.recovery = Recovery(discarded, removed_tmp)
        try:
            j._fd = os.open(j.path, os.O_WRONLY | os.O_APPEND)
        except OSError as exc:
            raise JournalError(f"cannot open journal {str(j.path)!r} for writing: {exc.strerror}") from None
        return j

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def _tmp_path(self) -> Path:
        return self.path.with_name(self.path.name + ".tmp")

    # ------------------------------------------------------------------------------ reading

    def _load(self) -> int:
        """Read and check the whole file; apply its records; cut off a torn tail. Returns bytes cut."""
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise JournalError(f"cannot read journal {str(self.path)!r}: {exc.strerror}") from None
        where = f"journal {str(self.path)!r}"
        if len(data) < FILE_HEADER.size:
            raise JournalCorruptError(
                f"{where}: file header truncated ({len(data)} of {FILE_HEADER.size} bytes)")
        magic, version, _reserved, crc = FILE_HEADER.unpack_from(data, 0)
        if magic != MAGIC or crc != zlib.crc32(data[:12]):
            raise JournalCorruptError(f"{where}: not a journal or damaged file header")
        if version != VERSION:
            raise JournalCorruptError(f"{where}: format version {version}, expected {VERSION}")
        off = FILE_HEADER.size
        while off < len(data):
            rest = len(data) - off
            if rest < RECORD_HEADER.size:
                return self._cut_tail(off, rest)
            marker, length, seq, crc_payload, crc_header = RECORD_HEADER.unpack_from(data, off)
            if crc_header != zlib.crc32(data[off:off + RECORD_HEADER.size - 4]):
                raise JournalCorruptError(f"{where}: record header CRC fails at offset {off}")
            if marker != RECORD_MARKER:
                raise JournalCorruptError(f"{where}: bad record marker at offset {off}")
            if length > MAX_PAYLOAD:
                raise JournalCorruptError(f"{where}: record length {length} too large at offset {off}")
            if seq != self._seq + 1:
                raise JournalCorruptError(
                    f"{where}: record sequence {seq} at offset {off}, expected {self._seq + 1} "
                    "(records lost)")
            if rest < RECORD_HEADER.size + length:
                return self._cut_tail(off, rest)
            payload = data[off + RECORD_HEADER.size: off + RECORD_HEADER.size + length]
            if crc_payload != zlib.crc32(payload):
                raise JournalCorruptError(f"{where}: record {seq} payload CRC fails at offset {off}")
            try:
                self._apply(json.loads(payload.decode("utf-8")))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise JournalCorruptError(
                    f"{where}: record {seq} at offset {off} is invalid: {exc!r}") from None
            self._seq = seq
            off += RECORD_HEADER.size + length
        self._size = off
        return 0

    def _cut_tail(self, off: int, nbytes: int) -> int:
        try:
            with self.path.open("r+b") as fh:
                fh.truncate(off)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise JournalError(f"cannot repair journal {str(self.path)!r}: {exc.strerror}") from None
        self._size = off
        return nbytes

    def _apply(self, rec: Mapping[str, Any]) -> None:
        kind = rec["type"]
        if kind == "command":
            e = CommandEntry(int(rec["id"]), str(rec["kind"]), str(rec["reason"]), float(rec["t_s"]))
            if e.command_id in self._commands:
                raise ValueError(f"command id {e.command_id} recorded twice")
            self._commands[e.command_id] = e
            if rec.get("auth") is not None:
                self._auth = _decode_auth(rec["auth"])
        elif kind == "auth":
            self._auth = _decode_auth(rec["auth"])
        elif kind == "plan":
            self._plan = None if rec["record"] is None else dict(rec["record"])
        elif kind == "ignition":
            bid = int(rec["burn_id"])
            if bid in self._burns:
                raise ValueError(f"burn {bid} ignited twice")
            self._burns[bid] = None
            self._ignitions[bid] = (float(rec["t_s"]), dict(rec["plan"]))
        elif kind == "burn_result":
            result = BurnResult.from_dict(rec["result"])
            if self._burns.get(result.burn_id) is not None:
                raise ValueError(f"burn {result.burn_id} has two results")
            self._burns[result.burn_id] = result
        elif kind == "snapshot":
            for c in rec["commands"]:
                e = CommandEntry(int(c[0]), str(c[1]), str(c[2]), float(c[3]))
                self._commands[e.command_id] = e
            self._auth = _decode_auth(rec["auth"])
            self._plan = None if rec["plan"] is None else dict(rec["plan"])
            for bid, res in rec["burns"]:
                self._burns[int(bid)] = None if res is None else BurnResult.from_dict(res)
            for bid, t_ig, plan in rec["ignitions"]:
                self._ignitions[int(bid)] = (float(t_ig), dict(plan))
        else:
            raise ValueError(f"unknown record type {kind!r}")

    # ------------------------------------------------------------------------------ queries

    @property
    def handled_command_ids(self) -> frozenset[int]:
        return frozenset(self._commands)

    def has_command(self, command_id: int) -> bool:
        return command_id in self._commands

    def command(self, command_id: int) -> CommandEntry | None:
        return self._commands.get(command_id)

    @property
    def command_counts(self) -> Counter[str]:
        """Handled commands by verdict (``accepted``, ``wrong_state``...)."""
        return Counter(e.reason for e in self._commands.values())

    @property
    def auth_state(self) -> AuthState | None:
        return self._auth

    @property
    def plan_record(self) -> dict[str, Any] | None:
        return None if self._plan is None else dict(self._plan)

    @property
    def burns(self) -> dict[int, BurnResult | None]:
        """Every burn id that has ignited, with its result (None while its result is not recorded)."""
        return dict(self._burns)

    @property
    def ignitions(self) -> dict[int, tuple[float, dict[str, Any]]]:
        """Ignition time and plan (plain data) of every ignited burn, for ``Sequencer.restore``."""
        return {bid: (t, dict(p)) for bid, (t, p) in self._ignitions.items()}

    @property
    def size_bytes(self) -> int:
        return self._size

    @property
    def record_count(self) -> int:
        """Records in the file (since the last compaction)."""
        return self._seq

    # ------------------------------------------------------------------------------ writing

    @staticmethod
    def _record_bytes(seq: int, rec: Mapping[str, Any]) -> bytes:
        payload = json.dumps(rec, separators=(",", ":"), sort_keys=True).encode("utf-8")
        if len(payload) > MAX_PAYLOAD:
            raise JournalError(f"record of {len(payload)} bytes exceeds the {MAX_PAYLOAD}-byte limit")
        head = struct.pack(">2sIQI", RECORD_MARKER, len(payload), seq, zlib.crc32(payload))
        return head + struct.pack(">I", zlib.crc32(head)) + payload

    def _append(self, rec: Mapping[str, Any]) -> None:
        if self._fd is None:
            raise JournalError(f"journal {str(self.path)!r} is closed")
        blob = self._record_bytes(self._seq + 1, rec)
        try:
            written = os.write(self._fd, blob)
            if written != len(blob):
                raise OSError(0, f"short write ({written} of {len(blob)} bytes)")
            os.fsync(self._fd)
        except OSError as exc:
            with contextlib.suppress(OSError):  # leave no partial record: the next append starts clean
                os.truncate(self.path, self._size)
            raise JournalError(f"cannot write journal {str(self.path)!r}: {exc.strerror}") from None
        self._apply(rec)
        self._seq += 1
        self._size += len(blob)
        if self._size > COMPACT_ABOVE_BYTES:
            self.compact()

    def record_command(self, command_id: int, kind: str, reason: str, t_s: float,
                       auth_state: AuthState | None = None) -> None:
        """Record a handled command id (and the authenticator's state after it) in one durable record."""
        if command_id in self._commands:
            raise JournalError(f"command id {command_id} is already recorded")
        self._append({"type": "command", "id": int(command_id), "kind": kind, "reason": reason,
                      "t_s": float(t_s), "auth": _encode_auth(auth_state)})

    def save_auth_state(self, state: AuthState) -> None:
        self._append({"type": "auth", "auth": _encode_auth(state)})

    def save_plan(self, record: Mapping[str, Any] | None) -> None:
        """The sequencer's plan record (plan, GO, crew-clear), or None."""
        self._append({"type": "plan", "record": None if record is None else dict(record)})

    def record_ignition(self, burn_id: int, t_s: float, plan: Mapping[str, Any]) -> None:
        """Record that ``burn_id`` ignites; refuses a burn id that has ignited before."""
        if burn_id in self._burns:
            raise JournalError(f"burn {burn_id} has already ignited")
        self._append({"type": "ignition", "burn_id": int(burn_id), "t_s": float(t_s), "plan": dict(plan)})

    def record_burn_result(self, result: BurnResult) -> None:
        """Record a burn's result (once); a result implies the ignition."""
        prior = self._burns.get(result.burn_id)
        if prior is not None:
            if json.dumps(prior.to_dict()) == json.dumps(result.to_dict()):
                return  # the same result again (NaN-safe comparison)
            raise JournalError(f"burn {result.burn_id} already has a result")
        self._append({"type": "burn_result", "result": result.to_dict()})

    def apply_intent(self, intent: object) -> bool:
        """Persist a sequencer ``Persist*`` intent or a commander ``PersistCommand``; False for others."""
        if isinstance(intent, PersistPlan):
            self.save_plan(intent.record)
        elif isinstance(intent, PersistIgnition):
            self.record_ignition(intent.burn_id, intent.t_s, intent.plan)
        elif isinstance(intent, PersistBurnResult):
            self.record_burn_result(intent.result)
        elif isinstance(intent, PersistCommand):
            self.record_command(intent.command_id, intent.kind, intent.reason, intent.t_s, intent.auth_state)
        else:
            return False
        return True

    # --------------------------------------------------------------------------- compaction

    def _snapshot(self) -> dict[str, Any]:
        return {
            "type": "snapshot",
            "commands": [[e.command_id, e.kind, e.reason, e.t_s] for e in self._commands.values()],
            "auth": _encode_auth(self._auth),
            "plan": self._plan,
            "burns": [[bid, None if r is None else r.to_dict()] for bid, r in self._burns.items()],
            "ignitions": [[bid, t_ig, plan] for bid, (t_ig, plan) in self._ignitions.items()],
        }

    def _write_file_atomically(self, records: list[Mapping[str, Any]]) -> int:
        head = struct.pack(">8sHH", MAGIC, VERSION, 0)
        blob = head + struct.pack(">I", zlib.crc32(head))
        for i, rec in enumerate(records, start=1):
            blob += self._record_bytes(i, rec)
        tmp = self._tmp_path
        try:
            with tmp.open("wb") as fh:
                fh.write(blob)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
            _fsync_dir(self.path.parent)
        except OSError as exc:
            raise JournalError(f"cannot write journal {str(self.path)!r}: {exc.strerror}") from None
        return len(blob)

    def compact(self) -> None:
        """Rewrite the journal as one snapshot record (atomically); the state is unchanged."""
        snap = self._snapshot()
        self.close()
        size = self._write_file_atomically([snap])
        self._seq = 1
        self._size = size
        try:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        except OSError as exc:
            raise JournalError(f"cannot reopen journal {str(self.path)!r}: {exc.strerror}") from None
