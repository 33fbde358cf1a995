"""Rates, thresholds and timeouts of the flight software, in spacecraft-time units, in one place.

Every duration is in seconds of spacecraft time (the IMU board's time tags), never host time, so the same
numbers hold in lockstep, real-time and scaled runs. ``FlightConfig`` is frozen; build a variant with
``dataclasses.replace`` or load one from TOML with :func:`load_config`. A TOML file may hold the keys at
its top level or in a ``[flight]`` table (so a scenario file can carry them); unknown keys and bad values
raise :class:`ConfigError` naming the key.

Default values and their reasons:

- IMU output and control at 10 Hz around burns, 0.1 Hz in coast (DESIGN.md section 4), 2 Hz while
  arming, slewing and settling (commands then come every 0.5 s, inside the thruster board's 1 s watchdog;
  the stack turns at most 0.2 deg/s, 0.1 deg a cycle).
- Burn attitude reached when the attitude error stays below 1 deg for 60 s. A 1 deg pointing error costs
  1 - cos(1 deg) = 0.015 % of delta-v along track, well inside the 0.5 % cutoff tolerance.
- Cutoff within 0.5 % of the target delta-v (the task's goal). The maximum acceleration bound
  (0.05 m/s^2) is about twice the nominal 0.027 m/s^2 of thirty 400 N Dracos on about 450 t
  (reference/hardware.md); measured accelerations above it are treated as sensor faults.
- Maximum burn duration: 1.3 times the planned duration (thrust dispersion and one failed thruster in
  thirty need 3.4 %; margin for a degraded tank pressure), and never above 3,600 s.
- Housekeeping telemetry every 10 s around burns and every 60 s in coast (a multi-day coast changes
  slowly; events go down as they happen either way).
- Arming 1,200 s before ignition: the board is disarmed in coast, so the stack may have drifted anywhere;
  a 180 deg slew at the controller's 0.2 deg/s rate limit takes about 900 s, then 60 s of settling.
- IMU output and control at the burn rate from ``burn_rate_margin_s`` (120 s) before ignition until that
  long after the planned cutoff, at the slew rate from that margin before arming (a rate change takes
  effect within one coast sample, 10 s) until the burn rate starts (``flight.guidance.imu_rate_hz``).
- Slew timeout 3,600 s: a 180 deg slew of the stack at a slow 0.1 deg/s takes 1,800 s.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A configuration file or mapping is malformed; the message names the offending key."""


