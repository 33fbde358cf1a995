"""Serial links over real pseudo-terminals: the host opens the slave by path with pyserial
(pyserial-asyncio-fast), the board side is the pty master (PtyLink or raw bytes)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from hil.links import FaultConfig, FaultyLink, LinkClosedError, LinkError, LinkState, PtyLink, open_link
from hil.links.serial_link import SerialLink
from hil.protocol.framing import StreamDecoder, frame
from hil.protocol.spacepacket import pack
from tests.support.aio import run
from tests.support.pty_pair import PtyPair


def pkt(seq: int, apid: int = 0x51, size: int = 40) -> bytes:
    return pack(apid, seq % 16384, bytes((seq + k) % 256 for k in range(size)), time_tag_s=seq * 0.1)


def test_round_trip_over_a_pty() -> None:
    """Commands reach the board and telemetry comes back, byte for byte, with COBS framing on the line."""

    async def body() -> None:
        board_link = open_link("pty://", "imu", "board")
        assert isinstance(board_link, PtyLink)
        async with (
            board_link as board,
            open_link(f"serial://{board.path}?baud=115200", "imu", "host") as host,
        ):
            assert isinstance(host, SerialLink)
            assert host.state is LinkState.UP
            cmds = [pkt(i) for i in range(50)]
            for p in cmds:
                await host.send(p)
            assert [await board.recv(5.0) for _ in cmds] == cmds
            for p in cmds:
                await board.send(p)
            assert [await host.recv(5.0) for _ in cmds] == cmds
            assert host.stats.frames_tx == host.stats.frames_rx == 50
            assert host.stats.crc_errors == host.stats.framing_errors == 0

    run(body())


def test_bytes_on_the_line_are_cobs_frames() -> None:
    """Read the master end as raw bytes: exactly the COBS frames of the packets, each ending in 0x00, which
    the protocol's own decoder turns back into the packets."""

    async def body() -> None:
        with PtyPair() as pty:
            async with open_link(f"serial://{pty.path}", "imu", "host") as host:
                sent = [pkt(i, size=300) for i in range(5)]
                for p in sent:
                    await host.send(p)
                expected = b"".join(frame(p) for p in sent)
                raw = bytearray()
                while len(raw) < len(expected):
                    raw += await pty.read(5.0)
                assert bytes(raw) == expected
                assert raw.count(0) == len(sent) and raw.endswith(b"\x00")
                decoder = StreamDecoder()
                assert decoder.feed(bytes(raw)) == sent

    run(body())


def test_board_writes_reach_the_host_in_any_chunking() -> None:
    """Frames written to the line a few bytes at a time, and many in one write, decode the same."""

    async def body() -> None:
        with PtyPair() as pty:
            async with open_link(f"serial://{pty.path}", "imu", "host") as host:
                sent = [pkt(i) for i in range(30)]
                wire = b"".join(frame(p) for p in sent[:10])
                for k in range(0, len(wire), 7):
                    pty.write(wire[k : k + 7])
                pty.write(b"".join(frame(p) for p in sent[10:]))
                assert [await host.recv(5.0) for _ in sent] == sent

    run(body())


def test_outbox_while_down_is_bounded(tmp_path: Path) -> None:
    """Packets sent while the port is gone wait in a bounded outbox; the oldest beyond it are dropped
    and counted, and the rest go out in order when the port is back."""
    alias = tmp_path / "ttyIMU"

    async def body() -> None:
        board = PtyLink("imu", alias=alias)
        await board.__aenter__()
        try:
            async with SerialLink(str(alias), 921600, outbox_size=5) as host:
                await board.__aexit__(None, None, None)
                await host.wait_state(LinkState.DOWN, timeout_s=10.0)
                for i in range(8):
                    await host.send(pkt(i))
                assert (host.unsent(), host.stats.tx_dropped) == (5, 3)
                board = PtyLink("imu", alias=alias)
                await board.__aenter__()
                await host.flush(15.0)
                assert [await board.recv(5.0) for _ in range(5)] == [pkt(i) for i in range(3, 8)]
        finally:
            await board.__aexit__(None, None, None)

    run(body())


def test_garbage_on_the_line_is_counted_and_the_link_resynchronises() -> None:
    """Noise, a frame with a bad CRC and a truncated frame are counted and dropped; good frames around
    them get through; nothing crashes or blocks."""

    async def body() -> None:
        async with PtyLink("imu") as board, open_link(f"serial://{board.path}", "imu", "host") as host:
            bad = bytearray(pkt(2))
            bad[10] ^= 0x01
            board.write_raw(
                b"\x13\x37noise\x00" + frame(pkt(1)) + frame(bytes(bad)) + frame(pkt(3))[:8] + b"\x00"
            )
            board.write_raw(os.urandom(3000).replace(b"\x00", b"\x01") + b"\x00" + frame(pkt(4)))
            assert await host.recv(5.0) == pkt(1)
            assert await host.recv(5.0) == pkt(4)
            assert host.stats.crc_errors == 1
            assert host.stats.framing_errors + host.stats.oversize >= 2
            assert host.stats.frames_rx == 2

    run(body())


