"""The link interface on in-process loopback links: delivery, receive-side checks, state, errors.

Loopback has no I/O, so these tests pin the behaviour every transport shares (it lives in the base class).
"""

from __future__ import annotations

import asyncio
import random

import pytest

from hil.links import Backoff, LinkClosedError, LinkError, LinkState, LoopbackHub, loopback_pair, open_link
from hil.protocol.spacepacket import pack
from tests.support.aio import run


def pkt(seq: int, apid: int = 0x21, data: bytes = b"payload", t_s: float = 0.0) -> bytes:
    return pack(apid, seq, data, time_tag_s=t_s)


def test_round_trip_both_ways() -> None:
    """A host's packets reach the board and the board's reach the host, byte for byte, in order."""

    async def body() -> None:
        host, board = loopback_pair("imu")
        async with host, board:
            sent = [pkt(i) for i in range(10)]
            for p in sent:
                await host.send(p)
            assert [await board.recv(1.0) for _ in sent] == sent
            await board.send(pkt(0, apid=0x22))
            assert await host.recv(1.0) == pkt(0, apid=0x22)
            assert host.stats.frames_tx == 10 and board.stats.frames_rx == 10
            assert board.stats.bytes_rx == sum(map(len, sent))

    run(body())


def test_open_link_loop_urls_meet_by_name_and_channel() -> None:
    """loop://name ends with the same name and channel are joined; other channels are not."""

    async def body() -> None:
        hub = LoopbackHub()
        async with (
            open_link("loop://a", "imu", "host", hub=hub) as host,
            open_link("loop://a", "imu", "board", hub=hub) as board,
            open_link("loop://a", "thruster", "board", hub=hub) as other,
        ):
            await host.send(pkt(1))
            assert await board.recv(1.0) == pkt(1)
            assert other.pending() == 0

    run(body())


def test_packets_sent_before_the_peer_opens_wait_on_the_wire() -> None:
    async def body() -> None:
        host, board = loopback_pair("imu")
        async with host:
            await host.send(pkt(1))
            async with board:
                assert await board.recv(1.0) == pkt(1)

    run(body())


def test_second_end_with_the_same_role_is_refused() -> None:
    async def body() -> None:
        hub = LoopbackHub()
        async with open_link("loop://", "imu", "board", hub=hub):
            with pytest.raises(LinkError, match="already has an open board end"):
                async with open_link("loop://", "imu", "board", hub=hub):
                    pass

    run(body())


def test_duplicates_are_handed_up_once_and_counted() -> None:
    """The same APID, sequence count and bytes twice: handed up once, one duplicate counted."""

    async def body() -> None:
        host, board = loopback_pair("imu")
        async with host, board:
            for p in (pkt(5), pkt(5), pkt(6), pkt(5)):
                await host.send(p)
            assert [await board.recv(1.0) for _ in range(2)] == [pkt(5), pkt(6)]
            assert board.pending() == 0
            assert board.stats.duplicates == 2

    run(body())


def test_same_count_with_different_bytes_is_a_restart_not_a_duplicate() -> None:
    """A sender that restarted sends new content under a recent count: handed up and counted as a reset;
    the very same bytes again are a duplicate (docs/icd.md section 5)."""

    async def body() -> None:
        host, board = loopback_pair("imu")
        async with host, board:
            for p in (pkt(0, t_s=1.0), pkt(1, t_s=1.1), pkt(0, t_s=2.0), pkt(0, t_s=2.0)):
                await host.send(p)
            assert [await board.recv(1.0) for _ in range(3)] == [
                pkt(0, t_s=1.0),
                pkt(1, t_s=1.1),
                pkt(0, t_s=2.0),
            ]
            assert board.pending() == 0
            assert (board.stats.resets, board.stats.duplicates) == (1, 1)

    run(body())


def test_duplicate_window_is_64_packets_per_apid() -> None:
    """A repeat within the last 64 packets of its APID is dropped; one older than that is handed up."""

    async def body() -> None:
        host, board = loopback_pair("imu")
        async with host, board:
            for i in range(70):
                await host.send(pkt(i))
            await host.send(pkt(10))  # 60 packets back: a duplicate
            await host.send(pkt(3))  # 67 packets back: outside the window
            assert board.pending() == 71
            assert board.stats.duplicates == 1

    run(body())


def test_duplicates_are_tracked_per_apid() -> None:
    async def body() -> None:
        host, board = loopback_pair("imu")
        async with host, board:
            for p in (pkt(0, apid=1), pkt(0, apid=2), pkt(0, apid=1)):
                await host.send(p)
            assert board.pending() == 2
            assert board.stats.duplicates == 1

    run(body())


