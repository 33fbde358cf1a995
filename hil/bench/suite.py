"""The conformance suite: the ordered checks of one board, run over one session, into a report.

    report = await run_suite("imu", "serial:///dev/ttyUSB0", Limits.for_run(quick=True),
                             condition="static")

A check that raises (the link failed under it or could not be reopened, a board answered nonsense) is
reported as failed with the error, and the suite goes on; a board that cannot be reached at the start
raises BenchConnectionError. Passive
checks (packet form, sequence counts, time tags, rates) run last over everything recorded, after the suite
has waited (bounded) for enough housekeeping to judge its rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from hil.bench.checks import common, imu, thruster
from hil.bench.checks.common import Context
from hil.bench.limits import Limits
from hil.bench.report import CheckResult, Report
from hil.bench.session import BenchSession, LinkFactory
from hil.links import open_link
from hil.links.mqtt_link import MqttLink

log = logging.getLogger(__name__)

#: No single check may take longer than this (wall seconds, times the time scale's slowdown).
CHECK_TIMEOUT_WALL_S = 120.0

Step = tuple[str, str, Callable[[Context], Awaitable[CheckResult | list[CheckResult]]]]


def _imu_steps(limits: Limits) -> list[Step]:
    steps: list[Step] = [
        ("imu.bit", "8.1, 11", imu.check_bit),
        ("imu.plausible", "8.1", imu.check_plausible),
    ]
    for rate in limits.imu_rates_hz:
        steps.append((f"imu.rate_{rate:g}hz", "8.1", functools.partial(imu.check_rate, rate_hz=rate)))
    steps += [
        ("imu.rate_out_of_range", "1, 8.1, 8.3", imu.check_rate_out_of_range),
        ("time.sync", "6", common.check_time_sync),
        ("input.garbage", "4, 5, 8.3", imu.check_imu_garbage),
        ("link.recovery", "4, 5", imu.check_imu_recovery),
    ]
    return steps


def _thruster_steps(limits: Limits) -> list[Step]:
    return [
        ("thruster.disarm_idle", "8.2", thruster.check_disarm_idle),
        ("thruster.interlock_disarmed", "8.2", thruster.check_interlock_disarmed),
        ("thruster.confirm_without_prepare", "8.2", thruster.check_confirm_without_prepare),
        ("thruster.interlock_prepared", "8.2", thruster.check_prepared_and_wrong_code),
        ("thruster.arm_timeout", "8.2", thruster.check_arm_timeout),
        ("thruster.arm_two_step", "8.2", thruster.check_arm_two_step),
        ("thruster.status_echo", "8.2", thruster.check_pulse_echo),
        ("thruster.on_time_clamp", "8.2", thruster.check_on_time_clamp),
        ("thruster.field_out_of_range", "1, 8.3", thruster.check_field_range),
        ("thruster.watchdog", "8.2", thruster.check_watchdog),
        ("thruster.disarm_closes", "8.2", thruster.check_disarm_closes),
        ("time.sync", "6", common.check_time_sync),
        ("input.garbage", "4, 5, 8.3", thruster.check_thruster_garbage),
        ("link.recovery", "4, 5", thruster.check_thruster_recovery),
    ]


def _passive(board: str, only: set[str] | None = None) -> list[Callable[[Context], CheckResult]]:
    checks: list[Callable[[Context], CheckResult]] = [
        common.check_well_formed,
        common.check_sequence,
        common.check_time_monotonic,
        common.check_clock_rate,
        common.check_status_rate,
        common.check_housekeeping_rate,
        common.check_bad_input_counted,
        common.check_no_reset,
    ]
    if board == "imu":
        checks.insert(3, imu.check_intervals)
    if only is not None and "input.garbage" not in only:
        checks.remove(common.check_bad_input_counted)  # it judges what the bad-input check sent
    return checks


#: Steps that report more than one check: the names of the others.
ALSO_REPORTS = {
    "thruster.interlock_prepared": ("thruster.confirm_wrong_code",),
    "thruster.status_echo": ("thruster.once_only",),
    "thruster.watchdog": ("thruster.safed_latches",),
}


def check_names(board: str, limits: Limits, mqtt: bool = False) -> list[str]:
    """The names of the active checks the suite runs for ``board`` (in order)."""
    names = ["mqtt.state_online"] if mqtt else []
    for name, _icd, _fn in _imu_steps(limits) if board == "imu" else _thruster_steps(limits):
        names += [name, *ALSO_REPORTS.get(name, ())]
    return names


async def _run_step(ctx: Context, name: str, icd: str,
                    fn: Callable[[Context], Awaitable[CheckResult | list[CheckResult]]]) -> list[CheckResult]:
    timeout = CHECK_TIMEOUT_WALL_S * max(1.0, 1.0 / ctx.limits.time_scale)
    try:
        async with asyncio.timeout(timeout):
            out = await fn(ctx)
    except TimeoutError:
        return [CheckResult(name, icd, False, None, f"done within {timeout:g} s", "",
                            "the check did not finish in time")]
    except Exception as exc:  # a check that breaks is reported as failed, and the suite goes on
        log.debug("check %s raised", name, exc_info=True)
        return [CheckResult(name, icd, False, None, "-", "", f"error: {type(exc).__name__}: {exc}")]
    return out if isinstance(out, list) else [out]


async def _wait_for_housekeeping(ctx: Context) -> None:
    """Wait (bounded) until two housekeeping packets arrived in one connection, to judge their rate,
    and one after the bad input, to see it counted."""
    name = common.HOUSEKEEPING[ctx.board]
    lim = ctx.limits
    deadline = time.monotonic() + lim.wall(2 * (lim.housekeeping_period_s + lim.housekeeping_tol_s)) + 1.0
    while time.monotonic() < deadline:
        hks = ctx.session.since(0, name)
        garbage = ctx.notes.get("garbage_mark")
        if len([r for r in hks if r.epoch == ctx.session.epoch]) >= 2 and (
                garbage is None or any(r.index >= garbage for r in hks)):
            return
        with contextlib.suppress(TimeoutError):
            await ctx.session.wait_message(name, timeout_wall_s=max(0.01, deadline - time.monotonic()))


async def run_suite(
    board: str,
    url: str,
    limits: Limits,
    *,
    condition: str = "static",
    link_factory: LinkFactory = open_link,
    only: set[str] | None = None,
    progress: Callable[[CheckResult], None] | None = None,
) -> Report:
    """Run every check of ``board`` against the board serving on ``url``; ``only`` limits the active
    checks to those names (passive checks always run). Raises BenchConnectionError when the board
    cannot be reached."""
    if board not in ("imu", "thruster"):
        raise ValueError(f"board must be imu or thruster, got {board!r}")
    cond = limits.conditions.get(condition) if board == "imu" else None
    if board == "imu" and cond is None:
        raise ValueError(f"unknown condition {condition!r}; known: {', '.join(limits.conditions)}")
    started = time.monotonic()
    report = Report(board=board, link=url, quick=limits.quick, time_scale=limits.time_scale,
                    condition=cond.name if cond is not None else None,
                    started_utc=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"))

    def add(results: list[CheckResult]) -> None:
        for r in results:
            report.checks.append(r)
            if progress is not None:
                progress(r)

    async with BenchSession(url, board, limits, link_factory=link_factory) as session:
        ctx = Context(session, limits, cond)
        steps = _imu_steps(limits) if board == "imu" else _thruster_steps(limits)
        try:
            if board == "imu":
                with contextlib.suppress(TimeoutError):
                    ctx.notes["imu_initial_rate"] = await imu.current_rate(ctx)
                    if ctx.notes["imu_initial_rate"] < imu.START_RATE_HZ:
                        # A board left in coast (0.1 Hz) would starve the first checks of data: start
                        # them at the ICD's rate around burns; the rate checks judge the command itself.
                        await imu.set_rate(ctx, imu.START_RATE_HZ)
                        # The interval under way ends at the old rate (ICD 8.1): wait for it.
                        await session.wait_message(
                            "IMU_DATA", lambda m: float(m["interval_s"]) < 2.0 / imu.START_RATE_HZ,
                            timeout_wall_s=limits.wall(2.0 / ctx.notes["imu_initial_rate"])
                            + limits.reply_timeout_wall_s)
            if isinstance(session.link, MqttLink):
                add(await _run_step(ctx, "mqtt.state_online", "5", common.check_mqtt_online))
            for name, icd, fn in steps:
                if only is not None and only.isdisjoint((name, *ALSO_REPORTS.get(name, ()))):
                    continue
                add(await _run_step(ctx, name, icd, fn))
            await _wait_for_housekeeping(ctx)
            for passive in _passive(board, only):
                try:
                    add([passive(ctx)])
                except Exception as exc:
                    add([CheckResult(passive.__name__.removeprefix("check_"), "-", False, None, "-", "",
                                     f"error: {type(exc).__name__}: {exc}")])
        finally:
            with contextlib.suppress(Exception):
                if board == "thruster" and session.link is not None:
                    async with asyncio.timeout(5.0):
                        await thruster.safe(ctx)
            with contextlib.suppress(Exception):
                if board == "imu" and "imu_initial_rate" in ctx.notes and session.link is not None:
                    async with asyncio.timeout(5.0):
                        await imu.set_rate(ctx, ctx.notes["imu_initial_rate"])
        report.link_stats = session.link_stats()
        counts: dict[str, Any] = {}
        for r in session.log:
            key = r.name or "malformed"
            counts[key] = counts.get(key, 0) + 1
        report.packets = counts
        sent: dict[str, int] = {}
        for _wall, name, _packet in session.sent:
            sent[name or "raw"] = sent.get(name or "raw", 0) + 1
        report.packets_sent = sent
    report.duration_s = time.monotonic() - started
    return report
