"""Link round-trip latency: a 64-byte packet host -> board -> host.

- over a pty pair: the host is a SerialLink on the slave (pyserial-asyncio-fast, COBS framing); the board
  echoes the bytes from a thread on the master (``pty_echo``), or is a PtyLink in the same event loop that
  decodes, checks and re-sends each packet (``pty_board``). Goal: p99 at most 1 ms.
- over a loopback mosquitto at QoS 1 (started here on a free port, TCP_NODELAY on both ends): host and
  board are MqttLinks in one event loop; the board re-sends each packet it receives. Goal: p99 at most 5 ms.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from benchmarks.timing import figure
from hil.links import Link, PtyLink, open_link
from hil.protocol.spacepacket import pack

PACKET_BYTES = 64
USER_BYTES = PACKET_BYTES - 14  # primary header 6, time tag 6, CRC 2


def _packet(i: int) -> bytes:
    p = pack(0x7A, i % 16384, bytes(USER_BYTES), time_tag_s=float(i))
    assert len(p) == PACKET_BYTES
    return p


def _percentiles_ms(samples_s: list[float]) -> tuple[float, float, float]:
    s = sorted(samples_s)
    pick = lambda q: s[min(len(s) - 1, round(q * (len(s) - 1)))]  # noqa: E731
    return pick(0.50) * 1e3, pick(0.99) * 1e3, s[-1] * 1e3


async def _round_trips(host: Link, board: Link | None, n: int, warmup: int) -> list[float]:
    samples: list[float] = []
    for i in range(n + warmup):
        p = _packet(i)
        t0 = time.perf_counter()
        await host.send(p)
        if board is not None:
            await board.send(await board.recv(5.0))
        back = await host.recv(5.0)
        dt = time.perf_counter() - t0
        if back != p:
            raise RuntimeError("round trip returned a different packet")
        if i >= warmup:
            samples.append(dt)
    return samples


def _echo(master: int, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            data = os.read(master, 4096)
        except OSError:
            return
        if data:
            os.write(master, data)


async def _pty_echo(n: int, warmup: int) -> list[float]:
    master, slave = os.openpty()
    import tty

    tty.setraw(slave)
    stop = threading.Event()
    thread = threading.Thread(target=_echo, args=(master, stop), name="pty-echo", daemon=True)
    thread.start()
    try:
        async with open_link(f"serial://{os.ttyname(slave)}", "imu", "host") as host:
            return await _round_trips(host, None, n, warmup)
    finally:
        stop.set()
        os.close(slave)
        os.close(master)  # wakes the echo thread's read with an error
        thread.join(timeout=5.0)


async def _pty_board(n: int, warmup: int) -> list[float]:
    async with PtyLink("imu") as board, open_link(f"serial://{board.path}", "imu", "host") as host:
        return await _round_trips(host, board, n, warmup)


async def _mqtt(url: str, n: int, warmup: int) -> list[float]:
    async with open_link(url, "imu", "host") as host, open_link(url, "imu", "board") as board:
        return await _round_trips(host, board, n, warmup)


def run(quick: bool) -> Iterable[dict[str, object]]:
    n, warmup = (300, 30) if quick else (3000, 200)
    # Tail latencies on a shared machine follow its load: report it with the figures.
    yield figure("links_load_average_1min_at_start", os.getloadavg()[0], "")
    for name, coro in (("pty_echo", _pty_echo(n, warmup)), ("pty_board", _pty_board(n, warmup))):
        p50, p99, worst = _percentiles_ms(asyncio.run(coro))
        yield figure(f"links_{name}_round_trip_64B_p50", p50, "ms")
        yield figure(f"links_{name}_round_trip_64B_p99", p99, "ms")
        yield figure(f"links_{name}_round_trip_64B_max", worst, "ms")

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.support import broker as broker_mod

    if not broker_mod.available():
        print(f"links: MQTT figures skipped: {broker_mod.SKIP_REASON}", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory() as d, broker_mod.Broker(Path(d)) as broker:
        p50, p99, worst = _percentiles_ms(asyncio.run(_mqtt(broker.url("bench"), n, warmup)))
    yield figure("links_mqtt_qos1_round_trip_64B_p50", p50, "ms")
    yield figure("links_mqtt_qos1_round_trip_64B_p99", p99, "ms")
    yield figure("links_mqtt_qos1_round_trip_64B_max", worst, "ms")
    yield figure("links_load_average_1min_at_end", os.getloadavg()[0], "")
