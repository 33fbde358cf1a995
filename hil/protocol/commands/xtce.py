"""``hil xtce [-o FILE]``: write the XTCE 1.2 document of the whole packet catalogue."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hil.protocol import xtce

HELP = "write the XTCE 1.2 description of every packet (for Yamcs, OpenC3 COSMOS, space_packet_parser)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")


def run(args: argparse.Namespace) -> int:
    text = xtce.to_string()
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    return 0
