"""``hil bench imu|thruster (--serial PORT | --mqtt URL) [--report FILE.json] [--quick]``: the conformance
suite of docs/icd.md, run from the host side against a board that is already serving.

Prints one line per check as it completes, then a table (check, ICD section, pass/fail, measured value,
limit) and writes the JSON report when asked. Exit status: 0 when every check passes, 1 when any fails,
2 for a usage or connection error (one sentence on stderr).

``--time-scale N`` is for emulated boards running ``--time scaled:N``: the suite then waits N times less
and expects the board's clock to run N times the wall clock; every limit stays in spacecraft time.
"""

from __future__ import annotations

import argparse
import math
import os
import sys

from hil.bench.limits import CONDITIONS, Limits
from hil.bench.report import EXIT_USAGE, CheckResult, redact
from hil.bench.session import BenchConnectionError
from hil.bench.suite import check_names, run_suite
from hil.cli import CliError, run_async
from hil.links.base import LinkError
from hil.links.url import SerialSpec, parse_link_url

HELP = "run the ICD conformance suite against a real (or emulated) IMU or thruster board"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("board", choices=("imu", "thruster"), help="which board is on the link")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--serial", metavar="PORT",
                       help="serial device of the board (/dev/ttyUSB0 or serial:///dev/ttyUSB0?baud=N)")
    where.add_argument("--mqtt", metavar="URL",
                       help="broker URL, mqtt://[user:pass@]host[:port]/prefix or mqtts://...")
    parser.add_argument("--report", metavar="FILE.json", help="also write the results as JSON here")
    parser.add_argument("--quick", action="store_true",
                        help="fewer rates and samples, shorter waits (a smoke test in seconds)")
    parser.add_argument("--condition", choices=sorted(CONDITIONS), default="static",
                        help="IMU only: the known condition its outputs are judged against "
                             "(default static: at rest on the ground)")
    parser.add_argument("--time-scale", type=float, default=1.0, metavar="N",
                        help="board spacecraft seconds per wall second (emulators in scaled:N; default 1)")
    parser.add_argument("--check", action="append", metavar="NAME",
                        help="run only this active check (repeatable); passive checks always run")


def _url(args: argparse.Namespace) -> str:
    if args.serial is not None:
        if args.serial == "pty":
            raise CliError("--serial takes the board's port; 'pty' is for `hil board`", EXIT_USAGE)
        url = args.serial if args.serial.startswith("serial:") else f"serial://{args.serial}"
        try:
            spec = parse_link_url(url)
        except LinkError as exc:
            raise CliError(str(exc), EXIT_USAGE) from None
        if not isinstance(spec, SerialSpec):
            raise CliError(f"--serial needs a serial port, got {args.serial!r}", EXIT_USAGE)
        return url
    url = str(args.mqtt)
    if not url.startswith(("mqtt://", "mqtts://")):
        raise CliError(f"--mqtt needs an mqtt:// or mqtts:// URL, got {redact(url)!r}", EXIT_USAGE)
    try:
        parse_link_url(url)
    except LinkError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    return url


def _print_progress(r: CheckResult) -> None:
    print(f"{'pass' if r.passed else 'FAIL'}  {r.name}  {r.measured_text()}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    url = _url(args)
    if not (math.isfinite(args.time_scale) and 0.0 < args.time_scale <= 1000.0):
        raise CliError(f"--time-scale must lie in (0, 1000], got {args.time_scale}", EXIT_USAGE)
    limits = Limits.for_run(quick=args.quick, time_scale=args.time_scale)
    only = set(args.check) if args.check else None
    if only is not None:
        known = set(check_names(args.board, limits, mqtt=True))
        unknown = sorted(only - known)
        if unknown:
            raise CliError(f"unknown check {unknown[0]!r} for the {args.board} board; known: "
                           f"{', '.join(sorted(known))}", EXIT_USAGE)
    if args.report is not None:
        folder = os.path.dirname(os.path.abspath(args.report))
        if not os.path.isdir(folder) or not os.access(folder, os.W_OK) or os.path.isdir(args.report):
            raise CliError(f"cannot write the report {args.report}: no writable folder {folder}", EXIT_USAGE)
    try:
        report = run_async(run_suite(args.board, url, limits, condition=args.condition, only=only,
                                       progress=_print_progress))
    except BenchConnectionError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    print(report.table(), flush=True)
    if args.report is not None:
        report.write_json(args.report)
    return report.exit_status()
