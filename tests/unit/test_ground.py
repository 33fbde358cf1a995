"""Ground emulator: signed commands end to end to the flight side's ground port, tracking, lockstep holds."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from flight.ports import (
    AckReason,
    BurnRef,
    Event,
    Severity,
    StateVectorArgs,
    TelecommandAck,
    TelecommandKind,
    Telemetry,
)
from flight.security import Authenticator, KeyRing
from hil.cli import CliError
from hil.drivers.ground import UNIX_J2000_OFFSET_S, GroundDriver, event_code
from hil.ground import cli as ground_cli
from hil.ground.keys import load_keys, write_key_file
from hil.ground.station import GroundStation, Tracker, state_vector_values
from hil.ground.timing import GroundTime, WatchedClock
from hil.links import PtyLink, loopback_pair
from hil.protocol.catalogue import AckReason as WireReason
from hil.protocol.catalogue import AckStage, FlightPhase

KEY_A = {1: "11" * 32}
KEY_B = {1: "22" * 32}


def run(coro: object) -> object:
    return asyncio.run(asyncio.wait_for(coro, 20.0))  # type: ignore[arg-type]


def test_key_file_is_private_and_loads(tmp_path: Path) -> None:
    """A run's key file holds one 256-bit key, readable by the owner only, and loads as a key ring."""
    p = write_key_file(tmp_path / "k.json", key_id=7)
    assert os.stat(p).st_mode & 0o077 == 0
    ring = load_keys(p)
    assert list(ring) == [7] and len(ring[7]) == 32
    assert write_key_file(tmp_path / "k2.json", 7).read_text() != p.read_text()  # fresh every time


async def _pair(ground_keys: dict[int, str], flight_keys: dict[int, str]) -> tuple[object, ...]:
    host, board = loopback_pair("ground")
    return host, board, KeyRing(ground_keys), Authenticator(KeyRing(flight_keys))


def test_signed_commands_reach_flight_and_are_acknowledged() -> None:
    """CREW_CLEAR, GO and a state vector arrive as the flight software's telecommands with their arguments
    (the epoch converted exactly enough: within 1 microsecond), and the flight's verdicts come back as
    COMPLETED and REJECTED acknowledgements with the mapped reasons."""

    async def body() -> None:
        host, board = loopback_pair("ground")
        port = GroundDriver(board, Authenticator(KeyRing(KEY_A)), time_source=lambda: 100.0)
        async with host, board, port, GroundStation(host, KeyRing(KEY_A), 1) as station:
            cid1 = await station.send("TC_CREW_CLEAR", {}, 10.0)
            cid2 = await station.send("TC_GO", {"burn_id": 3}, 11.0)
            epoch = 8.1e8 + 0.25
            r = np.array([6.6e6, 1.0e5, -2.0e4])
            v = np.array([10.0, 7.7e3, 1.5])
            cid3 = await station.send("TC_STATE_VECTOR", state_vector_values(epoch, r, v), 12.0)
            got = []
            it = aiter(port.telecommands())
            for _ in range(3):
                got.append(await anext(it))
            assert [tc.kind for tc in got] == [TelecommandKind.CREW_CLEAR, TelecommandKind.GO,
                                               TelecommandKind.STATE_VECTOR]
            assert [tc.command_id for tc in got] == [cid1, cid2, cid3]
            assert got[1].args == BurnRef(3)
            sv = got[2].args
            assert isinstance(sv, StateVectorArgs)
            assert abs(sv.epoch_s - epoch) < 1e-6
            assert sv.r_eci_m == tuple(r) and sv.v_eci_mps == tuple(v)
            await port.acknowledge(TelecommandAck(cid1, TelecommandKind.CREW_CLEAR, AckReason.ACCEPTED))
            await port.acknowledge(TelecommandAck(cid2, TelecommandKind.GO, AckReason.INTERLOCK, "no"))
            a1 = await station.wait_ack(cid1, 2.0)
            a2 = await station.wait_ack(cid2, 2.0)
            assert a1 is not None and AckStage(a1["stage"]) is AckStage.COMPLETED
            assert a2 is not None and AckStage(a2["stage"]) is AckStage.REJECTED
            assert WireReason(a2["reason"]) is WireReason.INTERLOCK
            assert station.counts.acks_completed == 1 and station.counts.acks_rejected == 1
            assert [r["name"] for r in station.records if r["dir"] == "up"] == [
                "TC_CREW_CLEAR", "TC_GO", "TC_STATE_VECTOR"]

    run(body())


