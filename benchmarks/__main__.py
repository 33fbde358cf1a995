"""Run the benchmarks and print one JSON object per figure: ``python -m benchmarks [--quick] [AREA ...]``."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def available() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("areas", nargs="*", help=f"areas to run (default: all of {', '.join(available())})")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, for a smoke check")
    args = parser.parse_args(argv)
    areas = args.areas or available()
    unknown = sorted(set(areas) - set(available()))
    if unknown:
        print(f"unknown benchmark area(s): {', '.join(unknown)}; choose from {', '.join(available())}",
              file=sys.stderr)
        return 2
    for area in areas:
        module = importlib.import_module(f"benchmarks.bench_{area}")
        for figure in module.run(quick=args.quick):
            print(json.dumps(figure), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
