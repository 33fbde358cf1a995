"""The run folder: packet recording format, summary helpers, faults files, plots and the HTML report."""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from hil.links import loopback_pair
from hil.protocol.catalogue import CATALOGUE
from hil.report import html, plots
from hil.report.faults import FaultFileError, load_faults
from hil.report.packets import PacketRecorder, RecordingError, read_packets
from hil.report.record import (
    OUTCOMES,
    burns_summary,
    link_summary,
    outcome_of,
    predicted_footprint,
    utc_of,
)
from hil.scenario import load


def _packet(n: int) -> bytes:
    return CATALOGUE.encode(
        "IMU_STATUS",
        {
            "output_rate_hz": 10.0,
            "internal_rate_hz": 100.0,
            "status": 1,
            "temperature_c": 20.0,
            "last_command_id": n,
            "last_sync_id": 0,
        },
        seq_count=n,
    )


def test_recorded_packets_read_back_exactly(tmp_path: Path) -> None:
    """Every packet a recorded host end sends and receives is read back from packets.hilrec byte for byte,
    in order, with its channel, direction and spacecraft time."""

    async def body() -> None:
        rec = PacketRecorder(tmp_path / "p.hilrec", 100.0)
        host, board = loopback_pair("imu")
        t = [100.0]
        async with host, board:
            rec.attach(host, "imu", lambda: t[0])
            await host.send(_packet(1))
            assert await board.recv(1.0) == _packet(1)
            t[0] = 101.5
            await board.send(_packet(2))
            assert await host.recv(1.0) == _packet(2)
        rec.close()

    asyncio.run(body())
    got = list(read_packets(tmp_path / "p.hilrec"))
    assert [(r.channel, r.direction, r.t_s, r.packet) for r in got] == [
        ("imu", "to_board", 100.0, _packet(1)),
        ("imu", "from_board", 101.5, _packet(2)),
    ]
    assert got[1].wall_s >= got[0].wall_s >= 0.0


def test_a_cut_short_or_foreign_recording_is_a_clear_error(tmp_path: Path) -> None:
    """A recording cut inside a record, and a file that is not a recording, raise RecordingError."""
    rec = PacketRecorder(tmp_path / "p.hilrec", 0.0)
    rec.write(1.0, "thruster", 0, _packet(3))
    rec.close()
    data = (tmp_path / "p.hilrec").read_bytes()
    (tmp_path / "cut.hilrec").write_bytes(data[:-5])
    with pytest.raises(RecordingError):
        list(read_packets(tmp_path / "cut.hilrec"))
    (tmp_path / "x.hilrec").write_bytes(b"hello\n")
    with pytest.raises(RecordingError):
        list(read_packets(tmp_path / "x.hilrec"))


def test_outcomes() -> None:
    """An error wins; a re-entry is in or outside the zone by the truth's verdict; no re-entry is aborted."""
    assert outcome_of("boom", True, True) == "error"
    assert outcome_of("", True, True) == "reentry_in_zone"
    assert outcome_of("", True, False) == "reentry_outside_zone"
    assert outcome_of("", False, None) == "aborted"
    assert set(OUTCOMES) == {"reentry_in_zone", "reentry_outside_zone", "aborted", "error"}


def test_utc_of_spacecraft_time() -> None:
    """t_s = 0 is J2000 (2000-01-01T12:00:00Z); one day later is the next noon; NaN has no time."""
    assert utc_of(0.0) == "2000-01-01T12:00:00Z"
    assert utc_of(86400.0) == "2000-01-02T12:00:00Z"
    assert utc_of(math.nan) is None


