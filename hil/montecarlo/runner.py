"""The campaign: N dispersed runs on a ``concurrent.futures.Executor``, records, statistics and the plot.

    with executor(workers=2) as (pool, where):
        summary = run_montecarlo(MonteCarloOptions("iss-final-burn", n=200, out=Path("mc")), pool)

The executor is a process pool on this machine by default, or a Dask cluster's ``Client.get_executor()``
(``scheduler="tcp://host:8786"``): one code path, since both are ``concurrent.futures`` executors. The run
function (``hil.montecarlo.runs.execute``) and its task are plain picklable objects, and the task carries the
scenario as text, so a Dask worker needs the project installed but not the caller's files. Closed-loop runs
write their run folders under ``OUT/runs/``: with workers on other machines, ``--out`` should be on a
filesystem they share.

Resume: rerunning with the same ``out`` (and the same scenario, seed and mode) flies only the runs that
have no record yet (and, with ``retry_errors``, those whose record is an error: after fixing what failed);
a larger ``n`` extends the campaign, a smaller one summarises its first ``n`` runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hil.montecarlo import dispersions, records, runs, stats
from hil.montecarlo.scenario_toml import dumps
from hil.scenario import Scenario, ScenarioError, load, loads, resolve

DEFAULT_SCENARIO = "iss-final-burn"
SCHEDULER_TIMEOUT_S = 10.0


class MonteCarloError(Exception):
    """A campaign could not be set up or carried on; the message is one sentence for the user."""


@dataclass(frozen=True)
class MonteCarloOptions:
    scenario: str | Path = DEFAULT_SCENARIO
    n: int = 100
    master_seed: int = 0
    mode: str = "closed-loop"  # or "open-loop"
    out: Path = Path("runs/montecarlo")
    keep: str = (
        "failures"  # closed-loop run folders: "failures" (full folders of runs not in the zone), "all"
    )
    # or "summary"
    confidence: float = 0.95
    retry_errors: bool = False  # on a resume, fly again the runs whose record is an error


@dataclass(frozen=True)
class Progress:
    """Where the campaign is: runs done of the total (skipped: done before a resume), contained so far."""

    done: int
    total: int
    contained: int
    skipped: int
    wall_s: float
    last: dict[str, Any] = field(default_factory=dict)


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def executor(
    workers: int | None = None, scheduler: str | None = None, fresh_processes: bool = False
) -> Iterator[tuple[Executor, str]]:
    """A process pool of ``workers`` (default: the usable cores) or, with ``scheduler``, a Dask cluster's
    executor; yields (executor, a description). Workers are reused from run to run: a run builds every
    object it uses and depends on nothing a previous run in its process left (a test flies a run after
    another in one worker and in a fresh one and compares the records), and a new process would cost
    each closed-loop run its interpreter start, imports and first-call warm-up, about a tenth of the run.
    ``fresh_processes`` gives every run a new worker process all the same. Leaving the block by an
    exception cancels the runs not started. Raises MonteCarloError when Dask is missing or the scheduler
    cannot be reached."""
    if workers is not None and workers < 1:
        raise MonteCarloError(f"--workers must be at least 1, got {workers}")
    if scheduler is None:
        n = workers or default_workers()
        pool = ProcessPoolExecutor(max_workers=n, max_tasks_per_child=1 if fresh_processes else None)
        try:
            yield pool, f"{n} local process{'es' if n != 1 else ''}"
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return
    try:
        from distributed import Client
    except ImportError:
        raise MonteCarloError(
            "--scheduler needs Dask's distributed scheduler: "
            "pip install 'dask[distributed]' (the project's optional extra 'distributed')"
        ) from None
    try:
        client = Client(scheduler, timeout=SCHEDULER_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise MonteCarloError(
            f"cannot reach the Dask scheduler at {scheduler}: "
            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from None
    try:
        n = len(client.scheduler_info().get("workers", {}))
        yield client.get_executor(), f"Dask cluster {scheduler} ({n} worker{'s' if n != 1 else ''})"
    finally:
        client.close()


def _scenario(opts: MonteCarloOptions) -> tuple[Scenario, str, str]:
    """The nominal scenario, its normalised text for the workers and the SHA-256 of its file."""
    try:
        path = resolve(opts.scenario)
        nominal = load(path)
        raw = path.read_bytes()
        text = dumps(nominal)
        # every run's scenario must be one the rig accepts: check with the first run's draws
        loads(dumps(dispersions.apply(nominal, dispersions.draw(nominal, opts.master_seed, 0))), str(path))
    except ScenarioError as exc:
        raise MonteCarloError(str(exc)) from None
    except OSError as exc:
        raise MonteCarloError(f"cannot read scenario {opts.scenario}: {exc.strerror or exc}") from None
    return nominal, text, hashlib.sha256(raw).hexdigest()


def check(opts: MonteCarloOptions) -> tuple[Scenario, str, str]:
    """Check the options and the scenario before anything starts; return the nominal scenario, its text for
    the workers and its file's SHA-256 (MonteCarloError with one sentence otherwise)."""
    if isinstance(opts.n, bool) or not isinstance(opts.n, int) or opts.n < 1:
        raise MonteCarloError(f"the number of runs must be a positive integer, got {opts.n!r}")
    try:
        dispersions.check_seed(opts.master_seed)
    except ValueError as exc:
        raise MonteCarloError(str(exc)) from None
    if opts.mode not in runs.MODES:
        raise MonteCarloError(f"unknown mode {opts.mode!r}; use one of {', '.join(runs.MODES)}")
    if opts.keep not in runs.KEEP:
        raise MonteCarloError(f"unknown keep policy {opts.keep!r}; use one of {', '.join(runs.KEEP)}")
    return _scenario(opts)


