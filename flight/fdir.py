"""Fault detection, isolation and recovery: monitors with a defined response each.

Pure and synchronous like the sequencer: every monitor takes its input with the spacecraft time and
returns :class:`FdirAction` values; the executive carries them out. Responses:

- ``HOLD``: keep the current attitude and plan, fire nothing new (the control cycle commands zero
  on-times for the attitude thrusters this cycle); used for a sample that must not be trusted.
- ``RETRY``: send the command again at the next opportunity (an IMU rate change the board has not
  confirmed; the executive's control cycle re-sends it, ``rate_retry_s`` of spacecraft time later, until
  it is).
- ``REPLAN``: ask guidance for a new plan (after underperformance, after a propellant estimate drops).
- ``SAFE``: the sequencer's fault input: every valve closed, board disarmed, SAFE until the ground resumes.

Faults and their responses (thresholds in :class:`FdirConfig`):

========================  =====================================================  ==========================
fault                     detected when                                          response
========================  =====================================================  ==========================
imu.stale                 no sample within ``imu_stale_factor`` output intervals  SAFE if thrusting, else
                          (host time, measured by the executive)                 HOLD
imu.dropout               a time-tag gap above ``imu_gap_factor`` intervals, or   HOLD; SAFE after
                          the sample's own interval longer than expected          ``imu_dropout_max``
                                                                                 in a row while thrusting
imu.implausible           flags say unusable, or rate above ``rate_max_rps``, or  HOLD (sample discarded);
                          acceleration above ``accel_max_mps2`` (in the           SAFE after
                          atmosphere: the ``_entry`` limits)
                                                                                 ``imu_implausible_max``
                                                                                 in a row
thruster.underperformance measured/expected acceleration below ``underperf_ratio``  REPLAN (cutoff on
                          for ``underperf_time_s`` in a burn                     measured delta-v still
                                                                                 reaches the target); SAFE
                                                                                 below ``underperf_abort``
thruster.reset            the board reports BOARD_RESET, or DISARMED while the     SAFE; REPLAN
                          sequence needs it armed
thruster.valve_stuck      VALVE_STUCK_OPEN                                       SAFE
imu.rate_unconfirmed      the board did not confirm a commanded output rate       RETRY
link.ground_loss          no telecommand or link check for ``ground_silence_s``  HOLD (the plan goes on;
                                                                                 no new GO can arrive)
propellant.low            below what the remaining plan needs plus reserve       REPLAN, then SAFE below
                                                                                 ``propellant_min_kg``
========================  =====================================================  ==========================

Each fault is reported once when it appears and once when it clears (events), not every cycle.
"""

from __future__ import annotations

import enum
import math
from collections import Counter
from dataclasses import dataclass, field

from flight.ports import ArmState, Event, ImuSample, Severity, ThrusterFaults, ThrusterStatus

_BOARD_RESET = int(ThrusterFaults.BOARD_RESET)
_VALVE_STUCK_OPEN = int(ThrusterFaults.VALVE_STUCK_OPEN)


class Response(enum.Enum):
    HOLD = "hold"
    RETRY = "retry"
    REPLAN = "replan"
    SAFE = "safe"


@dataclass(frozen=True)
class FdirAction:
    response: Response
    fault: str
    message: str


@dataclass(frozen=True)
class FdirConfig:
    imu_stale_factor: float = 5.0
    imu_gap_factor: float = 1.5
    imu_dropout_max: int = 3
    imu_implausible_max: int = 3
    rate_max_rps: float = math.radians(2.0)  # the stack never turns this fast
    accel_max_mps2: float = 0.05  # twice the main burn's nominal acceleration
    # in the atmosphere (navigated radius below the equatorial radius plus entry_alt_m) drag decelerates
    # the stack by up to a few g and aerodynamic torques turn it: wider plausibility limits apply
    entry_alt_m: float = 120e3
    accel_max_entry_mps2: float = 150.0
    rate_max_entry_rps: float = math.radians(30.0)
    underperf_ratio: float = 0.8
    underperf_abort: float = 0.3
    underperf_time_s: float = 10.0
    ground_silence_s: float = 6 * 3600.0
    propellant_min_kg: float = 200.0


