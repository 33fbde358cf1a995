"""Recorded packets of every link: a replayable file, ``packets.hilrec``.

Format (version 1), all integers big-endian:

- line 1: the ASCII magic ``HILREC1`` and a newline;
- line 2: one line of UTF-8 JSON, the header: ``{"format": 1, "channels": ["imu", "thruster", "ground"],
  "directions": ["to_board", "from_board"], "t0_s": <start, seconds of UTC since J2000>}``;
- then records, each ``>ddBBH`` (20 octets) followed by the packet:
  ``t_s`` (f64: spacecraft time of the simulation when the packet passed, seconds since J2000),
  ``wall_s`` (f64: host seconds since the recording started), ``channel`` (u8: index into ``channels``),
  ``direction`` (u8: 0 host to board, i.e. commands; 1 board to host, i.e. telemetry), ``length`` (u16),
  then ``length`` octets: the complete CCSDS space packet, CRC included, exactly as it crossed the link
  (the packet's own secondary header carries the sender's time tag).

Packets are recorded at the host end of each link (for the ground channel: the ground station's end), after
the link's CRC and duplicate checks on receive (when the link hands them up) and before transmission on
send, through the link's tap (``hil.links.base.Link.add_tap``). :func:`read_packets`
reads a file back; ``hil decode`` decodes the packets themselves.
"""

from __future__ import annotations

import json
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from hil.links.base import TAP_SENT, Link

MAGIC = b"HILREC1\n"
FORMAT = 1
RECORD = struct.Struct(">ddBBH")
CHANNELS = ("imu", "thruster", "ground")
DIRECTIONS = ("to_board", "from_board")
TO_BOARD, FROM_BOARD = 0, 1


class RecordingError(ValueError):
    """A recording file that is not in this format or is cut short."""


@dataclass(frozen=True)
class PacketRecord:
    t_s: float
    wall_s: float
    channel: str
    direction: str
    packet: bytes


#: The recorder's write buffer.
RECORD_BUFFER_OCTETS = 256 * 1024


class PacketRecorder:
    """Writes ``packets.hilrec`` (see the module docstring); attach links, then close at the end."""

    def __init__(self, path: Path, t0_s: float) -> None:
        self.path = path
        # a large buffer: a lockstep run records thousands of packets a second (flush() and close() empty it)
        self._f: BinaryIO | None = path.open("wb", buffering=RECORD_BUFFER_OCTETS)
        header = {"format": FORMAT, "channels": list(CHANNELS), "directions": list(DIRECTIONS), "t0_s": t0_s}
        self._f.write(MAGIC + json.dumps(header).encode() + b"\n")
        self._wall0 = time.monotonic()
        self.counts: dict[str, list[int]] = {ch: [0, 0] for ch in CHANNELS}

    def write(self, t_s: float, channel: str, direction: int, packet: bytes) -> None:
        if self._f is None:
            return
        self._f.write(
            RECORD.pack(t_s, time.monotonic() - self._wall0, CHANNELS.index(channel), direction, len(packet))
        )
        self._f.write(packet)
        self.counts[channel][direction] += 1

    def attach(self, link: Link, channel: str, t_s: Callable[[], float], *, board_end: bool = False) -> None:
        """Record every packet ``link`` sends and hands up from now on (``Link.add_tap``): a host end, or
        with ``board_end`` the board end (when the host end is in another process)."""
        sent = FROM_BOARD if board_end else TO_BOARD
        received = TO_BOARD if board_end else FROM_BOARD
        index = CHANNELS.index(channel)
        counts = self.counts[channel]
        pack, monotonic = RECORD.pack, time.monotonic

        def tap(direction: int, packet: bytes) -> None:  # write(), for one channel: every packet comes here
            f = self._f
            if f is None:
                return
            d = sent if direction == TAP_SENT else received
            f.write(pack(t_s(), monotonic() - self._wall0, index, d, len(packet)) + packet)
            counts[d] += 1

        link.add_tap(tap)

    def flush(self) -> None:
        if self._f is not None:
            self._f.flush()

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None


def read_header(f: BinaryIO) -> dict[str, Any]:
    if f.readline() != MAGIC:
        raise RecordingError("not a packet recording (no HILREC1 magic)")
    try:
        header: dict[str, Any] = json.loads(f.readline())
    except json.JSONDecodeError as exc:
        raise RecordingError(f"bad recording header: {exc}") from None
    if header.get("format") != FORMAT:
        raise RecordingError(f"recording format {header.get('format')!r} is not {FORMAT}")
    return header


def read_packets(path: str | Path) -> Iterator[PacketRecord]:
    """The records of a recording in order; RecordingError for a bad file (a cut-short last record too)."""
    with Path(path).open("rb") as f:
        header = read_header(f)
        channels, directions = header["channels"], header["directions"]
        while True:
            head = f.read(RECORD.size)
            if not head:
                return
            if len(head) < RECORD.size:
                raise RecordingError("recording ends inside a record header")
            t_s, wall_s, ch, d, n = RECORD.unpack(head)
            packet = f.read(n)
            if len(packet) < n or ch >= len(channels) or d >= len(directions):
                raise RecordingError("recording ends inside a packet or holds a bad record")
            yield PacketRecord(t_s, wall_s, channels[ch], directions[d], packet)
