"""Push delivery (``Link.set_receiver``): packets handed to the owner as they arrive, in order, queued
ones first; back to the queue when the receiver is removed; a receiver's exception raised in its owner's
task, never in the sender's; a fault-injected link's outage still drops what arrives while it is down."""

from __future__ import annotations

import asyncio
import random

import pytest

from hil.drivers.imu import ImuDriver
from hil.drivers.packets import PacketWriter
from hil.links import loopback_pair
from hil.links.base import TAP_RECEIVED, TAP_SENT
from hil.links.faults import FaultConfig, FaultyLink
from hil.protocol.spacepacket import pack
from tests.support.aio import run


def _packets(n: int) -> list[bytes]:
    writer = PacketWriter()
    return [writer.encode("IMU_CONFIG", {"command_id": k, "output_rate_hz": 1.0}, 10.0 + k)
            for k in range(n)]


def test_queued_packets_first_then_as_they_arrive_then_queued_again() -> None:
    """Two packets queued before the receiver is set reach it first, the next three as they are sent (the
    receiver has them before ``send`` returns), and after ``set_receiver(None)`` ``recv`` has the rest."""

    async def go() -> tuple[list[bytes], list[bytes], list[bytes]]:
        host, board = loopback_pair("imu")
        pk = _packets(7)
        got: list[bytes] = []
        seen_when_sent: list[bytes] = []
        async with host, board:
            for p in pk[:2]:
                await host.send(p)
            board.set_receiver(got.append)
            for p in pk[2:5]:
                await host.send(p)
                seen_when_sent.append(got[-1])
            board.set_receiver(None)
            for p in pk[5:]:
                await host.send(p)
            rest = [await board.recv(timeout_s=1.0) for _ in range(2)]
        return got, seen_when_sent, rest

    got, seen, rest = run(go())
    pk = _packets(7)
    assert got == pk[:5] and seen == pk[2:5] and rest == pk[5:]


def test_a_receiver_error_is_raised_in_the_owner_not_the_sender() -> None:
    """A driver whose packet handling raises: the board's send completes, and the driver's task group
    fails with that exception (ExceptionGroup holding it)."""

    class Broken(ImuDriver):
        def _handle(self, msg: object) -> None:
            raise RuntimeError("handler bug")

    async def go() -> bool:
        host, board = loopback_pair("imu")
        sent = False
        async with host, board:
            with pytest.raises(ExceptionGroup) as info:
                async with Broken(host):
                    await board.send(PacketWriter().encode("IMU_STATUS", {
                        "output_rate_hz": 1.0, "internal_rate_hz": 100.0, "status": 1, "temperature_c": 20.0,
                        "last_command_id": 0, "last_sync_id": 0}, 5.0))
                    sent = True
                    await asyncio.sleep(1.0)
            assert info.group_contains(RuntimeError, match="handler bug")
        return sent

    assert run(go())


def test_faulty_link_drops_what_arrives_while_down() -> None:
    """Behind a fault injector whose first send starts a long disconnection, a receiver gets none of the
    packets arriving after it and each is counted as lost while disconnected; with no outage it gets
    every packet."""

    async def go(down: bool) -> tuple[int, int]:
        host, board = loopback_pair("imu")
        cfg = FaultConfig(disconnect_p=1.0, disconnect_s=(100.0, 100.0)) if down else FaultConfig()
        faulty = FaultyLink(board, cfg, random.Random(1))
        got: list[bytes] = []
        async with host, faulty:
            faulty.set_receiver(got.append)
            await faulty.send(_packets(1)[0])  # the wire goes down here when asked to
            lost_sending = faulty.faults.lost_while_disconnected
            for p in _packets(5):
                await host.send(p)
        return len(got), faulty.faults.lost_while_disconnected - lost_sending

    assert run(go(False)) == (5, 0)
    assert run(go(True)) == (0, 5)


def test_a_tap_sees_every_packet_sent_and_handed_up_in_order_without_changing_delivery() -> None:
    """A tap on a link sees each packet it sends (before it goes out) and each one it hands up (after the
    CRC and duplicate checks: a corrupted copy and a duplicate are not seen), in order, whether the owner
    takes packets through recv or a receiver; the peer and the owner get exactly what they would without
    the tap."""
    async def body() -> tuple[list[tuple[int, bytes]], list[bytes], list[bytes]]:
        host, board = loopback_pair("imu")
        seen: list[tuple[int, bytes]] = []
        got: list[bytes] = []
        async with host, board:
            host.add_tap(lambda d, p: seen.append((d, p)))
            a, b = pack(0x100, 1, b"\x01\x02"), pack(0x100, 2, b"\x03")
            await board.send(a)
            bad = bytearray(b)
            bad[-1] ^= 0xFF
            host._deliver(bytes(bad))  # a corrupted packet: dropped by the CRC check
            await board.send(a)  # a duplicate: dropped
            got.append(await host.recv(timeout_s=1.0))
            host.set_receiver(got.append)
            await board.send(b)
            c = pack(0x200, 1, b"\x09")
            await host.send(c)
            peer = [await board.recv(timeout_s=1.0)]
        return seen, got, peer

    seen, got, peer = asyncio.run(body())
    assert [d for d, _ in seen] == [TAP_RECEIVED, TAP_RECEIVED, TAP_SENT]
    assert [p for d, p in seen if d == TAP_RECEIVED] == got
    assert [p for d, p in seen if d == TAP_SENT] == peer
