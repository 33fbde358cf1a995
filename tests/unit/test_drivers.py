"""Unit tests of the flight-side drivers (hil.drivers) over in-process loopback links."""

from __future__ import annotations

import asyncio

import pytest

from flight.ports import (
    ATTITUDE_THRUSTERS,
    MAIN_THRUSTERS,
    THRUSTER_COUNT,
    ArmState,
    ImuFlags,
    ImuPort,
    ThrusterCommand,
    ThrusterFaults,
    ThrusterPort,
)
from hil.drivers.base import Stream
from hil.drivers.imu import ImuCommandTimeout, ImuDriver, flags_from_status
from hil.drivers.packets import PacketWriter, message_t_s
from hil.drivers.thruster import ThrusterDriver, ThrusterStatusTimeout, command_values
from hil.drivers.timebase import CUC_EPOCH_OFFSET_S, t_from_tag, tag_from_t
from hil.links import loopback_pair
from hil.protocol import spacepacket
from hil.protocol.catalogue import CATALOGUE, ImuStatus, ThrusterFlags, ThrusterMode
from tests.support.aio import run

T0 = 959_774_400.0


def imu_data(writer: PacketWriter, t_s: float, seq: int, status: int = int(ImuStatus.BIT_PASS)) -> bytes:
    return writer.encode("IMU_DATA", {
        "delta_angle_x": 1e-4, "delta_angle_y": 0.0, "delta_angle_z": -1e-4,
        "delta_velocity_x": 0.01, "delta_velocity_y": 0.0, "delta_velocity_z": 0.0,
        "interval_s": 0.1, "sample_count": 10, "output_seq": seq, "status": status}, t_s)


def test_time_tags_round_trip_exactly_on_the_grid() -> None:
    """t_s on the 2^-16 s grid survives tag and back exactly; J2000 is 15340.5 days + 32 s after 1958 TAI."""
    assert tag_from_t(0.0) == (CUC_EPOCH_OFFSET_S, 0)
    assert CUC_EPOCH_OFFSET_S == 1_325_419_232
    for t in (T0, T0 + 6554 / 65536, T0 + 1e6 + 3 / 65536):
        assert t_from_tag(*tag_from_t(t)) == t


def test_drivers_implement_the_flight_ports() -> None:
    """ImuDriver is an ImuPort and ThrusterDriver a ThrusterPort (runtime protocol check)."""
    host, _board = loopback_pair("imu")
    assert isinstance(ImuDriver(host), ImuPort)
    assert isinstance(ThrusterDriver(host), ThrusterPort)


def test_imu_driver_decodes_orders_and_reports_gaps() -> None:
    """Samples come out in time order with their flags; an older time tag is dropped with an event; a
    skipped output_seq is a gap event; a valid packet of an unknown APID is counted as bad."""

    async def scenario() -> tuple[list[float], ImuDriver]:
        host, board = loopback_pair("imu")
        writer = PacketWriter()
        async with host, board, ImuDriver(host) as imu:
            await board.send(imu_data(writer, T0 + 0.1, 1))
            await board.send(imu_data(writer, T0 + 0.2, 2, int(ImuStatus.BIT_PASS | ImuStatus.TIME_JUMP)))
            await board.send(imu_data(writer, T0 + 0.15, 3))  # older: dropped
            await board.send(imu_data(writer, T0 + 0.5, 6))  # outputs 4, 5 missing
            await board.send(spacepacket.pack(0x7FE, 0, b"\x01\x02", time_tag_s=1.0))
            times = []
            flags = []
            for _ in range(3):
                async with asyncio.timeout(2.0):
                    s = await anext(imu.samples())
                times.append(s.t_s)
                flags.append(s.flags)
            await asyncio.sleep(0.01)
            assert flags[1] & ImuFlags.TIME_TAG_JUMP and flags[0] == ImuFlags.NONE
            return times, imu

    times, imu = run(scenario())
    assert times == pytest.approx([T0 + 0.1, T0 + 0.2, T0 + 0.5], abs=2**-16)  # one time-tag tick
    assert imu.stats.out_of_order == 1
    assert imu.missing_outputs == 3  # output 3 (dropped as out of order), 4 and 5
    assert imu.stats.bad_packets == 1
    names = [e.name for e in imu.events]
    assert "imu.out_of_order" in names and "imu.gap" in names and "imu.bad_packet" in names


