"""Telecommand authentication in the manner of CCSDS SDLS (Space Data Link Security, CCSDS 355.0-B-2).

A secured telecommand is ``header | security header | command data | MAC``:

- ``header``: the octets before the security header (for our space packets the 6-octet primary header
  and the 6-octet time-tag secondary header); authenticated, not interpreted here;
- security header, 6 octets big-endian: key id (the security parameter index, u16, 1..65535) and the
  anti-replay sequence number (ARSN, u32, 1..2^32-1, increasing by one per command and key);
- MAC trailer, 16 octets: HMAC-SHA256 (RFC 2104, FIPS 180-4) keyed with the key named by the key id,
  over every preceding octet, truncated to its first 16 octets (RFC 2104 section 5 truncation).

The packet error control (CRC) follows the MAC and is outside it; it belongs to the link.

The verifier checks, in order: length, key id, MAC (constant-time comparison), then the anti-replay
window, so that nothing unauthenticated ever changes its state. The window is a sliding bitmap of the
last ``window`` ARSNs below the highest accepted (as in IPsec, RFC 4303 section 3.4.3): an ARSN above the
highest is accepted and moves the window; one inside the window is accepted once; one below it is stale.
``export_state`` and ``restore_state`` give the anti-replay state as plain JSON-ready data so that the
flight journal can persist it across restarts.

Keys come from a JSON file or the environment, never from code:

- file: ``{"keys": {"1": "<64 or more hex digits>", "2": "..."}}``;
- environment: ``DEORBIT_TC_KEYS="1:<hex>,2:<hex>"``, or ``DEORBIT_TC_KEYS_FILE=/path/to/keys.json``.

Keys are at least 32 octets (256 bits). This module uses only the standard library: flight software
imports it and must not import the rig.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

SECURITY_HEADER = struct.Struct(">HI")  # key id, ARSN
SECURITY_HEADER_OCTETS = SECURITY_HEADER.size
MAC_OCTETS = 16
MIN_KEY_OCTETS = 32
KEY_ID_MIN, KEY_ID_MAX = 1, 0xFFFF
ARSN_MIN, ARSN_MAX = 1, 0xFFFFFFFF
DEFAULT_WINDOW = 64
MAX_WINDOW = 4096
ENV_KEYS = "DEORBIT_TC_KEYS"
ENV_KEYS_FILE = "DEORBIT_TC_KEYS_FILE"
# The project's space packets: 6-octet primary header and 6-octet secondary header before the security
# header, and a 2-octet CRC after the MAC (docs/icd.md).
SPACE_PACKET_HEADER_OCTETS = 12
SPACE_PACKET_TRAILER_OCTETS = 2
STATE_FORMAT = 1


class SecurityError(ValueError):
    """Bad key material or a bad saved anti-replay state (not raised for bad commands: those are counted)."""


def compute_mac(key: bytes, data: bytes | bytearray | memoryview) -> bytes:
    """HMAC-SHA256 of ``data`` truncated to 16 octets."""
    return hmac.new(key, data, hashlib.sha256).digest()[:MAC_OCTETS]


def _key_id(text: str | int) -> int:
    try:
        kid = int(text)
    except (TypeError, ValueError):
        raise SecurityError(f"key id {text!r} is not an integer") from None
    if not KEY_ID_MIN <= kid <= KEY_ID_MAX:
        raise SecurityError(f"key id {kid} outside {KEY_ID_MIN}..{KEY_ID_MAX}")
    return kid


def _key(kid: int, material: str | bytes) -> bytes:
    if isinstance(material, str):
        try:
            key = bytes.fromhex(material.strip())
        except ValueError:
            raise SecurityError(f"key {kid}: not hexadecimal") from None
    else:
        key = bytes(material)
    if len(key) < MIN_KEY_OCTETS:
        raise SecurityError(f"key {kid}: {len(key)} octets, at least {MIN_KEY_OCTETS} are required")
    return key


class KeyRing(Mapping[int, bytes]):
    """Authentication keys by key id. Its repr never shows key material."""

    def __init__(self, keys: Mapping[int, bytes | str]) -> None:
        self._keys = {_key_id(k): _key(_key_id(k), v) for k, v in keys.items()}
        if not self._keys:
            raise SecurityError("no keys given")

    def __getitem__(self, key_id: int) -> bytes:
        return self._keys[key_id]

    def __iter__(self) -> Iterator[int]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"KeyRing(key_ids={sorted(self._keys)})"

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> KeyRing:
        """Keys from a JSON file ``{"keys": {"<id>": "<hex>"}}``."""
        try:
            doc = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise SecurityError(f"cannot read key file {os.fspath(path)}: {exc.strerror}") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SecurityError(f"key file {os.fspath(path)} is not JSON: {exc}") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("keys"), dict):
            raise SecurityError(f'key file {os.fspath(path)} must hold {{"keys": {{"<id>": "<hex>"}}}}')
        keys = doc["keys"]
        if not all(isinstance(v, str) for v in keys.values()):
            raise SecurityError(f"key file {os.fspath(path)}: every key must be a hex string")
        return cls(keys)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> KeyRing:
        """Keys from ``DEORBIT_TC_KEYS`` ("id:hex,id:hex"), else from ``DEORBIT_TC_KEYS_FILE``."""
        env = os.environ if environ is None else environ
        inline = env.get(ENV_KEYS, "").strip()
        if inline:
            keys: dict[int, str] = {}
            for item in inline.split(","):
                kid, sep, material = item.strip().partition(":")
                if not sep:
                    raise SecurityError(f"{ENV_KEYS}: expected id:hex pairs separated by commas")
                keys[_key_id(kid)] = material
            return cls(keys)
        path = env.get(ENV_KEYS_FILE, "").strip()
        if path:
            return cls.from_file(path)
        raise SecurityError(f"no telecommand keys: set {ENV_KEYS} or {ENV_KEYS_FILE}")


class Signer:
    """Signs telecommands with one key, numbering them with increasing ARSNs (the ground's side)."""

    def __init__(self, keys: Mapping[int, bytes], key_id: int, next_arsn: int = ARSN_MIN) -> None:
        if key_id not in keys:
            raise SecurityError(f"key id {key_id} is not loaded")
        if not ARSN_MIN <= next_arsn <= ARSN_MAX:
            raise SecurityError(f"next ARSN {next_arsn} outside {ARSN_MIN}..{ARSN_MAX}")
        self.key_id = key_id
        self._key = keys[key_id]
        self.next_arsn = next_arsn

    def sign(self, header: bytes | bytearray, data: bytes | bytearray) -> bytes:
        """``header | security header | data | MAC`` with the next ARSN."""
        if self.next_arsn > ARSN_MAX:
            raise SecurityError(f"key {self.key_id}: ARSNs exhausted; a new key is needed")
        arsn = self.next_arsn
        self.next_arsn += 1
        protected = bytes(header) + SECURITY_HEADER.pack(self.key_id, arsn) + bytes(data)
        return protected + compute_mac(self._key, protected)


class Outcome(Enum):
    ACCEPTED = "accepted"
    MALFORMED = "malformed"  # too short to hold the security header and MAC, or key id / ARSN zero
    UNKNOWN_KEY = "unknown_key"
    BAD_MAC = "bad_mac"  # forged, corrupted, or signed with another key
    REPLAY = "replay"  # the ARSN was accepted before
    STALE = "stale"  # the ARSN is below the anti-replay window


@dataclass(frozen=True, slots=True)
class Verdict:
    """The result of checking one secured telecommand. ``data`` is the command data when accepted."""

    outcome: Outcome
    key_id: int = 0
    arsn: int = 0
    data: bytes = b""

    @property
    def accepted(self) -> bool:
        return self.outcome is Outcome.ACCEPTED


@dataclass(slots=True)
class _Window:
    high: int = 0  # highest ARSN accepted (0: none yet)
    mask: int = 0  # bit i set: ARSN high - i accepted


class Authenticator:
    """Verifies secured telecommands and keeps the anti-replay state per key (the flight side)."""

    def __init__(self, keys: Mapping[int, bytes], window: int = DEFAULT_WINDOW) -> None:
        if not 1 <= window <= MAX_WINDOW:
            raise SecurityError(f"anti-replay window {window} outside 1..{MAX_WINDOW}")
        self._keys = keys
        self.window = window
        self._windows: dict[int, _Window] = {}
        self.counts: dict[str, int] = {o.value: 0 for o in Outcome}

    def _count(self, verdict: Verdict) -> Verdict:
        self.counts[verdict.outcome.value] += 1
        return verdict

    @property
    def rejected(self) -> int:
        return sum(n for k, n in self.counts.items() if k != Outcome.ACCEPTED.value)

    def verify(self, unit: bytes | bytearray | memoryview, header_octets: int) -> Verdict:
        """Check ``unit`` = header (``header_octets`` long) | security header | data | MAC. Never raises
        on the content of ``unit``; an accepted ARSN is recorded and never accepted again."""
        unit = bytes(unit)
        if header_octets < 0 or len(unit) < header_octets + SECURITY_HEADER_OCTETS + MAC_OCTETS:
            return self._count(Verdict(Outcome.MALFORMED))
        key_id, arsn = SECURITY_HEADER.unpack_from(unit, header_octets)
        if key_id < KEY_ID_MIN or arsn < ARSN_MIN:
            return self._count(Verdict(Outcome.MALFORMED, key_id, arsn))
        key = self._keys.get(key_id)
        if key is None:
            return self._count(Verdict(Outcome.UNKNOWN_KEY, key_id, arsn))
        protected, mac = unit[:-MAC_OCTETS], unit[-MAC_OCTETS:]
        if not hmac.compare_digest(compute_mac(key, protected), mac):
            return self._count(Verdict(Outcome.BAD_MAC, key_id, arsn))
        w = self._windows.setdefault(key_id, _Window())
        if arsn > w.high:
            shift = arsn - w.high
            w.mask = 1 if shift >= self.window else ((w.mask << shift) | 1) & ((1 << self.window) - 1)
            w.high = arsn
        else:
            behind = w.high - arsn
            if behind >= self.window:
                return self._count(Verdict(Outcome.STALE, key_id, arsn))
            if w.mask >> behind & 1:
                return self._count(Verdict(Outcome.REPLAY, key_id, arsn))
            w.mask |= 1 << behind
        data = protected[header_octets + SECURITY_HEADER_OCTETS :]
        return self._count(Verdict(Outcome.ACCEPTED, key_id, arsn, data))

    def verify_space_packet(self, packet: bytes | bytearray | memoryview) -> Verdict:
        """Check a whole telecommand space packet of this project (CRC present, checked by the link)."""
        if len(packet) < SPACE_PACKET_TRAILER_OCTETS:
            return self._count(Verdict(Outcome.MALFORMED))
        return self.verify(bytes(packet)[:-SPACE_PACKET_TRAILER_OCTETS], SPACE_PACKET_HEADER_OCTETS)

    def highest_arsn(self, key_id: int) -> int:
        """The highest ARSN accepted with ``key_id`` (0 when none)."""
        w = self._windows.get(key_id)
        return w.high if w else 0

    def export_state(self) -> dict[str, Any]:
        """The anti-replay state and counters as plain JSON-ready data."""
        return {
            "format": STATE_FORMAT,
            "window": self.window,
            "keys": {str(k): {"high": w.high, "mask": w.mask} for k, w in sorted(self._windows.items())},
            "counts": dict(self.counts),
        }

    def restore_state(self, state: Mapping[str, Any]) -> None:
        """Replace the anti-replay state with one from ``export_state``; raises SecurityError if malformed.

        A state saved with a larger window keeps only the part that fits this window.
        """
        try:
            if state["format"] != STATE_FORMAT:
                raise SecurityError(f"anti-replay state format {state['format']!r} is not {STATE_FORMAT}")
            windows: dict[int, _Window] = {}
            if not isinstance(state["keys"], Mapping):
                raise SecurityError("anti-replay state: keys must be a mapping")
            for kid_text, entry in state["keys"].items():
                kid = _key_id(kid_text)
                high, mask = entry["high"], entry["mask"]
                if type(high) is not int or type(mask) is not int or not 0 <= high <= ARSN_MAX or mask < 0:
                    raise SecurityError(f"anti-replay state of key {kid} is malformed")
                windows[kid] = _Window(high, mask & ((1 << self.window) - 1))
            counts = {o.value: int(dict(state.get("counts", {})).get(o.value, 0)) for o in Outcome}
        except SecurityError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SecurityError(f"anti-replay state is malformed: {exc!r}") from None
        self._windows = windows
        self.counts = counts