def test_link_summary_adds_both_ends() -> None:
    """A link's frames and errors are the sums over its host and board ends."""
    z = {
        k: 0
        for k in (
            "frames_tx",
            "frames_rx",
            "crc_errors",
            "framing_errors",
            "gaps",
            "missing",
            "duplicates",
            "tx_dropped",
            "rx_dropped",
        )
    }
    h = {**z, "frames_tx": 10, "frames_rx": 7, "crc_errors": 1}
    b = {**z, "frames_tx": 8, "frames_rx": 9, "gaps": 2, "duplicates": 3}
    s = link_summary(h, b)
    assert (s["frames_sent"], s["frames_received"], s["crc_errors"], s["gaps"], s["duplicates"]) == (
        18,
        16,
        1,
        2,
        3,
    )
    assert s["host_to_board"] == 10 and s["board_to_host"] == 8


def test_burn_propellant_is_the_truth_used_while_thrusting() -> None:
    """A burn's propellant is the truth's propellant at its first thrusting sample less at its last; the
    burn's other figures are the flight software's result."""
    res = SimpleNamespace(
        name="FINAL",
        final=True,
        t_ignition_s=10.0,
        duration_s=5.0,
        dv_target_mps=2.0,
        dv_achieved_mps=1.99,
        outcome=SimpleNamespace(value="completed"),
    )
    rows = [
        (9.0, "settle", 1, 0.0, 0.001, 0.0, 500.0),
        (10.0, "burn", 1, 0.0, 0.002, 0.1, 500.0),
        (15.0, "cutoff", 1, 0.0, 0.003, 1.99, 420.5),
        (16.0, "burn", 2, 0.0, 0.0, 0.0, 400.0),
    ]
    (b,) = burns_summary({1: res, 2: None}, rows)
    assert b["propellant_kg"] == pytest.approx(79.5)
    assert b["ignition_utc"] == "2000-01-01T12:00:10Z" and b["dv_achieved_mps"] == 1.99
    assert b["max_thrust_axis_error_deg"] == pytest.approx(math.degrees(0.003))


def test_predicted_footprint_in_degrees() -> None:
    """The flight software's prediction is reported in degrees and km, impacts in beta order."""
    fp = SimpleNamespace(
        beta_kg_m2=np.array([5.0, 50.0]),
        impact_lat_rad=np.radians([-40.0, -45.0]),
        impact_lon_rad=np.radians([-130.0, -120.0]),
        heel_lat_rad=math.radians(-40.0),
        heel_lon_rad=math.radians(-130.0),
        toe_lat_rad=math.radians(-45.0),
        toe_lon_rad=math.radians(-120.0),
        length_m=950e3,
        centre_lat_rad=math.radians(-42.5),
        centre_lon_rad=math.radians(-125.0),
        t_interface_s=0.0,
        fpa_interface_rad=-0.01,
    )
    p = predicted_footprint(fp)
    assert p is not None and p["length_km"] == 950.0
    assert p["impacts"][1] == {
        "beta_kg_m2": 50.0,
        "lat_deg": pytest.approx(-45.0),
        "lon_deg": pytest.approx(-120.0),
    }
    assert predicted_footprint(None) is None


def test_faults_file(tmp_path: Path) -> None:
    """A faults file gives board faults at mission times; mistakes name the file and the fault."""
    good = tmp_path / "f.toml"
    good.write_text(
        '[[fault]]\nat_h = 1.5\nboard = "imu"\nkind = "BIAS_JUMP"\naxis = "GYRO_Z"\nmagnitude = 2e-5\n'
        '[[fault]]\nat_s = 60\nboard = "thruster"\nkind = "DEGRADED_THRUST"\nthruster = 20\n'
        "factor = 0.8\n"
    )
    plan = load_faults(good)
    assert [(f.at_s, f.board, f.kind) for f in plan.faults] == [
        (5400.0, "imu", "BIAS_JUMP"),
        (60.0, "thruster", "DEGRADED_THRUST"),
    ]
    assert plan.faults[1].factor == 0.8 and plan.faults[0].axis == "GYRO_Z"
    for text, words in (
        ('[[fault]]\nboard = "imu"\nkind = "STUCK"\n', "at_h"),
        ('[[fault]]\nat_s = 1\nboard = "gps"\nkind = "STUCK"\n', "board"),
        ('[[fault]]\nat_s = 1\nboard = "imu"\nkind = "MELT"\n', "kind"),
        ('[[fault]]\nat_s = 1\nboard = "thruster"\nkind = "CLEAR"\nthruster = 99\n', "thruster"),
        ('[[fault]]\nat_s = 1\nboard = "imu"\nkind = "STUCK"\ncolour = 1\n', "colour"),
        ("[[fault]\n", "TOML"),
    ):
        bad = tmp_path / "bad.toml"
        bad.write_text(text)
        with pytest.raises(FaultFileError, match=words):
            load_faults(bad)
    with pytest.raises(FaultFileError, match="cannot read"):
        load_faults(tmp_path / "missing.toml")


