"""The IMU driver on a real pty keeps reading good samples through line garbage, corrupted frames and a
packet of another board, counting each kind."""

from __future__ import annotations

import asyncio

from flight.ports import ImuSample
from hil.drivers.imu import ImuDriver
from hil.drivers.packets import PacketWriter
from hil.links import PtyLink, open_link
from hil.protocol.framing import frame
from hil.protocol.spacepacket import pack
from tests.support.aio import run

T0 = 959_774_400.0


def sample_packet(writer: PacketWriter, k: int) -> bytes:
    return writer.encode("IMU_DATA", {
        "delta_angle_x": 1e-5 * k, "delta_angle_y": 0.0, "delta_angle_z": 0.0, "delta_velocity_x": 0.0,
        "delta_velocity_y": 0.0, "delta_velocity_z": 1e-3, "interval_s": 0.1, "sample_count": 10,
        "output_seq": k, "status": 1}, T0 + 0.1 * k)


async def through_garbage() -> tuple[list[ImuSample], ImuDriver, dict[str, int]]:
    writer = PacketWriter()
    async with (
        PtyLink("imu", "board") as board,
        open_link(f"serial://{board.path}", "imu", "host") as host,
        ImuDriver(host) as imu,
    ):
        for k in range(1, 11):
            good = sample_packet(writer, k)
            if k % 3 == 0:
                board.write_raw(b"\x13\x37 line noise \xff\xfe\x00")
            if k % 4 == 0:
                bad = bytearray(good)
                bad[20] ^= 0x40
                board.write_raw(frame(bytes(bad)))
            if k == 5:
                await board.send(pack(0x7FE, 0, b"\x00", time_tag_s=1.0))  # valid CRC, unknown APID
            await board.send(good)
        samples = []
        for _ in range(10):
            async with asyncio.timeout(5.0):
                samples.append(await anext(imu.samples()))
        return samples, imu, host.stats.as_dict()


def test_driver_reads_every_good_sample_through_garbage() -> None:
    """All ten good samples arrive in order; three runs of noise are framing errors, two corrupted
    frames are CRC errors, the unknown APID is a bad packet; nothing raises."""
    samples, imu, link_stats = run(through_garbage())
    assert [round(s.dtheta_body_rad[0] / 1e-5) for s in samples] == list(range(1, 11))
    assert link_stats["crc_errors"] == 2
    assert link_stats["framing_errors"] >= 3
    assert imu.stats.bad_packets == 1
    assert imu.missing_outputs == 0
