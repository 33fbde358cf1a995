"""Typed ports: the only way the flight software reaches hardware and the ground.

The flight software sees the IMU board, the thruster board, the ground link and the clock only through the
protocols below; drivers in ``hil.drivers`` implement them over serial, MQTT or loopback links, so the same
flight code runs against emulated and real boards. Values crossing a port are frozen dataclasses that
check themselves on construction (a malformed value raises ``ValueError`` at the driver, where it is
counted, instead of travelling into the flight logic).

Time is spacecraft time: seconds taken from the IMU board's time tags (``t_s``), the same scale as the C
core (seconds of UTC since J2000). Methods that do I/O are ``async``; callers bound every wait with
``asyncio.timeout``. Quantities carry frame and unit in their names: ``dtheta_body_rad`` is a delta-angle
in the body frame, ``dv_body_mps`` a delta-velocity in the body frame.
"""

from __future__ import annotations

import enum
import math
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol, runtime_checkable

#: Thrusters on the thruster board: 16 attitude Dracos and 30 deorbit Dracos (reference/hardware.md).
THRUSTER_COUNT = 46
#: Indices of the deorbit (main burn) thrusters and of the attitude thrusters on the board, in the ICD's
#: order (hil/protocol/catalogue.py): 0-15 attitude, 16-45 deorbit.
MAIN_THRUSTERS = range(16, 46)
ATTITUDE_THRUSTERS = range(0, 16)
_MAIN_VALVES_MASK = sum(1 << i for i in MAIN_THRUSTERS)  # their bits in a valve-state word

Vec3 = tuple[float, float, float]


def _finite_vec3(name: str, v: tuple[float, ...]) -> Vec3:
    if len(v) != 3:
        raise ValueError(f"{name} must have 3 components, got {len(v)}")
    out = (float(v[0]), float(v[1]), float(v[2]))
    if not (math.isfinite(out[0]) and math.isfinite(out[1]) and math.isfinite(out[2])):
        raise ValueError(f"{name} must be finite, got {out}")
    return out


def _finite(name: str, x: float) -> None:
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {x!r}")


# ---------------------------------------------------------------------------------------------- IMU


class ImuFlags(enum.IntFlag):
    """IMU status and built-in-test flags carried with every sample."""

    NONE = 0
    BIT_FAIL = 1 << 0  # built-in test failed
    GYRO_SATURATED = 1 << 1
    ACCEL_SATURATED = 1 << 2
    TIME_TAG_JUMP = 1 << 3  # the board detected a discontinuity in its own time base
    DATA_INVALID = 1 << 4  # the board marks this sample as not to be used


#: Flags that make a sample unusable (as a plain int: the flag class's own operators cost more per sample).
_UNUSABLE = int(ImuFlags.BIT_FAIL | ImuFlags.GYRO_SATURATED | ImuFlags.ACCEL_SATURATED
                | ImuFlags.DATA_INVALID)


@dataclass(frozen=True)
class ImuSample:
    """Delta-angle and delta-velocity accumulated by the IMU over ``interval_s`` ending at ``t_s``."""

    t_s: float
    dtheta_body_rad: Vec3
    dv_body_mps: Vec3
    interval_s: float
    sample_count: int = 1
    flags: ImuFlags = ImuFlags.NONE

    def __post_init__(self) -> None:
        _finite("t_s", self.t_s)
        object.__setattr__(self, "dtheta_body_rad", _finite_vec3("dtheta_body_rad", self.dtheta_body_rad))
        object.__setattr__(self, "dv_body_mps", _finite_vec3("dv_body_mps", self.dv_body_mps))
        if not (math.isfinite(self.interval_s) and self.interval_s > 0.0):
            raise ValueError(f"interval_s must be positive and finite, got {self.interval_s!r}")
        if self.sample_count < 1:
            raise ValueError(f"sample_count must be at least 1, got {self.sample_count}")

    @property
    def usable(self) -> bool:
        """False when the board flags the sample as failed, saturated or invalid."""
        return not (int(self.flags) & _UNUSABLE)


@runtime_checkable
class ImuPort(Protocol):
    """The IMU board: a stream of time-tagged samples and a commandable output rate."""

    def samples(self) -> AsyncIterator[ImuSample]:
        """Samples in time-tag order as they arrive; the iterator ends when the port closes."""
        ...

    async def set_output_rate(self, rate_hz: float) -> None:
        """Command the output rate; the board keeps accumulating between outputs, so nothing is lost."""
        ...


# ---------------------------------------------------------------------------------------- thrusters


class ArmState(enum.Enum):
    """The thruster board's two-step arming state (DESIGN.md section 5)."""

    DISARMED = "disarmed"
    PREPARED = "prepared"  # ARM_PREPARE accepted, waiting for ARM_CONFIRM
    ARMED = "armed"


