"""The campaign folder's files: the manifest, one JSON line per run, and reading them back for a resume.

``records.jsonl`` holds one record per finished run (fields in ``hil.montecarlo.runs``), appended as runs
finish and rewritten in run order when the campaign ends. A line cut short by a kill is ignored on reading
(that run is simply flown again). ``campaign.json`` names what the records belong to (scenario, its text's
SHA-256, master seed and mode), so a resume never mixes two campaigns in one folder.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TextIO

RECORDS = "records.jsonl"
MANIFEST = "campaign.json"
SUMMARY = "summary.json"
PLOT = "centres.png"
IDENTITY = ("scenario_sha256", "master_seed", "mode")


class FolderError(ValueError):
    """The campaign folder belongs to another campaign or cannot be read."""


def _clean(x: Any) -> Any:
    """JSON-ready: non-finite floats become null."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, Mapping):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    return x


def dumps(record: Mapping[str, Any]) -> str:
    return json.dumps(_clean(record), separators=(",", ":"), allow_nan=False)


def check_manifest(out: Path, manifest: Mapping[str, Any]) -> None:
    """Write the manifest, or check that the folder's matches it (FolderError otherwise)."""
    path = out / MANIFEST
    if path.exists():
        try:
            old = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise FolderError(f"{path}: unreadable campaign manifest ({exc}); use another --out") from None
        diff = [k for k in IDENTITY if old.get(k) != manifest.get(k)]
        if diff:
            what = ", ".join(f"{k} {old.get(k)!r} there, {manifest.get(k)!r} now" for k in diff)
            raise FolderError(f"{out} holds another campaign ({what}); use another --out or the same options")
        return
    if (out / RECORDS).exists():
        raise FolderError(f"{out} holds records without a {MANIFEST}; use another --out")
    _atomic_write(path, json.dumps(dict(manifest), indent=2) + "\n")


def read_records(out: Path) -> dict[int, dict[str, Any]]:
    """The records already in the folder, by run index (the last record of an index wins; a line that is
    not a complete JSON record, as a kill leaves, is skipped)."""
    path = out / RECORDS
    done: dict[int, dict[str, Any]] = {}
    if not path.exists():
        return done
    with path.open(encoding="utf-8") as f:
        for line in f:
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict) and isinstance(rec.get("index"), int) and "outcome" in rec:
                done[rec["index"]] = rec
    return done


class RecordWriter:
    """Appends records as runs finish (flushed and synced line by line, so a kill loses at most one)."""

    def __init__(self, out: Path) -> None:
        self.path = out / RECORDS
        self._f: TextIO | None = None

    def __enter__(self) -> RecordWriter:
        self._f = self.path.open("a", encoding="utf-8")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None

    def write(self, record: Mapping[str, Any]) -> None:
        assert self._f is not None, "use RecordWriter as a context manager"
        self._f.write(dumps(record) + "\n")
        self._f.flush()
        os.fsync(self._f.fileno())


def rewrite_sorted(out: Path, records: Iterable[Mapping[str, Any]]) -> None:
    """Rewrite ``records.jsonl`` with every record in run order (atomically)."""
    text = "".join(dumps(r) + "\n" for r in sorted(records, key=lambda r: int(r["index"])))
    _atomic_write(out / RECORDS, text)


def write_json(path: Path, obj: Any) -> None:
    """Write a JSON document atomically (non-finite floats as null)."""
    _atomic_write(path, json.dumps(_clean(obj), indent=2) + "\n")


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
