"""The MQTT topic layout of docs/icd.md section 5, in one place for links, boards and ground.

``{prefix}/{board}/cmd`` carries packets to the board (for ``ground``: ground to flight),
``{prefix}/{board}/tm`` packets from it (for ``ground``: flight to ground), and ``{prefix}/{board}/state``
the retained text ``online`` or ``offline`` (the last will is ``offline``). QoS 1 everywhere; the
payload is one packet without COBS.
"""

from __future__ import annotations

from typing import Literal

from hil.protocol.catalogue import BOARDS

DEFAULT_PREFIX = "deorbit"
QOS = 1
ONLINE = b"online"
OFFLINE = b"offline"
Kind = Literal["cmd", "tm", "state"]
KINDS: tuple[Kind, ...] = ("cmd", "tm", "state")


def topic(board: str, kind: Kind, prefix: str = DEFAULT_PREFIX) -> str:
    """The topic of ``board``'s ``kind`` channel; raises ValueError for an unknown board or kind, or a
    prefix that is empty, has wildcards or leading/trailing slashes."""
    if board not in BOARDS:
        raise ValueError(f"unknown board {board!r}; boards are {', '.join(BOARDS)}")
    if kind not in KINDS:
        raise ValueError(f"unknown topic kind {kind!r}; kinds are {', '.join(KINDS)}")
    if not prefix or prefix.startswith("/") or prefix.endswith("/") or any(c in prefix for c in "+#\x00"):
        raise ValueError(f"bad topic prefix {prefix!r}")
    return f"{prefix}/{board}/{kind}"


def parse(name: str, prefix: str = DEFAULT_PREFIX) -> tuple[str, Kind]:
    """(board, kind) of a topic in the layout; raises ValueError for anything else."""
    head, sep, rest = name.rpartition("/")
    base, sep2, board = head.rpartition("/")
    if not sep or not sep2 or base != prefix or board not in BOARDS or rest not in KINDS:
        raise ValueError(f"topic {name!r} is not {prefix}/<board>/<cmd|tm|state>")
    kind: Kind = "cmd" if rest == "cmd" else "tm" if rest == "tm" else "state"
    return board, kind