class ThrusterFaults(enum.IntFlag):
    """Faults reported by the thruster board."""

    NONE = 0
    WATCHDOG = 1 << 0  # no valid command within the watchdog period: every valve was closed
    VALVE_STUCK_OPEN = 1 << 1
    VALVE_STUCK_CLOSED = 1 << 2
    ON_TIME_LIMIT = 1 << 3  # an on-time was clipped to the board's bound
    LOW_PRESSURE = 1 << 4
    BOARD_RESET = 1 << 5
    ARM_REJECTED = 1 << 6  # a wrong code or an out-of-order arming step


_F64_MAX = sys.float_info.max

@dataclass(frozen=True)
class ThrusterCommand:
    """On-times for one control cycle.

    ``on_time_s[i]`` is how long thruster ``i`` fires within the cycle (a pulse width from the start of the
    cycle); ``main_burn`` asks the board to hold the deorbit thrusters open for the whole cycle instead.
    ``command_id`` lets the board and its status echo say which command it executed.
    ``t_s`` is the spacecraft time of the IMU sample this command answers (the start of the cycle; the
    driver tags the packet with it) and ``period_s`` the cycle length, which bounds every on-time; when
    None the driver uses the latest IMU time and its configured control period.
    """

    cycle: int
    on_time_s: tuple[float, ...]
    main_burn: bool
    command_id: int
    t_s: float | None = None
    period_s: float | None = None

    def __post_init__(self) -> None:
        if self.cycle < 0 or self.command_id < 0:
            raise ValueError("cycle and command_id must be non-negative")
        if len(self.on_time_s) > THRUSTER_COUNT:
            raise ValueError(f"at most {THRUSTER_COUNT} on-times, got {len(self.on_time_s)}")
        times = tuple(map(float, self.on_time_s))
        # sum, min and max run in C: a NaN anywhere makes the sum NaN (then min and max mean nothing)
        if times:
            total = sum(times)
            if total != total or min(times) < 0.0 or max(times) > _F64_MAX:
                raise ValueError("on-times must be finite and non-negative")
        object.__setattr__(self, "on_time_s", times)
        if self.t_s is not None:
            _finite("t_s", self.t_s)
        if self.period_s is not None and not (math.isfinite(self.period_s) and self.period_s > 0.0):
            raise ValueError(f"period_s must be positive and finite, got {self.period_s!r}")

    @property
    def opens_any_valve(self) -> bool:
        return self.main_burn or any(x > 0.0 for x in self.on_time_s)


@dataclass(frozen=True)
class ThrusterStatus:
    """What the thruster board last reported about itself."""

    t_s: float
    arm_state: ArmState
    valves_open: int  # bit i set: thruster i's valve is open
    last_cycle: int
    last_command_id: int
    tank_pressure_pa: float
    propellant_kg: float
    faults: ThrusterFaults = ThrusterFaults.NONE

    def __post_init__(self) -> None:
        _finite("t_s", self.t_s)
        _finite("tank_pressure_pa", self.tank_pressure_pa)
        _finite("propellant_kg", self.propellant_kg)
        if not 0 <= self.valves_open < (1 << THRUSTER_COUNT):
            raise ValueError(f"valves_open must fit {THRUSTER_COUNT} bits")

    @property
    def all_valves_closed(self) -> bool:
        return self.valves_open == 0

    @property
    def main_valves_open(self) -> bool:
        return bool(self.valves_open & _MAIN_VALVES_MASK)


@runtime_checkable
class ThrusterPort(Protocol):
    """The thruster board. Valves open only once armed (ARM_PREPARE with the code, then ARM_CONFIRM)."""

    async def arm_prepare(self, code: int) -> None: ...

    async def arm_confirm(self, code: int) -> None: ...

    async def disarm(self) -> None:
        """Disarm; the board closes every valve."""
        ...

    async def command(self, cmd: ThrusterCommand) -> None:
        """Send one cycle's on-times."""
        ...

    async def status(self) -> ThrusterStatus:
        """The board's most recent status report (waits for the first one)."""
        ...


# ------------------------------------------------------------------------------------------- ground


class TelecommandKind(enum.Enum):
    """Ground telecommands the flight software understands."""

    NOOP = "noop"  # link check; always accepted
    CREW_CLEAR = "crew_clear"  # all crew have left: the final burn may be armed
    GO = "go"  # GO for one burn id
    NO_GO = "no_go"  # withdraw the GO for one burn id (stops the burn if it is running)
    ABORT = "abort"  # abort the running sequence: close valves, disarm, SAFE
    SAFE = "safe"  # enter SAFE from any state
    RESUME = "resume"  # leave SAFE after the ground has reviewed the situation
    STATE_VECTOR = "state_vector"  # orbit state uplink for navigation
    SET_AIM = "set_aim"  # aim point of the debris footprint
    SET_IMU_RATE = "set_imu_rate"  # override the IMU output rate


