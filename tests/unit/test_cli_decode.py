"""``hil decode`` and ``hil xtce``: JSON lines out, counts last, exit 0 on any input, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hil.cli import main
from hil.protocol import spacepacket
from hil.protocol.catalogue import CATALOGUE, ThrusterMode
from hil.protocol.framing import frame

ROOT = Path(__file__).resolve().parents[2]


def _thruster_command(seq: int, cycle: int) -> bytes:
    values = CATALOGUE.by_name("THRUSTER_COMMAND").example_values()
    values.update(command_id=100 + cycle, cycle=cycle, mode=ThrusterMode.PULSE, cycle_period_us=100_000,
                  on_time_us=[cycle * 10] * 46)
    return CATALOGUE.encode("THRUSTER_COMMAND", values, seq_count=seq, time_tag_s=1000.0 + cycle / 10)


def _capture() -> tuple[bytes, list[bytes]]:
    good = [_thruster_command(s, c) for s, c in [(0, 1), (1, 2), (3, 4), (3, 4)]]  # gap at 2, duplicate
    unknown = spacepacket.pack(0x555, 0, b"\x01\x02")
    corrupt = bytearray(_thruster_command(4, 5))
    corrupt[30] ^= 0x10
    stream = b"\x00garbage\x00" + frame(good[0]) + frame(good[1]) + frame(bytes(corrupt)) + frame(good[2])
    stream += frame(good[3]) + frame(unknown) + b"\x07\x01\x02"  # truncated tail
    return stream, good


def _run(capsys: pytest.CaptureFixture[str], args: list[str]) -> tuple[int, list[dict[str, Any]], str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, [json.loads(line) for line in out.splitlines()], err


def test_decode_cobs_capture_lists_packets_then_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stream, _good = _capture()
    path = tmp_path / "capture.bin"
    path.write_bytes(stream)
    status, lines, err = _run(capsys, ["decode", str(path)])
    assert status == 0 and err == ""
    records, counts = lines[:-1], lines[-1]["counts"]
    assert [r["name"] for r in records] == ["THRUSTER_COMMAND"] * 4 + [None]
    assert [r["fields"]["cycle"] for r in records[:4]] == [1, 2, 4, 4]
    assert records[0]["apid"] == 0x200 and records[0]["time_tag_s"] == pytest.approx(1000.1, abs=2**-16)
    assert records[0]["fields"]["mode"] == "PULSE" and records[0]["fields"]["on_time_us"] == [10] * 46
    assert "not in the catalogue" in records[4]["error"]
    assert counts["packets"] == 5 and counts["crc_errors"] == 1
    assert counts["framing_errors"] == 2  # "garbage" and the truncated tail
    assert counts["gaps"] == 1 and counts["missing"] == 1 and counts["duplicates"] == 1
    assert counts["bytes"] == len(stream)


def test_decode_raw_capture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _stream, good = _capture()
    path = tmp_path / "raw.bin"
    path.write_bytes(b"\xff\xfe" + good[0] + good[1][:-1] + b"\x00" + good[2])
    status, lines, _ = _run(capsys, ["decode", "--framing", "raw", str(path)])
    assert status == 0
    assert [r["fields"]["cycle"] for r in lines[:-1]] == [1, 4]
    counts = lines[-1]["counts"]
    assert counts["packets"] == 2 and counts["crc_errors"] + counts["framing_errors"] == 2


def test_decode_garbage_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "noise.bin"
    path.write_bytes(os.urandom(20_000))
    for framing in ("cobs", "raw"):
        status, lines, _ = _run(capsys, ["decode", "--framing", framing, str(path)])
        assert status == 0 and "counts" in lines[-1]


def test_decode_empty_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "empty.bin"
    path.write_bytes(b"")
    status, lines, _ = _run(capsys, ["decode", str(path)])
    assert status == 0 and lines == [{"counts": dict.fromkeys(lines[0]["counts"], 0)}]


def test_missing_file_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["decode", str(tmp_path / "absent.bin")])
    out, err = capsys.readouterr()
    assert status == 1 and out == ""
    assert err.strip().count("\n") == 0 and "no such file" in err


def test_bad_arguments_exit_2_with_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["decode", "--framing", "hdlc", "x"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_xtce_writes_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "d.xml"
    assert main(["xtce", "-o", str(out)]) == 0
    assert out.read_text().startswith('<?xml version="1.0"')
    assert "THRUSTER_COMMAND" in out.read_text()


def test_command_line_never_shows_a_traceback(tmp_path: Path) -> None:
    """Through a real process: garbage decodes with status 0; a missing file gives one line, status 1."""
    noise = tmp_path / "noise.bin"
    noise.write_bytes(os.urandom(3000))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ok = subprocess.run([sys.executable, "-m", "hil.cli", "decode", str(noise)], capture_output=True,
                        text=True, env=env, timeout=60, check=False)
    assert ok.returncode == 0 and "counts" in ok.stdout.splitlines()[-1]
    bad = subprocess.run([sys.executable, "-m", "hil.cli", "decode", str(tmp_path / "nope")],
                         capture_output=True, text=True, env=env, timeout=60, check=False)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and bad.stderr.count("\n") == 1


def test_decode_reads_standard_input(tmp_path: Path) -> None:
    stream, _good = _capture()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "hil.cli", "decode", "-"], input=stream, capture_output=True,
                          env=env, timeout=60, check=False)
    assert done.returncode == 0
    assert json.loads(done.stdout.splitlines()[-1])["counts"]["packets"] == 5
