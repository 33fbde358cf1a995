"""Monte Carlo throughput on this machine's two cores: open-loop runs per minute on two worker processes
(and one, for the scaling), and closed-loop runs per minute on two worker processes (ten runs of the
whole rig over loopback in lockstep; the goal is at least 20). ``--quick`` skips the closed loop, which
takes about half a minute."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path

from benchmarks.timing import figure
from hil.montecarlo.runner import MonteCarloOptions, executor, run_montecarlo


def _rate(n: int, workers: int, mode: str, keep: str = "summary") -> tuple[float, float]:
    """(runs per minute from the first submission to the last record, worker start-up and imports included,
    the summary and plot not; the mean wall time of one run in its worker, s)."""
    with tempfile.TemporaryDirectory(prefix="bench-mc-") as d:
        opts = MonteCarloOptions("iss-final-burn", n=n, master_seed=0, mode=mode, out=Path(d), keep=keep)
        with executor(workers) as (pool, where):
            s = run_montecarlo(opts, pool, where=where)
    return float(s["runs_per_minute"]), float(s["run_wall_time_s"]["mean"])


def run(quick: bool) -> Iterable[dict[str, object]]:
    n = 8 if quick else 40
    rate, per_run = _rate(n, 2, "open-loop")
    yield figure(f"open-loop runs per minute, 2 workers, {n} runs", rate, "runs/min")
    yield figure("open-loop wall time of one run", per_run, "s")
    rate1, _ = _rate(n // 2, 1, "open-loop")
    yield figure(f"open-loop runs per minute, 1 worker, {n // 2} runs", rate1, "runs/min")
    if quick:
        return
    rate_cl, per_run_cl = _rate(10, 2, "closed-loop")
    yield figure("closed-loop runs per minute, 2 workers, 10 runs (goal >= 20)", rate_cl, "runs/min")
    yield figure("closed-loop wall time of one run", per_run_cl, "s")