@dataclass
class Fdir:
    """The monitors' state. Counters by fault name in ``counts``; events to send in ``take_events()``."""

    config: FdirConfig = field(default_factory=FdirConfig)
    counts: Counter[str] = field(default_factory=Counter)
    active: set[str] = field(default_factory=set)
    _events: list[Event] = field(default_factory=list)
    _last_t_s: float | None = None
    _dropouts: int = 0
    _implausible: int = 0
    _underperf_since_s: float | None = None
    _last_ground_s: float | None = None
    _last_status_t_s: float | None = None

    # ------------------------------------------------------------------------------ helpers

    def _raise(self, t_s: float, name: str, message: str, response: Response,
               severity: Severity = Severity.WARNING) -> FdirAction:
        self.counts[name] += 1
        if name not in self.active:
            self.active.add(name)
            self._events.append(Event(t_s, severity, f"fdir.{name}", f"{message}: {response.value}",
                                      {"response": response.value}))
        return FdirAction(response, name, message)

    def _clear(self, t_s: float, name: str) -> None:
        if name in self.active:
            self.active.discard(name)
            self._events.append(Event(t_s, Severity.INFO, f"fdir.{name}.cleared", f"{name} cleared"))

    def take_events(self) -> list[Event]:
        out, self._events = self._events, []
        return out

    # ----------------------------------------------------------------------------- monitors

    def on_imu(self, sample: ImuSample, expected_interval_s: float, thrusting: bool,
               in_atmosphere: bool = False) -> list[FdirAction]:
        """Check one sample. A HOLD with fault ``imu.implausible`` means: do not use this sample.
        ``in_atmosphere``: navigation puts the stack below ``entry_alt_m`` (the entry limits apply)."""
        cfg = self.config
        out: list[FdirAction] = []
        t = sample.t_s
        gap = (t - self._last_t_s) if self._last_t_s is not None else sample.interval_s
        self._last_t_s = t
        dt = max(sample.interval_s, 1e-9)
        rate = math.sqrt(sum(x * x for x in sample.dtheta_body_rad)) / dt
        accel = math.sqrt(sum(x * x for x in sample.dv_body_mps)) / dt
        rate_max = cfg.rate_max_entry_rps if in_atmosphere else cfg.rate_max_rps
        accel_max = cfg.accel_max_entry_mps2 if in_atmosphere else cfg.accel_max_mps2
        if not sample.usable or rate > rate_max or accel > accel_max:
            self._implausible += 1
            why = (f"flags {int(sample.flags)}" if not sample.usable
                   else f"rate {math.degrees(rate):.3f} deg/s, acceleration {accel:.4f} m/s^2")
            resp = Response.SAFE if self._implausible >= cfg.imu_implausible_max else Response.HOLD
            out.append(self._raise(t, "imu.implausible", f"implausible IMU sample ({why})", resp,
                                   Severity.ERROR))
            return out
        self._implausible = 0
        self._clear(t, "imu.implausible")
        limit = cfg.imu_gap_factor * expected_interval_s
        if gap > limit or sample.interval_s > limit:
            self._dropouts += 1
            resp = Response.SAFE if thrusting and self._dropouts >= cfg.imu_dropout_max else Response.HOLD
            msg = f"IMU gap of {gap:.3f} s (expected {expected_interval_s:.3f} s)"
            out.append(self._raise(t, "imu.dropout", msg, resp))
        else:
            self._dropouts = 0
            self._clear(t, "imu.dropout")
        self._clear(t, "imu.stale")
        return out

    def on_imu_stale(self, t_s: float, waited_s: float, thrusting: bool) -> list[FdirAction]:
        resp = Response.SAFE if thrusting else Response.HOLD
        return [self._raise(t_s, "imu.stale", f"no IMU sample for {waited_s:.2f} s", resp, Severity.ERROR)]

    def on_imu_rate_unconfirmed(self, t_s: float, rate_hz: float) -> list[FdirAction]:
        return [self._raise(t_s, "imu.rate_unconfirmed", f"IMU output rate {rate_hz} Hz not confirmed",
                            Response.RETRY)]

    def on_imu_rate_confirmed(self, t_s: float) -> None:
        self._clear(t_s, "imu.rate_unconfirmed")

    def on_burn_accel(self, t_s: float, measured_mps2: float, expected_mps2: float) -> list[FdirAction]:
        """In a confirmed burn: the measured thrust acceleration against the expected one."""
        cfg = self.config
        if not (math.isfinite(measured_mps2) and math.isfinite(expected_mps2) and expected_mps2 > 0.0):
            return []
        ratio = measured_mps2 / expected_mps2
        if ratio >= cfg.underperf_ratio:
            self._underperf_since_s = None
            self._clear(t_s, "thruster.underperformance")
            return []
        if self._underperf_since_s is None:
            self._underperf_since_s = t_s
        if t_s - self._underperf_since_s < cfg.underperf_time_s:
            return []
        if ratio < cfg.underperf_abort:
            return [self._raise(t_s, "thruster.underperformance",
                                f"thrust at {ratio:.0%} of expected", Response.SAFE, Severity.ERROR)]
        return [self._raise(t_s, "thruster.underperformance", f"thrust at {ratio:.0%} of expected",
                            Response.REPLAN)]

    def end_burn(self) -> None:
        self._underperf_since_s = None

    def on_thruster_status(self, t_s: float, status: ThrusterStatus, needs_armed: bool) -> list[FdirAction]:
        out: list[FdirAction] = []
        new = self._last_status_t_s is None or status.t_s > self._last_status_t_s
        self._last_status_t_s = status.t_s
        if not new:
            return out
        faults = int(status.faults)  # plain int operations: the flag class's operators are Python calls
        reset = bool(faults & _BOARD_RESET)
        if reset or (needs_armed and status.arm_state is ArmState.DISARMED):
            why = "board reset" if reset else "board disarmed"
            out.append(self._raise(t_s, "thruster.reset", f"thruster {why}", Response.SAFE, Severity.ERROR))
            out.append(FdirAction(Response.REPLAN, "thruster.reset", why))
        else:
            self._clear(t_s, "thruster.reset")
        if faults & _VALVE_STUCK_OPEN:
            out.append(self._raise(t_s, "thruster.valve_stuck", "a valve is stuck open", Response.SAFE,
                                   Severity.CRITICAL))
        else:
            self._clear(t_s, "thruster.valve_stuck")
        return out

    def on_propellant(self, t_s: float, propellant_kg: float, needed_kg: float,
                      reserve_kg: float) -> list[FdirAction]:
        cfg = self.config
        if not math.isfinite(propellant_kg):
            return []
        if propellant_kg < cfg.propellant_min_kg:
            return [self._raise(t_s, "propellant.low", f"propellant {propellant_kg:.0f} kg below the minimum",
                                Response.SAFE, Severity.CRITICAL)]
        if propellant_kg < needed_kg + reserve_kg:
            return [self._raise(t_s, "propellant.low",
                                f"propellant {propellant_kg:.0f} kg below the plan's {needed_kg:.0f} kg "
                                f"plus reserve", Response.REPLAN)]
        self._clear(t_s, "propellant.low")
        return []

    def on_ground_contact(self, t_s: float) -> None:
        self._last_ground_s = t_s
        self._clear(t_s, "link.ground_loss")

    def check_ground(self, t_s: float) -> list[FdirAction]:
        if self._last_ground_s is None:
            self._last_ground_s = t_s
            return []
        silent = t_s - self._last_ground_s
        if silent > self.config.ground_silence_s:
            return [self._raise(t_s, "link.ground_loss", f"no ground contact for {silent:.0f} s",
                                Response.HOLD)]
        return []
