"""The Dask path: a small open-loop campaign on a local Dask cluster through ``hil montecarlo --scheduler``,
with the same records as on a local process pool (skipped when dask[distributed] is not installed)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hil.cli import main
from hil.montecarlo import records
from hil.montecarlo.runner import MonteCarloOptions, executor, run_montecarlo

distributed = pytest.importorskip(
    "distributed", reason="Dask's distributed scheduler is not installed (pip install 'dask[distributed]')"
)


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A local Dask cluster of one worker process with two threads, on a free port."""
    cluster = distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=True,
        scheduler_port=0,
        dashboard_address=None,
        silence_logs=40,
    )
    try:
        yield str(cluster.scheduler_address)
    finally:
        cluster.close()


def _strip(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rec.items() if k != "wall_time_s"}


def _records(out: Path) -> list[dict[str, Any]]:
    return [_strip(json.loads(line)) for line in (out / records.RECORDS).read_text().splitlines()]


def test_campaign_on_a_dask_cluster_matches_local_processes(
    scheduler: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``hil montecarlo --scheduler`` flies every run on the cluster and writes the same records as a
    local process pool, whose summary counts the same containment."""
    out = tmp_path / "dask"
    code = main(
        ["montecarlo", "-n", "4", "--open-loop", "--seed", "21", "--scheduler", scheduler, "--out", str(out)]
    )
    stdout, err = capsys.readouterr()
    assert code == 0, err
    assert "Dask cluster" in stdout and "4/4 runs" in err
    opts = MonteCarloOptions("iss-final-burn", n=4, master_seed=21, mode="open-loop", out=tmp_path / "local")
    with executor(2) as (pool, where):
        local = run_montecarlo(opts, pool, where=where)
    assert _records(out) == _records(tmp_path / "local")
    dask_summary = json.loads((out / records.SUMMARY).read_text())
    assert dask_summary["containment"] == local["containment"]
    assert dask_summary["executor"].startswith(f"Dask cluster {scheduler}")
