"""A broker that restarts (or crashes) during traffic is survived: both links go DOWN, reconnect with
backoff and come UP again; nothing is handed up twice and, after a graceful restart of a persistent
broker, nothing is lost either."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time

from hil.links import LinkState, open_link
from hil.links.mqtt_link import MqttLink
from hil.links.url import MqttSpec, parse_link_url
from hil.protocol.spacepacket import pack
from tests.support.aio import run
from tests.support.broker import Broker

N = 200


def pkt(seq: int) -> bytes:
    return pack(0x62, seq, b"restart-" + seq.to_bytes(4, "big"), time_tag_s=seq * 0.01)


async def traffic_through_an_outage(
    broker: Broker, prefix: str, *, crash: bool
) -> tuple[list[bytes], dict[str, int]]:
    url = broker.url(prefix)
    async with open_link(url, "imu", "host") as host, open_link(url, "imu", "board") as board:
        got: list[bytes] = []
        loop = asyncio.get_running_loop()

        async def send_all() -> None:
            for i in range(N):
                await host.send(pkt(i))
                if i == N // 3:
                    await loop.run_in_executor(None, broker.kill if crash else broker.stop)
                    await host.wait_state(LinkState.DOWN, timeout_s=10.0)
                    await loop.run_in_executor(None, broker.start)
                await asyncio.sleep(0.002)
            await host.flush(30.0)

        async def receive_all() -> None:
            while len(got) < N:
                try:
                    got.append(await board.recv(3.0 if crash else 30.0))
                except TimeoutError:
                    if crash and host.state is LinkState.UP and not host.unsent():
                        return  # a crash may lose what the broker had not saved: stop once quiet
                    raise

        async with asyncio.TaskGroup() as tg:
            tg.create_task(send_all(), name="send")
            tg.create_task(receive_all(), name="receive")
        assert LinkState.DOWN in host.state_history and LinkState.DOWN in board.state_history
        assert host.state is LinkState.UP and board.state is LinkState.UP
        assert host.stats.reconnects >= 1 and board.stats.reconnects >= 1
        return got, board.stats.as_dict()


def test_graceful_broker_restart_loses_nothing_and_duplicates_nothing(
    restartable_broker: Broker, prefix: str
) -> None:
    got, stats = run(traffic_through_an_outage(restartable_broker, prefix, crash=False), timeout_s=90.0)
    assert len(got) == len(set(got))
    assert sorted(got) == sorted(pkt(i) for i in range(N))
    assert stats["frames_rx"] == N


def test_broker_crash_is_survived_without_duplicates(restartable_broker: Broker, prefix: str) -> None:
    got, stats = run(traffic_through_an_outage(restartable_broker, prefix, crash=True), timeout_s=90.0)
    sent = {pkt(i) for i in range(N)}
    assert len(got) == len(set(got))
    assert set(got) <= sent
    assert pkt(N - 1) in got  # traffic flows again after the crash
    assert stats["frames_rx"] == len(got)


async def _unacknowledged(broker: Broker, prefix: str) -> tuple[float, list[bytes], MqttLink]:
    spec = parse_link_url(broker.url(prefix))
    assert isinstance(spec, MqttSpec)
    pid = broker.pid
    host = MqttLink(spec, "imu", "host", publish_timeout_s=1.0)
    async with host, open_link(broker.url(prefix), "imu", "board") as board:
        await host.send(pkt(1))  # a packet acknowledged as usual first
        first = await board.recv(10.0)
        os.kill(pid, signal.SIGSTOP)
        try:
            start = time.monotonic()
            await host.send(pkt(2))  # published at once; the paused broker never acknowledges it
            await host.wait_state(LinkState.DOWN, timeout_s=15.0)
            went_down_after_s = time.monotonic() - start
        finally:
            os.kill(pid, signal.SIGCONT)
        await host.wait_state(LinkState.UP, timeout_s=30.0)
        await host.flush(30.0)
        got = [first, await board.recv(30.0)]
        with contextlib.suppress(TimeoutError):
            got.append(await board.recv(1.0))  # nothing more may come
    return went_down_after_s, got, host


def test_a_packet_the_broker_never_acknowledges_is_a_lost_connection(
    restartable_broker: Broker, prefix: str
) -> None:
    """A packet published at once that the broker never acknowledges (its process paused with SIGSTOP)
    takes the link DOWN after the publish timeout (1 s here, within +6 s of slack) instead of waiting for
    ever; once the broker runs again the link comes back UP, sends the packet again and it is handed up
    once."""
    down_after_s, got, host = run(_unacknowledged(restartable_broker, prefix), timeout_s=90.0)
    assert 1.0 <= down_after_s < 7.0
    assert got == [pkt(1), pkt(2)]
    assert host.stats.reconnects >= 1 and host.unsent() == 0
