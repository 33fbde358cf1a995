"""The generated sections of docs/icd.md: APID allocation, packet layouts, enumerations, examples.

``python -m hil.protocol.icd --write docs/icd.md`` replaces the text between the markers
``<!-- BEGIN GENERATED: catalogue -->`` and ``<!-- END GENERATED: catalogue -->`` with tables made from
the catalogue; ``--check`` exits non-zero when the document and the catalogue disagree.
"""

from __future__ import annotations

import argparse
import math
import sys
from enum import IntEnum, IntFlag
from pathlib import Path

from flight.security import KeyRing, Signer
from hil.protocol import spacepacket, telecommand
from hil.protocol.catalogue import CATALOGUE
from hil.protocol.schema import Catalogue, Field, PacketSpec

BEGIN = "<!-- BEGIN GENERATED: catalogue -->"
END = "<!-- END GENERATED: catalogue -->"
HEADER_OCTETS = spacepacket.PRIMARY_HEADER_OCTETS + spacepacket.SECONDARY_HEADER_OCTETS


def _num(x: float) -> str:
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.9g}"


def _type(f: Field) -> str:
    if f.length:
        return f"{f.kind}[{f.length}]"
    return f"{f.kind}[{f.count}]" if f.count > 1 else f.kind


def _scaling(f: Field) -> str:
    if f.scale is None:
        return ""
    text = f"raw x {_num(f.scale)}"
    return text + (f" + {_num(f.offset)}" if f.offset else "")


