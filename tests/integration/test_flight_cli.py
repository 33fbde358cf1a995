"""``flight run``: one-line errors for what a user can get wrong, and the ground port over a real link."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path

import pytest

from flight.ports import AckReason, BurnRef, Event, Severity, Telecommand, TelecommandAck, TelecommandKind
from flight.security import KeyRing, Signer
from hil.drivers.ground import GroundDriver
from hil.flight_cli import main
from hil.links.loopback import loopback_pair
from hil.protocol import catalogue as cat
from hil.protocol.catalogue import CATALOGUE
from hil.protocol.schema import Message
from hil.protocol.telecommand import sign

KEY_HEX = "ab" * 32


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("argv_extra, expect", [
    (["--imu", "bogus://x"], "unsupported link URL"),
    (["--imu", "serial:///dev/ttyDOES_NOT_EXIST"], "cannot open the imu link"),
    (["--imu", "mqtt://127.0.0.1:{port}/x"], "cannot connect to MQTT broker"),
    (["--imu", "loop://", "--config", "/nonexistent/flight.toml"], "no such file"),
])
def test_user_errors_are_one_line_and_exit_2(argv_extra: list[str], expect: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEORBIT_TC_KEYS", f"1:{KEY_HEX}")
    argv = ["run", "--thrusters", "loop://", "--ground", "loop://", "--journal", str(tmp_path / "j"),
            *[a.format(port=_free_port()) for a in argv_extra]]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert expect in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_missing_keys_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEORBIT_TC_KEYS", raising=False)
    monkeypatch.delenv("DEORBIT_TC_KEYS_FILE", raising=False)
    assert main(["run", "--imu", "loop://", "--thrusters", "loop://", "--ground", "loop://",
                 "--journal", str(tmp_path / "j")]) == 2
    assert "no telecommand keys" in capsys.readouterr().err


def test_missing_arguments_exit_with_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["run", "--imu", "loop://"])
    assert exc.value.code == 2
    assert "required" in capsys.readouterr().err


def test_ground_port_verifies_decodes_and_acknowledges() -> None:
    """Over a loopback link, with the flight computer on the board end of the ground channel as ``flight
    run`` puts it: a signed TC_GO comes out as a GO telecommand and its acknowledgement goes back as TC_ACK
    (COMPLETED, OK); a packet with a forged MAC never reaches the flight software and is answered
    REJECTED, AUTH_FAILED; an event goes out as FLIGHT_EVENT."""
    from flight.security import Authenticator

    async def main_() -> tuple[list[Telecommand], list[Message]]:
        keys = KeyRing({1: KEY_HEX})
        host, board = loopback_pair("ground")
        async with host, board, GroundDriver(board, Authenticator(keys)) as port:
            signer = Signer(keys, 1)
            good = sign("TC_GO", {"command_id": 42, "burn_id": 3}, signer, seq_count=1, time_tag_s=100.0)
            forged = bytearray(sign("TC_GO", {"command_id": 43, "burn_id": 3}, signer, seq_count=2,
                                    time_tag_s=100.0))
            forged[-5] ^= 0xFF  # inside the MAC; the CRC is recomputed below so only the MAC is wrong
            from hil.protocol.crc import crc16

            forged[-2:] = crc16(bytes(forged[:-2])).to_bytes(2, "big")
            got = []
            it = aiter(port.telecommands())
            # a wait cut short by a bounded wait (as the executive's) leaves the port usable
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.2):
                    await anext(it)
            await host.send(bytes(forged))
            await host.send(good)
            async with asyncio.timeout(5.0):
                tc = await anext(it)
            got.append(tc)
            await port.acknowledge(TelecommandAck(tc.command_id, tc.kind, AckReason.ACCEPTED))
            await port.send_event(Event(100.0, Severity.WARNING, "fdir.test", "a test event", {"burn_id": 3}))
            replies = []
            for _ in range(3):
                async with asyncio.timeout(5.0):
                    replies.append(CATALOGUE.decode(await host.recv()))
            return got, replies

    got, replies = asyncio.run(main_())
    tc = got[0]
    assert tc.kind is TelecommandKind.GO and tc.args == BurnRef(3) and tc.command_id == 42
    rejected, accepted, event = replies
    assert rejected.name == "TC_ACK" and rejected["stage"] == cat.AckStage.REJECTED
    assert rejected["reason"] == cat.AckReason.AUTH_FAILED
    assert accepted.name == "TC_ACK" and accepted["command_id"] == 42
    assert accepted["stage"] == cat.AckStage.COMPLETED and accepted["reason"] == cat.AckReason.OK
    assert event.name == "FLIGHT_EVENT" and event["burn_id"] == 3
    assert "fdir.test" in event["text"]
