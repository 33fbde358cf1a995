"""MQTT links against a real mosquitto started by the test session: topic layout, QoS-1 duplicates,
retained state and last will, password and ACL, TLS and mutual TLS, the mosquitto command-line clients,
and the clear errors for an absent broker or bad credentials."""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
from pathlib import Path

import aiomqtt
import pytest

from hil.links import FaultConfig, FaultyLink, LinkError, LinkState, open_link
from hil.links.mqtt_link import MqttLink
from hil.protocol.spacepacket import pack
from tests.support import broker as broker_mod
from tests.support.aio import run
from tests.support.broker import USERS, Broker, free_port

ROOT = Path(__file__).resolve().parents[2]


def pkt(seq: int, apid: int = 0x61) -> bytes:
    return pack(apid, seq % 16384, b"mqtt-" + seq.to_bytes(4, "big") * 4, time_tag_s=seq * 0.1)


def mqtt(link: object) -> MqttLink:
    assert isinstance(link, MqttLink)
    return link


async def round_trip(host_url: str, board_url: str, n: int = 20) -> None:
    async with open_link(host_url, "imu", "host") as host, open_link(board_url, "imu", "board") as board:
        cmds = [pkt(i) for i in range(n)]
        for p in cmds:
            await host.send(p)
        assert [await board.recv(10.0) for _ in cmds] == cmds
        for p in cmds:
            await board.send(p)
        assert [await host.recv(10.0) for _ in cmds] == cmds
        await host.flush(10.0)  # frames_tx counts packets the broker acknowledged
        await board.flush(10.0)
        assert host.stats.frames_tx == board.stats.frames_rx == n
        assert board.stats.frames_tx == host.stats.frames_rx == n


def test_round_trip_anonymous(broker: Broker, prefix: str) -> None:
    run(round_trip(broker.url(prefix), broker.url(prefix)))


def test_round_trip_with_password_and_acl(broker: Broker, prefix: str) -> None:
    """The flight user commands the imu board; the imu user reads its cmd and writes its tm and state."""
    run(
        round_trip(
            broker.url(prefix, listener="auth", user="flight"),
            broker.url(prefix, listener="auth", user="imu"),
        )
    )


def test_round_trip_over_tls(broker: Broker, prefix: str) -> None:
    run(round_trip(broker.url(prefix, listener="tls"), broker.url(prefix, listener="tls")))


def test_round_trip_over_mutual_tls(broker: Broker, prefix: str) -> None:
    run(
        round_trip(
            broker.url(prefix, listener="mtls", client="flight"),
            broker.url(prefix, listener="mtls", client="imu"),
        )
    )


def test_messages_follow_the_icd_topics_qos1_and_raw_payload(broker: Broker, prefix: str) -> None:
    """A raw client sees the board's packet on {prefix}/imu/tm at QoS 1, payload = packet bytes (no COBS),
    and the retained state "online" on {prefix}/imu/state."""

    async def body() -> None:
        async with aiomqtt.Client("127.0.0.1", broker.ports["plain"]) as spy:
            await spy.subscribe(f"{prefix}/#", qos=1)
            async with open_link(broker.url(prefix), "imu", "board") as board:
                await board.send(pkt(7))
                seen: dict[str, tuple[bytes, int, bool]] = {}
                async with asyncio.timeout(10.0):
                    async for m in spy.messages:
                        assert isinstance(m.payload, bytes)
                        seen[m.topic.value] = (m.payload, m.qos, m.retain)
                        if f"{prefix}/imu/tm" in seen and f"{prefix}/imu/state" in seen:
                            break
            assert seen[f"{prefix}/imu/tm"][:2] == (pkt(7), 1)
            assert seen[f"{prefix}/imu/state"][:2] == (b"online", 1)

    run(body())


def test_qos1_redelivery_is_handed_up_once(broker: Broker, prefix: str) -> None:
    """The same packet published twice (as a QoS-1 redelivery does) is handed up once, counted as a
    duplicate; a packet with the same count but new bytes (a board that restarted) is handed up."""

    async def body() -> None:
        async with (
            open_link(broker.url(prefix), "imu", "host") as host,
            aiomqtt.Client("127.0.0.1", broker.ports["plain"]) as board,
        ):
            restarted = pack(0x61, 1, b"after a restart", time_tag_s=99.0)
            for p in (pkt(1), pkt(1), pkt(2), pkt(1), restarted):
                await board.publish(f"{prefix}/imu/tm", p, qos=1)
            assert [await host.recv(10.0) for _ in range(3)] == [pkt(1), pkt(2), restarted]
            with pytest.raises(TimeoutError):
                await host.recv(0.3)
            assert host.stats.duplicates == 2

    run(body())


