"""The burn sequencer: a pure, synchronous state machine with safety interlocks.

The sequencer never does I/O and never reads a clock. Every input carries the spacecraft time ``t_s``
(from the IMU time tags) and returns a list of *intents*: what the executive must do, in order (command an
attitude, arm the thruster board, open or close valves, persist a record, emit an event). The executive
turns intents into port calls. ``Persist*`` intents must be made durable (flight.journal) before the
intents after them are executed: ignition is recorded before the main valves open, so a restart never
repeats a burn.

States
------
``IDLE`` no plan. ``PLANNED`` a burn plan is loaded, no GO. ``GO_RECEIVED`` the ground has given GO for
this burn id. ``ARMING`` two-step arming of the thruster board under way (ARM_PREPARE, ARM_CONFIRM); the
board arms all its thrusters, attitude ones included, so arming comes before the slew. ``SLEW`` attitude
control turns the stack to the burn attitude. ``SETTLE`` the attitude error has been within its threshold;
it must stay there for ``settle_time_s`` and the ignition time must have come. ``IGNITION`` main valves
commanded open; waiting for the measured acceleration to confirm thrust. ``BURN`` thrusting; cutoff is
closed-loop on measured delta-v. ``CUTOFF`` main valves commanded closed; waiting for the board to
report them closed. ``TRIM`` a small residual is made up with the attitude thrusters. ``SAFE`` every valve
commanded closed, board disarmed; only a ground RESUME leaves it.

The armed states are ARMING, SLEW, SETTLE, IGNITION, BURN, CUTOFF and TRIM. Valve-opening intents
(``MainValves(open=True)``, ``TrimThrust(open=True)``) are only ever emitted in IGNITION and TRIM, and only
when the board's latest status says ARMED.

Transition table (``t`` is spacecraft time, ``t_ig`` the planned ignition time)::

    from          input / condition                                   to            intents
    IDLE          load_plan                                           PLANNED       PersistPlan
    PLANNED       load_plan (a GO is kept only for the same burn id)  PLANNED       PersistPlan
    PLANNED       go(plan's burn id)                                  GO_RECEIVED   PersistPlan
    PLANNED,GO    t > t_ig + ignition_late_max_s (window missed)      IDLE          PersistPlan(None)
    GO_RECEIVED   t >= t_ig - arm_lead_s and interlocks hold          ARMING        SetImuRate, ArmPrepare
                  (final burn: CREW_CLEAR received)
    ARMING        board PREPARED                                      ARMING        ArmConfirm
    ARMING        board ARMED                                         SLEW          PointAt
    ARMING        t - entry > arm_timeout_s, or arming rejected       SAFE
    SLEW          attitude error <= attitude_error_max_rad            SETTLE
    SLEW          t - entry > slew_timeout_s                          SAFE
    SETTLE        attitude error above threshold                      SLEW
    SETTLE        settled for settle_time_s and t >= t_ig             IGNITION      PersistIgnition,
                                                                                    MainValves(open)
    SLEW,SETTLE   t > t_ig + ignition_late_max_s                      SAFE
    IGNITION      measured acceleration >= fraction of planned        BURN
    IGNITION      t - entry > ignition_timeout_s                      CUTOFF        MainValves(closed)
    IGN.,BURN     predicted delta-v reaches target, or max duration   CUTOFF        MainValves(closed)
    CUTOFF        board reports main valves closed                    TRIM          TrimThrust(open)
                  and residual in (tolerance, trim_max_dv_mps]
    CUTOFF        board reports main valves closed, otherwise         IDLE          Disarm, PersistBurnResult
    CUTOFF        t - entry > cutoff_timeout_s                        SAFE          PersistBurnResult
    TRIM          predicted delta-v reaches target, or trim timeout   TRIM          TrimThrust(closed)
    TRIM          stopped and board reports all valves closed         IDLE          Disarm, PersistBurnResult
    armed states  board reports DISARMED, or silent for               SAFE
                  thruster_status_max_age_s
    PLANNED..SETTLE no_go(plan's burn id)                             PLANNED       Disarm if armed
    IGN.,BURN     no_go(plan's burn id)                               CUTOFF        MainValves(closed)
    any           abort, safe, fault                                  SAFE          CloseAllValves, Disarm
    not armed     board reports a valve open (after cutoff_timeout_s)  SAFE
    ARMING,SLEW,  board reports a main valve open (after                SAFE
    SETTLE,TRIM   cutoff_timeout_s in the state)
    SAFE          board silent or not yet safe: re-send, bounded      SAFE          CloseAllValves, Disarm
    SAFE          resume, board confirmed closed and disarmed         PLANNED/IDLE

After a restart (``Sequencer.restore`` from the journal) every valve is commanded closed and the board
disarmed first; a burn that had ignited without a recorded result is closed as INTERRUPTED and the
sequencer starts in SAFE; one that was in SAFE starts in SAFE; otherwise it resumes in PLANNED or
GO_RECEIVED with the persisted plan.

Every state that waits is bounded in spacecraft time: PLANNED and GO_RECEIVED by the ignition window,
ARMING by ``arm_timeout_s``, SLEW by ``slew_timeout_s`` and the window, SETTLE by the window, IGNITION by
``ignition_timeout_s``, BURN by the maximum duration, CUTOFF and a stopping TRIM by ``cutoff_timeout_s``,
TRIM by ``trim_timeout_s``, SAFE's re-sending by ``safe_max_retries``. IDLE (no plan) and a confirmed SAFE
wait for the ground by design.

A GO is withdrawn by NO_GO, ABORT and SAFE. A burn id that has ignited is done for good: the plan loader
rejects it, the ignition step refuses it, and the done set survives restarts through the journal.

Cutoff rule. After seeing a delta-v sample the next decision comes one sample interval ``T`` later, and a
cut takes ``L = cutoff_lead_s`` to take effect. The sequencer cuts when ``dv + a_est (L + T/2) >= target``
(aim: cutting now lands nearer the target than cutting at the next sample, with the measured acceleration
``a_est``) or when ``dv + a_max (L + T) >= target + tol`` (bound). The bound makes the guarantee: with every
acceleration at most ``a_max`` (``accel_max_mps2``, or ``trim_accel_max_mps2`` in a trim), not cutting at a
sample means ``dv + a_max (L + T) < target + tol``, and everything gained until the cut at the next sample
takes effect is at most ``a_max (T + L)``, so the achieved delta-v never exceeds ``target + tol``.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flight.config import FlightConfig
from flight.ports import (
    AckReason,
    ArmState,
    Event,
    Severity,
    Telemetry,
    ThrusterFaults,
    ThrusterStatus,
    Vec3,
)


class SeqState(enum.Enum):
    IDLE = "IDLE"
    PLANNED = "PLANNED"
    GO_RECEIVED = "GO_RECEIVED"
    ARMING = "ARMING"
    SLEW = "SLEW"
    SETTLE = "SETTLE"
    IGNITION = "IGNITION"
    BURN = "BURN"
    CUTOFF = "CUTOFF"
    TRIM = "TRIM"
    SAFE = "SAFE"

    # Members compare by identity; hashing by identity too (instead of Enum's hash of the name, a Python
    # call) makes the state-set tests of every cycle (``state in ARMED_STATES``) plain C lookups.
    __hash__ = object.__hash__


ARMED_STATES = frozenset(
    {
        SeqState.ARMING,
        SeqState.SLEW,
        SeqState.SETTLE,
        SeqState.IGNITION,
        SeqState.BURN,
        SeqState.CUTOFF,
        SeqState.TRIM,
    }
)
THRUSTING_STATES = frozenset({SeqState.IGNITION, SeqState.BURN, SeqState.CUTOFF, SeqState.TRIM})


class Rejected(Exception):
    """An input the sequencer refuses in its current state; ``reason`` goes into the acknowledgement."""

    def __init__(self, reason: AckReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


# ------------------------------------------------------------------------------------------ plans


def _unit3(name: str, v: tuple[float, ...]) -> Vec3:
    if len(v) != 3:
        raise ValueError(f"{name} must have 3 components")
    x, y, z = (float(c) for c in v)
    n = math.sqrt(x * x + y * y + z * z)
    if not math.isfinite(n) or n < 1e-9:
        raise ValueError(f"{name} must be a finite non-zero vector, got {v}")
    return (x / n, y / n, z / n)


@dataclass(frozen=True)
class BurnPlan:
    """One planned burn, as guidance hands it to the sequencer."""

    burn_id: int
    name: str
    t_ignition_s: float
    dv_target_mps: float
    accel_nominal_mps2: float  # planned thrust over mass at ignition
    thrust_dir_eci: Vec3  # unit vector along which the stack must thrust (burn attitude)
    final: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.burn_id, bool) or not isinstance(self.burn_id, int) or self.burn_id < 0:
            raise ValueError(f"burn_id must be a non-negative integer, got {self.burn_id!r}")
        if not math.isfinite(self.t_ignition_s):
            raise ValueError(f"t_ignition_s must be finite, got {self.t_ignition_s!r}")
        if not (math.isfinite(self.dv_target_mps) and self.dv_target_mps > 0.0):
            raise ValueError(f"dv_target_mps must be positive and finite, got {self.dv_target_mps!r}")
        if not (math.isfinite(self.accel_nominal_mps2) and self.accel_nominal_mps2 > 0.0):
            raise ValueError(f"accel_nominal_mps2 must be positive, got {self.accel_nominal_mps2!r}")
        object.__setattr__(self, "thrust_dir_eci", _unit3("thrust_dir_eci", self.thrust_dir_eci))

    @property
    def planned_duration_s(self) -> float:
        return self.dv_target_mps / self.accel_nominal_mps2

    def to_dict(self) -> dict[str, Any]:
        return {
            "burn_id": self.burn_id,
            "name": self.name,
            "t_ignition_s": self.t_ignition_s,
            "dv_target_mps": self.dv_target_mps,
            "accel_nominal_mps2": self.accel_nominal_mps2,
            "thrust_dir_eci": list(self.thrust_dir_eci),
            "final": self.final,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> BurnPlan:
        try:
            return cls(
                burn_id=int(d["burn_id"]),
                name=str(d["name"]),
                t_ignition_s=float(d["t_ignition_s"]),
                dv_target_mps=float(d["dv_target_mps"]),
                accel_nominal_mps2=float(d["accel_nominal_mps2"]),
                thrust_dir_eci=tuple(float(x) for x in d["thrust_dir_eci"]),  # type: ignore[arg-type]
                final=bool(d["final"]),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed burn plan record: {exc!r}") from None


class BurnOutcome(enum.Enum):
    COMPLETED = "completed"  # cut off on delta-v (trimmed if needed)
    MAX_DURATION = "max_duration"  # cut off by the burn duration bound
    STOPPED = "stopped"  # NO_GO during the burn
    IGNITION_FAILED = "ignition_failed"  # no thrust measured within the ignition timeout
    ABORTED = "aborted"  # ABORT, SAFE or a fault during the burn
    INTERRUPTED = "interrupted"  # the flight software restarted during the burn


@dataclass(frozen=True)
class BurnResult:
    burn_id: int
    name: str
    final: bool
    t_ignition_s: float
    duration_s: float
    dv_target_mps: float
    dv_achieved_mps: float
    outcome: BurnOutcome

    def to_dict(self) -> dict[str, Any]:
        return {
            "burn_id": self.burn_id,
            "name": self.name,
            "final": self.final,
            "t_ignition_s": self.t_ignition_s,
            "duration_s": self.duration_s,
            "dv_target_mps": self.dv_target_mps,
            "dv_achieved_mps": self.dv_achieved_mps,
            "outcome": self.outcome.value,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> BurnResult:
        try:
            return cls(
                burn_id=int(d["burn_id"]),
                name=str(d["name"]),
                final=bool(d["final"]),
                t_ignition_s=float(d["t_ignition_s"]),
                duration_s=float(d["duration_s"]),
                dv_target_mps=float(d["dv_target_mps"]),
                dv_achieved_mps=float(d["dv_achieved_mps"]),
                outcome=BurnOutcome(d["outcome"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed burn result record: {exc!r}") from None


# ---------------------------------------------------------------------------------------- intents


@dataclass(frozen=True)
class SetImuRate:
    rate_hz: float


@dataclass(frozen=True)
class PointAt:
    """Attitude control: align the main thrust axis with ``thrust_dir_eci``."""

    burn_id: int
    thrust_dir_eci: Vec3


@dataclass(frozen=True)
class HoldAttitude:
    """Attitude control: back to the coast attitude mode (the station's own control while disarmed)."""


@dataclass(frozen=True)
class ArmPrepare:
    code: int


@dataclass(frozen=True)
class ArmConfirm:
    code: int


@dataclass(frozen=True)
class Disarm:
    pass


@dataclass(frozen=True)
class MainValves:
    """Main-burn mode on (every deorbit thruster open each cycle) or off."""

    open: bool
    burn_id: int


@dataclass(frozen=True)
class TrimThrust:
    """Attitude thrusters pushing along the thrust axis, for a trim, on or off."""

    open: bool
    burn_id: int


@dataclass(frozen=True)
class CloseAllValves:
    pass


@dataclass(frozen=True)
class PersistPlan:
    """Make the plan, its GO and the crew-clear flag durable (plain data, ``Sequencer.plan_record``)."""

    record: Mapping[str, Any]


@dataclass(frozen=True)
class PersistIgnition:
    """Make the ignition of ``burn_id`` durable; must complete before the next intent is executed."""

    burn_id: int
    t_s: float
    plan: Mapping[str, Any]


@dataclass(frozen=True)
class PersistBurnResult:
    result: BurnResult


@dataclass(frozen=True)
class Emit:
    event: Event


Intent = (
    SetImuRate
    | PointAt
    | HoldAttitude
    | ArmPrepare
    | ArmConfirm
    | Disarm
    | MainValves
    | TrimThrust
    | CloseAllValves
    | PersistPlan
    | PersistIgnition
    | PersistBurnResult
    | Emit
)


# ------------------------------------------------------------------------------------ the machine


@dataclass
class _Burn:
    """Progress of the burn under way (from ignition to its result)."""

    plan: BurnPlan
    t_ignition_s: float
    dv_mps: float = 0.0
    accel_est_mps2: float = 0.0
    interval_s: float = 0.0
    t_cutoff_s: float | None = None
    outcome: BurnOutcome | None = None
    trim_stop_s: float | None = None


@dataclass
class _Safe:
    t_entry_s: float
    t_last_send_s: float
    retries: int = 0
    confirmed: bool = False
    gave_up: bool = False


class Sequencer:
    """The burn state machine. Construct with a config; ``restore`` rebuilds one from journal data."""

    def __init__(self, config: FlightConfig | None = None) -> None:
        self.config = config or FlightConfig()
        self.state = SeqState.IDLE
        self.plan: BurnPlan | None = None
        self.go_burn_id: int | None = None
        self.crew_clear = False
        self.burns: dict[int, BurnResult | None] = {}  # ignited burn ids; None while under way
        self._t_s = -math.inf
        self._t_entry_s = -math.inf
        self._status: ThrusterStatus | None = None
        self._status_rx_s = -math.inf  # spacecraft time at which the latest status was received
        self._confirm_sent = False
        self._settled_since_s: float | None = None
        self._burn: _Burn | None = None
        self._safe: _Safe | None = None
        self._interlock_reported = False

    # ---------------------------------------------------------------------------- persistence

    def plan_record(self) -> dict[str, Any]:
        """The plan, its GO, the crew-clear flag and whether in SAFE, as plain data for the journal."""
        return {
            "plan": None if self.plan is None else self.plan.to_dict(),
            "go_burn_id": self.go_burn_id,
            "crew_clear": self.crew_clear,
            "safe": self.state is SeqState.SAFE,
        }

    @classmethod
    def restore(
        cls,
        config: FlightConfig,
        plan_record: Mapping[str, Any] | None,
        burns: Mapping[int, BurnResult | None],
        t_s: float,
        ignitions: Mapping[int, tuple[float, Mapping[str, Any]]] | None = None,
    ) -> tuple[Sequencer, list[Intent]]:
        """Rebuild after a restart from journal data; returns the sequencer and the intents to run first.

        The first intents always close every valve and disarm the board: whatever the previous life left
        armed is made safe before anything else. A burn that ignited without a recorded result was
        interrupted by the restart: it is closed as INTERRUPTED (its achieved delta-v unknown, NaN; name,
        target and ignition time from ``ignitions`` when given) and the sequencer starts in SAFE, so the
        ground decides what follows. A sequencer that was in SAFE comes back in SAFE. Otherwise the plan is
        picked up where it stood (PLANNED or GO_RECEIVED; arming starts again when its time comes).
        """
        seq = cls(config)
        seq._t_s = t_s
        seq.burns = dict(burns)
        out: list[Intent] = [CloseAllValves(), Disarm()]
        was_safe = False
        if plan_record is not None:
            seq.crew_clear = bool(plan_record.get("crew_clear", False))
            was_safe = bool(plan_record.get("safe", False))
            raw_plan = plan_record.get("plan")
            plan = None if raw_plan is None else BurnPlan.from_dict(raw_plan)
            if plan is not None and plan.burn_id not in seq.burns:
                seq.plan = plan
                go = plan_record.get("go_burn_id")
                seq.go_burn_id = plan.burn_id if go == plan.burn_id else None
        interrupted = sorted(bid for bid, res in seq.burns.items() if res is None)
        for bid in interrupted:
            t_ig, raw = (ignitions or {}).get(bid, (math.nan, {}))
            result = BurnResult(
                burn_id=bid,
                name=str(raw.get("name", f"burn-{bid}")),
                final=bool(raw.get("final", False)),
                t_ignition_s=float(t_ig),
                duration_s=math.nan,
                dv_target_mps=float(raw.get("dv_target_mps", math.nan)),
                dv_achieved_mps=math.nan,
                outcome=BurnOutcome.INTERRUPTED,
            )
            seq.burns[bid] = result
            out.append(PersistBurnResult(result))
        if interrupted:
            seq.plan = None
            seq.go_burn_id = None
            out += seq._enter_safe(t_s, f"restart during burn {interrupted}", Severity.CRITICAL)
        elif was_safe:
            out += seq._enter_safe(t_s, "restart in SAFE", Severity.WARNING)
        elif seq.plan is not None:
            seq._set_state(SeqState.GO_RECEIVED if seq.go_burn_id is not None else SeqState.PLANNED, t_s,
                           "restored", out)
        else:
            seq._set_state(SeqState.IDLE, t_s, "restored", out)
        return seq, out

    # ----------------------------------------------------------------------------- properties

    @property
    def t_s(self) -> float:
        return self._t_s

    @property
    def done_burn_ids(self) -> frozenset[int]:
        return frozenset(self.burns)

    @property
    def dv_measured_mps(self) -> float:
        """Delta-v measured along the thrust axis since ignition of the burn under way (0 when none)."""
        return 0.0 if self._burn is None else self._burn.dv_mps

    @property
    def main_valves_commanded_open(self) -> bool:
        return self.state in (SeqState.IGNITION, SeqState.BURN)

    @property
    def trim_commanded_on(self) -> bool:
        return self.state is SeqState.TRIM and self._burn is not None and self._burn.trim_stop_s is None

    def telemetry(self) -> Telemetry:
        """The sequencer's state for the ground, at the time of its latest input."""
        plan = self.plan
        return Telemetry(self._t_s, "sequencer", {
            "state": self.state.value,
            "burn_id": -1 if plan is None else plan.burn_id,
            "t_ignition_s": math.nan if plan is None else plan.t_ignition_s,
            "dv_target_mps": math.nan if plan is None else plan.dv_target_mps,
            "dv_measured_mps": self.dv_measured_mps,
            "go": self.go_burn_id is not None,
            "crew_clear": self.crew_clear,
            "burns_done": len(self.burns),
            "safe_confirmed": self._safe is not None and self._safe.confirmed,
        })

    # ------------------------------------------------------------------------------- helpers

    def _peek(self, t_s: float) -> float:
        """The time an input at ``t_s`` will be handled at, without changing anything."""
        if not math.isfinite(t_s):
            raise ValueError(f"spacecraft time must be finite, got {t_s!r}")
        return max(t_s, self._t_s)

    def _advance(self, t_s: float, out: list[Intent]) -> float:
        if not math.isfinite(t_s):
            raise ValueError(f"spacecraft time must be finite, got {t_s!r}")
        if t_s < self._t_s:
            out.append(self._event(Severity.WARNING, "sequencer.time_backwards",
                                   f"time {t_s!r} s before last {self._t_s!r} s; ignored the step back"))
            return self._t_s
        self._t_s = t_s
        return t_s

    def _event(self, severity: Severity, name: str, message: str, **data: float | int | str | bool) -> Emit:
        return Emit(Event(self._t_s, severity, name, message, data))

    def _set_state(self, new: SeqState, t_s: float, why: str, out: list[Intent],
                   severity: Severity = Severity.INFO) -> None:
        old = self.state
        self.state = new
        self._t_entry_s = t_s
        out.append(self._event(severity, "sequencer.state", f"{old.value} -> {new.value}: {why}",
                               old=old.value, new=new.value))

    def _status_fresh(self, since_s: float) -> ThrusterStatus | None:
        """The latest status if it was received strictly after ``since_s`` (so it reflects what was
        commanded at ``since_s``)."""
        s = self._status
        return s if s is not None and self._status_rx_s > since_s else None

    def _board_armed(self) -> bool:
        s = self._status
        return (s is not None and s.arm_state is ArmState.ARMED
                and self._t_s - self._status_rx_s <= self.config.thruster_status_max_age_s)

    def _tolerance_mps(self, plan: BurnPlan) -> float:
        return self.config.cutoff_tolerance_fraction * plan.dv_target_mps

    def _max_duration_s(self, plan: BurnPlan) -> float:
        return min(self.config.max_burn_duration_factor * plan.planned_duration_s,
                   self.config.max_burn_duration_s)

    def _should_cut(self, burn: _Burn, trim: bool = False) -> bool:
        cfg = self.config
        a_max = cfg.trim_accel_max_mps2 if trim else cfg.accel_max_mps2
        interval = max(burn.interval_s, cfg.control_cycle_s)
        a_est = min(max(burn.accel_est_mps2, 0.0), a_max)
        target = burn.plan.dv_target_mps
        # aim: cut now if that lands nearer the target than cutting at the next sample would
        aim = burn.dv_mps + a_est * (cfg.cutoff_lead_s + 0.5 * interval) >= target
        # bound: waiting one more sample could pass target + tolerance at the largest acceleration
        tol = self._tolerance_mps(burn.plan)
        bound = burn.dv_mps + a_max * (cfg.cutoff_lead_s + interval) >= target + tol
        return aim or bound

    # ---------------------------------------------------------------------------- transitions

    def _enter_safe(self, t_s: float, why: str, severity: Severity = Severity.WARNING) -> list[Intent]:
        out: list[Intent] = [CloseAllValves(), Disarm(), HoldAttitude()]
        burn = self._burn
        if burn is not None and self.state in THRUSTING_STATES:
            out += self._close_burn(t_s, burn, burn.outcome or BurnOutcome.ABORTED)
        self._burn = None
        self.go_burn_id = None
        self._settled_since_s = None
        self._safe = _Safe(t_entry_s=t_s, t_last_send_s=t_s)
        self._set_state(SeqState.SAFE, t_s, why, out, severity)
        out.append(PersistPlan(self.plan_record()))
        return out

    def _close_burn(self, t_s: float, burn: _Burn, outcome: BurnOutcome) -> list[Intent]:
        t_cut = burn.t_cutoff_s if burn.t_cutoff_s is not None else t_s
        result = BurnResult(
            burn_id=burn.plan.burn_id,
            name=burn.plan.name,
            final=burn.plan.final,
            t_ignition_s=burn.t_ignition_s,
            duration_s=t_cut - burn.t_ignition_s,
            dv_target_mps=burn.plan.dv_target_mps,
            dv_achieved_mps=burn.dv_mps,
            outcome=outcome,
        )
        self.burns[burn.plan.burn_id] = result
        sev = Severity.INFO if outcome is BurnOutcome.COMPLETED else Severity.WARNING
        return [
            PersistBurnResult(result),
            self._event(sev, "sequencer.burn_result",
                        f"burn {result.burn_id} {outcome.value}: {result.dv_achieved_mps:.4f} of "
                        f"{result.dv_target_mps:.4f} m/s in {result.duration_s:.1f} s",
                        burn_id=result.burn_id, dv_achieved_mps=result.dv_achieved_mps,
                        dv_target_mps=result.dv_target_mps, outcome=outcome.value),
        ]

    def _finish_burn(self, t_s: float, burn: _Burn, why: str) -> list[Intent]:
        out = self._close_burn(t_s, burn, burn.outcome or BurnOutcome.COMPLETED)
        out += [Disarm(), HoldAttitude(), SetImuRate(self.config.imu_rate_coast_hz)]
        self._burn = None
        self.plan = None
        self.go_burn_id = None
        self._set_state(SeqState.IDLE, t_s, why, out)
        out.append(PersistPlan(self.plan_record()))
        return out

    def _stand_down(self, t_s: float, why: str, out: list[Intent]) -> None:
        """From an armed pre-ignition state back to PLANNED: disarm, coast attitude, GO withdrawn."""
        out += [Disarm(), HoldAttitude(), SetImuRate(self.config.imu_rate_coast_hz)]
        self.go_burn_id = None
        self._settled_since_s = None
        self._set_state(SeqState.PLANNED, t_s, why, out)
        out.append(PersistPlan(self.plan_record()))

    def _begin_cutoff(self, t_s: float, burn: _Burn, outcome: BurnOutcome, why: str) -> list[Intent]:
        burn.t_cutoff_s = t_s
        burn.outcome = outcome
        out: list[Intent] = [MainValves(open=False, burn_id=burn.plan.burn_id)]
        self._set_state(SeqState.CUTOFF, t_s, why, out)
        return out

    def _step(self, t: float) -> list[Intent]:
        """Time-driven and status-driven transitions; called by every input after it is applied."""
        cfg = self.config
        out: list[Intent] = []
        st = self.state
        plan = self.plan
        if st in ARMED_STATES:
            if t - max(self._status_rx_s, self._t_entry_s) > cfg.thruster_status_max_age_s:
                return self._enter_safe(t, "thruster board silent", Severity.ERROR)
            s = self._status_fresh(self._t_entry_s)
            if st is not SeqState.ARMING and s is not None and s.arm_state is not ArmState.ARMED:
                return self._enter_safe(t, f"thruster board reports {s.arm_state.value}", Severity.ERROR)
        # valves open that nothing commanded (a stuck valve), once the board has had time to close them
        s = self._status_fresh(self._t_entry_s + cfg.cutoff_timeout_s)
        if s is not None and st is not SeqState.SAFE:
            if st not in ARMED_STATES and not s.all_valves_closed:
                return self._enter_safe(t, f"valves open while disarmed (0x{s.valves_open:x})",
                                        Severity.CRITICAL)
            if st in (SeqState.ARMING, SeqState.SLEW, SeqState.SETTLE, SeqState.TRIM) and s.main_valves_open:
                return self._enter_safe(t, "main valves open without a main-burn command", Severity.CRITICAL)

        if (st in (SeqState.PLANNED, SeqState.GO_RECEIVED) and plan is not None
                and t > plan.t_ignition_s + cfg.ignition_late_max_s):
            out.append(self._event(Severity.WARNING, "sequencer.window_missed",
                                   f"ignition window of burn {plan.burn_id} passed without arming",
                                   burn_id=plan.burn_id))
            self.plan = None
            self.go_burn_id = None
            self._set_state(SeqState.IDLE, t, "ignition window missed", out, Severity.WARNING)
            out.append(PersistPlan(self.plan_record()))
            return out
        if st is SeqState.GO_RECEIVED and plan is not None and t >= plan.t_ignition_s - cfg.arm_lead_s:
            if plan.final and not self.crew_clear:
                if not self._interlock_reported:
                    self._interlock_reported = True
                    out.append(self._event(Severity.WARNING, "sequencer.interlock",
                                           f"final burn {plan.burn_id} not armed: no CREW_CLEAR",
                                           burn_id=plan.burn_id))
                return out
            self._confirm_sent = False
            out += [SetImuRate(cfg.imu_rate_burn_hz), ArmPrepare(cfg.arm_code)]
            self._set_state(SeqState.ARMING, t, f"arming for burn {plan.burn_id}", out)
            return out
        if st is SeqState.ARMING and plan is not None:
            s = self._status_fresh(self._t_entry_s)
            if s is not None and s.faults & ThrusterFaults.ARM_REJECTED:
                return self._enter_safe(t, "thruster board rejected arming", Severity.ERROR)
            if s is not None and s.arm_state is ArmState.ARMED:
                out.append(PointAt(plan.burn_id, plan.thrust_dir_eci))
                self._settled_since_s = None
                self._set_state(SeqState.SLEW, t, "board armed", out)
                return out
            if s is not None and s.arm_state is ArmState.PREPARED and not self._confirm_sent:
                self._confirm_sent = True
                out.append(ArmConfirm(cfg.arm_code))
            if t - self._t_entry_s > cfg.arm_timeout_s:
                return out + self._enter_safe(t, "arming timed out", Severity.ERROR)
            return out
        if st in (SeqState.SLEW, SeqState.SETTLE) and plan is not None:
            if t > plan.t_ignition_s + cfg.ignition_late_max_s:
                return self._enter_safe(t, "burn attitude not reached before the ignition window closed",
                                        Severity.ERROR)
            if st is SeqState.SLEW and t - self._t_entry_s > cfg.slew_timeout_s:
                return self._enter_safe(t, "slew timed out", Severity.ERROR)
            if (st is SeqState.SETTLE and self._settled_since_s is not None
                    and t - self._settled_since_s >= cfg.settle_time_s and t >= plan.t_ignition_s):
                return self._ignite(t, plan)
            return out
        burn = self._burn
        if st is SeqState.IGNITION and burn is not None and t - self._t_entry_s > cfg.ignition_timeout_s:
            return self._begin_cutoff(t, burn, BurnOutcome.IGNITION_FAILED, "no thrust measured")
        if st in (SeqState.IGNITION, SeqState.BURN) and burn is not None:
            if t - burn.t_ignition_s >= self._max_duration_s(burn.plan) - cfg.control_cycle_s:
                return self._begin_cutoff(t, burn, BurnOutcome.MAX_DURATION, "maximum burn duration")
            return out
        if st is SeqState.CUTOFF and burn is not None:
            s = self._status_fresh(self._t_entry_s)
            if s is not None and not s.main_valves_open and t - self._t_entry_s >= cfg.cutoff_lead_s:
                if burn.outcome is BurnOutcome.IGNITION_FAILED:
                    return self._enter_safe(t, f"ignition of burn {burn.plan.burn_id} failed", Severity.ERROR)
                residual = burn.plan.dv_target_mps - burn.dv_mps
                if (burn.outcome in (BurnOutcome.COMPLETED, BurnOutcome.MAX_DURATION)
                        and self._tolerance_mps(burn.plan) < residual <= cfg.trim_max_dv_mps
                        and self._board_armed()):
                    out.append(TrimThrust(open=True, burn_id=burn.plan.burn_id))
                    self._set_state(SeqState.TRIM, t, f"trim of {residual:.4f} m/s", out)
                    return out
                return self._finish_burn(t, burn, "main valves closed")
            if t - self._t_entry_s > cfg.cutoff_timeout_s:
                return self._enter_safe(t, "main valves not confirmed closed", Severity.CRITICAL)
            return out
        if st is SeqState.TRIM and burn is not None:
            if burn.trim_stop_s is None:
                if t - self._t_entry_s > cfg.trim_timeout_s:
                    burn.trim_stop_s = t
                    out += [TrimThrust(open=False, burn_id=burn.plan.burn_id),
                            self._event(Severity.WARNING, "sequencer.trim_timeout", "trim timed out")]
                return out
            s = self._status_fresh(burn.trim_stop_s)
            if s is not None and s.all_valves_closed and t - burn.trim_stop_s >= cfg.cutoff_lead_s:
                return self._finish_burn(t, burn, "trim done")
            if t - burn.trim_stop_s > cfg.cutoff_timeout_s:
                return self._enter_safe(t, "trim valves not confirmed closed", Severity.CRITICAL)
            return out
        if st is SeqState.SAFE and self._safe is not None:
            sf = self._safe
            s = self._status_fresh(sf.t_last_send_s)
            if s is not None and s.all_valves_closed and s.arm_state is ArmState.DISARMED:
                if not sf.confirmed:
                    sf.confirmed = True
                    out.append(self._event(Severity.INFO, "sequencer.safe_confirmed",
                                           "board reports all valves closed and disarmed"))
                return out
            if sf.confirmed and s is not None:  # safe was confirmed, and now the board says otherwise
                sf.confirmed = False
                out.append(self._event(Severity.CRITICAL, "sequencer.safe_lost",
                                       f"board reports {s.arm_state.value}, valves 0x{s.valves_open:x}"))
            if sf.confirmed:
                return out
            if t - sf.t_last_send_s >= cfg.safe_confirm_timeout_s:
                if sf.retries < cfg.safe_max_retries:
                    sf.retries += 1
                    sf.t_last_send_s = t
                    out += [CloseAllValves(), Disarm(),
                            self._event(Severity.ERROR, "sequencer.safe_retry",
                                        f"board has not confirmed safe; re-sent ({sf.retries})",
                                        retries=sf.retries)]
                elif not sf.gave_up:
                    sf.gave_up = True
                    out.append(self._event(Severity.CRITICAL, "sequencer.safe_unconfirmed",
                                           "board never confirmed closed valves and disarm"))
        return out

    def _ignite(self, t: float, plan: BurnPlan) -> list[Intent]:
        out: list[Intent] = []
        if plan.burn_id in self.burns:  # unreachable through load_plan; a second line of defence
            return self._enter_safe(t, f"burn {plan.burn_id} already ignited once", Severity.CRITICAL)
        if plan.final and not (self.crew_clear and self.go_burn_id == plan.burn_id):
            return self._enter_safe(t, "final burn interlock", Severity.CRITICAL)
        if self.go_burn_id != plan.burn_id or not self._board_armed():
            return self._enter_safe(t, "ignition interlock (GO or arming)", Severity.CRITICAL)
        self.burns[plan.burn_id] = None
        self._burn = _Burn(plan=plan, t_ignition_s=t)
        out.append(PersistIgnition(plan.burn_id, t, plan.to_dict()))
        out.append(MainValves(open=True, burn_id=plan.burn_id))
        self._set_state(SeqState.IGNITION, t, f"ignition of burn {plan.burn_id}", out)
        return out

    # -------------------------------------------------------------------------------- inputs

    def tick(self, t_s: float) -> list[Intent]:
        """Let time pass (timeouts, ignition time, arming lead)."""
        out: list[Intent] = []
        t = self._advance(t_s, out)
        return out + self._step(t)

    def load_plan(self, t_s: float, plan: BurnPlan) -> list[Intent]:
        """Load or replace the next burn's plan (from guidance). A GO is kept only for the same burn id."""
        if plan.burn_id in self.burns:
            raise Rejected(AckReason.BURN_DONE, f"burn {plan.burn_id} has already ignited")
        if self.state not in (SeqState.IDLE, SeqState.PLANNED, SeqState.GO_RECEIVED):
            raise Rejected(AckReason.WRONG_STATE, f"cannot load a plan in {self.state.value}")
        if plan.t_ignition_s + self.config.ignition_late_max_s < self._peek(t_s):
            raise Rejected(AckReason.OUT_OF_RANGE, "ignition time already past")
        if plan.accel_nominal_mps2 > self.config.accel_max_mps2:
            raise Rejected(AckReason.OUT_OF_RANGE,
                           f"planned acceleration {plan.accel_nominal_mps2} m/s^2 above the bound "
                           f"{self.config.accel_max_mps2} m/s^2 the cutoff relies on")
        if plan.planned_duration_s > self.config.max_burn_duration_s:
            raise Rejected(AckReason.OUT_OF_RANGE,
                           f"planned duration {plan.planned_duration_s:.0f} s above the bound "
                           f"{self.config.max_burn_duration_s:.0f} s")
        out: list[Intent] = []
        t = self._advance(t_s, out)
        keep_go = self.go_burn_id == plan.burn_id
        self.plan = plan
        self._interlock_reported = False
        if not keep_go:
            self.go_burn_id = None
        new = SeqState.GO_RECEIVED if keep_go else SeqState.PLANNED
        self._set_state(new, t, f"plan for burn {plan.burn_id} ({plan.name})", out)
        out.append(PersistPlan(self.plan_record()))
        return out + self._step(t)

    def crew_clear_received(self, t_s: float) -> list[Intent]:
        """The ground confirms every crew member has left: the final burn may be armed."""
        out: list[Intent] = []
        t = self._advance(t_s, out)
        if not self.crew_clear:
            self.crew_clear = True
            out += [self._event(Severity.INFO, "sequencer.crew_clear", "crew clear received"),
                    PersistPlan(self.plan_record())]
        return out + self._step(t)

    def _check_burn_ref(self, burn_id: int) -> BurnPlan:
        if burn_id in self.burns:
            raise Rejected(AckReason.BURN_DONE, f"burn {burn_id} has already ignited")
        if self.plan is None or self.plan.burn_id != burn_id:
            planned = "none" if self.plan is None else str(self.plan.burn_id)
            raise Rejected(AckReason.UNKNOWN_BURN, f"burn {burn_id} is not the planned burn ({planned})")
        return self.plan

    def go(self, t_s: float, burn_id: int) -> list[Intent]:
        """The ground's GO for one burn id."""
        self._peek(t_s)
        if self.state is SeqState.SAFE:
            raise Rejected(AckReason.WRONG_STATE, "in SAFE: RESUME first")
        self._check_burn_ref(burn_id)
        if self.state in ARMED_STATES:
            raise Rejected(AckReason.WRONG_STATE, f"burn sequence under way ({self.state.value})")
        out: list[Intent] = []
        t = self._advance(t_s, out)
        if self.go_burn_id != burn_id:
            self.go_burn_id = burn_id
            self._interlock_reported = False
            self._set_state(SeqState.GO_RECEIVED, t, f"GO for burn {burn_id}", out)
            out.append(PersistPlan(self.plan_record()))
        return out + self._step(t)

    def no_go(self, t_s: float, burn_id: int) -> list[Intent]:
        """The ground withdraws its GO: stand down before ignition, cut off during the burn."""
        self._peek(t_s)
        burn = self._burn
        running = burn is not None and burn.plan.burn_id == burn_id and self.state in THRUSTING_STATES
        if not running:
            self._check_burn_ref(burn_id)
        out: list[Intent] = []
        t = self._advance(t_s, out)
        if burn is not None and running:
            if self.state in (SeqState.IGNITION, SeqState.BURN):
                out += self._begin_cutoff(t, burn, BurnOutcome.STOPPED, "NO-GO")
            elif self.state is SeqState.TRIM and burn.trim_stop_s is None:
                burn.trim_stop_s = t
                out.append(TrimThrust(open=False, burn_id=burn_id))
            return out + self._step(t)
        plan = self._check_burn_ref(burn_id)  # checked above; repeated to narrow the type
        if self.state in (SeqState.ARMING, SeqState.SLEW, SeqState.SETTLE):
            self._stand_down(t, f"NO-GO for burn {plan.burn_id}", out)
        elif self.state is SeqState.GO_RECEIVED:
            self.go_burn_id = None
            self._set_state(SeqState.PLANNED, t, f"NO-GO for burn {plan.burn_id}", out)
            out.append(PersistPlan(self.plan_record()))
        else:
            self.go_burn_id = None
        return out + self._step(t)

    def abort(self, t_s: float, why: str = "ABORT") -> list[Intent]:
        """Abort whatever is under way: every valve closed, board disarmed, SAFE. Always accepted."""
        out: list[Intent] = []
        t = self._advance(t_s, out)
        return out + self._enter_safe(t, why, Severity.WARNING)

    def fault(self, t_s: float, name: str, message: str) -> list[Intent]:
        """A fault from FDIR that calls for SAFE (IMU failed, thruster underperformance, link loss...)."""
        out: list[Intent] = []
        t = self._advance(t_s, out)
        out.append(self._event(Severity.ERROR, f"fault.{name}", message))
        return out + self._enter_safe(t, f"fault {name}", Severity.ERROR)

    def resume(self, t_s: float) -> list[Intent]:
        """Leave SAFE once the board has confirmed closed valves and disarm."""
        self._peek(t_s)
        if self.state is not SeqState.SAFE:
            raise Rejected(AckReason.WRONG_STATE, f"not in SAFE ({self.state.value})")
        if self._safe is None or not self._safe.confirmed:
            raise Rejected(AckReason.INTERLOCK, "the board has not confirmed all valves closed and disarmed")
        out: list[Intent] = []
        t = self._advance(t_s, out)
        self._safe = None
        out.append(SetImuRate(self.config.imu_rate_coast_hz))
        if self.plan is not None and self.plan.burn_id not in self.burns:
            self._set_state(SeqState.PLANNED, t, "resumed", out)
        else:
            self.plan = None
            self._set_state(SeqState.IDLE, t, "resumed", out)
        out.append(PersistPlan(self.plan_record()))
        return out + self._step(t)

    def attitude_error(self, t_s: float, error_rad: float) -> list[Intent]:
        """Angle between the commanded and the estimated attitude (from control/navigation)."""
        out: list[Intent] = []
        t = self._advance(t_s, out)
        if not (math.isfinite(error_rad) and error_rad >= 0.0):
            out.append(self._event(Severity.WARNING, "sequencer.bad_input",
                                   f"attitude error {error_rad!r} rad ignored"))
            return out + self._step(t)
        within = error_rad <= self.config.attitude_error_max_rad
        if self.state is SeqState.SLEW and within:
            self._settled_since_s = t
            self._set_state(SeqState.SETTLE, t, f"attitude error {math.degrees(error_rad):.3f} deg", out)
        elif self.state is SeqState.SETTLE and not within:
            self._settled_since_s = None
            self._set_state(SeqState.SLEW, t, f"attitude error {math.degrees(error_rad):.3f} deg", out)
        return out + self._step(t)

    def delta_v(self, t_s: float, ddv_mps: float, interval_s: float) -> list[Intent]:
        """Measured delta-v along the thrust axis over ``interval_s`` ending at ``t_s`` (from navigation)."""
        out: list[Intent] = []
        t = self._advance(t_s, out)
        if not (math.isfinite(ddv_mps) and math.isfinite(interval_s) and interval_s > 0.0):
            out.append(self._event(Severity.WARNING, "sequencer.bad_input",
                                   f"delta-v sample ({ddv_mps!r} m/s over {interval_s!r} s) ignored"))
            return out + self._step(t)
        burn = self._burn
        if burn is None or self.state not in THRUSTING_STATES:
            return out + self._step(t)
        burn.dv_mps += ddv_mps
        burn.interval_s = interval_s
        burn.accel_est_mps2 = ddv_mps / interval_s
        if self.state is SeqState.IGNITION and (
            burn.accel_est_mps2 >= self.config.ignition_accel_min_fraction * burn.plan.accel_nominal_mps2
        ):
            self._set_state(SeqState.BURN, t, f"thrust confirmed ({burn.accel_est_mps2:.4f} m/s^2)", out)
        if self.state in (SeqState.IGNITION, SeqState.BURN) and self._should_cut(burn):
            out += self._begin_cutoff(t, burn, BurnOutcome.COMPLETED, f"delta-v {burn.dv_mps:.4f} m/s")
        elif self.state is SeqState.TRIM and burn.trim_stop_s is None and self._should_cut(burn, trim=True):
            burn.trim_stop_s = t
            out.append(TrimThrust(open=False, burn_id=burn.plan.burn_id))
        return out + self._step(t)

    def thruster_status(self, t_s: float, status: ThrusterStatus) -> list[Intent]:
        """A status report of the thruster board, received at spacecraft time ``t_s``."""
        out: list[Intent] = []
        t = self._advance(t_s, out)
        if self._status is None or status.t_s >= self._status.t_s:
            self._status = status
            self._status_rx_s = t
        return out + self._step(t)