def test_corrupt_packets_are_counted_and_dropped() -> None:
    """A flipped bit in the CRC-protected bytes is a CRC error; a wrong length is a framing error."""

    async def body() -> None:
        host, board = loopback_pair("imu")
        async with host, board:
            bad = bytearray(pkt(1))
            bad[9] ^= 0x10
            await host.send(bytes(bad))
            short = pkt(2)[:-3] + pkt(2)[-2:]
            await host.send(short)
            await host.send(pkt(3))
            assert await board.recv(1.0) == pkt(3)
            assert (board.stats.crc_errors, board.stats.framing_errors, board.stats.frames_rx) == (1, 1, 1)

    run(body())


def test_gaps_and_resets_are_counted() -> None:
    """Counts 0, 1, 4 (two missing) then 0 again (the sender reset)."""

    async def body() -> None:
        host, board = loopback_pair("imu")
        async with host, board:
            for seq, t in ((0, 0.0), (1, 1.0), (4, 2.0), (0, 3.0)):
                await host.send(pkt(seq, t_s=t))
            for _ in range(4):
                await board.recv(1.0)
            assert (board.stats.gaps, board.stats.missing, board.stats.resets) == (1, 2, 1)

    run(body())


def test_recv_is_bounded_by_its_timeout() -> None:
    async def body() -> None:
        host, board = loopback_pair("imu")
        async with host, board:
            with pytest.raises(TimeoutError):
                await board.recv(0.05)

    run(body())


def test_recv_waiting_on_a_closing_link_ends_with_link_closed() -> None:
    async def body() -> None:
        host, board = loopback_pair("imu")
        async with host:
            async with board:
                waiter = asyncio.ensure_future(board.recv())
                await asyncio.sleep(0)
            with pytest.raises(LinkClosedError):
                await asyncio.wait_for(waiter, 1.0)

    run(body())


def test_state_goes_up_then_closed_and_a_closed_link_refuses_use() -> None:
    async def body() -> None:
        host, board = loopback_pair("imu")
        assert host.state is LinkState.CONNECTING
        async with host, board:
            assert host.state is LinkState.UP
            assert await host.wait_state(LinkState.UP, timeout_s=0.1) is LinkState.UP
        assert host.state is LinkState.CLOSED
        assert list(host.state_history) == [LinkState.CONNECTING, LinkState.UP, LinkState.CLOSED]
        with pytest.raises(LinkClosedError):
            await host.send(pkt(1))
        with pytest.raises(LinkClosedError):
            await host.recv(0.1)

    run(body())


def test_send_checks_type_and_size() -> None:
    async def body() -> None:
        host, board = loopback_pair("imu")
        async with host, board:
            with pytest.raises(TypeError, match="a packet is bytes"):
                await host.send("text")  # type: ignore[arg-type]
            with pytest.raises(ValueError, match="14 to 1024 bytes long, this one is 3"):
                await host.send(b"abc")
            with pytest.raises(ValueError, match="this one is 1025"):
                await host.send(bytes(1025))

    run(body())


def test_send_outside_async_with_is_refused() -> None:
    async def body() -> None:
        host, _ = loopback_pair("imu")
        with pytest.raises(LinkError, match="not open"):
            await host.send(pkt(1))

    run(body())


def test_receive_queue_is_bounded() -> None:
    """A receiver that never reads loses the newest packets beyond its queue, counted, and never blocks."""

    async def body() -> None:
        hub = LoopbackHub()
        host = open_link("loop://", "imu", "host", hub=hub)
        from hil.links import LoopbackLink

        board = LoopbackLink("imu", "board", hub=hub, rx_queue_size=3)
        async with host, board:
            for i in range(5):
                await host.send(pkt(i))
            assert board.pending() == 3
            assert board.stats.rx_dropped == 2

    run(body())


def test_backoff_grows_to_its_bound_with_jitter() -> None:
    """Delays double from the initial value up to max_s, each within [(1 - jitter) d, d]."""
    b = Backoff(initial_s=0.1, max_s=1.0, factor=2.0, jitter=0.5, rng=random.Random(7))
    nominal = [0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0]
    delays = [b.next_delay_s() for _ in nominal]
    for d, n in zip(delays, nominal, strict=True):
        assert 0.5 * n <= d <= n
    assert len(set(delays)) == len(delays)  # jittered: no two equal
    b.reset()
    assert b.next_delay_s() <= 0.1


def test_backoff_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        Backoff(initial_s=2.0, max_s=1.0)