@dataclass(frozen=True)
class FlightConfig:
    """Rates, thresholds and timeouts of the flight software (spacecraft time, SI units)."""

    # rates
    imu_rate_burn_hz: float = 10.0
    imu_rate_coast_hz: float = 0.1
    # arming, slewing and settling: twice the thruster board's 1 s watchdog, ample for a 0.2 deg/s slew
    imu_rate_slew_hz: float = 2.0
    control_rate_hz: float = 10.0
    imu_rate_min_hz: float = 0.01
    imu_rate_max_hz: float = 1000.0
    # housekeeping telemetry: its period, and its period while the IMU runs at the coast rate
    housekeeping_period_s: float = 10.0
    housekeeping_coast_period_s: float = 60.0
    # arming: the sequencer starts arming this long before ignition; the board must confirm in time
    arm_lead_s: float = 1200.0
    # the burn rate starts this long before arming and lasts this long after the planned cutoff
    burn_rate_margin_s: float = 120.0
    arm_timeout_s: float = 10.0
    arm_code: int = 0x5AFE
    # slew and settle
    attitude_error_max_rad: float = math.radians(1.0)
    settle_time_s: float = 60.0
    slew_timeout_s: float = 3600.0
    ignition_late_max_s: float = 120.0  # the ignition window closes this long after the planned time
    # ignition, burn, cutoff
    ignition_timeout_s: float = 5.0
    ignition_accel_min_fraction: float = 0.5  # of the planned acceleration, to confirm ignition
    cutoff_tolerance_fraction: float = 0.005
    accel_max_mps2: float = 0.05
    valve_close_delay_s: float = 0.0  # from the command to zero thrust, beyond one control cycle
    max_burn_duration_factor: float = 1.3
    max_burn_duration_s: float = 3600.0
    cutoff_timeout_s: float = 5.0
    # trim with the attitude thrusters after cutoff
    trim_max_dv_mps: float = 0.5
    trim_accel_max_mps2: float = 0.005  # four aft-facing 400 N attitude Dracos on about 450 t: 0.0036
    trim_timeout_s: float = 300.0
    # safing: board confirmation of closed valves and disarm; commands re-sent at this period
    safe_confirm_timeout_s: float = 2.0
    safe_max_retries: int = 5
    # a ground state vector's epoch may lie at most this far from spacecraft time
    state_vector_max_age_s: float = 86400.0
    # thruster status older than this is stale (the sequencer then treats the board as unconfirmed)
    thruster_status_max_age_s: float = 2.0

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            _check_value(f.name, getattr(self, f.name), f.type)
        if self.imu_rate_coast_hz > self.imu_rate_burn_hz:
            raise ConfigError("flight config key 'imu_rate_coast_hz': must not exceed imu_rate_burn_hz")
        if not self.imu_rate_coast_hz <= self.imu_rate_slew_hz <= self.imu_rate_burn_hz:
            raise ConfigError("flight config key 'imu_rate_slew_hz': must lie within [imu_rate_coast_hz, "
                              "imu_rate_burn_hz]")
        for key in ("imu_rate_burn_hz", "imu_rate_slew_hz", "imu_rate_coast_hz"):
            if not self.imu_rate_min_hz <= getattr(self, key) <= self.imu_rate_max_hz:
                raise ConfigError(
                    f"flight config key {key!r}: must lie within [imu_rate_min_hz, imu_rate_max_hz]"
                )
        if not 0.0 < self.cutoff_tolerance_fraction < 0.1:
            raise ConfigError("flight config key 'cutoff_tolerance_fraction': must lie in (0, 0.1)")
        if not 0.0 < self.ignition_accel_min_fraction <= 1.0:
            raise ConfigError("flight config key 'ignition_accel_min_fraction': must lie in (0, 1]")
        if self.max_burn_duration_factor < 1.0:
            raise ConfigError("flight config key 'max_burn_duration_factor': must be at least 1")

    @property
    def control_cycle_s(self) -> float:
        """Duration of one control cycle."""
        return 1.0 / self.control_rate_hz

    @property
    def cutoff_lead_s(self) -> float:
        """Time from the sequencer seeing a delta-v sample to the main valves being shut: one control cycle
        (the command goes out with the next cycle) plus the valve closing delay."""
        return self.control_cycle_s + self.valve_close_delay_s


_NONNEGATIVE = {"valve_close_delay_s", "arm_code"}


def _check_value(key: str, value: object, type_name: object) -> None:
    expected = str(type_name)
    if expected == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"flight config key {key!r}: expected an integer, got {value!r}")
        low_ok = value >= 0 if key in _NONNEGATIVE else value > 0
        if not low_ok:
            raise ConfigError(f"flight config key {key!r}: must be positive, got {value!r}")
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"flight config key {key!r}: expected a number, got {value!r}")
    if not math.isfinite(value):
        raise ConfigError(f"flight config key {key!r}: must be finite, got {value!r}")
    low_ok = value >= 0.0 if key in _NONNEGATIVE else value > 0.0
    if not low_ok:
        raise ConfigError(f"flight config key {key!r}: must be positive, got {value!r}")


def config_from_mapping(values: Mapping[str, Any], base: FlightConfig | None = None) -> FlightConfig:
    """A configuration with ``values`` overriding ``base`` (defaults when None); unknown keys are errors."""
    base = base or FlightConfig()
    known = {f.name: f for f in dataclasses.fields(FlightConfig)}
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"flight config key {key!r}: unknown key")
        if str(known[key].type) == "float" and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        _check_value(key, value, known[key].type)
        changes[key] = value
    return dataclasses.replace(base, **changes)


def load_config(path: str | Path, base: FlightConfig | None = None) -> FlightConfig:
    """Load a configuration from a TOML file (top-level keys or a ``[flight]`` table)."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"flight config file {str(p)!r}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"flight config file {str(p)!r}: not valid TOML ({exc})") from None
    if "flight" in data:
        table = data["flight"]
        if not isinstance(table, dict):
            raise ConfigError(f"flight config file {str(p)!r}: key 'flight' must be a table")
        data = table
    return config_from_mapping(data, base)