def test_corrupt_payload_is_counted_and_dropped(broker: Broker, prefix: str) -> None:
    async def body() -> None:
        async with (
            open_link(broker.url(prefix), "imu", "board") as board,
            aiomqtt.Client("127.0.0.1", broker.ports["plain"]) as host,
        ):
            bad = bytearray(pkt(1))
            bad[12] ^= 0x40
            for p in (bytes(bad), b"abc", pkt(2)):
                await host.publish(f"{prefix}/imu/cmd", p, qos=1)
            assert await board.recv(10.0) == pkt(2)
            assert board.stats.crc_errors == 1
            assert board.stats.framing_errors == 1

    run(body())


def test_board_state_online_offline_and_last_will(broker: Broker, prefix: str, tmp_path: Path) -> None:
    """The host sees the board online, offline after a clean close, and offline again (from the last
    will) after a board process is killed without a word."""
    script = tmp_path / "board.py"
    script.write_text(
        "import asyncio, sys\n"
        "from hil.links import open_link\n"
        "async def main():\n"
        "    async with open_link(sys.argv[1], 'imu', 'board'):\n"
        "        print('up', flush=True)\n"
        "        await asyncio.sleep(60)\n"
        "asyncio.run(main())\n"
    )

    async def body() -> None:
        async with open_link(broker.url(prefix), "imu", "host") as h:
            host = mqtt(h)
            async with open_link(broker.url(prefix), "imu", "board"):
                await host.wait_peer(True, timeout_s=10.0)
            await host.wait_peer(False, timeout_s=10.0)

            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                str(script),
                broker.url(prefix),
                stdout=asyncio.subprocess.PIPE,
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            try:
                assert proc.stdout is not None
                assert await asyncio.wait_for(proc.stdout.readline(), 30.0) == b"up\n"
                await host.wait_peer(True, timeout_s=10.0)
                proc.kill()
                await host.wait_peer(False, timeout_s=20.0)
            finally:
                if proc.returncode is None:
                    proc.kill()
                await asyncio.wait_for(proc.wait(), 10.0)

    run(body())


def test_acl_stops_a_board_from_commanding_another_board(broker: Broker, prefix: str) -> None:
    """The imu user publishing to the thruster's cmd topic is dropped by the broker; the flight user's
    command published after it is the only one the thruster board receives."""

    async def body() -> None:
        thruster_url = broker.url(prefix, listener="auth", user="thruster")
        async with (
            open_link(thruster_url, "thruster", "board") as thruster,
            aiomqtt.Client("127.0.0.1", broker.ports["auth"], username="imu", password=USERS["imu"]) as rogue,
            aiomqtt.Client(
                "127.0.0.1", broker.ports["auth"], username="flight", password=USERS["flight"]
            ) as fsw,
        ):
            await rogue.publish(f"{prefix}/thruster/cmd", pkt(1, apid=0x70), qos=1)
            await fsw.publish(f"{prefix}/thruster/cmd", pkt(2, apid=0x70), qos=1)
            assert await thruster.recv(10.0) == pkt(2, apid=0x70)
            with pytest.raises(TimeoutError):
                await thruster.recv(0.3)
            assert thruster.stats.frames_rx == 1

    run(body())


def test_wrong_password_is_a_one_sentence_error(broker: Broker, prefix: str) -> None:
    async def body() -> None:
        with pytest.raises(LinkError) as info:
            async with open_link(
                broker.url(prefix, listener="auth", user="imu", password="nope"), "imu", "board"
            ):
                pass
        assert (
            str(info.value)
            == f"cannot connect to MQTT broker 127.0.0.1:{broker.ports['auth']}: not authorized"
        )

    run(body())


def test_absent_broker_is_a_one_sentence_error() -> None:
    async def body() -> None:
        port = free_port()
        with pytest.raises(LinkError) as info:
            async with open_link(f"mqtt://127.0.0.1:{port}/x", "imu", "host"):
                pass
        assert str(info.value) == f"cannot connect to MQTT broker 127.0.0.1:{port}: connection refused"

    run(body())