def test_imu_status_flags_map_to_port_flags() -> None:
    """No BIT_PASS or a sensor fault is BIT_FAIL; saturation and time jump map one to one."""
    assert flags_from_status(0) & ImuFlags.BIT_FAIL
    assert flags_from_status(int(ImuStatus.BIT_PASS | ImuStatus.GYRO_FAULT)) & ImuFlags.BIT_FAIL
    assert flags_from_status(int(ImuStatus.BIT_PASS | ImuStatus.ACCEL_SATURATED)) == ImuFlags.ACCEL_SATURATED
    assert flags_from_status(int(ImuStatus.BIT_PASS)) == ImuFlags.NONE


def test_stale_board_and_closed_link_are_reported_not_hidden() -> None:
    """A silent board raises an 'imu.stale' event within the bound; a closed link ends the sample stream
    and raises 'imu.link_lost'; a caller's timeout on the stream does not end it."""

    async def scenario() -> ImuDriver:
        host, board = loopback_pair("imu")
        async with board:
            async with host, ImuDriver(host, stale_after_s=0.1) as imu:
                with pytest.raises(TimeoutError):
                    async with asyncio.timeout(0.3):
                        await anext(imu.samples())
                assert imu.health().stale
                await board.send(imu_data(PacketWriter(), T0, 1))
                async with asyncio.timeout(1.0):
                    sample = await anext(imu.samples())
                assert sample.t_s == T0
                assert not imu.health().stale
            with pytest.raises(StopAsyncIteration):
                await anext(imu.samples())
        return imu

    imu = run(scenario())
    names = [e.name for e in imu.events]
    assert "imu.stale" in names and "imu.fresh" in names
    assert imu.stats.stale_events >= 1


def test_unanswered_rate_command_times_out_with_an_event() -> None:
    """set_output_rate waits for the board's echo at most command_timeout_s, then raises and reports."""

    async def scenario() -> ImuDriver:
        host, board = loopback_pair("imu")
        async with host, board, ImuDriver(host, command_timeout_s=0.05) as imu:
            with pytest.raises(ImuCommandTimeout):
                await imu.set_output_rate(0.1)
            with pytest.raises(ValueError, match="output rate"):
                await imu.set_output_rate(1e6)
            return imu

    imu = run(scenario())
    assert any(e.name == "imu.command_timeout" for e in imu.events)


def test_command_values_follow_the_icd() -> None:
    """Main burn opens 16-45 for the whole period; pulses are clamped to the period; short lists padded."""
    v = command_values(ThrusterCommand(5, (0.3, 0.05), True, 9), period_s=0.1)
    on = v["on_time_us"]
    assert isinstance(on, list) and len(on) == THRUSTER_COUNT
    assert all(on[i] == 100_000 for i in MAIN_THRUSTERS)
    assert on[0] == 100_000 and on[1] == 50_000
    assert all(on[i] == 0 for i in ATTITUDE_THRUSTERS if i > 1)
    assert v["mode"] is ThrusterMode.MAIN_BURN
    off = command_values(ThrusterCommand(6, (), False, 10), period_s=10.0)
    assert off["mode"] is ThrusterMode.ALL_OFF and off["cycle_period_us"] == 10_000_000


