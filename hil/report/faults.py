"""Faults injected into a run (``hil run --faults FILE``): board faults at mission times.

A faults file is TOML with one ``[[fault]]`` table per fault::

    [[fault]]
    at_h = 2.0               # mission time (hours after the start); or at_s
    board = "imu"            # imu or thruster
    kind = "BIAS_JUMP"       # IMU: DROPOUT, STUCK, BIAS_JUMP, NOISE_BURST, TIME_TAG_JUMP, CLEAR
    axis = "GYRO_Z"          # IMU: GYRO_X..ACCEL_Z or ALL
    magnitude = 2e-5         # IMU: rad/s, m/s^2, or seconds for TIME_TAG_JUMP
    duration_s = 0.0         # IMU: 0 for until cleared

    [[fault]]
    at_h = 3.0
    board = "thruster"
    kind = "DEGRADED_THRUST" # VALVE_STUCK_CLOSED, VALVE_STUCK_OPEN, DEGRADED_THRUST, BOARD_RESET, CLEAR
    thruster = 20            # index 0-45 (ICD order: 0-15 attitude, 16-45 deorbit)
    factor = 0.8             # DEGRADED_THRUST only

The IMU fault is applied through the board's own fault logic; the thruster fault as the test-only
THRUSTER_FAULT_INJECT packet handed to the board's packet handler. Each is applied once, when the truth's
time first reaches it, and listed in the summary's ``faults_injected``.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from hil.drivers.packets import PacketWriter
from hil.ground.timing import GroundTime
from hil.protocol.catalogue import ImuAxis, ImuFaultKind, ThrusterFaultKind


class FaultFileError(ValueError):
    """A faults file that cannot be read or is malformed; the message names the file and the fault."""


class _Recorder(Protocol):
    def note(self, t_s: float, name: str, text: str, **data: Any) -> None: ...


@dataclass
class BoardFault:
    at_s: float
    board: str
    kind: str
    axis: str = "ALL"
    magnitude: float = 0.0
    duration_s: float = 0.0
    thruster: int = 0
    factor: float = 1.0
    applied_t_s: float | None = None

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "at_s": self.at_s,
            "board": self.board,
            "kind": self.kind,
            "applied_t_s": self.applied_t_s,
        }
        if self.board == "imu":
            d.update(axis=self.axis, magnitude=self.magnitude, duration_s=self.duration_s)
        else:
            d.update(thruster=self.thruster, factor=self.factor)
        return d


@dataclass
class FaultPlan:
    faults: list[BoardFault] = field(default_factory=list)
    source: str = ""
    _writer: PacketWriter = field(default_factory=PacketWriter)
    _ids: int = 0
    _keys: list[float | None] = field(default_factory=list)

    def place_holds(self, holds: GroundTime, t0_s: float) -> None:
        """Hold the simulation at each fault's time (lockstep), so each lands after the same IMU sample."""
        self._keys = [holds.hold(t0_s + f.at_s) for f in self.faults]

    async def apply_due(
        self, holds: GroundTime, t0_s: float, imu_board: Any, thruster_board: Any, rec: _Recorder
    ) -> None:
        """Apply every fault whose time has come (once each), then release its hold."""
        keys = self._keys or [None] * len(self.faults)
        for f, key in zip(self.faults, keys, strict=True):
            if f.applied_t_s is not None:
                continue
            due = holds.blocked_on(key) if key is not None else holds.now_s >= t0_s + f.at_s
            if not due:
                continue
            t = float(imu_board.plant.t_s)
            f.applied_t_s = t
            if f.board == "imu":
                imu_board.inject(ImuFaultKind[f.kind], ImuAxis[f.axis], f.magnitude, f.duration_s, t)
            else:
                self._ids += 1
                raw = self._writer.encode(
                    "THRUSTER_FAULT_INJECT",
                    {
                        "command_id": 0xFA000000 + self._ids,
                        "kind": ThrusterFaultKind[f.kind],
                        "thruster": f.thruster,
                        "factor": f.factor,
                    },
                    t,
                )
                await thruster_board.handle_packet(raw)
            rec.note(t, "fault.injected", f"{f.board} {f.kind} injected", **f.as_dict())
            holds.release(key)

    def summary(self) -> list[dict[str, Any]]:
        return [f.as_dict() for f in self.faults]


def load_faults(path: str | Path) -> FaultPlan:
    p = Path(path)
    try:
        doc = tomllib.loads(p.read_text())
    except OSError as exc:
        raise FaultFileError(f"cannot read faults file {p}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise FaultFileError(f"{p}: not valid TOML: {exc}") from None
    unknown = set(doc) - {"fault"}
    if unknown:
        raise FaultFileError(f"{p}: unknown table {sorted(unknown)[0]!r}; faults are [[fault]] tables")
    faults = []
    for i, item in enumerate(doc.get("fault", [])):
        faults.append(_fault(p, i, item))
    return FaultPlan(faults, str(p))


_IMU_KEYS = {"at_h", "at_s", "board", "kind", "axis", "magnitude", "duration_s"}
_THR_KEYS = {"at_h", "at_s", "board", "kind", "thruster", "factor"}


def _fault(p: Path, i: int, item: Any) -> BoardFault:
    where = f"{p}: fault[{i}]"
    if not isinstance(item, dict):
        raise FaultFileError(f"{where}: must be a table")
    board = item.get("board")
    if board not in ("imu", "thruster"):
        raise FaultFileError(f"{where}: board must be 'imu' or 'thruster', got {board!r}")
    allowed = _IMU_KEYS if board == "imu" else _THR_KEYS
    extra = sorted(set(item) - allowed)
    if extra:
        raise FaultFileError(f"{where}: unknown key {extra[0]!r}; known: {', '.join(sorted(allowed))}")
    if ("at_h" in item) == ("at_s" in item):
        raise FaultFileError(f"{where}: give exactly one of at_h and at_s")
    at = item.get(
        "at_s", item.get("at_h", 0.0) * 3600.0 if isinstance(item.get("at_h"), int | float) else None
    )
    if not isinstance(at, int | float) or isinstance(at, bool) or not math.isfinite(at) or at < 0:
        raise FaultFileError(f"{where}: the time must be a non-negative number")
    kinds = ImuFaultKind if board == "imu" else ThrusterFaultKind
    kind = item.get("kind")
    if kind not in kinds.__members__:
        raise FaultFileError(f"{where}: kind must be one of {', '.join(kinds.__members__)}, got {kind!r}")
    f = BoardFault(float(at), board, str(kind))
    try:
        if board == "imu":
            f.axis = str(item.get("axis", "ALL"))
            if f.axis not in ImuAxis.__members__:
                raise FaultFileError(f"{where}: axis must be one of {', '.join(ImuAxis.__members__)}")
            f.magnitude = float(item.get("magnitude", 0.0))
            f.duration_s = float(item.get("duration_s", 0.0))
            if not (math.isfinite(f.magnitude) and math.isfinite(f.duration_s) and f.duration_s >= 0):
                raise FaultFileError(f"{where}: magnitude and duration_s must be finite, duration_s >= 0")
        else:
            f.thruster = int(item.get("thruster", 0))
            f.factor = float(item.get("factor", 1.0))
            if not 0 <= f.thruster <= 45 or not 0.0 <= f.factor <= 2.0:
                raise FaultFileError(f"{where}: thruster must be 0..45 and factor 0..2")
    except (TypeError, ValueError) as exc:
        if isinstance(exc, FaultFileError):
            raise
        raise FaultFileError(f"{where}: {exc}") from None
    return f
