"""`hil run` end to end: the whole rig over real pseudo-terminals, a real mosquitto and loopback.

A short window of the final-burn scenario (40 minutes of mission time in lockstep: the flight software's
first plan, the ground's CREW_CLEAR, GO and state vector, coast control at 0.1 Hz) runs once per
transport. Lockstep determinism (DESIGN.md section 4) is the property: the same scenario and seed give
the same physics on every transport, bit for bit.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from hil.campaign import RunOptions, RunResult, run_campaign
from hil.report.packets import read_packets
from hil.report.record import SUMMARY_KEYS
from hil.scenario import SCENARIO_DIR
from tests.support.broker import Broker

WINDOW_DAYS = 40.0 / 1440.0


def _scenario(tmp_path: Path) -> Path:
    text = (SCENARIO_DIR / "iss-final-burn.toml").read_text()
    text = text.replace("end_limit_days = 1.0", f"end_limit_days = {WINDOW_DAYS!r}")
    p = tmp_path / "short.toml"
    p.write_text(text.replace('name = "iss-final-burn"', 'name = "iss-final-burn-window"'))
    return p


def _run(scenario: Path, out: Path, transport: str, broker: str | None = None) -> RunResult:
    opts = RunOptions(scenario, transport=transport, broker=broker, seed=7, out=out)
    return asyncio.run(asyncio.wait_for(run_campaign(opts), 600.0))


def _thruster_commands(out: Path) -> list[bytes]:
    return [
        r.packet
        for r in read_packets(out / "packets.hilrec")
        if r.channel == "thruster" and r.direction == "to_board"
    ]


@pytest.mark.timeout(900)
def test_same_physics_on_serial_mqtt_and_loopback(tmp_path: Path, broker: Broker, prefix: str) -> None:
    """Over loopback, serial (ptys) and MQTT (a real broker) a lockstep run of the same scenario and seed
    leaves the same truth samples (truth.csv, byte for byte), the same end time, control cycles and
    thruster commands (every packet to the thruster board, byte for byte); and each run folder holds the
    summary with every field DESIGN.md section 9 names, the packets, events, plots and report."""
    sc = _scenario(tmp_path)
    url = f"mqtt://127.0.0.1:{broker.ports['plain']}/{prefix}"
    runs = {
        t: _run(sc, tmp_path / t, t, url if t == "mqtt" else None) for t in ("loopback", "serial", "mqtt")
    }
    ref = runs["loopback"]
    for t, r in runs.items():
        s = r.summary
        assert set(SUMMARY_KEYS) <= set(s), t
        assert s["transport"] == t and s["time_mode"] == "lockstep" and s["seed"] == 7
        assert (
            s["outcome"] == "aborted" and s["end_reason"] == "time limit"
        )  # the window ends before the burn
        assert s["control"]["cycles"] > 200 and s["lockstep"]["stalls"] == 0
        assert s["ground"]["state_vectors_sent"] >= 1 and s["ground"]["crew_clear_sent"]
        assert s["links"]["thruster"]["crc_errors"] == 0
        for name in (
            "events.jsonl",
            "ground.jsonl",
            "packets.hilrec",
            "truth.csv",
            "report.html",
            "ground_track.png",
            "altitude.png",
            "links.png",
        ):
            assert (r.out_dir / name).stat().st_size > 0, (t, name)
        assert json.loads((r.out_dir / "summary.json").read_text())["outcome"] == "aborted"
    for t in ("serial", "mqtt"):
        r = runs[t]
        assert (r.out_dir / "truth.csv").read_bytes() == (ref.out_dir / "truth.csv").read_bytes(), t
        assert r.summary["sim_time_s"] == ref.summary["sim_time_s"], t
        assert r.summary["control"]["cycles"] == ref.summary["control"]["cycles"], t
        assert r.summary["flight"]["commands_sent"] == ref.summary["flight"]["commands_sent"], t
        assert _thruster_commands(r.out_dir) == _thruster_commands(ref.out_dir), t


@pytest.mark.timeout(600)
def test_replay_reproduces_every_thruster_command(tmp_path: Path) -> None:
    """`hil replay` of a lockstep run over ptys: a fresh flight software fed the recorded IMU, thruster
    and ground packets issues every recorded thruster-board packet again, byte for byte (hundreds of
    them), and the same IMU rate commands in the same order, byte for byte (time tags included: the control
    cycle sends them at its sample's spacecraft time)."""
    from hil.replay import replay

    r = _run(_scenario(tmp_path), tmp_path / "serial", "serial")
    res = asyncio.run(asyncio.wait_for(replay(r.out_dir), 600.0))
    assert res.first_difference is None
    assert res.compared == res.identical == len(_thruster_commands(r.out_dir)) > 200
    assert len(res.imu_config_replayed) == len(res.imu_config_recorded) > 0
    assert res.same_imu_rates


@pytest.mark.timeout(600)
def test_hil_run_with_a_local_broker_and_a_fault(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`hil run --transport mqtt` without --broker starts a local mosquitto and says so; an IMU fault from
    --faults lands at the last IMU sample before its time (300 s: the coast samples are 10 s apart) and is
    listed in the summary; a run that ends without re-entry exits 1 with its result table."""
    import shutil

    from hil.cli import main

    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
        pytest.skip("mosquitto is not installed")
    faults = tmp_path / "faults.toml"
    faults.write_text(
        '[[fault]]\nat_s = 305.0\nboard = "imu"\nkind = "NOISE_BURST"\naxis = "GYRO_X"\n'
        "magnitude = 1e-6\nduration_s = 30.0\n"
    )
    text = (
        (SCENARIO_DIR / "iss-final-burn.toml")
        .read_text()
        .replace("end_limit_days = 1.0", "end_limit_days = 0.01")
    )
    sc = tmp_path / "w.toml"
    sc.write_text(text)
    out = tmp_path / "run"
    status = main(
        ["run", str(sc), "--transport", "mqtt", "--faults", str(faults), "--out", str(out), "--quiet"]
    )
    captured = capsys.readouterr()
    assert status == 1
    assert "started a local mosquitto" in captured.err and "Traceback" not in captured.err
    assert "aborted" in captured.out and "link thruster" in captured.out
    s = json.loads((out / "summary.json").read_text())
    start = float(s["burns"][0]["t_ignition_s"]) if s["burns"] else None
    assert start is None  # the window ends long before the burn
    (fault,) = s["faults_injected"]
    t0 = 960120000.0  # 2030-06-05T00:00:00Z, the scenario's start, in seconds since J2000
    assert fault["kind"] == "NOISE_BURST" and fault["applied_t_s"] - t0 == 300.0
    assert any('"fault.injected"' in line for line in (out / "events.jsonl").read_text().splitlines())


@pytest.mark.timeout(1200)
def test_the_final_burn_window_puts_every_truth_impact_in_the_zone(tmp_path: Path) -> None:
    """The whole iss-final-burn scenario in lockstep: the flight software plans, arms, slews and flies the
    final burn to its cutoff (measured delta-v within 0.5 % of the target, in the truth too), and every
    fragment impact of the truth simulation lies inside the zone (SPOUA polygon), with the footprint centre
    within 300 km of Point Nemo (issue goal). Flown over loopback and over serial ptys, the summary's
    physics is the same bit for bit: burns (times, delta-v, propellant), re-entry, every impact, mission
    time and control cycles."""
    summaries = {}
    for transport in ("loopback", "serial"):
        opts = RunOptions("iss-final-burn", transport=transport, seed=0, out=tmp_path / transport,
                          plots=False)
        summaries[transport] = asyncio.run(asyncio.wait_for(run_campaign(opts), 1100.0)).summary
    s = summaries["loopback"]
    assert s["outcome"] == "reentry_in_zone", s.get("error")
    (burn,) = s["burns"]
    assert burn["name"] == "FINAL" and burn["outcome"] == "completed"
    assert burn["dv_achieved_mps"] == pytest.approx(burn["dv_target_mps"], rel=0.005)
    fp = s["footprint"]
    assert fp["inside_zone"] and len(fp["impacts"]) == 24
    assert fp["center_miss_km"] < 300.0
    other = summaries["serial"]
    for key in ("outcome", "sim_time_s", "burns", "reentry"):
        assert other[key] == s[key], key
    assert other["footprint"]["impacts"] == fp["impacts"]
    assert other["footprint"]["center_miss_km"] == fp["center_miss_km"]
    assert other["control"]["cycles"] == s["control"]["cycles"]
