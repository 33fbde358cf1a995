"""``flight run`` in real time against standalone emulated boards: three processes and a ground station.

The IMU and thruster boards each run as ``hil board ... --serial pty`` in their own process, in real time;
``flight run`` opens their pseudo-terminals and a third one whose other end this test holds as mission
control (``hil.ground.station.GroundStation``), with a key file both sides read. This is how a bench
wires a flight computer to boards, with nothing shared in memory.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flight.security import KeyRing, Signer
from hil.drivers.packets import message_t_s
from hil.ground.keys import load_keys, write_key_file
from hil.ground.station import GroundStation, state_vector_values
from hil.links import PtyLink
from hil.plant import Plant
from hil.protocol.catalogue import AckStage, FlightFlags
from hil.protocol.schema import Message
from hil.protocol.telecommand import sign
from hil.scenario import load
from tests.integration.test_boards_standalone import board_process

ROOT = Path(__file__).resolve().parents[2]
KEY_ID = 1
GUIDANCE_PLAN_CODE = 20  # hil.drivers.ground.EVENT_CODES["guidance.plan"]


async def mission_control(start_flight: Callable[[str], object], keys: KeyRing, other_keys: KeyRing,
                          t0_s: float, sv: dict[str, float]) -> dict[str, object]:
    """Open the ground's pty, start the flight software on its other end, uplink a state vector, a forged
    command and CREW_CLEAR; collect telemetry and events for a while."""
    ground = PtyLink("ground", "host")
    tms: list[tuple[float, Message]] = []
    events: list[dict[str, Any]] = []
    enough = asyncio.Event()
    forged: list[dict[str, Any]] = []
    rejected = asyncio.Event()
    contact = asyncio.Event()  # the first telemetry: the flight software is up (acquisition of signal)

    def on_record(rec: dict[str, Any]) -> None:
        if rec["dir"] != "down":
            return
        contact.set()
        if rec["name"] == "FLIGHT_EVENT":
            events.append(rec["fields"])
        if rec["name"] == "TC_ACK" and rec["fields"]["stage"] == "REJECTED":
            forged.append(rec["fields"])
            rejected.set()
        if any(e["code"] == GUIDANCE_PLAN_CODE for e in events) and len(tms) >= 3:
            enough.set()

    async with ground, GroundStation(ground, keys, KEY_ID, on_record=on_record) as station:
        start_flight(ground.path)
        station.tm_listeners.append(lambda msg: tms.append((time.monotonic(), msg)))
        async with asyncio.timeout(60.0):
            await contact.wait()
        ack_sv = await station.command("TC_STATE_VECTOR", sv, t0_s, timeout_s=30.0)
        # a command signed with a key the flight software does not hold, straight onto the link
        rejected.clear()
        await ground.send(sign("TC_CREW_CLEAR", {"command_id": 900}, Signer(other_keys, KEY_ID),
                               seq_count=100, time_tag_s=t0_s))
        async with asyncio.timeout(30.0):
            await rejected.wait()
        ack_cc = await station.command("TC_CREW_CLEAR", {}, t0_s, timeout_s=10.0)
        async with asyncio.timeout(90.0):  # the plan, then two housekeeping periods of telemetry
            await enough.wait()
    return {"ack_sv": ack_sv, "forged": forged, "ack_cc": ack_cc, "tms": tms, "events": events}


def test_flight_run_flies_against_standalone_boards_in_real_time(tmp_path: Path) -> None:
    """With the boards in their own processes in real time: the flight software takes the ground's state
    vector and CREW_CLEAR (COMPLETED) and rejects a forged command (AUTH_FAILED); it plans the campaign
    (a guidance.plan event comes down); its telemetry reports a valid navigation state whose position is
    the uplinked one propagated, within 10 km; spacecraft time in the telemetry advances with the wall
    clock (real time, within 20%); and Ctrl-C stops it cleanly with exit status 0."""
    scenario = load("iss-deorbit")
    truth = Plant.from_scenario(scenario, 0).truth()
    key_file = write_key_file(tmp_path / "keys.json", KEY_ID)
    keys = load_keys(key_file)
    other = KeyRing({KEY_ID: "5a" * 32})
    config = tmp_path / "flight.toml"  # housekeeping every 10 s in coast too: the test sees it sooner
    config.write_text("[flight]\nhousekeeping_coast_period_s = 10.0\n")
    with board_process("imu", "--serial", "pty", "--seed", "0") as (_imu, imu_path), \
            board_process("thruster", "--serial", "pty") as (_thr, thr_path):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("DEORBIT_TC_KEYS", None)
        procs: list[subprocess.Popen[str]] = []

        def start_flight(ground_path: str) -> None:
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "hil.flight_cli", "run", "--imu", f"serial://{imu_path}",
                 "--thrusters", f"serial://{thr_path}", "--ground", f"serial://{ground_path}",
                 "--keys", str(key_file), "--journal", str(tmp_path / "flight.journal"),
                 "--config", str(config)],
                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))

        try:
            got = asyncio.run(mission_control(
                start_flight, keys, other, truth.t_s,
                state_vector_values(truth.t_s, truth.r_eci_m, truth.v_eci_mps)))
        finally:
            err = ""
            for flight in procs:
                if flight.poll() is None:
                    flight.send_signal(signal.SIGINT)
                _out, err = flight.communicate(timeout=30)
    assert procs and procs[0].returncode == 0, err
    assert "flight: stopped" in err and "Traceback" not in err
    for name in ("ack_sv", "ack_cc"):
        ack = got[name]
        assert isinstance(ack, Message) and AckStage(ack["stage"]) is AckStage.COMPLETED, name
    forged = got["forged"]
    assert isinstance(forged, list) and [f["reason"] for f in forged] == ["AUTH_FAILED"]
    tms = got["tms"]
    assert isinstance(tms, list) and len(tms) >= 3
    (w0, first), (w1, last) = tms[0], tms[-1]
    assert last["flags"] & FlightFlags.NAV_VALID and last["flags"] & FlightFlags.CREW_CLEAR
    assert last["control_cycle"] > first["control_cycle"]
    dt_sc, dt_wall = message_t_s(last) - message_t_s(first), w1 - w0
    assert dt_sc == pytest.approx(dt_wall, rel=0.2, abs=2.0)
    # navigation's position is the uplinked state propagated: the truth moved on meanwhile
    plant = Plant.from_scenario(scenario, 0)
    plant.advance_to(message_t_s(last))
    r_true = plant.truth().r_eci_m
    r_nav = [last[f"r_eci_m_{a}"] for a in "xyz"]
    assert sum((a - b) ** 2 for a, b in zip(r_nav, r_true, strict=True)) ** 0.5 < 10e3