def test_forged_command_is_rejected_at_the_link_and_never_reaches_flight() -> None:
    """A command signed with another key is acknowledged REJECTED (AUTH_FAILED), counted, and the
    flight software's telecommand stream stays empty; the next authentic command still gets through."""

    async def body() -> None:
        host, board = loopback_pair("ground")
        auth = Authenticator(KeyRing(KEY_A))
        port = GroundDriver(board, auth)
        async with host, board, port:
            async with GroundStation(host, KeyRing(KEY_B), 1) as forger:
                cid = await forger.send("TC_CREW_CLEAR", {}, 1.0)
                ack = await forger.wait_ack(cid, 2.0)
                assert ack is not None and WireReason(ack["reason"]) is WireReason.AUTH_FAILED
                assert AckStage(ack["stage"]) is AckStage.REJECTED
            assert len(port.telecommands()) == 0
            assert port.rejected == 1 and auth.counts["bad_mac"] == 1
            async with GroundStation(host, KeyRing(KEY_A), 1, first_command_id=50) as station:
                await station.send("TC_SAFE", {}, 2.0)
                tc = await anext(aiter(port.telecommands()))
                assert tc.kind is TelecommandKind.SAFE and tc.command_id == 50

    run(body())


def test_telemetry_and_events_reach_the_ground() -> None:
    """The sequencer's telemetry arrives as FLIGHT_TM with its phase, burn and counters; an event arrives
    as FLIGHT_EVENT with its code, severity, burn and text."""

    async def body() -> None:
        host, board = loopback_pair("ground")
        port = GroundDriver(board, Authenticator(KeyRing(KEY_A)))
        seen: list[object] = []
        async with host, board, port, GroundStation(host, KeyRing(KEY_A), 1) as station:
            station.tm_listeners.append(seen.append)
            await port.send_telemetry(Telemetry(50.0, "navigation", {"r_m": 6.6e6, "perigee_alt_m": 1.45e5}))
            await port.send_telemetry(Telemetry(50.0, "sequencer", {
                "state": "planned", "burn_id": 4, "burns_done": 2, "crew_clear": True,
                "dv_target_mps": 12.5}))
            await port.send_event(Event(51.0, Severity.WARNING, "guidance.plan", "3 burns planned",
                                        {"burn_id": 4, "burns": 3}))
            for _ in range(100):
                if station.counts.events:
                    break
                await asyncio.sleep(0.01)
            tm = station.latest_tm
            assert tm is not None and len(seen) == 1
            assert FlightPhase(tm["phase"]) is FlightPhase.PLANNED and tm["burn_id"] == 4
            assert tm["burns_done"] == 2 and abs(tm["dv_target_mps"] - 12.5) < 1e-6
            assert abs(tm["perigee_alt_m"] - 1.45e5) < 0.01
            ev = next(r for r in station.records if r["name"] == "FLIGHT_EVENT")
            assert ev["fields"]["code"] == event_code("guidance.plan")
            assert ev["fields"]["burn_id"] == 4 and ev["fields"]["value"] == 3.0
            assert ev["fields"]["text"].startswith("guidance.plan: 3 burns")
            assert ev["t_s"] == 51.0

    run(body())