def test_tls_with_an_unknown_ca_fails_and_insecure_connects(broker: Broker, prefix: str) -> None:
    async def body() -> None:
        with pytest.raises(LinkError, match="certificate verify failed"):
            async with open_link(broker.url(prefix, listener="tls", ca=broker.certs.other_ca), "imu", "host"):
                pass
        url = broker.url(prefix, listener="tls", ca=broker.certs.other_ca, insecure=True)
        async with open_link(url, "imu", "host") as host:
            assert host.state is LinkState.UP

    run(body())


def test_mutual_tls_without_a_client_certificate_is_refused(broker: Broker, prefix: str) -> None:
    async def body() -> None:
        with pytest.raises(LinkError, match="cannot connect to MQTT broker"):
            async with open_link(broker.url(prefix, listener="mtls"), "imu", "host"):
                pass

    run(body())


@pytest.mark.skipif(
    broker_mod.MOSQUITTO_PUB is None or broker_mod.MOSQUITTO_SUB is None, reason=broker_mod.SKIP_REASON
)
def test_mosquitto_command_line_clients_talk_to_our_link(broker: Broker, prefix: str, tmp_path: Path) -> None:
    """mosquitto_pub sends a command our board link receives; mosquitto_sub receives our telemetry."""
    port = str(broker.ports["plain"])
    cmd_file = tmp_path / "cmd.bin"
    cmd_file.write_bytes(pkt(3))
    sub_id = f"{prefix}-sub"
    common = ["-h", "127.0.0.1", "-p", port, "-q", "1"]

    def cli(*args: str) -> bytes:
        return subprocess.run(list(args), check=True, capture_output=True, timeout=30).stdout

    # A persistent subscription first (-c, fixed id; -E exits once it is acknowledged), so the broker
    # queues our telemetry for it and there is no race with the publish.
    cli(str(broker_mod.MOSQUITTO_SUB), *common, "-c", "-i", sub_id, "-t", f"{prefix}/imu/tm", "-E")

    async def body() -> None:
        async with open_link(broker.url(prefix), "imu", "board") as board:
            cli(str(broker_mod.MOSQUITTO_PUB), *common, "-t", f"{prefix}/imu/cmd", "-f", str(cmd_file))
            assert await board.recv(10.0) == pkt(3)
            await board.send(pkt(4))
            await board.flush(10.0)  # acknowledged by the broker
            assert board.stats.frames_tx == 1

    run(body())
    out = cli(
        str(broker_mod.MOSQUITTO_SUB),
        *common,
        "-c",
        "-i",
        sub_id,
        "-t",
        f"{prefix}/imu/tm",
        "-C",
        "1",
        "-N",
        "-W",
        "10",
    )
    assert out == pkt(4)


def test_fault_wrapper_over_an_mqtt_link(broker: Broker, prefix: str) -> None:
    """Seeded drops, corruption, duplicates, delays and reordering on the host's MQTT link: the board
    hands up exactly the packets neither dropped nor corrupted, each once; corrupted ones are counted."""

    async def body() -> None:
        cfg = FaultConfig(
            drop_p=0.1, corrupt_p=0.1, duplicate_p=0.3, delay_p=0.2, delay_s=(0.001, 0.005), reorder_p=0.1
        )
        async with (
            FaultyLink(open_link(broker.url(prefix), "imu", "host"), cfg, random.Random(5)) as host,
            open_link(broker.url(prefix), "imu", "board") as board,
        ):
            sent = [pkt(i) for i in range(150)]
            for p in sent:
                await host.send(p)
                # Paced so that no copy lags its twin by more than the 64-packet duplicate window of the
                # ICD (a copy that late is, by that rule, new).
                await asyncio.sleep(0.001)
            await host.drain(10.0)
            await host.inner.flush(10.0)
            f = host.faults
            got = [await board.recv(10.0) for _ in range(len(sent) - f.dropped - f.corrupted)]
            with pytest.raises(TimeoutError):
                await board.recv(0.3)
            assert len(set(got)) == len(got) and set(got) <= set(sent)
            assert board.stats.crc_errors + board.stats.framing_errors == f.corrupted + f.corrupted_duplicates
            assert board.stats.duplicates == f.duplicated - f.corrupted_duplicates
            assert min(f.dropped, f.corrupted, f.duplicated, f.delayed, f.reordered) > 0

    run(body())