@dataclass(frozen=True)
class NoArgs:
    pass


@dataclass(frozen=True)
class BurnRef:
    burn_id: int


@dataclass(frozen=True)
class StateVectorArgs:
    epoch_s: float  # seconds of UTC since J2000
    r_eci_m: Vec3
    v_eci_mps: Vec3


@dataclass(frozen=True)
class AimArgs:
    lat_deg: float
    lon_deg: float


@dataclass(frozen=True)
class ImuRateArgs:
    rate_hz: float


TelecommandArgs = NoArgs | BurnRef | StateVectorArgs | AimArgs | ImuRateArgs

ARGS_OF_KIND: Mapping[TelecommandKind, type] = MappingProxyType(
    {
        TelecommandKind.NOOP: NoArgs,
        TelecommandKind.CREW_CLEAR: NoArgs,
        TelecommandKind.GO: BurnRef,
        TelecommandKind.NO_GO: BurnRef,
        TelecommandKind.ABORT: NoArgs,
        TelecommandKind.SAFE: NoArgs,
        TelecommandKind.RESUME: NoArgs,
        TelecommandKind.STATE_VECTOR: StateVectorArgs,
        TelecommandKind.SET_AIM: AimArgs,
        TelecommandKind.SET_IMU_RATE: ImuRateArgs,
    }
)


@dataclass(frozen=True)
class Telecommand:
    """A ground command that the authenticator (flight.security) has already verified.

    ``key_id`` and ``auth_seq`` are the security header's key id and anti-replay sequence number, kept for
    the record; ``command_id`` is the ground's identifier of this command, which never acts twice.
    ``args`` is checked for type against ``kind`` only; ranges are judged by the commanding layer, which
    answers with an acknowledgement rather than an exception.
    """

    command_id: int
    kind: TelecommandKind
    args: TelecommandArgs = field(default_factory=NoArgs)
    key_id: int = 0
    auth_seq: int = 0

    def __post_init__(self) -> None:
        if self.command_id < 0:
            raise ValueError(f"command_id must be non-negative, got {self.command_id}")


class AckReason(enum.Enum):
    """Why a telecommand was accepted or rejected."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"  # this command id was already handled
    WRONG_STATE = "wrong_state"  # not allowed in the current sequencer state
    INTERLOCK = "interlock"  # a safety interlock forbids it
    UNKNOWN_BURN = "unknown_burn"  # the burn id is not the planned burn
    BURN_DONE = "burn_done"  # the burn id has already ignited; it never ignites again
    OUT_OF_RANGE = "out_of_range"  # an argument lies outside its valid range
    MALFORMED = "malformed"  # the arguments do not fit the command kind
    UNSUPPORTED = "unsupported"  # no consumer handles this command in this configuration


@dataclass(frozen=True)
class TelecommandAck:
    command_id: int
    kind: TelecommandKind
    reason: AckReason
    detail: str = ""

    @property
    def accepted(self) -> bool:
        return self.reason is AckReason.ACCEPTED


class Severity(enum.IntEnum):
    DEBUG = 0
    INFO = 1
    WARNING = 2
    ERROR = 3
    CRITICAL = 4


Scalar = float | int | str | bool


@dataclass(frozen=True)
class Event:
    """Something worth telling the ground and the record: a state change, a rejection, a fault."""

    t_s: float
    severity: Severity
    name: str  # a stable dotted identifier, for example "sequencer.state" or "command.rejected"
    message: str
    data: Mapping[str, Scalar] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", MappingProxyType(dict(self.data)))


@dataclass(frozen=True)
class Telemetry:
    """One telemetry sample: named scalar values at one spacecraft time."""

    t_s: float
    source: str
    values: Mapping[str, Scalar]

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))


@runtime_checkable
class GroundPort(Protocol):
    """The ground link: verified telecommands in; acknowledgements, telemetry and events out."""

    def telecommands(self) -> AsyncIterator[Telecommand]:
        """Verified telecommands as they arrive (forged or replayed ones never appear here)."""
        ...

    async def acknowledge(self, ack: TelecommandAck) -> None: ...

    async def send_telemetry(self, tm: Telemetry) -> None: ...

    async def send_event(self, event: Event) -> None: ...


@runtime_checkable
class Clock(Protocol):
    """Spacecraft time, as established from the IMU board's time tags."""

    def now_s(self) -> float:
        """The current spacecraft time."""
        ...

    async def sleep_until(self, t_s: float) -> None:
        """Return once spacecraft time has reached ``t_s`` (immediately if it has)."""
        ...
