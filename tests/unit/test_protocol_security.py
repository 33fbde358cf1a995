"""Unit tests of flight/security.py: keys from file and environment, MAC, anti-replay state, and the
telecommand packets of hil.protocol.telecommand."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path

import pytest

from flight.security import (
    ENV_KEYS,
    ENV_KEYS_FILE,
    Authenticator,
    KeyRing,
    Outcome,
    SecurityError,
    Signer,
    compute_mac,
)
from hil.protocol import telecommand
from hil.protocol.catalogue import AckReason, AckStage, ArmAction
from hil.protocol.crc import append_crc
from hil.protocol.schema import EncodeError


def test_mac_is_hmac_sha256_rfc4231_case_2_truncated_to_16_octets() -> None:
    """RFC 4231 test case 2 (key "Jefe"): HMAC-SHA256 = 5bdcc146bf60754e6a042426089575c7..., first 16."""
    assert compute_mac(b"Jefe", b"what do ya want for nothing?").hex() == "5bdcc146bf60754e6a042426089575c7"


def test_keys_from_file(tmp_path: Path) -> None:
    k1, k2 = os.urandom(32), os.urandom(64)
    p = tmp_path / "keys.json"
    p.write_text(json.dumps({"keys": {"1": k1.hex(), "9": k2.hex()}}))
    ring = KeyRing.from_file(p)
    assert ring[1] == k1 and ring[9] == k2 and len(ring) == 2
    assert k1.hex() not in repr(ring)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("not json", "not JSON"),
        ('{"nokeys": {}}', "must hold"),
        ('{"keys": {"1": "abcd"}}', "at least 32"),
        ('{"keys": {"0": "' + "00" * 32 + '"}}', "outside"),
        ('{"keys": {"x": "' + "00" * 32 + '"}}', "not an integer"),
        ('{"keys": {"1": "zz' + "00" * 32 + '"}}', "not hexadecimal"),
        ('{"keys": {}}', "no keys"),
    ],
)
def test_bad_key_files_get_clear_errors(tmp_path: Path, content: str, match: str) -> None:
    p = tmp_path / "keys.json"
    p.write_text(content)
    with pytest.raises(SecurityError, match=match):
        KeyRing.from_file(p)


def test_missing_key_file(tmp_path: Path) -> None:
    with pytest.raises(SecurityError, match="cannot read"):
        KeyRing.from_file(tmp_path / "absent.json")


def test_keys_from_environment(tmp_path: Path) -> None:
    k = os.urandom(32)
    assert KeyRing.from_env({ENV_KEYS: f"4:{k.hex()}"})[4] == k
    p = tmp_path / "k.json"
    p.write_text(json.dumps({"keys": {"5": k.hex()}}))
    assert KeyRing.from_env({ENV_KEYS_FILE: str(p)})[5] == k
    with pytest.raises(SecurityError, match="no telecommand keys"):
        KeyRing.from_env({})
    with pytest.raises(SecurityError, match="id:hex"):
        KeyRing.from_env({ENV_KEYS: k.hex()})


def test_verify_rejections_are_counted_by_kind() -> None:
    keys = KeyRing({1: os.urandom(32)})
    other = KeyRing({1: os.urandom(32), 2: os.urandom(32)})
    auth = Authenticator(keys, window=4)
    s = Signer(keys, 1)
    hdr = bytes(12)
    units = [s.sign(hdr, b"cmd%d" % i) for i in range(8)]
    assert auth.verify(units[7], 12).outcome is Outcome.ACCEPTED
    assert auth.verify(units[7], 12).outcome is Outcome.REPLAY
    assert auth.verify(units[5], 12).outcome is Outcome.ACCEPTED  # late, inside the window
    assert auth.verify(units[2], 12).outcome is Outcome.STALE  # 8 - 3 >= window
    assert auth.verify(Signer(other, 2).sign(hdr, b"x"), 12).outcome is Outcome.UNKNOWN_KEY
    assert auth.verify(Signer(other, 1).sign(hdr, b"x"), 12).outcome is Outcome.BAD_MAC
    assert auth.verify(b"short", 12).outcome is Outcome.MALFORMED
    assert auth.verify(bytes(40), 12).outcome is Outcome.MALFORMED  # key id 0
    assert auth.counts == {"accepted": 2, "replay": 1, "stale": 1, "unknown_key": 1, "bad_mac": 1,
                           "malformed": 2}
    assert auth.rejected == 6
    assert auth.highest_arsn(1) == 8


def test_mac_is_over_header_security_header_and_data() -> None:
    key = os.urandom(32)
    unit = Signer(KeyRing({3: key}), 3, next_arsn=77).sign(b"H" * 12, b"data")
    assert unit[12:18] == bytes([0, 3, 0, 0, 0, 77])
    assert unit[-16:] == hmac.new(key, unit[:-16], hashlib.sha256).digest()[:16]


def test_state_export_restore_survives_json_and_blocks_replays() -> None:
    keys = KeyRing({1: os.urandom(32)})
    s = Signer(keys, 1)
    units = [s.sign(bytes(12), b"c") for _ in range(3)]
    auth = Authenticator(keys)
    assert all(auth.verify(u, 12).accepted for u in units[:2])
    restarted = Authenticator(keys)
    restarted.restore_state(json.loads(json.dumps(auth.export_state())))
    assert restarted.verify(units[0], 12).outcome is Outcome.REPLAY
    assert restarted.verify(units[2], 12).accepted


@pytest.mark.parametrize(
    "state",
    [{}, {"format": 2, "keys": {}}, {"format": 1, "keys": {"1": {"high": -1, "mask": 0}}},
     {"format": 1, "keys": {"1": {"high": "3", "mask": 0}}}, {"format": 1, "keys": []}],
)
def test_restore_rejects_malformed_state(state: dict[str, object]) -> None:
    auth = Authenticator(KeyRing({1: os.urandom(32)}))
    with pytest.raises(SecurityError):
        auth.restore_state(state)


def test_signer_refuses_exhausted_arsn() -> None:
    s = Signer(KeyRing({1: os.urandom(32)}), 1, next_arsn=2**32 - 1)
    s.sign(b"", b"")
    with pytest.raises(SecurityError, match="exhausted"):
        s.sign(b"", b"")


def test_telecommand_check_reports_ack_reasons() -> None:
    keys = KeyRing({1: os.urandom(32)})
    auth = Authenticator(keys)
    s = Signer(keys, 1)
    go = telecommand.sign("TC_GO", {"command_id": 11, "burn_id": 3}, s, seq_count=5, time_tag_s=100.0)
    ok = telecommand.check(go, auth)
    assert ok.accepted and ok.message is not None and ok.message["burn_id"] == 3
    ack = ok.ack_values()
    assert ack["stage"] is AckStage.ACCEPTED and ack["command_id"] == 11 and ack["acked_seq_count"] == 5
    assert telecommand.check(go, auth).reason is AckReason.REPLAY
    tampered = bytearray(go[:-2])
    tampered[-20] ^= 1
    assert telecommand.check(append_crc(tampered), auth).reason is AckReason.AUTH_FAILED
    assert telecommand.check(go[:-1], auth).reason is AckReason.MALFORMED
    arm = telecommand.CATALOGUE.encode(
        "THRUSTER_ARM", {"command_id": 1, "action": ArmAction.DISARM, "arm_code": 0}, seq_count=0
    )
    assert telecommand.check(arm, auth).reason is AckReason.UNKNOWN_COMMAND
    assert auth.counts["accepted"] == 1


def test_sign_refuses_security_fields_and_plain_packets() -> None:
    s = Signer(KeyRing({1: os.urandom(32)}), 1)
    with pytest.raises(EncodeError):
        telecommand.sign("TC_SAFE", {"command_id": 1, "arsn": 5}, s, seq_count=0)
    with pytest.raises(EncodeError):
        telecommand.sign("THRUSTER_ARM", {"command_id": 1}, s, seq_count=0)
    with pytest.raises(EncodeError):
        telecommand.CATALOGUE.encode("TC_SAFE", {"command_id": 1}, seq_count=0)