def _range(f: Field) -> str:
    if f.enum is not None:
        return f"{f.enum.__name__} (below)"
    if f.flags is not None:
        return f"bits of {f.flags.__name__} (below)"
    if f.kind == "bool":
        return "0 or 1"
    if f.kind == "text":
        return "printable ASCII, NUL padded"
    rng = f.value_range
    if rng is None:
        return ""
    if math.isinf(rng[0]) and math.isinf(rng[1]):
        return "finite"
    return f"{_num(rng[0])} .. {_num(rng[1])}"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def apid_table(catalogue: Catalogue) -> list[str]:
    lines = [
        "| APID | packet | type | link (board) | direction | octets | authenticated | rate |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in sorted(catalogue, key=lambda s: s.apid):
        direction = _direction(s)
        name = f"[{s.name}](#{s.name.lower()})" + (" (test only)" if s.test_only else "")
        lines.append(
            f"| 0x{s.apid:03X} | {name} | {s.packet_type.name} | {s.board} | {direction} | "
            f"{s.packet_octets} | {'yes' if s.authenticated else 'no'} | {_md(s.rate)} |"
        )
    return lines


def _direction(s: PacketSpec) -> str:
    if s.board == "ground":
        return "ground to flight" if s.direction == "cmd" else "flight to ground"
    return f"flight to {s.board}" if s.direction == "cmd" else f"{s.board} to flight"


def packet_section(s: PacketSpec) -> list[str]:
    lines = [
        f"### {s.name}",
        "",
        f"APID 0x{s.apid:03X}, {s.packet_type.name}, {_direction(s)} on the `{s.board}` link"
        f"{', authenticated' if s.authenticated else ''}{', test only' if s.test_only else ''}. "
        f"{_md(s.description[0].upper() + s.description[1:])}. Rate: {_md(s.rate)}.",
        "",
        f"Packet length {s.packet_octets} octets: headers 12, user data {s.user_data_octets}, CRC 2 "
        f"(packet data length field = {s.packet_octets - 7}).",
        "",
        "| offset | field | type | unit | scaling | range | description |",
        "|---|---|---|---|---|---|---|",
    ]
    offset = HEADER_OCTETS
    for f in s.all_fields:
        lines.append(
            f"| {offset} | `{f.name}` | {_type(f)} | {f.unit} | {_scaling(f)} | {_md(_range(f))} | "
            f"{_md(f.description)} |"
        )
        offset += f.octets
    lines.append(f"| {offset} | (CRC) | u16 | | | | CRC-16/CCITT-FALSE over octets 0..{offset - 1} |")
    example = _example(s)
    if example:
        lines += ["", f"Example (sequence count 1, time tag 0x5A000000.8000, example values): `{example}`"]
    lines.append("")
    return lines


def _example(s: PacketSpec) -> str:
    if s.authenticated:
        return ""  # a MAC depends on a secret key: see the worked example in the prose
    raw = CATALOGUE.encode(s.name, s.example_values(), seq_count=1, coarse_time=0x5A000000, fine_time=0x8000)
    return raw.hex(" ")


# A documentation test vector for implementers: NOT a key any software loads.
EXAMPLE_KEY = bytes(range(32))


def worked_example() -> list[str]:
    """A signed TC_GO with the documentation test key, octet by octet."""
    signer = Signer(KeyRing({1: EXAMPLE_KEY}), 1, next_arsn=7)
    raw = telecommand.sign("TC_GO", {"command_id": 42, "burn_id": 3}, signer, seq_count=5,
                           coarse_time=0x5A000000, fine_time=0)
    parts = [
        ("primary header", raw[0:6]), ("time tag", raw[6:12]), ("key id", raw[12:14]),
        ("ARSN", raw[14:18]), ("command_id", raw[18:22]), ("burn_id", raw[22:24]),
        ("MAC", raw[24:40]), ("CRC", raw[40:42]),
    ]
    lines = [
        "### Worked example: a signed TC_GO",
        "",
        f"Key id 1 with the documentation test key `{EXAMPLE_KEY.hex()}` (32 octets 0x00..0x1F; never "
        "used by any software), ARSN 7, sequence count 5, time tag 0x5A000000.0000, `command_id` 42, "
        "`burn_id` 3:",
        "",
        "| part | octets |",
        "|---|---|",
        *[f"| {name} | `{octets.hex(' ')}` |" for name, octets in parts],
        "",
    ]
    return lines


def enum_tables(catalogue: Catalogue) -> list[str]:
    seen: dict[str, type[IntEnum] | type[IntFlag]] = {}
    for s in catalogue:
        for f in s.all_fields:
            t = f.enum or f.flags
            if t is not None:
                seen.setdefault(t.__name__, t)
    lines: list[str] = []
    for name in sorted(seen):
        t = seen[name]
        doc = (t.__doc__ or "").strip().split("\n")[0]
        flags = issubclass(t, IntFlag)
        generic = doc.startswith(("An enumeration", "Support for integer-based Flags"))
        lines += [f"### {name}", ""]
        if doc and not generic:
            lines += [_md(doc), ""]
        if flags:
            lines += ["| bit | mask | name |", "|---|---|---|"]
            for m in t:
                lines.append(f"| {int(m).bit_length() - 1} | 0x{int(m):X} | {m.name} |")
        else:
            lines += ["| value | name |", "|---|---|"]
            for m in t:
                lines.append(f"| {int(m)} | {m.name} |")
        lines.append("")
    return lines


def generate(catalogue: Catalogue = CATALOGUE) -> str:
    lines = [
        BEGIN,
        "<!-- Generated by `python -m hil.protocol.icd --write docs/icd.md` from hil/protocol/catalogue.py."
        " Do not edit by hand: tests/unit/test_icd.py fails when this and the catalogue disagree. -->",
        "",
        "## 9. APID allocation",
        "",
        *apid_table(catalogue),
        "",
        "## 10. Packets",
        "",
        "Offsets are in octets from the first octet of the packet (the primary header starts at 0, the time"
        " tag at 6, user data at 12). All fields big-endian.",
        "",
    ]
    for s in sorted(catalogue, key=lambda s: s.apid):
        lines += packet_section(s)
    lines += worked_example()
    lines += ["## 11. Enumerations and flags", "", *enum_tables(catalogue), END]
    return "\n".join(lines)


def splice(document: str, generated: str) -> str:
    """``document`` with its generated block replaced by ``generated``."""
    start, end = document.find(BEGIN), document.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the document has no {BEGIN} ... {END} block")
    return document[:start] + generated + document[end + len(END) :]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hil.protocol.icd", description=__doc__)
    parser.add_argument("document", type=Path, nargs="?", default=Path("docs/icd.md"))
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="update the generated block in place")
    mode.add_argument("--check", action="store_true", help="exit 1 if the generated block is stale")
    args = parser.parse_args(argv)
    try:
        text = args.document.read_text(encoding="utf-8")
        updated = splice(text, generate())
    except (OSError, ValueError) as exc:
        print(f"icd: {exc}", file=sys.stderr)
        return 1
    if args.check:
        if updated != text:
            print(f"icd: {args.document} disagrees with the catalogue; run with --write", file=sys.stderr)
            return 1
        return 0
    args.document.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
