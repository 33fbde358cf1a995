"""Unit tests of the ground driver (hil.drivers.ground) over a loopback link with real authentication."""

from __future__ import annotations

import asyncio

import pytest

from flight.ports import (
    AckReason,
    BurnRef,
    Event,
    GroundPort,
    Severity,
    StateVectorArgs,
    Telecommand,
    TelecommandAck,
    TelecommandKind,
    Telemetry,
)
from flight.security import Authenticator, Signer
from hil.drivers.ground import UNIX_J2000_OFFSET_S, GroundDriver, event_code
from hil.drivers.packets import message_t_s
from hil.links import loopback_pair
from hil.protocol import catalogue as cat
from hil.protocol.catalogue import CATALOGUE
from hil.protocol.crc import crc16
from hil.protocol.schema import Message
from hil.protocol.telecommand import sign
from tests.support.aio import run

KEYS = {1: bytes(range(32)), 2: bytes(range(1, 33))}


async def exchange(
    packets: list[bytes], *, ack: TelecommandAck | None = None
) -> tuple[list[Telecommand], list[Message], GroundDriver]:
    ground, flight = loopback_pair("ground")  # the flight computer is the board end of the ground channel
    async with ground, flight, GroundDriver(flight, Authenticator({1: KEYS[1]})) as driver:
        assert isinstance(driver, GroundPort)
        for p in packets:
            await ground.send(p)
        commands = []
        while True:
            try:
                async with asyncio.timeout(0.2):
                    commands.append(await anext(driver.telecommands()))
            except TimeoutError:
                break
        if ack is not None:
            await driver.acknowledge(ack)
        await driver.send_telemetry(Telemetry(1000.0, "flight", {"phase": "BURN", "burns_done": 2,
                                                                 "not_a_field": 1.0}))
        await driver.send_event(Event(1000.5, Severity.ERROR, "fdir.imu_stale", "IMU silent", {"value": 2.5}))
        replies = []
        while ground.pending():
            replies.append(CATALOGUE.decode(await ground.recv(timeout_s=1.0)))
        return commands, replies, driver


def test_authentic_commands_reach_the_flight_software_and_are_acknowledged() -> None:
    """GO and a state vector arrive as Telecommands (epoch converted to seconds since J2000); the flight's
    acknowledgement goes out as TC_ACK naming the command's APID, key and anti-replay number."""
    signer = Signer(KEYS, 1)
    go = sign("TC_GO", {"command_id": 7, "burn_id": 2}, signer, seq_count=0, time_tag_s=1.0)
    sv = sign("TC_STATE_VECTOR", {"command_id": 8, "epoch_unix_s": UNIX_J2000_OFFSET_S + 100.0,
                                  "r_eci_m_x": 6.6e6, "r_eci_m_y": 0.0, "r_eci_m_z": 0.0,
                                  "v_eci_mps_x": 0.0, "v_eci_mps_y": 7.7e3, "v_eci_mps_z": 0.0},
              signer, seq_count=1, time_tag_s=2.0)
    commands, replies, driver = run(exchange([go, sv], ack=TelecommandAck(7, TelecommandKind.GO,
                                                                         AckReason.INTERLOCK)))
    assert [c.kind for c in commands] == [TelecommandKind.GO, TelecommandKind.STATE_VECTOR]
    assert commands[0].args == BurnRef(2) and commands[0].key_id == 1 and commands[0].auth_seq == 1
    args = commands[1].args
    assert isinstance(args, StateVectorArgs) and args.epoch_s == pytest.approx(100.0)
    acks = [r for r in replies if r.name == "TC_ACK"]
    assert len(acks) == 1
    assert acks[0]["command_id"] == 7 and acks[0]["acked_apid"] == 0x301 and acks[0]["arsn"] == 1
    assert acks[0]["stage"] is cat.AckStage.REJECTED and acks[0]["reason"] is cat.AckReason.INTERLOCK
    assert driver.accepted == 2 and driver.rejected == 0