def _summary() -> dict[str, object]:
    return {
        "scenario": "iss-final-burn",
        "seed": 0,
        "transport": "loopback",
        "time_mode": "lockstep",
        "outcome": "reentry_in_zone",
        "end_reason": "breakup",
        "wall_time_s": 1.0,
        "sim_time_s": 3 * 86400.0,
        "burns": [
            {
                "burn_id": 1,
                "name": "FINAL",
                "t_ignition_s": 1000.0 + 86400.0,
                "ignition_utc": "x",
                "duration_s": 900.0,
                "dv_target_mps": 27.0,
                "dv_achieved_mps": 26.9,
                "propellant_kg": 4000.0,
                "outcome": "completed",
            }
        ],
        "reentry": {"interface_utc": "y", "fpa_at_interface_deg": -0.3, "breakup_alt_km": 78.0},
        "footprint": {
            "impacts": [
                {"beta_kg_m2": 5.0, "lat_deg": -40.0, "lon_deg": -125.0},
                {"beta_kg_m2": 2000.0, "lat_deg": -45.0, "lon_deg": -118.0},
            ],
            "heel": {"lat_deg": -40.0, "lon_deg": -125.0},
            "toe": {"lat_deg": -45.0, "lon_deg": -118.0},
            "length_km": 900.0,
            "center_miss_km": 400.0,
            "inside_zone": True,
            "predicted": None,
        },
        "links": {
            "imu": {
                "host_to_board": 3,
                "board_to_host": 100,
                "frames_sent": 103,
                "frames_received": 103,
                "crc_errors": 0,
                "gaps": 0,
                "duplicates": 0,
            }
        },
        "control": {"cycles": 100, "deadline_misses": 0, "latency_ms": {"p50": 1.0, "p99": 2.0, "max": 3.0}},
        "faults_injected": [],
    }


def test_plots_and_report_are_written(tmp_path: Path) -> None:
    """From a summary and truth samples the four plots are valid PNG files and report.html embeds each."""
    t0 = 9.6e8
    t = t0 + np.arange(0.0, 3 * 86400.0, 60.0)
    lat = 51.6 * np.sin(2 * np.pi * (t - t0) / 5300.0)
    lon = ((t - t0) / 5300.0 * 360.0 * 0.94) % 360.0 - 180.0
    alt = 200.0 - (t - t0) / 86400.0 * 40.0
    truth = [(a, b, c, d, d - 10.0, d + 10.0, 5000.0) for a, b, c, d in zip(t, lat, lon, alt, strict=True)]
    rows = [(t0 + 86400.0 + k, "burn", 1, 0.0, 0.002, 0.03 * k, 5000.0 - k) for k in range(0, 900, 10)]
    rec = SimpleNamespace(truth=truth, burn_rows=rows, scenario=load("iss-final-burn"))
    summary = _summary()
    images = plots.make_plots(tmp_path, summary, rec)
    assert [p.name for p in images] == ["ground_track.png", "altitude.png", "burns.png", "links.png"]
    for p in images:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 10_000
    page = html.write_report(tmp_path, summary, images).read_text()
    assert page.count("data:image/png;base64,") == 4
    assert "reentry_in_zone" in page and "FINAL" in page
    json.dumps(summary)  # the summary used is JSON-ready
