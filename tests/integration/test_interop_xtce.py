"""The XTCE export: valid against the OMG XTCE 1.2 schema, and space_packet_parser (an independent
XTCE-driven decoder) reads our packets, telemetry and signed telecommands alike, to the same values."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import space_packet_parser as spp
from hypothesis import given, settings
from hypothesis import strategies as st
from space_packet_parser.xtce.validation import validate_xtce

from flight.security import KeyRing, Signer
from hil.protocol import telecommand, xtce
from hil.protocol.catalogue import CATALOGUE
from hil.protocol.schema import Message, PacketSpec
from tests.property.test_protocol_strategies import values


@pytest.fixture(scope="module")
def xtce_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("xtce") / "deorbit.xml"
    p.write_text(xtce.to_string())
    return p


@pytest.fixture(scope="module")
def definition(xtce_path: Path) -> Any:
    return spp.load_xtce(xtce_path)


def test_document_is_valid_xtce_1_2(xtce_path: Path) -> None:
    """Schema and structure validation against the OMG XTCE 1.2 XSD (bundled with space_packet_parser)."""
    result = validate_xtce(xtce_path, level="all", print_results=False, raise_on_error=False,
                           allow_schema_download=False)
    assert result.valid, str(result)


def test_document_names_every_packet_and_field(definition: Any) -> None:
    for spec in CATALOGUE:
        assert spec.name in definition.containers
        for f in spec.all_fields:
            for name in xtce.parameter_names(spec, f):
                assert name in definition.parameters


def _expected(spec: PacketSpec, m: Message) -> dict[str, Any]:
    """Our decoder's values under the XTCE parameter names, enumerations by label."""
    out: dict[str, Any] = {
        "PKT_APID": m.apid, "SRC_SEQ_CTR": m.seq_count, "TYPE": int(m.packet_type),
        "SC_TIME_COARSE": m.coarse_time, "SC_TIME_FINE": m.fine_time,
    }
    for f in spec.all_fields:
        v = m.fields[f.name]
        items = [v] if f.count == 1 or f.length else list(v)
        for name, x in zip(xtce.parameter_names(spec, f), items, strict=True):
            out[name] = x.name if f.enum is not None else x
    return out


def _compare(parsed: Any, expected: dict[str, Any]) -> None:
    for name, want in expected.items():
        got = parsed[name]
        if isinstance(want, bool):
            assert bool(got) is want, name
        elif isinstance(want, bytes):
            assert bytes(got) == want, name
        elif isinstance(want, str):
            assert str(got) == want, name
        else:
            assert float(got) == want, f"{name}: {got!r} != {want!r}"


@pytest.mark.parametrize("spec", [s for s in CATALOGUE if not s.authenticated], ids=lambda s: s.name)
@settings(max_examples=8)
@given(data=st.data(), seq=st.integers(0, 16383), t=st.floats(0, 2**31, allow_nan=False))
def test_space_packet_parser_decodes_our_telemetry_like_we_do(
    definition: Any, spec: PacketSpec, data: st.DataObject, seq: int, t: float
) -> None:
    """Every field value parsed by space_packet_parser from the XTCE equals ours (exactly: the scaled
    integers use the same raw * scale + offset)."""
    raw = CATALOGUE.encode(spec.name, data.draw(values(spec)), seq_count=seq, time_tag_s=t)
    parsed = definition.parse_bytes(raw)
    _compare(parsed, _expected(spec, CATALOGUE.decode(raw)))
    assert parsed["PKT_CRC"] == int.from_bytes(raw[-2:], "big")


@pytest.mark.parametrize("spec", [s for s in CATALOGUE if s.authenticated], ids=lambda s: s.name)
@settings(max_examples=4)
@given(data=st.data())
def test_space_packet_parser_decodes_our_signed_telecommands(
    definition: Any, spec: PacketSpec, data: st.DataObject
) -> None:
    """Signed telecommands too: security header and MAC appear as parameters with our values."""
    signer = Signer(KeyRing({2: os.urandom(32)}), 2, next_arsn=41)
    raw = telecommand.sign(spec.name, data.draw(values(spec)), signer, seq_count=9, time_tag_s=3.5)
    parsed = definition.parse_bytes(raw)
    _compare(parsed, _expected(spec, CATALOGUE.decode(raw)))
    assert parsed[f"{spec.name}_arsn"] == 41