def run_montecarlo(
    opts: MonteCarloOptions,
    pool: Executor,
    progress: Callable[[Progress], None] | None = None,
    where: str = "",
) -> dict[str, Any]:
    """Fly the runs that have no record yet on ``pool``, then write ``records.jsonl`` (in run order),
    ``summary.json`` and ``centres.png`` to ``opts.out``; return the summary."""
    nominal, text, sha = check(opts)
    out = Path(opts.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        records.check_manifest(
            out,
            {
                "scenario": nominal.name,
                "scenario_source": nominal.source,
                "scenario_sha256": sha,
                "master_seed": opts.master_seed,
                "mode": opts.mode,
            },
        )
    except records.FolderError as exc:
        raise MonteCarloError(str(exc)) from None
    done = records.read_records(out)
    if opts.retry_errors:
        done = {i: r for i, r in done.items() if i >= opts.n or r.get("outcome") != "error"}
    todo = [i for i in range(opts.n) if i not in done]
    skipped = opts.n - len(todo)
    runs_dir = str((out / "runs").resolve())
    wall0 = time.perf_counter()
    contained = sum(1 for i, r in done.items() if i < opts.n and r.get("inside") is True)
    finished = skipped
    if progress is not None:
        progress(Progress(finished, opts.n, contained, skipped, 0.0))
    futures: dict[Future[dict[str, Any]], int] = {}
    try:
        with records.RecordWriter(out) as writer:
            for i in todo:
                task = runs.RunTask(
                    index=i,
                    master_seed=opts.master_seed,
                    scenario_toml=text,
                    scenario_source=nominal.source,
                    mode=opts.mode,
                    runs_dir=runs_dir,
                    keep=opts.keep,
                )
                futures[pool.submit(runs.execute, task)] = i
            for fut in as_completed(futures):
                i = futures[fut]
                try:
                    rec = fut.result()
                except BrokenProcessPool:
                    raise MonteCarloError(
                        "a worker process died (out of memory?); rerun with the same --out to resume"
                    ) from None
                except Exception as exc:
                    raise MonteCarloError(
                        f"run {i} could not be flown on its worker: {type(exc).__name__}: "
                        f"{exc}; rerun with the same --out to resume"
                    ) from None
                writer.write(rec)
                done[i] = rec
                finished += 1
                contained += 1 if rec.get("inside") is True else 0
                if progress is not None:
                    progress(Progress(finished, opts.n, contained, skipped, time.perf_counter() - wall0, rec))
    finally:
        for fut in futures:
            fut.cancel()
    wall_s = time.perf_counter() - wall0
    records.rewrite_sorted(out, done.values())
    return summarise(
        opts, nominal, [done[i] for i in range(opts.n)], out, wall_s=wall_s, flown=len(todo), where=where
    )


def summarise(
    opts: MonteCarloOptions,
    nominal: Scenario,
    recs: list[dict[str, Any]],
    out: Path,
    wall_s: float = 0.0,
    flown: int = 0,
    where: str = "",
) -> dict[str, Any]:
    """The campaign summary (written to ``summary.json``) and the plot, from the records of runs 0..n-1."""
    zone = nominal.zone()
    aim = zone["aim_point"]
    run_wall = [float(r["wall_time_s"]) for r in recs if isinstance(r.get("wall_time_s"), int | float)]
    summary: dict[str, Any] = {
        "scenario": nominal.name,
        "scenario_source": nominal.source,
        "mode": opts.mode,
        "master_seed": opts.master_seed,
        "runs": len(recs),
        "containment": stats.containment(recs, opts.confidence),
        "centre_dispersion": stats.centre_dispersion(
            recs, float(aim["lat_deg"]), float(aim["lon_deg"]), nominal.target.center_miss_goal_km
        ),
        "zone": {"name": zone["name"], "aim_point": aim},
        "executor": where,
        "flown_this_time": flown,
        "wall_time_s": wall_s,
        "runs_per_minute": 60.0 * flown / wall_s if flown and wall_s > 0 else None,
        "run_wall_time_s": {"mean": sum(run_wall) / len(run_wall), "max": max(run_wall)}
        if run_wall
        else None,
        "errors": [
            {"index": r["index"], "error": r.get("error")} for r in recs if r.get("outcome") == "error"
        ][:20],
        "files": {"records": records.RECORDS, "plot": records.PLOT},
    }
    from hil.montecarlo.plot import centres_plot

    centres_plot(out / records.PLOT, recs, zone, summary)
    records.write_json(out / records.SUMMARY, summary)
    return summary
