"""The numbers a board is judged against, each derived from docs/icd.md (section in the comment).

Times are spacecraft (board) seconds unless the name says ``wall``: the suite measures timing from the
board's own time tags, so link latency does not enter a measurement, and a board whose spacecraft time
runs N times faster than the wall clock (an emulator in ``scaled:N``) is judged by the same limits with
``time_scale=N``. Tolerances are the suite's, stated here once; everything else is the ICD's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from hil.protocol.catalogue import ARM_CONFIRM_TIMEOUT_S, WATCHDOG_CYCLES
from hil.protocol.spacepacket import FINE_TIME_PER_S

#: One time-tag tick (2^-16 s, ICD 1 and 3.2).
TICK_S = 1.0 / FINE_TIME_PER_S
#: Standard gravity (m/s^2), the specific force a static IMU on the ground reads (within local variation).
G0_MPS2 = 9.80665
#: Earth rotation rate (rad/s), what a static IMU's gyros see at most (IERS conventions, 7.292115e-5).
EARTH_RATE_RPS = 7.292115e-5


@dataclass(frozen=True)
class Condition:
    """What a plausible IMU output looks like in a known condition: the mean specific force magnitude
    ``specific_force_mps2`` within ``specific_force_tol_mps2``, and a mean angular rate magnitude at most
    ``max_rate_rps``."""

    name: str
    description: str
    specific_force_mps2: float
    specific_force_tol_mps2: float
    max_rate_rps: float


CONDITIONS: dict[str, Condition] = {
    # On a bench on the ground: 1 g (local gravity is 9.78..9.83 m/s^2) plus an accelerometer bias of
    # up to about 15 mg; the gyros see the Earth rate plus a bias of a tactical-grade gyro or better.
    "static": Condition("static", "at rest on the ground", G0_MPS2, 0.2, EARTH_RATE_RPS + 1.0e-3),
    # In orbit, coasting (the emulated boards' default scenario): free fall, drag of order 1e-5 m/s^2,
    # attitude held near the orbital rate (about 1.2e-3 rad/s at 200 km).
    "orbit": Condition("orbit", "free fall in orbit, attitude held", 0.0, 0.05, 0.01),
}


@dataclass(frozen=True)
class Limits:
    """Limits and test parameters of one run (``quick`` shortens waits and sample counts)."""

    quick: bool = False
    time_scale: float = 1.0  # board seconds per wall second
    # Wall-clock bounds of the suite itself (not ICD figures): how long to wait for an answer.
    reply_timeout_wall_s: float = 2.0
    connect_timeout_wall_s: float = 10.0
    # ICD 8.1, 8.2: status at 1 Hz; housekeeping every 10 s. Tolerances: 50 % on the status gap (it
    # catches a board that reports too seldom, not scheduling jitter), 10 % on the housekeeping interval.
    status_period_s: float = 1.0
    status_gap_max_s: float = 1.5
    housekeeping_period_s: float = 10.0
    housekeeping_tol_s: float = 1.0
    # ICD 8.1: IMU_CONFIG output rate 0.01..400 Hz; the rates tried and the relative rate tolerance.
    imu_rates_hz: tuple[float, ...] = (1.0, 5.0, 20.0, 50.0, 100.0)
    rate_rel_tol: float = 0.01
    rate_intervals: int = 20
    # Time tags resolve one tick; interval_s resolves 1 us: they agree within two ticks.
    interval_tol_s: float = 2 * TICK_S
    # ICD 8.2: arming confirm window, watchdog of three cycle periods.
    arm_timeout_s: float = ARM_CONFIRM_TIMEOUT_S
    arm_margin_s: float = 0.5
    watchdog_cycles: int = WATCHDOG_CYCLES
    command_period_s: float = 1.0  # cycle period of the suite's ordinary commands
    watchdog_cycle_s: float = 0.5  # cycle period of the watchdog check's command
    watchdog_tol_s: float = 0.1  # a watchdog may close the valves this much after 3 periods
    # ICD 6: the clock runs at time_scale; a step time sync to the board's own time moves nothing, one
    # ahead of it moves the time tags by as much (thruster board).
    clock_rate_rel_tol: float = 0.02
    sync_step_tol_s: float = 0.1
    sync_step_s: float = 0.25  # the forward step a thruster board's clock is set by
    # Link recovery: how long the host side stays away (wall) and how long the board may take to be
    # heard again once the link is back (wall).
    recovery_down_wall_s: float = 3.0
    recovery_timeout_wall_s: float = 10.0
    static_window_s: float = 5.0  # board seconds of IMU_DATA averaged for the plausibility check
    conditions: dict[str, Condition] = field(default_factory=lambda: dict(CONDITIONS))

    @classmethod
    def for_run(cls, *, quick: bool, time_scale: float = 1.0) -> Limits:
        if not (math.isfinite(time_scale) and time_scale > 0.0):
            raise ValueError(f"time scale must be a positive number, got {time_scale!r}")
        if not quick:
            return cls(quick=False, time_scale=time_scale)
        return cls(
            quick=True, time_scale=time_scale, imu_rates_hz=(2.0, 20.0), rate_intervals=4,
            clock_rate_rel_tol=0.05, recovery_down_wall_s=1.0, static_window_s=2.0,
        )

    def wall(self, board_s: float) -> float:
        """Wall seconds of ``board_s`` spacecraft seconds."""
        return board_s / self.time_scale
