"""The ``hil`` command: a thin dispatcher to subcommands that live in their own modules.

Each subcommand module provides ``HELP`` (one line), ``configure(parser)`` to add its arguments and
``run(args) -> int`` to do the work. Add a subcommand by adding one line to ``SUBCOMMANDS``. Errors reach
the user as one line on stderr and a non-zero exit status, never as a traceback (set ``HIL_DEBUG=1`` to
see the traceback of an unexpected error).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
import traceback
from collections.abc import Coroutine
from types import ModuleType
from typing import Any, TypeVar

T = TypeVar("T")

SUBCOMMANDS: dict[str, str] = {
    "bench": "hil.bench.cli",
    "board": "hil.boards.cli",
    "ground": "hil.ground.cli",
    "run": "hil.run_cli",
    "replay": "hil.replay",
    "montecarlo": "hil.montecarlo.cli",
    "decode": "hil.protocol.commands.decode",
    "xtce": "hil.protocol.commands.xtce",
}

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """An error to show the user as one line (bad argument, missing file, unreachable broker...)."""

    def __init__(self, message: str, status: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.status = status


def run_async(main: Coroutine[Any, Any, T], prog: str = "hil") -> T:
    """``asyncio.run(main)`` for a command line tool: what the event loop reports on its own (a serial
    transport whose port went away, say, which the link also reports as lost) is one line on standard
    error, never a traceback (set HIL_DEBUG=1 for the loop's full report)."""

    def report(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if os.environ.get("HIL_DEBUG"):
            loop.default_exception_handler(context)
            return
        exc = context.get("exception")
        message = str(context.get("message") or "event loop error")
        print(f"{prog}: {message}{f': {exc}' if exc is not None else ''}", file=sys.stderr, flush=True)

    with asyncio.Runner() as runner:
        runner.get_loop().set_exception_handler(report)
        return runner.run(main)


def _load(name: str) -> ModuleType:
    try:
        return importlib.import_module(SUBCOMMANDS[name])
    except ImportError as exc:
        raise CliError(f"subcommand {name} is not available: {exc}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hil", description="ISS deorbit hardware-in-the-loop rig: protocol tools, boards, runs."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in SUBCOMMANDS:
        try:
            module = _load(name)
        except CliError as exc:
            sub.add_parser(name, help=f"(unavailable: {exc})")
            continue
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.configure(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        module = _load(args.command)
        status = module.run(args)
        sys.stdout.flush()
        return int(status)
    except CliError as exc:
        print(f"hil: {exc}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        print("hil: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (for example `hil decode ... | head`): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        print(f"hil: {exc.strerror or exc}{':' if where else ''}{where}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # the last line of defence: one clear line, never a traceback
        if os.environ.get("HIL_DEBUG"):
            traceback.print_exc()
        print(f"hil: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    # Run through the importable module so that subcommands share its CliError class.
    from hil.cli import main as _main

    raise SystemExit(_main())
