"""``hil decode [--framing cobs|raw] FILE``: a captured byte stream to one JSON object per packet.

Every valid packet becomes one line: APID, name, type, sequence count, time tag and fields (or the reason
it could not be decoded against the catalogue). The last line holds the counts. Any input, garbage
included, decodes with exit status 0; only an unreadable file is an error.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, BinaryIO

from hil.cli import CliError
from hil.protocol.catalogue import CATALOGUE
from hil.protocol.framing import RawStreamDecoder, StreamDecoder
from hil.protocol.schema import DecodeError
from hil.protocol.sequence import SequenceTracker
from hil.protocol.spacepacket import peek_apid, peek_seq_count

HELP = "decode a captured byte stream (COBS frames or raw packets) into JSON lines"
CHUNK_OCTETS = 1 << 16


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="capture to decode ('-' for standard input)")
    parser.add_argument("--framing", choices=("cobs", "raw"), default="cobs",
                        help="cobs: serial frames delimited by 0x00 (default); raw: packets back to back")


def decode_stream(stream: BinaryIO, framing: str, out: Any) -> dict[str, int]:
    """Write one JSON line per packet of ``stream`` to ``out``; return the counts (also written last)."""
    decoder: StreamDecoder | RawStreamDecoder = StreamDecoder() if framing == "cobs" else RawStreamDecoder()
    tracker = SequenceTracker()
    undecodable = 0
    while chunk := stream.read(CHUNK_OCTETS):
        for raw in decoder.feed(chunk):
            tracker.observe_packet(raw)
            try:
                record: dict[str, Any] = CATALOGUE.decode(raw).to_json()
            except DecodeError as exc:
                undecodable += 1
                record = {"apid": peek_apid(raw), "name": None, "seq_count": peek_seq_count(raw),
                          "error": str(exc), "hex": raw.hex()}
            out.write(json.dumps(record, allow_nan=False) + "\n")
    decoder.flush()
    seq = tracker.totals()
    s = decoder.stats
    counts = {
        "packets": s.packets, "crc_errors": s.crc_errors, "framing_errors": s.framing_errors,
        "oversize": s.oversize, "gaps": seq.gaps, "missing": seq.missing, "duplicates": seq.duplicates,
        "resets": seq.resets, "undecodable": undecodable, "bytes": s.bytes,
    }
    out.write(json.dumps({"counts": counts}) + "\n")
    return counts


def run(args: argparse.Namespace) -> int:
    if args.file == "-":
        decode_stream(sys.stdin.buffer, args.framing, sys.stdout)
        return 0
    try:
        with open(args.file, "rb") as stream:
            decode_stream(stream, args.framing, sys.stdout)
    except IsADirectoryError:
        raise CliError(f"{args.file} is a directory, not a capture file") from None
    except FileNotFoundError:
        raise CliError(f"no such file: {args.file}") from None
    except PermissionError:
        raise CliError(f"permission denied: {args.file}") from None
    return 0