def test_missing_port_is_a_one_sentence_error(tmp_path: Path) -> None:
    async def body() -> None:
        path = tmp_path / "ttyNOPE"
        with pytest.raises(LinkError) as info:
            async with open_link(f"serial://{path}", "imu", "host"):
                pass
        assert str(info.value) == f"cannot open serial port {path}: no such file or directory"

    run(body())


def test_port_unplugged_and_plugged_in_again_during_traffic(tmp_path: Path) -> None:
    """The board's pty goes away mid-stream and comes back under the same name: the host link goes DOWN,
    reconnects with backoff, comes UP, delivers what was queued, and hands nothing up twice."""
    alias = tmp_path / "ttyIMU"

    async def body() -> None:
        board = PtyLink("imu", alias=alias)
        await board.__aenter__()
        try:
            async with open_link(f"serial://{alias}", "imu", "host") as host:
                for i in range(10):
                    await host.send(pkt(i))
                first = [await board.recv(5.0) for _ in range(10)]
                await board.send(pkt(100))
                assert await host.recv(5.0) == pkt(100)

                await board.__aexit__(None, None, None)  # unplugged
                await host.wait_state(LinkState.DOWN, timeout_s=10.0)
                for i in range(10, 20):
                    await host.send(pkt(i))  # queued while down
                assert host.state is not LinkState.UP

                board = PtyLink("imu", alias=alias)  # plugged in again, new pty, same name
                await board.__aenter__()
                await host.wait_state(LinkState.UP, timeout_s=15.0)
                assert host.stats.reconnects == 1
                second = [await board.recv(5.0) for _ in range(10)]
                assert first + second == [pkt(i) for i in range(20)]
                await board.send(pkt(100))  # the same packet again: a duplicate, not handed up
                await board.send(pkt(101))
                assert await host.recv(5.0) == pkt(101)
                assert host.stats.duplicates == 1
                assert LinkState.DOWN in host.state_history
        finally:
            await board.__aexit__(None, None, None)

    run(body())


def test_fault_wrapper_over_a_serial_link() -> None:
    """Faults injected on the host's serial link reach the board as CRC errors and duplicates on the
    wire; the board hands up exactly the packets neither dropped nor corrupted, each once."""

    async def body() -> None:
        cfg = FaultConfig(drop_p=0.1, corrupt_p=0.1, corrupt_bits=3, duplicate_p=0.2, reorder_p=0.1)
        async with (
            PtyLink("imu") as board,
            FaultyLink(open_link(f"serial://{board.path}", "imu", "host"), cfg, 2024) as host,
        ):
            sent = [pkt(i) for i in range(300)]
            for p in sent:
                await host.send(p)
            await host.drain(5.0)
            f = host.faults
            expected = len(sent) - f.dropped - f.corrupted
            got = [await board.recv(5.0) for _ in range(expected)]
            with pytest.raises(TimeoutError):
                await board.recv(0.2)
            assert len(set(got)) == len(got) and set(got) <= set(sent)
            assert board.stats.crc_errors + board.stats.framing_errors == f.corrupted + f.corrupted_duplicates
            assert board.stats.duplicates == f.duplicated - f.corrupted_duplicates
            assert min(f.dropped, f.corrupted, f.duplicated, f.reordered) > 0

    run(body())


def test_port_lost_and_back_during_continuous_traffic(tmp_path: Path) -> None:
    """A stream of packets every 2 ms while the board's port goes away and comes back: the host reports
    DOWN then UP, keeps what it could not send, and the board receives, in order and each once, every
    packet sent from the moment the port was gone (earlier ones may die in the lost port's buffer)."""
    alias = tmp_path / "ttyIMU"
    n, cut = 300, 100

    async def body() -> None:
        boards = [PtyLink("imu", alias=alias)]
        await boards[0].__aenter__()
        replugged = asyncio.Event()
        got: list[bytes] = []
        try:
            async with open_link(f"serial://{alias}", "imu", "host") as host:

                async def send_all() -> None:
                    for i in range(n):
                        await host.send(pkt(i))
                        if i == cut:
                            await boards[0].__aexit__(None, None, None)
                            await host.wait_state(LinkState.DOWN, timeout_s=10.0)
                            boards.append(PtyLink("imu", alias=alias))
                            await boards[1].__aenter__()
                            replugged.set()
                        await asyncio.sleep(0.002)

                async def receive_all() -> None:
                    while not got or got[-1] != pkt(n - 1):
                        try:
                            got.append(await boards[-1].recv(15.0))
                        except LinkClosedError:
                            await asyncio.wait_for(replugged.wait(), 15.0)

                async with asyncio.TaskGroup() as tg:
                    tg.create_task(send_all(), name="send")
                    tg.create_task(receive_all(), name="receive")
                assert list(host.state_history)[-2:] == [LinkState.DOWN, LinkState.UP]
                assert host.stats.reconnects == 1
        finally:
            await boards[-1].__aexit__(None, None, None)
        seqs = [int.from_bytes(p[2:4], "big") & 0x3FFF for p in got]
        assert seqs == sorted(set(seqs))  # in order, each once
        assert set(got) <= {pkt(i) for i in range(n)}
        assert set(range(cut + 1, n)) <= set(seqs)

    run(body())