def test_tracking_noise_has_the_scenario_sigmas() -> None:
    """Tracking fixes scatter about the truth with zero mean and the configured sigma per axis (2,000 fixes:
    sample sigma within 5 %, mean within 4 standard errors), and the same seed gives the same fixes."""
    truth = SimpleNamespace(t_s=5.0, truth=lambda: SimpleNamespace(
        t_s=5.0, r_eci_m=np.array([6.7e6, 0.0, 0.0]), v_eci_mps=np.array([0.0, 7.7e3, 0.0])))
    a = Tracker(truth, 50.0, 0.05, seed=3)
    fixes = [a.state_vector() for _ in range(2000)]
    dr = np.array([f[1] for f in fixes]) - truth.truth().r_eci_m
    dv = np.array([f[2] for f in fixes]) - truth.truth().v_eci_mps
    assert np.all(np.abs(dr.std(axis=0) / 50.0 - 1.0) < 0.05)
    assert np.all(np.abs(dv.std(axis=0) / 0.05 - 1.0) < 0.05)
    assert np.all(np.abs(dr.mean(axis=0)) < 4 * 50.0 / math.sqrt(2000))
    b = Tracker(truth, 50.0, 0.05, seed=3)
    assert np.array_equal(b.state_vector()[1], fixes[0][1])


def test_lockstep_hold_stops_the_simulation_before_the_planned_time() -> None:
    """In lockstep the ground's action for t = 35 s happens with the simulation blocked on the last sample
    before it (30 s, samples every 10 s, every cycle commanded), whatever the scheduling; after release
    the simulation runs on."""

    async def body() -> None:
        clock = WatchedClock("lockstep", 0.0, stall_timeout_s=5.0)
        plant_t = [0.0]

        async def imu_and_thrusters() -> None:
            t = 0.0
            while t < 100.0:
                t += 10.0
                await clock.wait_until(t)
                plant_t[0] = t
                clock.open_cycle(t)
                await asyncio.sleep(0)
                clock.command_held(t)

        gt = GroundTime(clock, lambda: plant_t[0])
        gt.hold(35.0)
        async with asyncio.TaskGroup() as tg:
            tg.create_task(imu_and_thrusters())
            async with gt.at(35.0, timeout_s=5.0) as t_act:
                assert t_act == 30.0
                for _ in range(20):
                    await asyncio.sleep(0)
                assert plant_t[0] == 30.0  # still held
        assert plant_t[0] == 100.0 and clock.stall_count == 0

    run(body())


def test_ground_time_refuses_a_plain_clock_in_lockstep() -> None:
    """A lockstep ground needs the watched clock to place holds; a plain one is refused at construction."""
    from hil.clock import SimClock

    with pytest.raises(TypeError):
        GroundTime(SimClock("lockstep", 0.0), lambda: 0.0)


def test_ground_send_command_lines() -> None:
    """Command lines become packet fields; wrong counts, numbers and epochs are one-line usage errors."""
    assert ground_cli.command_values("go", ["3"]) == ("TC_GO", {"burn_id": 3})
    assert ground_cli.command_values("abort", []) == ("TC_ABORT", {"burn_id": 0xFFFF})
    line = ["2030-06-01T00:00:00Z", "1", "2", "3", "4", "5", "6"]
    name, v = ground_cli.command_values("state-vector", line)
    assert name == "TC_STATE_VECTOR" and v["epoch_unix_s"] == 1906502400.0 and v["v_eci_mps_z"] == 6.0
    for tc, args in (("go", []), ("go", ["x"]), ("safe", ["1"]), ("set-aim", ["nan", "1"]),
                     ("state-vector", ["yesterday", "1", "2", "3", "4", "5", "6"])):
        with pytest.raises(CliError):
            ground_cli.command_values(tc, args)


