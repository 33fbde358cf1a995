"""Telecommand keys of a run: made fresh for each run, written into the run folder, never held in code.

The runner writes ``tc_keys.json`` (``{"keys": {"<id>": "<hex>"}}``, the format of
``flight.security.KeyRing.from_file``) with owner-only permissions before anything else starts; the ground
emulator and the flight software both load it from there. ``hil ground send`` takes the same file with
``--keys`` or the environment (``DEORBIT_TC_KEYS``, ``DEORBIT_TC_KEYS_FILE``).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from flight.security import KEY_ID_MAX, KEY_ID_MIN, KeyRing, SecurityError

KEY_FILE_NAME = "tc_keys.json"
KEY_OCTETS = 32


def write_key_file(path: str | os.PathLike[str], key_id: int = 1) -> Path:
    """Make a new random 256-bit key for ``key_id`` and write it to ``path`` (mode 0600)."""
    if not KEY_ID_MIN <= key_id <= KEY_ID_MAX:
        raise SecurityError(f"key id {key_id} outside {KEY_ID_MIN}..{KEY_ID_MAX}")
    p = Path(path)
    doc = {"keys": {str(key_id): secrets.token_hex(KEY_OCTETS)}}
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(doc, f)
        f.write("\n")
    return p


def load_keys(path: str | os.PathLike[str] | None = None) -> KeyRing:
    """The key ring from ``path``, or from the environment when ``path`` is None."""
    if path is not None:
        return KeyRing.from_file(path)
    return KeyRing.from_env()
