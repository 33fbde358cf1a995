"""``hil montecarlo [SCENARIO] -n N [--workers K] [--scheduler ADDRESS] [--seed S] [--out DIR]
[--open-loop] [--keep failures|all|summary] [--retry-errors] [--quiet]``: a Monte Carlo campaign of
dispersed runs.

Closed loop by default (the flight software, boards, plant and ground over loopback in lockstep, as
``hil run``); ``--open-loop`` flies the planned burns blind, a fraction of a second per run. Runs go to local
processes (``--workers``, default the usable cores) or to a Dask cluster (``--scheduler tcp://host:8786``).
The folder (default ``runs/montecarlo-SCENARIO-sSEED``) receives ``records.jsonl``, ``summary.json`` and
``centres.png``; rerun with the same ``--out`` to resume. A progress bar shows runs done and the running
containment. Exit status 0 when the campaign completed (whatever its containment), 1 on an error, 2 for
bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from hil.cli import EXIT_USAGE, CliError

HELP = (
    "Monte Carlo campaign: dispersed runs on processes or a Dask cluster; containment and footprint scatter"
)


def _positive_int(name: str) -> Any:
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number, got {text!r}") from None
        if v < 1:
            raise argparse.ArgumentTypeError(f"{name} must be at least 1, got {v}")
        return v

    return parse


def _seed(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"the seed must be a whole number, got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"the seed must not be negative, got {v}")
    return v


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "scenario",
        nargs="?",
        default="iss-final-burn",
        help="scenario name or TOML file with a [dispersions] table (default iss-final-burn)",
    )
    parser.add_argument(
        "-n", dest="n", type=_positive_int("-n"), required=True, metavar="N", help="number of runs"
    )
    parser.add_argument(
        "--workers",
        type=_positive_int("--workers"),
        metavar="K",
        help="local worker processes (default: the usable cores)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on a Dask cluster, e.g. tcp://host:8786 (needs dask[distributed])",
    )
    parser.add_argument("--seed", type=_seed, default=0, help="master seed (default 0)")
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="campaign folder (default runs/montecarlo-SCENARIO-sSEED); reuse it to resume",
    )
    parser.add_argument(
        "--open-loop",
        action="store_true",
        help="open-loop runs: burns planned once and flown for their planned durations",
    )
    parser.add_argument(
        "--keep",
        default="failures",
        choices=("failures", "all", "summary"),
        help="closed-loop run folders: full folders for runs outside the zone (default), "
        "for all runs, or summary and scenario only",
    )
    parser.add_argument(
        "--retry-errors", action="store_true", help="on a resume, fly again the runs that ended in an error"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


class ProgressBar:
    """Runs done and the running containment: one line redrawn on a terminal, a line per 10 % otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self._last_decile = -1

    def __call__(self, p: Any) -> None:
        from hil.montecarlo.stats import wilson_interval

        frac = p.done / p.total if p.total else 1.0
        if p.done:
            lo, hi = wilson_interval(p.contained, p.done)
            cont = (
                f"contained {p.contained}/{p.done} {100 * p.contained / p.done:5.1f} % "
                f"[{100 * lo:.0f}-{100 * hi:.0f}]"
            )
        else:
            cont = "contained -"
        flown = p.done - p.skipped
        rate = f"{60.0 * flown / p.wall_s:6.1f} runs/min" if flown and p.wall_s > 0 else ""
        if self.tty:
            n = 24
            k = round(n * frac)
            line = f"\r[{'#' * k}{'.' * (n - k)}] {p.done}/{p.total}  {cont}  {rate}"
            self.stream.write(line + " " * 4 + ("\n" if p.done >= p.total else ""))
            self.stream.flush()
            return
        decile = int(10 * frac)
        if decile > self._last_decile:
            self._last_decile = decile
            self.stream.write(f"{p.done}/{p.total} runs  {cont}  {rate}\n".rstrip() + "\n")
            self.stream.flush()


def run(args: argparse.Namespace) -> int:
    from hil.montecarlo.runner import MonteCarloError, MonteCarloOptions, check, executor, run_montecarlo

    if args.scheduler is not None and args.workers is not None:
        raise CliError(
            "give --workers or --scheduler, not both (a Dask cluster has its own workers)", EXIT_USAGE
        )
    mode = "open-loop" if args.open_loop else "closed-loop"
    name = Path(str(args.scenario)).stem
    out = args.out or Path("runs") / f"montecarlo-{name}-s{args.seed}{'-open' if args.open_loop else ''}"
    opts = MonteCarloOptions(
        scenario=args.scenario,
        n=args.n,
        master_seed=args.seed,
        mode=mode,
        out=out,
        keep=args.keep,
        retry_errors=args.retry_errors,
    )
    err = sys.stderr
    try:
        check(opts)  # a bad scenario is reported before any worker starts
        with executor(args.workers, args.scheduler) as (pool, where):
            if not args.quiet:
                print(
                    f"hil montecarlo: {args.n} {mode} runs of {args.scenario} on {where}, out {out}", file=err
                )
            summary = run_montecarlo(opts, pool, None if args.quiet else ProgressBar(err), where)
    except MonteCarloError as exc:
        raise CliError(str(exc)) from None
    print(report(summary, out))
    return 0


def report(s: dict[str, Any], out: Path) -> str:
    """The result table printed at the end."""
    c = s["containment"]
    d = s["centre_dispersion"]
    lines = [
        f"  scenario / mode    {s['scenario']} / {s['mode']}, master seed {s['master_seed']}",
        f"  runs               {s['runs']} ({s['flown_this_time']} flown now, on {s['executor']})",
    ]
    if c["runs"]:
        lo, hi = c["interval"]
        lines.append(
            f"  containment        {c['contained']}/{c['runs']} = {100 * c['share']:.1f} %, "
            f"{100 * c['confidence']:.0f} % Wilson interval {100 * lo:.1f}-{100 * hi:.1f} %"
        )
    lines.append("  outcomes           " + ", ".join(f"{k} {v}" for k, v in c["outcomes"].items()))
    if d.get("count"):
        m = d["miss_km"]
        lines.append(
            f"  centre miss        p50 {m['p50']:.0f} km, p90 {m['p90']:.0f} km, max {m['max']:.0f} km"
            + (
                f"; {d['within_goal']}/{d['count']} within {d['miss_goal_km']:g} km"
                if "within_goal" in d
                else ""
            )
        )
        if "sigma_major_km" in d:
            lines.append(
                f"  centre scatter     mean {d['mean_east_km']:+.0f} km east {d['mean_north_km']:+.0f} km "
                f"north of the aim; 1-sigma {d['sigma_major_km']:.0f} x {d['sigma_minor_km']:.0f} km, "
                f"major axis {d['major_axis_azimuth_deg']:.0f} deg"
            )
    if s.get("runs_per_minute"):
        lines.append(f"  speed              {s['runs_per_minute']:.1f} runs per minute")
    for e in s.get("errors", [])[:3]:
        lines.append(f"  error in run {e['index']:<5} {e['error']}")
    lines.append(f"  folder: {out}  (summary.json, records.jsonl, centres.png)")
    return "\n".join(lines)
