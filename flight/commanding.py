"""Dispatch of verified ground telecommands to the sequencer and the other consumers.

Telecommands reach this layer already authenticated by ``flight.security`` (forged and replayed packets
never get here). Each is judged once: accepted, or rejected with a reason (:class:`flight.ports.AckReason`),
and logged as an event. A command id never acts twice, across restarts too: the commander emits a
``PersistCommand`` intent *first* in every accepted-or-rejected batch (write-ahead), and a restarted
commander is built with the ids the journal holds.

Like the sequencer, the commander is pure and synchronous: :meth:`Commander.handle` returns the
acknowledgement and the intents for the executive, in order. Intents for consumers that are not the
sequencer:

- ``ApplyStateVector`` goes to navigation (and guidance re-plans);
- ``ApplyAimPoint`` goes to guidance;
- the sequencer's ``SetImuRate`` goes to the IMU port.

Range checks (reason OUT_OF_RANGE): a state vector's radius within [R_E + 80 km, R_E + 2,000 km] and speed
within [6.5, 8.5] km/s (low Earth orbit, the campaign's whole envelope: circular speed is 7.8 km/s at 220 km),
its epoch within ``state_vector_max_age_s`` of spacecraft time; an aim point's latitude in [-90, 90] deg and
longitude in [-180, 180] deg; an IMU rate within the configured bounds. Interlocks (reason INTERLOCK): the
IMU rate cannot drop below the burn rate while the thruster board is armed (cutoff depends on it).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from flight.config import FlightConfig
from flight.ports import (
    ARGS_OF_KIND,
    AckReason,
    AimArgs,
    BurnRef,
    Event,
    ImuRateArgs,
    Severity,
    StateVectorArgs,
    Telecommand,
    TelecommandAck,
    TelecommandKind,
    Vec3,
)
from flight.sequencer import ARMED_STATES, THRUSTING_STATES, Emit, Intent, Rejected, Sequencer, SetImuRate

#: WGS-84 equatorial radius (reference/earth_constants.json).
EARTH_RADIUS_M = 6378137.0
STATE_VECTOR_RADIUS_M = (EARTH_RADIUS_M + 80e3, EARTH_RADIUS_M + 2000e3)
STATE_VECTOR_SPEED_MPS = (6.5e3, 8.5e3)


@dataclass(frozen=True)
class ApplyStateVector:
    """A ground state vector for navigation (ECI, epoch in seconds of UTC since J2000)."""

    command_id: int
    epoch_s: float
    r_eci_m: Vec3
    v_eci_mps: Vec3


@dataclass(frozen=True)
class ApplyAimPoint:
    """A new aim point for the debris footprint, for guidance."""

    command_id: int
    lat_deg: float
    lon_deg: float


@dataclass(frozen=True)
class PersistCommand:
    """Make this command id durable (with the authenticator's state, opaque) before anything else runs."""

    command_id: int
    kind: str
    reason: str
    t_s: float
    auth_state: Mapping[str, Any] | bytes | None = None


_A = TypeVar("_A")


def _args(tc: Telecommand, cls: type[_A]) -> _A:
    if not isinstance(tc.args, cls):
        raise Rejected(AckReason.MALFORMED, f"{tc.kind.value} takes {cls.__name__}")
    return tc.args


CommandIntent = Intent | ApplyStateVector | ApplyAimPoint | PersistCommand


@dataclass(frozen=True)
class Dispatch:
    ack: TelecommandAck
    intents: list[CommandIntent]


class Commander:
    """Judges each verified telecommand once and routes it; counts what it accepted and rejected."""

    def __init__(self, sequencer: Sequencer, config: FlightConfig | None = None,
                 handled_ids: Iterable[int] = (), disabled: Iterable[TelecommandKind] = ()) -> None:
        """``handled_ids``: command ids already handled (from the journal after a restart). ``disabled``:
        kinds no consumer handles in this configuration (a bench set-up without navigation, for example);
        they are rejected as UNSUPPORTED."""
        self.sequencer = sequencer
        self.config = config or sequencer.config
        self._handled: set[int] = set(handled_ids)
        self.counters: Counter[str] = Counter()
        self._handlers: dict[TelecommandKind, Callable[[float, Telecommand], list[CommandIntent]]] = {
            TelecommandKind.NOOP: lambda t, tc: [],
            TelecommandKind.CREW_CLEAR: lambda t, tc: list(self.sequencer.crew_clear_received(t)),
            TelecommandKind.GO: self._go,
            TelecommandKind.NO_GO: self._no_go,
            TelecommandKind.ABORT: lambda t, tc: list(self.sequencer.abort(t, "ground ABORT")),
            TelecommandKind.SAFE: lambda t, tc: list(self.sequencer.abort(t, "ground SAFE")),
            TelecommandKind.RESUME: lambda t, tc: list(self.sequencer.resume(t)),
            TelecommandKind.STATE_VECTOR: self._state_vector,
            TelecommandKind.SET_AIM: self._set_aim,
            TelecommandKind.SET_IMU_RATE: self._set_imu_rate,
        }
        for kind in disabled:
            self._handlers.pop(kind, None)

    @property
    def handled_ids(self) -> frozenset[int]:
        return frozenset(self._handled)

    def handle(self, t_s: float, tc: Telecommand,
               auth_state: Mapping[str, Any] | bytes | None = None) -> Dispatch:
        """Judge and route one verified telecommand received at spacecraft time ``t_s``.

        ``auth_state`` is the authenticator's exported anti-replay state after verifying this command; it
        is persisted in the same record as the command id, so a restart restores both together.
        """
        if not math.isfinite(t_s):
            raise ValueError(f"spacecraft time must be finite, got {t_s!r}")
        if tc.command_id in self._handled:
            ack = TelecommandAck(tc.command_id, tc.kind, AckReason.DUPLICATE,
                                 f"command id {tc.command_id} already handled")
            self.counters[AckReason.DUPLICATE.value] += 1
            return Dispatch(ack, [self._ack_event(t_s, tc, ack)])
        reason, detail, routed = self._judge(t_s, tc)
        ack = TelecommandAck(tc.command_id, tc.kind, reason, detail)
        self._handled.add(tc.command_id)
        self.counters[reason.value] += 1
        persist = PersistCommand(tc.command_id, tc.kind.value, reason.value, t_s, auth_state)
        return Dispatch(ack, [persist, *routed, self._ack_event(t_s, tc, ack)])

    def _judge(self, t_s: float, tc: Telecommand) -> tuple[AckReason, str, list[CommandIntent]]:
        handler = self._handlers.get(tc.kind)
        if handler is None:
            return AckReason.UNSUPPORTED, f"no handler for {tc.kind.value}", []
        expected = ARGS_OF_KIND[tc.kind]
        if not isinstance(tc.args, expected):
            return (AckReason.MALFORMED,
                    f"{tc.kind.value} takes {expected.__name__}, got {type(tc.args).__name__}", [])
        try:
            routed = handler(t_s, tc)
        except Rejected as rej:
            return rej.reason, rej.detail, []
        return AckReason.ACCEPTED, "", routed

    @staticmethod
    def _ack_event(t_s: float, tc: Telecommand, ack: TelecommandAck) -> Emit:
        if ack.accepted:
            return Emit(Event(t_s, Severity.INFO, "command.accepted",
                              f"{tc.kind.value} {tc.command_id} accepted",
                              {"command_id": tc.command_id, "kind": tc.kind.value}))
        return Emit(Event(t_s, Severity.WARNING, "command.rejected",
                          f"{tc.kind.value} {tc.command_id} rejected ({ack.reason.value}): {ack.detail}",
                          {"command_id": tc.command_id, "kind": tc.kind.value, "reason": ack.reason.value}))

    # --------------------------------------------------------------------------- handlers

    def _go(self, t_s: float, tc: Telecommand) -> list[CommandIntent]:
        return list(self.sequencer.go(t_s, _args(tc, BurnRef).burn_id))

    def _no_go(self, t_s: float, tc: Telecommand) -> list[CommandIntent]:
        return list(self.sequencer.no_go(t_s, _args(tc, BurnRef).burn_id))

    def _state_vector(self, t_s: float, tc: Telecommand) -> list[CommandIntent]:
        a = _args(tc, StateVectorArgs)
        if self.sequencer.state in THRUSTING_STATES:
            raise Rejected(AckReason.WRONG_STATE,
                           f"no state vector during a burn ({self.sequencer.state.value})")
        values = (a.epoch_s, *a.r_eci_m, *a.v_eci_mps)
        if len(a.r_eci_m) != 3 or len(a.v_eci_mps) != 3 or not all(math.isfinite(x) for x in values):
            raise Rejected(AckReason.OUT_OF_RANGE, "state vector must hold finite r (3), v (3) and epoch")
        r = math.sqrt(sum(x * x for x in a.r_eci_m))
        v = math.sqrt(sum(x * x for x in a.v_eci_mps))
        if not STATE_VECTOR_RADIUS_M[0] <= r <= STATE_VECTOR_RADIUS_M[1]:
            raise Rejected(AckReason.OUT_OF_RANGE, f"radius {r:.0f} m outside low Earth orbit")
        if not STATE_VECTOR_SPEED_MPS[0] <= v <= STATE_VECTOR_SPEED_MPS[1]:
            raise Rejected(AckReason.OUT_OF_RANGE, f"speed {v:.1f} m/s outside low Earth orbit")
        if abs(a.epoch_s - t_s) > self.config.state_vector_max_age_s:
            raise Rejected(AckReason.OUT_OF_RANGE,
                           f"epoch {a.epoch_s:.1f} s is {a.epoch_s - t_s:+.1f} s from spacecraft time")
        return [ApplyStateVector(tc.command_id, a.epoch_s, a.r_eci_m, a.v_eci_mps)]

    def _set_aim(self, t_s: float, tc: Telecommand) -> list[CommandIntent]:
        a = _args(tc, AimArgs)
        if not (math.isfinite(a.lat_deg) and -90.0 <= a.lat_deg <= 90.0):
            raise Rejected(AckReason.OUT_OF_RANGE, f"latitude {a.lat_deg!r} deg outside [-90, 90]")
        if not (math.isfinite(a.lon_deg) and -180.0 <= a.lon_deg <= 180.0):
            raise Rejected(AckReason.OUT_OF_RANGE, f"longitude {a.lon_deg!r} deg outside [-180, 180]")
        if self.sequencer.state in ARMED_STATES:
            raise Rejected(AckReason.WRONG_STATE,
                           f"aim point fixed while a burn is under way ({self.sequencer.state.value})")
        return [ApplyAimPoint(tc.command_id, a.lat_deg, a.lon_deg)]

    def _set_imu_rate(self, t_s: float, tc: Telecommand) -> list[CommandIntent]:
        a = _args(tc, ImuRateArgs)
        cfg = self.config
        if not (math.isfinite(a.rate_hz) and cfg.imu_rate_min_hz <= a.rate_hz <= cfg.imu_rate_max_hz):
            raise Rejected(AckReason.OUT_OF_RANGE,
                           f"rate {a.rate_hz!r} Hz outside [{cfg.imu_rate_min_hz}, {cfg.imu_rate_max_hz}]")
        if self.sequencer.state in ARMED_STATES and a.rate_hz < cfg.imu_rate_burn_hz:
            raise Rejected(AckReason.INTERLOCK,
                           f"rate below the burn rate {cfg.imu_rate_burn_hz} Hz while armed")
        return [SetImuRate(a.rate_hz)]
