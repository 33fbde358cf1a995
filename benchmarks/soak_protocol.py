"""Soak the protocol: random and mutated frames through the stream decoder, the catalogue decoder and the
telecommand authenticator. ``python -m benchmarks.soak_protocol [--frames N] [--seed S]``.

A frame is, at random: a valid telemetry packet; a genuine signed telecommand (sometimes delivered out
of order, within the anti-replay window); a replay of an earlier telecommand; a telecommand with a forged
MAC, a flipped bit or a wrong key, given a correct CRC so that it reaches the authenticator; or a
mutated frame (bit flips, truncation, insertion, deletion, pure noise, an oversize frame). The stream is
fed to the decoder in reads of random size. The summary line reports the counts; ``crashes`` (any
exception escaping the decoder, the catalogue's DecodeError aside, or the authenticator) and
``accepted_bad_telecommands`` (anything accepted that the ground did not sign, or an ARSN accepted
twice) must both be 0, and the exit status is 0 only then.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import traceback
from collections import deque
from typing import Any

from flight.security import Authenticator, KeyRing, Signer
from hil.protocol import telecommand
from hil.protocol.catalogue import CATALOGUE
from hil.protocol.crc import append_crc
from hil.protocol.framing import MAX_FRAME_OCTETS, StreamDecoder, frame
from hil.protocol.schema import DecodeError

TELEMETRY = [s for s in CATALOGUE if not s.authenticated]
COMMANDS = [s for s in CATALOGUE if s.authenticated]
WINDOW = 64
SENT_MEMORY = 100_000  # far more than the packets in flight between generation and decoding


def _key(rng: random.Random) -> bytes:
    return bytes(rng.getrandbits(8) for _ in range(32))


class Soak:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.keys = KeyRing({1: _key(self.rng), 2: _key(self.rng)})
        self.rogue = Signer(KeyRing({1: _key(self.rng)}), 1)
        self.signers = {k: Signer(self.keys, k) for k in self.keys}
        self.auth = Authenticator(self.keys, window=WINDOW)
        self.decoder = StreamDecoder()
        self.genuine: set[bytes] = set()
        self.accepted_ids: set[tuple[int, int]] = set()
        self.sent_commands: list[bytes] = []
        self.held: list[bytes] = []  # genuine commands held back to deliver out of order
        self.seq = 0
        self.counts: dict[str, int] = {
            "frames": 0, "telemetry_sent": 0, "telemetry_received": 0, "unexpected_valid_packets": 0,
            "commands_genuine": 0, "commands_bad": 0, "commands_accepted": 0, "commands_rejected": 0,
            "accepted_bad_telecommands": 0, "crashes": 0, "undecodable_packets": 0,
        }
        self.sent_telemetry: set[bytes] = set()  # the last SENT_MEMORY telemetry packets sent
        self.sent_order: deque[bytes] = deque()
        self.first_crash = ""

    # --- generators -----------------------------------------------------------------------------------

    def _values(self, spec: Any) -> dict[str, Any]:
        v = spec.example_values()
        for f in spec.fields:
            if f.count == 1 and f.wire.integer and f.scale is None and f.enum is None and f.flags is None \
                    and f.kind != "bool":
                rng = f.value_range
                assert rng is not None
                v[f.name] = self.rng.randint(int(rng[0]), int(min(rng[1], 2**31)))
        return v

    def telemetry(self) -> bytes:
        spec = self.rng.choice(TELEMETRY)
        self.seq = (self.seq + 1) % 16384
        raw = CATALOGUE.encode(spec.name, self._values(spec), seq_count=self.seq,
                               time_tag_s=self.rng.uniform(0, 4e9))
        self.sent_telemetry.add(raw)
        self.sent_order.append(raw)
        if len(self.sent_order) > SENT_MEMORY:
            self.sent_telemetry.discard(self.sent_order.popleft())
        self.counts["telemetry_sent"] += 1
        return raw

    def command(self, signer: Signer | None = None) -> bytes:
        spec = self.rng.choice(COMMANDS)
        signer = signer or self.signers[self.rng.choice(list(self.signers))]
        self.seq = (self.seq + 1) % 16384
        return telecommand.sign(spec.name, self._values(spec), signer, seq_count=self.seq,
                                time_tag_s=self.rng.uniform(0, 4e9))

    def genuine_command(self) -> bytes:
        raw = self.command()
        self.genuine.add(raw)
        self.sent_commands.append(raw)
        if len(self.sent_commands) > 4 * WINDOW:
            del self.sent_commands[: WINDOW]
        self.counts["commands_genuine"] += 1
        if self.rng.random() < 0.2:  # hold it back, deliver later (out of order)
            self.held.append(raw)
            return self.held.pop(0) if len(self.held) > 3 else self.telemetry()
        return raw

    def bad_command(self) -> bytes:
        self.counts["commands_bad"] += 1
        kind = self.rng.randrange(4)
        if kind == 0 and self.sent_commands:  # replay
            return self.rng.choice(self.sent_commands)
        if kind == 1:  # wrong key
            return self.command(self.rogue)
        raw = bytearray(self.command(self.signers[1]))
        self.signers[1].next_arsn -= 1  # the ground never sent it: reuse the ARSN for a genuine one
        body = raw[:-2]
        if kind == 2:  # forged MAC
            body[-16:] = bytes(self.rng.getrandbits(8) for _ in range(16))
        else:  # a flipped bit anywhere before the CRC, CRC recomputed
            pos = self.rng.randrange(len(body))
            body[pos] ^= 1 << self.rng.randrange(8)
        return append_crc(bytes(body))

    def mutated(self) -> bytes:
        kind = self.rng.randrange(6)
        f = bytearray(frame(self.telemetry() if self.rng.random() < 0.7 else self.command()))
        body = f[:-1]
        if kind == 0:  # 1 to 4 distinct octets changed, so the frame always differs from the original
            for pos in self.rng.sample(range(len(body)), min(len(body), self.rng.randint(1, 4))):
                body[pos] ^= self.rng.randint(1, 255)
        elif kind == 1:
            body = body[: self.rng.randrange(len(body))]
        elif kind == 2:
            pos = self.rng.randrange(len(body) + 1)
            # non-zero octets: a 0x00 at either end would only add a frame and leave this one intact
            body[pos:pos] = bytes(self.rng.randint(1, 255) for _ in range(self.rng.randint(1, 8)))
        elif kind == 3:
            pos = self.rng.randrange(len(body))
            del body[pos : pos + self.rng.randint(1, 8)]
        elif kind == 4:
            body = bytearray(self.rng.getrandbits(8) for _ in range(self.rng.randint(1, 300)))
        else:
            size = MAX_FRAME_OCTETS + self.rng.randint(1, 50)
            body = bytearray(self.rng.randint(1, 255) for _ in range(size))
        return bytes(body) + b"\x00"

    def next_frame(self) -> bytes:
        r = self.rng.random()
        if r < 0.45:
            return frame(self.telemetry())
        if r < 0.65:
            return frame(self.genuine_command())
        if r < 0.80:
            return frame(self.bad_command())
        return self.mutated()

    # --- receiving ------------------------------------------------------------------------------------

    def receive(self, packet: bytes) -> None:
        if packet in self.sent_telemetry:
            self.counts["telemetry_received"] += 1
            CATALOGUE.decode(packet)  # must not raise: it was encoded from the catalogue
            return
        if packet[0] & 0x10:  # a telecommand: verify it as the flight side of the ground link does
            result = telecommand.check(packet, self.auth)
            if result.accepted:
                self.counts["commands_accepted"] += 1
                assert result.verdict is not None
                ident = (result.verdict.key_id, result.verdict.arsn)
                if packet not in self.genuine or ident in self.accepted_ids:
                    self.counts["accepted_bad_telecommands"] += 1
                self.accepted_ids.add(ident)
            else:
                self.counts["commands_rejected"] += 1
            return
        # A valid CRC on telemetry we never sent: a CRC collision of a mutated frame, or a tampered
        # telecommand whose CRC the tamperer recomputed and whose type bit it flipped.
        self.counts["unexpected_valid_packets"] += 1
        try:
            CATALOGUE.decode(packet)
        except DecodeError:
            self.counts["undecodable_packets"] += 1

    def run(self, frames: int) -> dict[str, Any]:
        t0 = time.perf_counter()
        pending = bytearray()
        for _ in range(frames):
            pending += self.next_frame()
            self.counts["frames"] += 1
            if len(pending) >= 4096 or self.rng.random() < 0.05:
                self._feed(bytes(pending))
                pending.clear()
        self._feed(bytes(pending))
        elapsed = time.perf_counter() - t0
        out: dict[str, Any] = dict(self.counts)
        out["decoder"] = self.decoder.stats.as_dict()
        out["authenticator"] = dict(self.auth.counts)
        out["wall_time_s"] = round(elapsed, 3)
        if self.first_crash:
            out["first_crash"] = self.first_crash
        return out

    def _feed(self, data: bytes) -> None:
        i = 0
        while i < len(data):
            n = self.rng.randint(1, 2048)
            try:
                for p in self.decoder.feed(data[i : i + n]):
                    self.receive(p)
            except Exception:
                self.counts["crashes"] += 1
                if not self.first_crash:
                    self.first_crash = traceback.format_exc(limit=3)
            i += n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak_protocol",
                                     description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--frames", type=int, default=1_000_000, help="frames to send (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    if args.frames < 1:
        parser.error("--frames must be at least 1")
    summary = Soak(args.seed).run(args.frames)
    print(json.dumps(summary), flush=True)
    ok = summary["crashes"] == 0 and summary["accepted_bad_telecommands"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
