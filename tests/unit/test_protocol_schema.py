"""Unit tests of the schema: clear errors for bad values and bad packets, numpy inputs, soak smoke run."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.soak_protocol import Soak
from hil.protocol import spacepacket
from hil.protocol.catalogue import CATALOGUE, ArmAction, ThrusterMode
from hil.protocol.schema import Catalogue, DecodeError, EncodeError, Field, PacketSpec, SchemaError


def _command(**changes: object) -> dict[str, object]:
    v = CATALOGUE.by_name("THRUSTER_COMMAND").example_values()
    v.update(command_id=1, cycle=2, mode=ThrusterMode.PULSE, cycle_period_us=100_000)
    v.update(changes)
    return v


def test_numpy_arrays_and_scalars_encode() -> None:
    on = np.arange(46, dtype=np.int64) * 1000
    raw = CATALOGUE.encode("THRUSTER_COMMAND", _command(on_time_us=on, cycle=np.uint32(9)), seq_count=0)
    m = CATALOGUE.decode(raw)
    assert m["on_time_us"] == tuple(range(0, 46000, 1000)) and m["cycle"] == 9


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"on_time_us": [0] * 45}, "expected 46 values"),
        ({"on_time_us": [100_000_001] + [0] * 45}, "outside"),
        ({"cycle_period_us": 10}, "outside"),
        ({"mode": "WARP"}, "not one of"),
        ({"mode": 7}, "not one of"),
        ({"cycle": 1.5}, "not an integer"),
        ({"cycle": -1}, "outside"),
        ({"cycle": True}, "expected a number"),
        ({"command_id": "7"}, "expected a number"),
        ({"bogus": 1}, "unknown field"),
    ],
)
def test_bad_values_are_refused_with_the_field_named(changes: dict[str, object], match: str) -> None:
    with pytest.raises(EncodeError, match=match):
        CATALOGUE.encode("THRUSTER_COMMAND", _command(**changes), seq_count=0)


def test_missing_field_and_non_finite_float() -> None:
    v = CATALOGUE.by_name("IMU_CONFIG").example_values()
    del v["output_rate_hz"]
    with pytest.raises(EncodeError, match="missing"):
        CATALOGUE.encode("IMU_CONFIG", v, seq_count=0)
    with pytest.raises(EncodeError, match="not finite"):
        CATALOGUE.encode("IMU_CONFIG", {"command_id": 1, "output_rate_hz": float("nan")}, seq_count=0)


def test_f32_range_limits_are_compared_in_binary32() -> None:
    """0.01 Hz is the documented minimum; its binary32 rounding (slightly below 0.01) must pass both ways."""
    raw = CATALOGUE.encode("IMU_CONFIG", {"command_id": 1, "output_rate_hz": 0.01}, seq_count=0)
    assert abs(CATALOGUE.decode(raw)["output_rate_hz"] - 0.01) < 1e-9
    with pytest.raises(EncodeError):
        CATALOGUE.encode("IMU_CONFIG", {"command_id": 1, "output_rate_hz": 0.0099}, seq_count=0)


def test_scaled_fields_round_to_the_nearest_raw_step() -> None:
    """tank_pressure_pa has a 1 kPa step: 1,700,400 Pa is sent as 1,700 kPa."""
    v = CATALOGUE.by_name("THRUSTER_STATUS").example_values()
    v["tank_pressure_pa"] = 1_700_400.0
    assert CATALOGUE.decode(CATALOGUE.encode("THRUSTER_STATUS", v, seq_count=0))["tank_pressure_pa"] == 1.7e6


def _user_data_patch(name: str, offset: int, octets: bytes) -> bytes:
    spec = CATALOGUE.by_name(name)
    data = bytearray(spec.pack_fields(spec.example_values()))
    data[offset : offset + len(octets)] = octets
    return spacepacket.pack(spec.apid, 0, bytes(data), packet_type=spec.packet_type)


def test_decoder_refuses_out_of_range_enum_and_wrong_length_and_type() -> None:
    with pytest.raises(DecodeError, match="not a defined ArmAction"):
        CATALOGUE.decode(_user_data_patch("THRUSTER_ARM", 4, b"\x09"))
    with pytest.raises(DecodeError, match="not a defined ThrusterMode"):
        CATALOGUE.decode(_user_data_patch("THRUSTER_COMMAND", 8, b"\x05"))
    spec = CATALOGUE.by_name("THRUSTER_ARM")
    short = spacepacket.pack(spec.apid, 0, b"\x00" * 3, packet_type=spec.packet_type)
    with pytest.raises(DecodeError, match="schema says"):
        CATALOGUE.decode(short)
    as_tm = spacepacket.pack(spec.apid, 0, spec.pack_fields({"command_id": 1, "action": ArmAction.DISARM,
                                                             "arm_code": 0}))
    with pytest.raises(DecodeError, match="packet type TM"):
        CATALOGUE.decode(as_tm)
    with pytest.raises(DecodeError, match="not in the catalogue"):
        CATALOGUE.decode(spacepacket.pack(0x7FE, 0, b""))
    with pytest.raises(DecodeError, match="CRC"):
        CATALOGUE.decode(short[:-1] + bytes([short[-1] ^ 1]))


def test_decoder_refuses_nan_and_bad_text() -> None:
    nan = _user_data_patch("IMU_STATUS", 0, b"\x7f\xc0\x00\x00")
    with pytest.raises(DecodeError, match="not finite"):
        CATALOGUE.decode(nan)
    text_offset = 4 + 1 + 2 + 2 + 8
    with pytest.raises(DecodeError, match="ASCII"):
        CATALOGUE.decode(_user_data_patch("FLIGHT_EVENT", text_offset, b"\xff"))


def test_text_field_round_trip_and_limits() -> None:
    v = CATALOGUE.by_name("FLIGHT_EVENT").example_values()
    v["text"] = "burn 3 cutoff"
    assert CATALOGUE.decode(CATALOGUE.encode("FLIGHT_EVENT", v, seq_count=0))["text"] == "burn 3 cutoff"
    for bad in ("x" * 49, "caf\u00e9", "a\x00b"):
        v["text"] = bad
        with pytest.raises(EncodeError):
            CATALOGUE.encode("FLIGHT_EVENT", v, seq_count=0)


def test_schema_rejects_inconsistent_definitions() -> None:
    with pytest.raises(SchemaError):
        Field("x", "u7")
    with pytest.raises(SchemaError):
        Field("x", "f32", scale=0.5)
    with pytest.raises(SchemaError):
        Field("x", "text")
    spec = CATALOGUE.by_name("IMU_CONFIG")
    with pytest.raises(SchemaError, match="APID"):
        Catalogue([spec, PacketSpec("OTHER", spec.apid, spec.packet_type, "imu", "cmd", "d", ())])
    with pytest.raises(SchemaError, match="exceed"):
        PacketSpec("BIG", 0x1, spec.packet_type, "imu", "cmd", "d", (Field("b", "u64", count=200),))


def test_soak_smoke_run_has_no_crash_and_accepts_no_bad_telecommand() -> None:
    """A short run of benchmarks/soak_protocol.py (the full run is 1,000,000 frames)."""
    summary = Soak(seed=3).run(3000)
    assert summary["crashes"] == 0 and summary["accepted_bad_telecommands"] == 0
    assert summary["commands_accepted"] > 0 and summary["commands_rejected"] > 0
    assert summary["decoder"]["crc_errors"] + summary["decoder"]["framing_errors"] > 0