def test_thruster_status_maps_to_the_port() -> None:
    """SAFED reads as DISARMED; board flags map to ThrusterFaults; status() waits boundedly for the first."""

    async def scenario() -> None:
        host, board = loopback_pair("thruster")
        async with host, board, ThrusterDriver(host, status_timeout_s=0.05) as thr:
            with pytest.raises(ThrusterStatusTimeout):
                await thr.status()
            await board.send(PacketWriter().encode("THRUSTER_STATUS", {
                "armed_state": "SAFED", "mode": "ALL_OFF", "valve_states": 1 << 20, "last_command_id": 4,
                "last_cycle": 3, "tank_pressure_pa": 1.5e6, "propellant_kg": 100.0,
                "flags": int(ThrusterFlags.WATCHDOG_EXPIRED | ThrusterFlags.VALVE_FAULT
                             | ThrusterFlags.VALVE_STUCK_OPEN),
                "commands_rejected": 0, "last_sync_id": 0}, T0))
            async with asyncio.timeout(1.0):
                status = await anext(thr.statuses())
            assert status.arm_state is ArmState.DISARMED
            assert status.faults == ThrusterFaults.WATCHDOG | ThrusterFaults.VALVE_STUCK_OPEN
            assert status.main_valves_open and status.t_s == T0
            assert await thr.status() == status

    run(scenario())


def test_thruster_driver_sends_time_sync_on_start_and_every_minute() -> None:
    """With a time source the driver sends THRUSTER_TIME_SYNC tagged with spacecraft time at once, and
    again only after 60 s of spacecraft time have passed."""

    async def scenario() -> list[float]:
        now = [T0]
        host, board = loopback_pair("thruster")
        async with host, board, ThrusterDriver(host, time_source=lambda: now[0]):
            tags = [t_from_tag(*tag_from_t(T0))]
            first = CATALOGUE.decode(await board.recv(timeout_s=2.0))
            now[0] = T0 + 30.0
            await asyncio.sleep(0.7)
            assert board.pending() == 0
            now[0] = T0 + 61.0
            second = CATALOGUE.decode(await board.recv(timeout_s=2.0))
            assert first.name == second.name == "THRUSTER_TIME_SYNC"
            assert second["sync_id"] == first["sync_id"] + 1
            return [message_t_s(first), message_t_s(second), tags[0]]

    first, second, expected = run(scenario())
    assert first == expected and second == pytest.approx(T0 + 61.0, abs=2**-16)


def test_without_a_time_source_commands_carry_the_time_sync() -> None:
    """With no time source, the first command tagged with spacecraft time is preceded by a
    THRUSTER_TIME_SYNC with that time; the next one within 60 s is not."""

    async def scenario() -> list[str]:
        host, board = loopback_pair("thruster")
        async with host, board, ThrusterDriver(host) as thr:
            await thr.command(ThrusterCommand(1, (), False, 1, t_s=T0))
            await thr.command(ThrusterCommand(2, (), False, 2, t_s=T0 + 10.0))
            names = []
            while board.pending():
                names.append(CATALOGUE.decode(await board.recv(timeout_s=1.0)).name)
            return names

    assert run(scenario()) == ["THRUSTER_TIME_SYNC", "THRUSTER_COMMAND", "THRUSTER_COMMAND"]


def test_a_stream_survives_a_cancelled_wait_and_refuses_a_second_consumer() -> None:
    """A consumer's wait cut short by its timeout leaves the stream usable (the next item still comes, in
    order); a second consumer waiting at the same time is refused; close() ends the stream once drained."""
    async def go() -> tuple[list[int], bool]:
        stream: Stream[int] = Stream(4)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.01):
                await anext(stream)
        first = asyncio.create_task(anext(stream))
        await asyncio.sleep(0)
        with pytest.raises(RuntimeError, match="second consumer"):
            await anext(stream)
        stream.put(1)
        got = [await first]
        for k in (2, 3):
            stream.put(k)
        stream.close()
        got += [x async for x in stream]
        return got, stream.closed

    got, closed = run(go())
    assert got == [1, 2, 3] and closed