def test_ground_send_over_a_pty_to_a_flight_port(tmp_path: Path) -> None:
    """`hil ground send go 2` over a real pseudo-terminal reaches a flight-side ground port as GO 2, and
    the command's acknowledgement decides the exit status (0 for COMPLETED, 1 for REJECTED)."""
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"keys": KEY_A}))

    async def body() -> None:
        board = PtyLink("ground", "board")
        async with board:
            port = GroundDriver(board, Authenticator(KeyRing(KEY_A)))
            async with port:
                async def flight(reason: AckReason) -> None:
                    tc = await anext(aiter(port.telecommands()))
                    assert tc.kind is TelecommandKind.GO and tc.args == BurnRef(2)
                    await port.acknowledge(TelecommandAck(tc.command_id, tc.kind, reason))

                for arsn, reason, status in ((10, AckReason.ACCEPTED, 0), (11, AckReason.WRONG_STATE, 1)):
                    args = argparse.Namespace(tc="go", args=["2"], link=f"serial://{board.path}",
                                              keys=str(keys), key_id=1, arsn=arsn, command_id=arsn,
                                              timeout=5.0)
                    async with asyncio.TaskGroup() as tg:
                        tg.create_task(flight(reason))
                        sent = tg.create_task(ground_cli.send(args))
                    assert sent.result() == status

    run(body())


def test_ground_send_without_keys_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """No key file and no key in the environment: a CliError naming the environment variables."""
    monkeypatch.delenv("DEORBIT_TC_KEYS", raising=False)
    monkeypatch.delenv("DEORBIT_TC_KEYS_FILE", raising=False)
    args = argparse.Namespace(tc="safe", args=[], link="loop://", keys=None, key_id=1, arsn=None,
                              command_id=None, timeout=0.1)
    with pytest.raises(CliError, match="DEORBIT_TC_KEYS"):
        asyncio.run(ground_cli.send(args))


def test_unix_offset_is_j2000() -> None:
    """2000-01-01T12:00:00Z is 946,728,000 s of POSIX time (exact)."""
    from datetime import UTC, datetime

    assert datetime(2000, 1, 1, 12, tzinfo=UTC).timestamp() == UNIX_J2000_OFFSET_S


def _tm(t_s: float, phase: FlightPhase, burn: int, burns_done: int = 0) -> object:
    from hil.drivers.packets import PacketWriter
    from hil.protocol.catalogue import CATALOGUE

    values = {"phase": phase, "burn_id": burn, "burns_done": burns_done, "flags": 0,
              "attitude_error_rad": 0.0, "dv_target_mps": 0.0, "dv_achieved_mps": 0.0, "propellant_kg": 0.0,
              "perigee_alt_m": 0.0, "apogee_alt_m": 0.0, "control_cycle": 0, "tc_accepted": 0,
              "tc_rejected": 0,
              **{f"r_eci_m_{a}": 0.0 for a in "xyz"}, **{f"v_eci_mps_{a}": 0.0 for a in "xyz"},
              **{f"q_body_from_eci_{c}": 1.0 if c == "w" else 0.0 for c in "wxyz"}}
    return CATALOGUE.decode(PacketWriter().encode("FLIGHT_TM", values, t_s))


def test_mission_control_gives_go_for_planned_burns_and_tracks_after_burns() -> None:
    """A burn reported PLANNED gets a GO, held for 300 s of spacecraft time after that telemetry, and
    another if it is still PLANNED 600 s later (a re-plan withdraws a GO), not more often; a completed
    burn schedules a state vector 1800 s after it."""
    from hil.clock import SimClock
    from hil.ground.station import GroundPlan, MissionControl

    async def body() -> None:
        host, _board = loopback_pair("ground")
        station = GroundStation(host, KeyRing(KEY_A), 1)
        truth = SimpleNamespace(t_s=0.0, truth=lambda: None)
        mc = MissionControl(station, GroundTime(SimClock("realtime", 0.0), lambda: 0.0),
                            Tracker(truth, 1.0, 1.0, 0), GroundPlan(), 0.0)
        for t, burn in ((0.0, 2), (100.0, 2), (599.0, 2), (700.0, 2), (710.0, 3)):
            mc._on_tm(_tm(t, FlightPhase.PLANNED, burn))  # type: ignore[arg-type]
        assert mc._actions == [(300.0, "go:2"), (1000.0, "go:2"), (1010.0, "go:3")]
        mc._on_tm(_tm(2000.0, FlightPhase.COAST, 0xFFFF, burns_done=1))  # type: ignore[arg-type]
        assert (3800.0, "state_vector") in mc._actions

    run(body())
