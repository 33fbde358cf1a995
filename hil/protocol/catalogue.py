"""The packet catalogue: every packet on every link, defined once.

APID allocation (11 bits): 0x100-0x17F IMU board, 0x200-0x27F thruster board, 0x300-0x37F ground link
(0x300-0x33F ground-to-flight telecommands, 0x340-0x37F flight-to-ground telemetry). In a board's block,
0x_0E is its housekeeping and 0x_0F its test-only fault injection, which flight software never sends.

Units are SI unless the field name says otherwise (``aim_lat_deg``, ``on_time_us``). Spacecraft time is
the packet time tag (secondary header); fields hold only what the time tag does not.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag

from hil.protocol.schema import Catalogue, Field, PacketSpec
from hil.protocol.spacepacket import PacketType

TM = PacketType.TM
TC = PacketType.TC

THRUSTER_COUNT = 46
ATTITUDE_THRUSTERS = range(0, 16)  # indices of the 16 attitude-control Dracos
DEORBIT_THRUSTERS = range(16, 46)  # indices of the 30 deorbit Dracos, fired together in main-burn mode
MAX_CYCLE_PERIOD_US = 100_000_000  # 100 s: the longest command cycle (coast at 0.01 Hz)
ARM_CONFIRM_TIMEOUT_S = 5.0  # ARM_CONFIRM must follow ARM_PREPARE within this (spacecraft time)
WATCHDOG_CYCLES = 3  # the thruster board closes every valve after this many cycle periods without a command
TEXT_OCTETS = 48


# --- enumerations and flag sets ------------------------------------------------------------------------


class ImuStatus(IntFlag):
    """IMU built-in test and status flags (bit 0 is the least significant bit)."""

    BIT_PASS = 1 << 0  # power-on and continuous built-in test passed
    GYRO_FAULT = 1 << 1
    ACCEL_FAULT = 1 << 2
    GYRO_SATURATED = 1 << 3  # a rate exceeded the gyro range during the interval
    ACCEL_SATURATED = 1 << 4
    TIME_JUMP = 1 << 5  # the board clock was stepped (time sync) during the interval
    DEGRADED = 1 << 6  # data valid but outside specified performance
    FAULT_INJECTED = 1 << 7  # a test-only fault is active (emulator and bench only)


class ImuFaultKind(IntEnum):
    CLEAR = 0  # remove every injected fault
    DROPOUT = 1  # stop sending IMU_DATA for duration_s
    STUCK = 2  # repeat the last output for duration_s
    BIAS_JUMP = 3  # add magnitude (rad/s or m/s^2) to one axis from now on
    NOISE_BURST = 4  # add white noise of magnitude (1 sigma, per sample) for duration_s
    TIME_TAG_JUMP = 5  # step the time tags by magnitude seconds


class ImuAxis(IntEnum):
    GYRO_X = 0
    GYRO_Y = 1
    GYRO_Z = 2
    ACCEL_X = 3
    ACCEL_Y = 4
    ACCEL_Z = 5
    ALL = 6


class ThrusterMode(IntEnum):
    ALL_OFF = 0  # every valve closed for the cycle
    PULSE = 1  # each thruster open for its on_time_us from the start of the cycle
    MAIN_BURN = 2  # deorbit thrusters open for the whole cycle; attitude thrusters pulse as in PULSE


class ArmAction(IntEnum):
    ARM_PREPARE = 1  # step one: announce arm_code
    ARM_CONFIRM = 2  # step two: repeat arm_code within ARM_CONFIRM_TIMEOUT_S
    DISARM = 3  # close every valve and return to DISARMED


class ArmedState(IntEnum):
    DISARMED = 0
    PREPARED = 1
    ARMED = 2
    SAFED = 3  # latched by a board fault or watchdog expiry in main-burn mode; DISARM clears it


class ThrusterFlags(IntFlag):
    WATCHDOG_EXPIRED = 1 << 0  # no valid command within the watchdog period: all valves closed
    ON_TIME_CLAMPED = 1 << 1  # an on-time exceeded the cycle period and was clamped
    REJECTED_NOT_ARMED = 1 << 2  # a non-zero command arrived while not armed
    REJECTED_STALE_CYCLE = 1 << 3  # a command repeated or older than the last cycle executed
    ARM_SEQUENCE_ERROR = 1 << 4  # ARM_CONFIRM without PREPARE, wrong code, or late
    VALVE_FAULT = 1 << 5  # a valve's feedback disagrees with its command
    LOW_PRESSURE = 1 << 6
    BOARD_RESET = 1 << 7  # the board restarted since the last status (cleared after one report)
    FAULT_INJECTED = 1 << 8
    VALVE_STUCK_OPEN = 1 << 9  # with VALVE_FAULT: a valve is open that was commanded closed
    VALVE_STUCK_CLOSED = 1 << 10  # with VALVE_FAULT: a valve stays closed that was commanded open


class ThrusterFaultKind(IntEnum):
    CLEAR = 0
    VALVE_STUCK_CLOSED = 1
    VALVE_STUCK_OPEN = 2
    DEGRADED_THRUST = 3  # the thruster gives factor times nominal thrust
    BOARD_RESET = 4  # the board restarts: disarmed, valves closed, counters reset


class TimeSyncMode(IntEnum):
    STEP = 0  # set the board clock to the packet's time tag on reception
    SLEW = 1  # steer the board clock towards it without a step


class BoardId(IntEnum):
    IMU = 1
    THRUSTER = 2
    FLIGHT = 3


class AckStage(IntEnum):
    ACCEPTED = 1  # authenticated and valid; will be executed
    COMPLETED = 2  # executed
    REJECTED = 3  # not executed; see reason
    FAILED = 4  # accepted but could not be completed; see reason


class AckReason(IntEnum):
    OK = 0
    AUTH_FAILED = 1  # MAC does not verify
    UNKNOWN_KEY = 2  # key id not loaded
    REPLAY = 3  # anti-replay sequence number already used or too old
    MALFORMED = 4  # wrong length, bad field encoding or out-of-range value
    INTERLOCK = 5  # a safety interlock forbids it (for example GO before CREW_CLEAR)
    WRONG_STATE = 6  # the sequencer is not in a state that takes this command
    UNKNOWN_BURN = 7  # burn id not in the plan
    DUPLICATE = 8  # same command id already handled (redelivery)
    UNKNOWN_COMMAND = 9


class FlightPhase(IntEnum):
    IDLE = 0
    PLANNED = 1
    GO_RECEIVED = 2
    ARMED = 3
    SLEW = 4
    SETTLE = 5
    IGNITION = 6
    BURN = 7
    CUTOFF = 8
    TRIM = 9
    COAST = 10
    SAFE = 11
    ABORTED = 12
    COMPLETE = 13


class Severity(IntEnum):
    DEBUG = 0
    INFO = 1
    WARNING = 2
    ERROR = 3
    CRITICAL = 4


class FlightFlags(IntFlag):
    CREW_CLEAR = 1 << 0
    NAV_VALID = 1 << 1  # an orbit state vector has been received and is propagated
    IMU_OK = 1 << 2
    THRUSTERS_OK = 1 << 3
    GROUND_LINK_OK = 1 << 4
    PROPELLANT_LOW = 1 << 5
    ATTITUDE_HOLD = 1 << 6


# --- fields used more than once ------------------------------------------------------------------------


def _command_id() -> Field:
    return Field("command_id", "u32", description="sender's identifier of this command, unique per link; "
                 "echoed in status and acknowledgements, never acted on twice")


def _xyz(prefix: str, unit: str, description: str, type_: str = "f64") -> list[Field]:
    return [Field(f"{prefix}_{a}", type_, unit, f"{description}, {a} axis") for a in "xyz"]


def _housekeeping(name: str, apid: int, board: str) -> PacketSpec:
    return PacketSpec(
        name, apid, TM, board, "tm", f"{board} board housekeeping: health and link counters", (
            Field("uptime_s", "u32", "s", "time since the board started"),
            Field("boot_count", "u16", "", "board starts since manufacture"),
            Field("bus_voltage_v", "u16", "V", "supply voltage", scale=0.001),
            Field("temperature_c", "i16", "degC", "board temperature", scale=0.01),
            Field("rx_packets", "u32", "", "valid packets received"),
            Field("rx_crc_errors", "u32", "", "frames received with a bad CRC"),
            Field("rx_framing_errors", "u32", "", "frames dropped for bad framing, length or oversize"),
            Field("tx_packets", "u32", "", "packets sent"),
        ), rate="1 per 10 s",
    )


def _time_sync(name: str, apid: int, board: str) -> PacketSpec:
    return PacketSpec(
        name, apid, TC, board, "cmd",
        "time synchronisation: on reception the board sets its clock to the packet's time tag",
        (
            Field("sync_id", "u32", "", "identifier echoed in the board's status"),
            Field("mode", "u8", "", "STEP or SLEW", enum=TimeSyncMode),
        ), rate="on start and every 60 s",
    )


def _ground_tc(name: str, apid: int, description: str, *fields: Field) -> PacketSpec:
    return PacketSpec(name, apid, TC, "ground", "cmd", description, (_command_id(), *fields),
                      authenticated=True, rate="on demand")


# --- the catalogue -------------------------------------------------------------------------------------

SPECS: list[PacketSpec] = [
    # IMU board
    PacketSpec(
        "IMU_DATA", 0x100, TM, "imu", "tm",
        "accumulated delta-angle and delta-velocity in the IMU case frame over one output interval; "
        "the time tag is the end of the interval",
        (
            *_xyz("delta_angle", "rad", "integrated angular rate"),
            *_xyz("delta_velocity", "m/s", "integrated specific force"),
            Field("interval_s", "u32", "s", "integration interval covered", scale=1e-6, minimum=0.0),
            Field("sample_count", "u16", "", "internal samples accumulated in this interval"),
            Field("output_seq", "u32", "", "running count of IMU_DATA outputs since start"),
            Field("status", "u16", "", "built-in test and status flags", flags=ImuStatus),
        ), rate="commanded: 0.1 Hz in coast, 10 Hz around burns",
    ),
    PacketSpec(
        "IMU_STATUS", 0x101, TM, "imu", "tm", "IMU configuration and built-in test status",
        (
            Field("output_rate_hz", "f32", "Hz", "current output rate", minimum=0.0, maximum=1000.0),
            Field("internal_rate_hz", "f32", "Hz", "internal sampling rate", minimum=0.0, maximum=100000.0),
            Field("status", "u16", "", "built-in test and status flags", flags=ImuStatus),
            Field("temperature_c", "i16", "degC", "sensor block temperature", scale=0.01),
            Field("last_command_id", "u32", "", "command_id of the last IMU_CONFIG applied"),
            Field("last_sync_id", "u32", "", "sync_id of the last TIME_SYNC applied"),
        ), rate="1 Hz, and after every IMU_CONFIG",
    ),
    PacketSpec(
        "IMU_CONFIG", 0x102, TC, "imu", "cmd", "set the IMU output rate",
        (
            _command_id(),
            Field("output_rate_hz", "f32", "Hz", "IMU_DATA output rate", minimum=0.01, maximum=400.0),
        ), rate="on demand",
    ),
    _time_sync("IMU_TIME_SYNC", 0x103, "imu"),
    _housekeeping("IMU_HOUSEKEEPING", 0x10E, "imu"),
    PacketSpec(
        "IMU_FAULT_INJECT", 0x10F, TC, "imu", "cmd", "TEST ONLY: inject an IMU fault (emulator, bench)",
        (
            _command_id(),
            Field("kind", "u8", "", "fault", enum=ImuFaultKind),
            Field("axis", "u8", "", "affected axis", enum=ImuAxis),
            Field("magnitude", "f64", "", "size of the fault in the unit of the fault kind (see kind)"),
            Field("duration_s", "f32", "s", "how long it lasts; 0 for until cleared", minimum=0.0),
        ), test_only=True, rate="on demand",
    ),
    # thruster board
    PacketSpec(
        "THRUSTER_COMMAND", 0x200, TC, "thruster", "cmd",
        "valve on-times for one control cycle, executed once: a command whose cycle is not newer than "
        "the last executed is rejected",
        (
            _command_id(),
            Field("cycle", "u32", "", "control cycle number, increasing by one per cycle"),
            Field("mode", "u8", "", "ALL_OFF, PULSE or MAIN_BURN", enum=ThrusterMode),
            Field("cycle_period_us", "u32", "us", "length of the cycle; bounds every on-time",
                  minimum=1000, maximum=MAX_CYCLE_PERIOD_US),
            Field("on_time_us", "u32", "us", "per-thruster valve open time from the start of the cycle; "
                  "index 0-15 attitude, 16-45 deorbit", count=THRUSTER_COUNT, maximum=MAX_CYCLE_PERIOD_US),
        ), rate="once per control cycle (10 Hz around burns, 0.1 Hz in coast)",
    ),
    PacketSpec(
        "THRUSTER_ARM", 0x201, TC, "thruster", "cmd", "two-step arming: ARM_PREPARE, ARM_CONFIRM; DISARM",
        (
            _command_id(),
            Field("action", "u8", "", "arming step", enum=ArmAction),
            Field("arm_code", "u32", "", "code chosen by flight software for this arming; "
                  "ARM_CONFIRM repeats it; 0 with DISARM"),
        ), rate="on demand",
    ),
    PacketSpec(
        "THRUSTER_STATUS", 0x202, TM, "thruster", "tm", "thruster board state, sent after every cycle",
        (
            Field("armed_state", "u8", "", "arming state", enum=ArmedState),
            Field("mode", "u8", "", "mode of the cycle being executed", enum=ThrusterMode),
            Field("valve_states", "u64", "", "bit i set when thruster i's valve is open now "
                  "(i = 0..45)", maximum=(1 << THRUSTER_COUNT) - 1),
            Field("last_command_id", "u32", "", "command_id of the last command accepted"),
            Field("last_cycle", "u32", "", "cycle of the last THRUSTER_COMMAND executed"),
            Field("tank_pressure_pa", "u16", "Pa", "propellant tank pressure", scale=1000.0),
            Field("propellant_kg", "f32", "kg", "propellant remaining (board estimate)", minimum=0.0),
            Field("flags", "u16", "", "watchdog and fault flags", flags=ThrusterFlags),
            Field("commands_rejected", "u32", "", "commands rejected since start"),
            Field("last_sync_id", "u32", "", "sync_id of the last TIME_SYNC applied"),
        ), rate="after every THRUSTER_COMMAND, and at 1 Hz",
    ),
    _time_sync("THRUSTER_TIME_SYNC", 0x203, "thruster"),
    _housekeeping("THRUSTER_HOUSEKEEPING", 0x20E, "thruster"),
    PacketSpec(
        "THRUSTER_FAULT_INJECT", 0x20F, TC, "thruster", "cmd",
        "TEST ONLY: inject a thruster board fault (emulator, bench)",
        (
            _command_id(),
            Field("kind", "u8", "", "fault", enum=ThrusterFaultKind),
            Field("thruster", "u8", "", "thruster index", maximum=THRUSTER_COUNT - 1),
            Field("factor", "f32", "", "thrust factor for DEGRADED_THRUST", minimum=0.0, maximum=2.0),
        ), test_only=True, rate="on demand",
    ),
    # ground to flight: authenticated telecommands
    _ground_tc("TC_CREW_CLEAR", 0x300, "all crew have left the station (interlock for the final burn)"),
    _ground_tc("TC_GO", 0x301, "GO for one burn", Field("burn_id", "u16", "", "burn in the plan")),
    _ground_tc("TC_NO_GO", 0x302, "NO-GO for one burn: withdraw a GO", Field("burn_id", "u16", "", "burn")),
    _ground_tc("TC_ABORT", 0x303, "abort the burn in progress or planned (0xFFFF: any)",
               Field("burn_id", "u16", "", "burn, or 0xFFFF for whichever is active")),
    _ground_tc("TC_SAFE", 0x304, "close every valve, disarm, hold attitude"),
    _ground_tc(
        "TC_STATE_VECTOR", 0x305,
        "orbit state vector for navigation (ECI: true equator, mean equinox of date; docs/architecture.md)",
        Field("epoch_unix_s", "f64", "s", "epoch, UTC seconds since 1970-01-01 (POSIX)", minimum=0.0),
        *[Field(f"r_eci_m_{a}", "f64", "m", f"position, {a}", minimum=-1e8, maximum=1e8) for a in "xyz"],
        *[Field(f"v_eci_mps_{a}", "f64", "m/s", f"velocity, {a}", minimum=-2e4, maximum=2e4) for a in "xyz"],
    ),
    _ground_tc(
        "TC_SET_AIM", 0x306, "aim point of the debris footprint centre (WGS-84 geodetic)",
        Field("aim_lat_deg", "f64", "deg", "latitude", minimum=-90.0, maximum=90.0),
        Field("aim_lon_deg", "f64", "deg", "longitude, east positive", minimum=-180.0, maximum=180.0),
    ),
    _ground_tc("TC_SET_IMU_RATE", 0x307, "IMU output rate flight software should command",
               Field("output_rate_hz", "f32", "Hz", "rate", minimum=0.01, maximum=400.0)),
    _ground_tc("TC_TIME_CORRELATION", 0x308, "UTC at the packet's time tag, for spacecraft time to UTC",
               Field("utc_unix_s", "f64", "s", "UTC seconds since 1970-01-01 (POSIX)", minimum=0.0)),
    # flight to ground
    PacketSpec(
        "TC_ACK", 0x340, TM, "ground", "tm", "acknowledgement of one telecommand",
        (
            Field("acked_apid", "u16", "", "APID of the telecommand", maximum=0x7FF),
            Field("acked_seq_count", "u16", "", "its sequence count", maximum=0x3FFF),
            Field("command_id", "u32", "", "its command_id (0 when it could not be decoded)"),
            Field("key_id", "u16", "", "its key id (0 when it could not be decoded)"),
            Field("arsn", "u32", "", "its anti-replay sequence number (0 when it could not be decoded)"),
            Field("stage", "u8", "", "acknowledgement stage", enum=AckStage),
            Field("reason", "u8", "", "why, for REJECTED and FAILED", enum=AckReason),
        ), rate="per telecommand",
    ),
    PacketSpec(
        "FLIGHT_TM", 0x341, TM, "ground", "tm", "flight software state",
        (
            Field("phase", "u8", "", "burn sequencer state", enum=FlightPhase),
            Field("burn_id", "u16", "", "burn the sequencer is working on (0xFFFF: none)"),
            Field("burns_done", "u8", "", "burns completed"),
            Field("flags", "u16", "", "status flags", flags=FlightFlags),
            *[Field(f"r_eci_m_{a}", "f64", "m", f"estimated position, {a}") for a in "xyz"],
            *[Field(f"v_eci_mps_{a}", "f64", "m/s", f"estimated velocity, {a}") for a in "xyz"],
            *[Field(f"q_body_from_eci_{c}", "f64", "", f"attitude quaternion, {c} (scalar first)",
                    minimum=-1.0, maximum=1.0) for c in "wxyz"],
            Field("attitude_error_rad", "f32", "rad", "angle between commanded and estimated attitude",
                  minimum=0.0),
            Field("dv_target_mps", "f32", "m/s", "delta-v target of the current burn", minimum=0.0),
            Field("dv_achieved_mps", "f32", "m/s", "measured delta-v of the current burn"),
            Field("propellant_kg", "f32", "kg", "propellant remaining", minimum=0.0),
            Field("perigee_alt_m", "f32", "m", "perigee altitude of the estimated orbit"),
            Field("apogee_alt_m", "f32", "m", "apogee altitude of the estimated orbit"),
            Field("control_cycle", "u32", "", "control cycles run"),
            Field("tc_accepted", "u32", "", "telecommands accepted"),
            Field("tc_rejected", "u32", "", "telecommands rejected"),
        ), rate="1 Hz",
    ),
    PacketSpec(
        "FLIGHT_EVENT", 0x342, TM, "ground", "tm", "an event: something happened that the ground must see",
        (
            Field("event_seq", "u32", "", "running event number"),
            Field("severity", "u8", "", "severity", enum=Severity),
            Field("code", "u16", "", "event code (flight software event table)"),
            Field("burn_id", "u16", "", "burn concerned (0xFFFF: none)"),
            Field("value", "f64", "", "a number qualifying the event (unit per event code)"),
            Field("text", "text", "", "short human-readable text", length=TEXT_OCTETS),
        ), rate="on event",
    ),
]

CATALOGUE = Catalogue(SPECS)
BOARDS = ("imu", "thruster", "ground")
