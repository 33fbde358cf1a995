"""A closed-loop Monte Carlo run end to end: the dispersed scenario flown by the whole rig (``hil.campaign``
over loopback in lockstep) in a fresh worker process, its record taken from the run's own summary.

One closed-loop run takes about four minutes on a shared two-core machine: the slowest test of the suite.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hil.montecarlo import dispersions, records
from hil.montecarlo.runner import MonteCarloOptions, executor, run_montecarlo
from hil.scenario import load

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
