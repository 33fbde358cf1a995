"""Speed of a whole emulated campaign in lockstep, and its latency in real time.

Lockstep: mission seconds per wall second and control cycles per wall second, over loopback and over
pseudo-terminals (serial), for a coast window of the final-burn scenario (the flight software's first
plan, the ground's commands, coast control at 0.1 Hz); and the wall time of the whole final-burn scenario
over loopback (coast, slew at 2 Hz, the burn at 10 Hz, entry and breakup).

Real time: the same window flown on the wall clock with the IMU output and control at 10 Hz, over serial
(pseudo-terminals) and over MQTT (a local mosquitto, when installed): the latency from the IMU board
emitting a sample to the thruster board holding the flight software's command for it (through both links,
both drivers and the flight software; ``control.loop_latency_ms`` of the summary), p50 and p99, and the
flight software's own cycle latency p99.

The plots are skipped (every other file of the run folder is written), so the figures measure the rig:
plant, boards, links, drivers, flight software, ground and the run record."""

from __future__ import annotations

import asyncio
import contextlib
import io
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from benchmarks.timing import figure
from hil.campaign import RunOptions, run_campaign
from hil.cli import CliError
from hil.run_cli import local_broker
from hil.scenario import SCENARIO_DIR

# 10 Hz output and control in the whole window
REALTIME_TABLE = "\n[flight]\nimu_rate_coast_hz = 10.0\nimu_rate_slew_hz = 10.0\n"


def _window(directory: Path, hours: float, extra: str = "") -> Path:
    text = (SCENARIO_DIR / "iss-final-burn.toml").read_text()
    p = directory / "window.toml"
    p.write_text(text.replace("end_limit_days = 1.0", f"end_limit_days = {hours / 24.0!r}") + extra)
    return p


def _realtime(transport: str, seconds: float, broker: str | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-realtime-") as d:
        sc = _window(Path(d), seconds / 3600.0, REALTIME_TABLE)
        opts = RunOptions(sc, transport=transport, broker=broker, time_mode="realtime", out=Path(d) / "run",
                          plots=False)
        return dict(asyncio.run(run_campaign(opts)).summary["control"])


def realtime_figures(seconds: float) -> Iterable[dict[str, object]]:
    for transport in ("serial", "mqtt"):
        with contextlib.ExitStack() as stack:
            broker = None
            if transport == "mqtt":
                try:
                    broker = stack.enter_context(local_broker(io.StringIO()))
                except CliError:
                    continue  # no mosquitto here: the MQTT figures are left out
            c = _realtime(transport, seconds, broker)
        loop = c["loop_latency_ms"]
        name = f"realtime {seconds:g} s at 10 Hz, {transport}"
        yield figure(f"{name}: IMU sample to thruster command p50", loop["p50"], "ms")
        yield figure(f"{name}: IMU sample to thruster command p99", loop["p99"], "ms")
        yield figure(f"{name}: IMU sample to thruster command max", loop["max"], "ms")
        yield figure(f"{name}: cycles measured", loop["cycles"], "")
        yield figure(f"{name}: flight software cycle p99", c["latency_ms"]["p99"], "ms")
        yield figure(f"{name}: deadline misses", c["deadline_misses"], "")


def _one(transport: str, hours: float) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory(prefix="bench-campaign-") as d:
        sc = _window(Path(d), hours)
        t0 = time.perf_counter()
        res = asyncio.run(run_campaign(RunOptions(sc, transport=transport, out=Path(d) / "run", plots=False)))
        wall = time.perf_counter() - t0
        return wall, float(res.summary["sim_time_s"]), int(res.summary["control"]["cycles"])


def _whole(transport: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-campaign-") as d:
        opts = RunOptions("iss-final-burn", transport=transport, out=Path(d) / "run", plots=False)
        return dict(asyncio.run(run_campaign(opts)).summary)


def run(quick: bool) -> Iterable[dict[str, object]]:
    hours = 0.5 if quick else 1.0  # the coast before iss-final-burn's slew (arming comes after 1.5 h)
    for transport in ("loopback", "serial"):
        wall, sim, cycles = _one(transport, hours)
        name = f"campaign coast window {hours:g} h, {transport}"
        yield figure(f"{name}: mission time per wall time", sim / wall, "x")
        yield figure(f"{name}: control cycles per wall second", cycles / wall, "1/s")
    s = _whole("loopback")  # coast, slew, the final burn, entry and breakup
    yield figure("iss-final-burn whole scenario, loopback: wall time", s["wall_time_s"], "s")
    yield figure("iss-final-burn whole scenario, loopback: control cycles", s["control"]["cycles"], "")
    yield figure("iss-final-burn whole scenario, loopback: every impact in the zone",
                 float(s["outcome"] == "reentry_in_zone"), "")
    yield from realtime_figures(20.0 if quick else 120.0)
