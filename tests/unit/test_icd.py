"""docs/icd.md and the packet catalogue agree: the generated block is current, and every packet's field
table read back from the document matches the schema (names, offsets, types, units)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from flight.security import Authenticator, KeyRing
from hil.protocol import icd
from hil.protocol.catalogue import CATALOGUE, SPECS
from hil.protocol.schema import Catalogue, Field

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "icd.md"


def test_generated_block_is_current() -> None:
    text = DOC.read_text()
    assert icd.splice(text, icd.generate()) == text, "run: python -m hil.protocol.icd --write docs/icd.md"


def _doc_tables(text: str) -> dict[str, list[list[str]]]:
    """Field rows per packet section (### NAME followed by a table with an offset column)."""
    out: dict[str, list[list[str]]] = {}
    for section in re.split(r"^### ", text, flags=re.M)[1:]:
        name, _, body = section.partition("\n")
        rows = [
            [c.strip() for c in line.strip().strip("|").split("|")]
            for line in body.splitlines()
            if re.match(r"^\| \d+ \|", line)
        ]
        rows = [r for r in rows if len(r) == 7]  # packet tables have 7 columns, enumerations 2 or 3
        if rows:
            out[name.strip()] = rows
    return out


def test_every_packet_table_matches_the_schema() -> None:
    tables = _doc_tables(DOC.read_text())
    assert set(tables) == {s.name for s in CATALOGUE}
    for spec in CATALOGUE:
        rows = tables[spec.name]
        assert len(rows) == len(spec.all_fields) + 1, spec.name  # fields, then the CRC
        offset = 12
        for row, f in zip(rows, spec.all_fields, strict=False):
            assert int(row[0]) == offset and row[1] == f"`{f.name}`" and row[3] == f.unit, (spec.name, row)
            assert row[2].startswith(f.kind), (spec.name, row)
            offset += f.octets
        assert int(rows[-1][0]) == offset == spec.packet_octets - 2


def test_a_changed_schema_makes_the_document_stale() -> None:
    """The check is sensitive: widening one field of one packet changes the generated block."""
    spec = SPECS[0]
    widened = dataclasses.replace(spec, fields=(*spec.fields[:-1], Field("status", "u32", "", "flags")))
    changed = Catalogue([widened, *SPECS[1:]])
    text = DOC.read_text()
    assert icd.splice(text, icd.generate(changed)) != text


def test_worked_example_verifies_with_the_documented_key() -> None:
    """The signed TC_GO in the document is accepted by the authenticator given the documented key."""
    text = DOC.read_text()
    block = text[text.index("### Worked example") :]
    octets = b"".join(bytes.fromhex(m) for m in re.findall(r"^\| [^|]+ \| `([0-9a-f ]+)` \|$", block, re.M))
    assert len(octets) == CATALOGUE.by_name("TC_GO").packet_octets
    verdict = Authenticator(KeyRing({1: icd.EXAMPLE_KEY})).verify_space_packet(octets)
    assert verdict.accepted and verdict.arsn == 7
    assert CATALOGUE.decode(octets)["burn_id"] == 3


def test_check_mode_reports_stale_document(tmp_path: Path) -> None:
    stale = tmp_path / "icd.md"
    stale.write_text(f"intro\n{icd.BEGIN}\nold\n{icd.END}\n")
    assert icd.main([str(stale), "--check"]) == 1
    assert icd.main([str(stale), "--write"]) == 0
    assert icd.main([str(stale), "--check"]) == 0
