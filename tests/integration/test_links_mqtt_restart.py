"""A broker that restarts (or crashes) during traffic is survived: both links go DOWN, reconnect with
backoff and come UP again; nothing is handed up twice and, after a graceful restart of a persistent
broker, nothing is lost either."""

from __future__ import annotations

import asyncio

from hil.links import LinkState, open_link
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
