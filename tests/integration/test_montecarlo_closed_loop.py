"""A closed-loop Monte Carlo run end to end: the dispersed scenario flown by the whole rig (``hil.campaign``
over loopback in lockstep) in a fresh worker process, its record taken from the run's own summary.

A closed-loop run takes about ten seconds on a shared two-core machine.
"""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from hil.montecarlo import dispersions, records
from hil.montecarlo.records import read_records
from hil.montecarlo.runner import MonteCarloOptions, executor, run_montecarlo
from hil.montecarlo.runs import RunTask, execute
from hil.scenario import load, resolve

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


def test_closed_loop_run_record_matches_its_run_folder(tmp_path: Path) -> None:
    """The record's seed, outcome, centre and miss are the run summary's; the run folder's scenario.toml is
    the dispersed scenario of the record's draws; the folder keeps what the keep policy says."""
    opts = MonteCarloOptions("iss-final-burn", n=1, master_seed=3, mode="closed-loop", out=tmp_path)
    with executor(1, fresh_processes=True) as (pool, where):
        s = run_montecarlo(opts, pool, where=where)
    (rec,) = [json.loads(line) for line in (tmp_path / records.RECORDS).read_text().splitlines()]
    folder = tmp_path / "runs" / "run-00000"
    run_summary = json.loads((folder / "summary.json").read_text())
    assert rec["seed"] == run_summary["seed"] == dispersions.draw(load("iss-final-burn"), 3, 0).seed
    assert rec["outcome"] == run_summary["outcome"]
    fp = run_summary["footprint"]
    assert rec["miss_km"] == fp["center_miss_km"]
    assert rec["inside"] == (bool(fp["inside_zone"]) and run_summary["outcome"] == "reentry_in_zone")
    assert rec["centre"] == fp.get("center")
    nominal = load("iss-final-burn")
    expected = dispersions.apply(nominal, dispersions.draw(nominal, 3, 0))
    flown = load(folder / "scenario.toml")
    assert flown.vehicle == expected.vehicle and flown.truth == expected.truth
    assert flown.reentry == expected.reentry and flown.thrusters == expected.thrusters
    kept = {p.name for p in folder.iterdir()}
    if rec["outcome"] == "reentry_in_zone":
        assert kept == {"summary.json", "scenario.toml"}
    else:
        assert "packets.hilrec" in kept
    assert s["containment"]["runs"] == 1


def _physics(record: dict[str, Any]) -> dict[str, Any]:
    """A record without what the host's clock measures."""
    return {k: v for k, v in record.items() if "wall" not in k}


def test_a_run_after_another_in_one_worker_equals_the_same_run_in_a_fresh_process(tmp_path: Path) -> None:
    """Workers are reused from run to run (``executor``): run 1 flown by the worker that has just flown run 0
    gives the same record, every figure equal (wall times aside), as run 1 flown alone in a new process, so
    nothing a run leaves in its process changes the next one."""
    out = tmp_path / "reused"
    opts = MonteCarloOptions("iss-final-burn", n=2, master_seed=5, mode="closed-loop", out=out)
    with executor(1) as (pool, where):
        run_montecarlo(opts, pool, where=where)
    flown = read_records(out)
    after_another = flown[1]
    assert _physics(flown[0]) != _physics(after_another)  # two cases: the equality below says something
    path = resolve("iss-final-burn")
    task = RunTask(1, 5, path.read_text(), str(path), runs_dir=str(tmp_path / "fresh"))
    with ProcessPoolExecutor(1, max_tasks_per_child=1) as fresh:
        alone = fresh.submit(execute, task).result()
    assert after_another["outcome"] == alone["outcome"] != "error"
    assert _physics(after_another) == _physics(alone)