def test_forged_replayed_and_unknown_key_commands_never_arrive() -> None:
    """A command signed with an unknown key, one with a flipped MAC bit and a replay are rejected with
    TC_ACK reasons UNKNOWN_KEY, AUTH_FAILED and REPLAY; none reaches the flight software."""
    good = sign("TC_SAFE", {"command_id": 1}, Signer(KEYS, 1), seq_count=0, time_tag_s=1.0)
    wrong_key = sign("TC_SAFE", {"command_id": 2}, Signer(KEYS, 2), seq_count=1, time_tag_s=1.0)
    forged = bytearray(sign("TC_SAFE", {"command_id": 3}, Signer(KEYS, 1, next_arsn=5), seq_count=2,
                            time_tag_s=1.0))
    forged[-3] ^= 0x01  # in the MAC
    forged[-2:] = crc16(bytes(forged[:-2])).to_bytes(2, "big")
    replay = sign("TC_SAFE", {"command_id": 4}, Signer(KEYS, 1), seq_count=3, time_tag_s=1.0)  # ARSN 1 again
    commands, replies, driver = run(exchange([good, wrong_key, bytes(forged), replay]))
    assert [c.command_id for c in commands] == [1]
    reasons = sorted(r["reason"].name for r in replies if r.name == "TC_ACK")
    assert reasons == ["AUTH_FAILED", "REPLAY", "UNKNOWN_KEY"]
    assert driver.rejected == 3


def test_telemetry_and_events_are_encoded_from_the_port_values() -> None:
    """FLIGHT_TM takes the known keys (phase by name), ignores and counts the others; FLIGHT_EVENT carries
    the severity, a stable code, the value and the name in its text."""
    _commands, replies, driver = run(exchange([]))
    tm = next(r for r in replies if r.name == "FLIGHT_TM")
    ev = next(r for r in replies if r.name == "FLIGHT_EVENT")
    assert tm["phase"] is cat.FlightPhase.BURN and tm["burns_done"] == 2 and tm["burn_id"] == 0xFFFF
    assert driver.tm_keys_ignored == 1
    assert ev["severity"] is cat.Severity.ERROR and ev["value"] == 2.5
    assert ev["code"] == event_code("fdir.imu_stale") and ev["text"].startswith("fdir.imu_stale")


def test_a_housekeeping_set_is_one_flight_tm_with_every_source() -> None:
    """The executive's housekeeping set (executive, navigation, sequencer samples at one time) goes down as
    exactly one FLIGHT_TM carrying the values of all three: position, velocity and attitude from
    navigation (NAV_VALID set), the control cycle count and attitude error from the executive, the phase
    (ARMING is ARMED on the wire) and burn from the sequencer."""

    async def body() -> list[Message]:
        ground, flight = loopback_pair("ground")
        async with ground, flight, GroundDriver(flight, Authenticator({1: KEYS[1]})) as driver:
            t = 500.0
            await driver.send_telemetry(Telemetry(t, "executive", {"cycles": 1234, "attitude_error_rad": 0.01,
                                                                   "latency_p99_ms": 0.4}))
            await driver.send_telemetry(Telemetry(t, "navigation", {
                "r_eci_m_x": 6.6e6, "r_eci_m_y": -1.0e5, "r_eci_m_z": 2.0e4, "v_eci_mps_x": 1.0,
                "v_eci_mps_y": 7.7e3, "v_eci_mps_z": -3.0, "q_body_from_eci_w": 0.5, "q_body_from_eci_x": 0.5,
                "q_body_from_eci_y": -0.5, "q_body_from_eci_z": 0.5, "perigee_alt_m": 1.45e5,
                "propellant_kg": 7000.0}))
            assert not ground.pending()  # held until the set is complete
            await driver.send_telemetry(Telemetry(t, "sequencer", {"state": "ARMING", "burn_id": 3,
                                                                   "dv_measured_mps": 0.0}))
            out = []
            while ground.pending():
                out.append(CATALOGUE.decode(await ground.recv(timeout_s=1.0)))
            assert driver.tm_sent == 1 and driver.tm_keys_ignored == 1  # latency_p99_ms has no field
            return out

    (tm,) = run(body())
    assert tm.name == "FLIGHT_TM" and message_t_s(tm) == pytest.approx(500.0)
    assert tm["phase"] is cat.FlightPhase.ARMED and tm["burn_id"] == 3
    assert tm["control_cycle"] == 1234 and tm["attitude_error_rad"] == pytest.approx(0.01, rel=1e-6)
    assert (tm["r_eci_m_x"], tm["v_eci_mps_y"], tm["q_body_from_eci_y"]) == (6.6e6, 7.7e3, -0.5)
    assert tm["perigee_alt_m"] == 1.45e5 and tm["propellant_kg"] == 7000.0
    assert tm["flags"] & cat.FlightFlags.NAV_VALID
