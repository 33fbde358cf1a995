"""Reader and writer of the vector file format shared by the C runner (tests/c/runner.c) and Python tests.

One case per line: ``<case> <status> <tol> : <inputs> : <expected outputs>``. Numbers are written as
exact hex floats (``float.hex``) and may also be decimals, ``nan`` or ``inf``. ``#`` starts a comment line;
every file opens with a provenance comment naming the authority its expected values come from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

VECTOR_DIR = Path(__file__).resolve().parent / "vectors"


@dataclass(frozen=True)
class Vector:
    case: str
    status: int
    tol: float
    inputs: tuple[float, ...]
    outputs: tuple[float, ...]
    where: str  # "file:line", for messages


def parse_number(token: str) -> float:
    t = token.strip()
    if "0x" in t.lower():
        return float.fromhex(t)
    return float(t)


def read_vectors(path: Path | str, case: str | None = None) -> list[Vector]:
    path = Path(path)
    found = []
    for lineno, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        head, ins, outs = line.split(":")
        name, status, tol = head.split()
        if case is not None and name != case:
            continue
        found.append(
            Vector(
                case=name,
                status=int(status),
                tol=parse_number(tol),
                inputs=tuple(parse_number(t) for t in ins.split()),
                outputs=tuple(parse_number(t) for t in outs.split()),
                where=f"{path.name}:{lineno}",
            )
        )
    return found


def format_line(case: str, status: int, tol: float, inputs: Iterable[float], outputs: Iterable[float]) -> str:
    ins = " ".join(float(v).hex() for v in inputs)
    outs = " ".join(float(v).hex() for v in outputs)
    return f"{case} {status} {float(tol)!r} : {ins} : {outs}"


def write_vectors(path: Path | str, provenance: Sequence[str], lines: Iterable[str]) -> None:
    header = [f"# {p}" for p in provenance]
    Path(path).write_text("\n".join([*header, *lines]) + "\n")
