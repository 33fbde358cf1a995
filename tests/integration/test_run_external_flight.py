"""``hil run --flight external``: the rig (plant, boards, mission control) in one process and the flight
software (``flight run``) in another, as on a bench where a flight computer takes the other ends of the
links. Over pseudo-terminals, in lockstep: the gate waits for the other process's commands."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from hil.campaign import RunOptions, run_campaign
from tests.support.broker import Broker

ROOT = Path(__file__).resolve().parents[2]


def _read_links(proc: subprocess.Popen[str], timeout_s: float) -> dict[str, str]:
    """The three ``NAME URL`` lines ``hil run --flight external`` prints first (bounded wait)."""
    assert proc.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    stdout = proc.stdout

    def read() -> None:
        for _ in range(3):
            lines.put(stdout.readline())

    threading.Thread(target=read, daemon=True).start()
    links: dict[str, str] = {}
    deadline = time.monotonic() + timeout_s
    while len(links) < 3:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            pytest.fail(f"hil run printed no link URLs within {timeout_s} s")
        if not line:
            pytest.fail(f"hil run exited early: {proc.stderr.read() if proc.stderr else ''}")
        name, _, url = line.strip().partition(" ")
        links[name] = url
    return links


def _fly_external(tmp_path: Path, transport: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """``hil run iss-final-burn --flight external`` and ``flight run`` on the links it prints, each in its
    own process; the rig's summary and the URLs, once both have ended (Ctrl-C stops ``flight run``)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DEORBIT_TC_KEYS", None)
    out = tmp_path / "run"
    rig = subprocess.Popen(
        [sys.executable, "-m", "hil.cli", "run", "iss-final-burn", "--flight", "external", "--out", str(out),
         "--quiet", *transport], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    flight: subprocess.Popen[str] | None = None
    try:
        links = _read_links(rig, 60.0)
        assert set(links) == {"imu", "thrusters", "ground"}
        flight = subprocess.Popen(
            [sys.executable, "-m", "hil.flight_cli", "run", "--scenario", "iss-final-burn",
             "--imu", links["imu"], "--thrusters", links["thrusters"], "--ground", links["ground"],
             "--keys", str(out / "tc_keys.json"), "--journal", str(tmp_path / "flight.journal")],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        rig_out, rig_err = rig.communicate(timeout=480)
    finally:
        for proc in (rig, flight):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        flight_err = ""
        if flight is not None:
            _o, flight_err = flight.communicate(timeout=30)
        if rig.poll() is None:
            rig.kill()
            rig.communicate(timeout=10)
    assert rig.returncode == 0, rig_err + rig_out
    assert "Traceback" not in rig_err
    assert flight is not None and flight.returncode == 0, flight_err
    assert "Traceback" not in flight_err
    return json.loads((out / "summary.json").read_text()), links


def _check_final_burn(s: dict[str, Any], out: Path) -> None:
    assert s["outcome"] == "reentry_in_zone" and s["end_reason"] == "breakup"
    assert s["footprint"]["inside_zone"] is True
    final = [b for b in s["burns"] if b["name"] == "FINAL"]
    assert len(final) == 1 and final[0]["outcome"] == "completed"
    assert final[0]["dv_achieved_mps"] == pytest.approx(final[0]["dv_target_mps"], rel=0.005)
    assert s["flight"]["external"] is True
    assert s["lockstep"]["stalls"] == 0
    assert s["control"]["cycles"] == s["lockstep"]["cycles_commanded"] > 10_000
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    assert any(e["name"] == "sequencer.burn_result" for e in events)
    # both directions of every link crossed: commands and telecommands up, samples and telemetry down
    for ch in ("imu", "thruster", "ground"):
        assert s["links"][ch]["host_to_board"] > 0 and s["links"][ch]["board_to_host"] > 0, ch


@pytest.mark.timeout(600)
def test_flight_run_in_another_process_flies_the_final_burn_into_the_zone(tmp_path: Path) -> None:
    """``flight run`` in its own process, connected to the pseudo-terminals ``hil run iss-final-burn
    --flight external`` prints, flies the final burn in lockstep: the run ends in breakup with every truth
    impact in the zone (exit status 0); the flight software's FINAL burn completes within 0.5 % of its
    delta-v target (its own measurement, from its burn result event); the thruster board held a command for
    every lockstep cycle with no stall (the gate waited for the other process); the flight software's
    events reached the run's event record through the ground link; and Ctrl-C stops ``flight run`` cleanly
    afterwards, with no traceback from either process."""
    s, links = _fly_external(tmp_path, [])
    assert all(url.startswith("serial:///dev/") for url in links.values())
    _check_final_burn(s, tmp_path / "run")


@pytest.mark.timeout(900)
def test_the_same_over_a_real_broker(tmp_path: Path, broker: Broker, prefix: str) -> None:
    """The same with the rig's links and the flight computer's on a real mosquitto: the URLs printed are the
    broker's, and the final burn and every impact are as over pseudo-terminals."""
    url = f"mqtt://127.0.0.1:{broker.ports['plain']}/{prefix}"
    s, links = _fly_external(tmp_path, ["--transport", "mqtt", "--broker", url])
    assert set(links.values()) == {url}
    _check_final_burn(s, tmp_path / "run")


def test_without_a_flight_computer_the_run_ends_in_error_with_a_reason(tmp_path: Path) -> None:
    """With nobody on the flight ends of the links, the rig waits (bounded) for the first command and then
    ends the run with outcome error and a sentence that says what was missing; the URLs it offered the
    flight computer are pseudo-terminals."""
    offered: list[dict[str, str]] = []
    result = asyncio.run(run_campaign(RunOptions(
        "iss-final-burn", transport="serial", flight="external", out=tmp_path / "run", plots=False,
        on_flight_links=offered.append, flight_wait_s=2.0)))
    assert result.outcome == "error"
    assert "no flight computer answered" in result.summary["error"]
    assert len(offered) == 1 and set(offered[0]) == {"imu", "thruster", "ground"}
    assert all(url.startswith("serial:///dev/") for url in offered[0].values())
