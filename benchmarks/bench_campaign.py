"""Speed of a whole emulated campaign in lockstep: mission seconds per wall second and control cycles per
wall second, over loopback and over pseudo-terminals (serial), for a coast window of the final-burn
scenario (the flight software's first plan, the ground's commands, coast control at 0.1 Hz).

The plots are skipped (every other file of the run folder is written), so the figures measure the rig:
plant, boards, links, drivers, flight software, ground and the run record."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from benchmarks.timing import figure
from hil.campaign import RunOptions, run_campaign
from hil.scenario import SCENARIO_DIR


def _window(directory: Path, hours: float) -> Path:
    text = (SCENARIO_DIR / "iss-final-burn.toml").read_text()
    p = directory / "window.toml"
    p.write_text(text.replace("end_limit_days = 1.0", f"end_limit_days = {hours / 24.0!r}"))
    return p


def _one(transport: str, hours: float) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory(prefix="bench-campaign-") as d:
        sc = _window(Path(d), hours)
        t0 = time.perf_counter()
        res = asyncio.run(run_campaign(RunOptions(sc, transport=transport, out=Path(d) / "run", plots=False)))
        wall = time.perf_counter() - t0
        return wall, float(res.summary["sim_time_s"]), int(res.summary["control"]["cycles"])


def run(quick: bool) -> Iterable[dict[str, object]]:
    hours = 1.0 if quick else 4.0
    for transport in ("loopback", "serial"):
        wall, sim, cycles = _one(transport, hours)
        name = f"campaign coast window {hours:g} h, {transport}"
        yield figure(f"{name}: mission time per wall time", sim / wall, "x")
        yield figure(f"{name}: control cycles per wall second", cycles / wall, "1/s")
