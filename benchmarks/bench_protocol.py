"""Protocol throughput: COBS framing and the stream decoder (target: at least 50,000 packets per second)
in the C core against the pure-Python reference they replaced (tests/oracles/cobs.py), each pair timed
in the same run and reported with its ratio; catalogue encoding and decoding; telecommand verification.

Framing figures: frames encoded (``frame``) and COBS-decoded per second, and the stream decoder's packets
per second in 4 KiB reads (many frames per read, one core call each) and in reads of one frame each."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator

from benchmarks.timing import best_time_s, figure
from flight.security import Authenticator, KeyRing, Signer
from hil.protocol import cobs, telecommand
from hil.protocol.catalogue import CATALOGUE
from hil.protocol.framing import StreamDecoder, frame
from tests.oracles import cobs as reference

CHUNK_OCTETS = 4096  # a typical serial read


def _telemetry(n: int) -> list[bytes]:
    """A realistic mix: IMU data, thruster status and thruster commands, in turn."""
    names = ["IMU_DATA", "THRUSTER_STATUS", "THRUSTER_COMMAND"]
    out = []
    for i in range(n):
        name = names[i % 3]
        values = CATALOGUE.by_name(name).example_values()
        if name == "IMU_DATA":
            values.update(delta_angle_x=1e-4 * i, delta_velocity_z=-2.7e-3, interval_s=0.1, output_seq=i)
        elif name == "THRUSTER_COMMAND":  # a burn cycle: deorbit thrusters on, four attitude pulses
            on = [0] * 46
            for k in (1, 6, 9, 14):
                on[k] = 12_500 + i % 1000
            values.update(command_id=i, cycle=i, mode="MAIN_BURN", cycle_period_us=100_000, on_time_us=on)
        else:
            values.update(armed_state="ARMED", valve_states=(1 << 46) - (1 << 16), last_cycle=i,
                          tank_pressure_pa=1.7e6, propellant_kg=15000.0 - i * 0.01)
        out.append(CATALOGUE.encode(name, values, seq_count=i % 16384, time_tag_s=2.0e9 + i / 10))
    return out


def run(quick: bool) -> Iterable[dict[str, object]]:
    n = 3000 if quick else 20000
    repeat = 2 if quick else 5
    packets = _telemetry(n)
    stream = b"".join(frame(p) for p in packets)
    chunks = [stream[i : i + CHUNK_OCTETS] for i in range(0, len(stream), CHUNK_OCTETS)]

    frames = [frame(p) for p in packets]

    def compare(name: str, unit: str, c_fn: Callable[[], object], ref_fn: Callable[[], object],
                count: int) -> Iterator[dict[str, object]]:
        """The C path and the reference, timed alternately in this run, and their ratio."""
        t_c = t_ref = float("inf")
        for _ in range(repeat):
            t_c = min(t_c, best_time_s(c_fn, repeat=1))
            t_ref = min(t_ref, best_time_s(ref_fn, repeat=1))
        yield figure(f"{name}_per_s", count / t_c, unit)
        yield figure(f"{name}_python_reference_per_s", count / t_ref, unit)
        yield figure(f"{name}_speedup", t_ref / t_c, "x")

    def encode_c() -> None:
        for p in packets:
            frame(p)

    def encode_ref() -> None:
        for p in packets:
            reference.encode(p) + b"\x00"

    yield from compare("frame_encode", "frames/s", encode_c, encode_ref, n)
    encoded = [f[:-1] for f in frames]

    def decode_c() -> None:
        for e in encoded:
            cobs.decode(e)

    def decode_ref() -> None:
        for e in encoded:
            reference.decode(e)

    yield from compare("cobs_decode", "frames/s", decode_c, decode_ref, n)

    def decode_stream(make: Callable[[], StreamDecoder | reference.ReferenceStreamDecoder],
                      reads: list[bytes]) -> Callable[[], None]:
        def go() -> None:
            dec = make()
            got = 0
            for c in reads:
                got += len(dec.feed(c))
            assert got == n
        return go

    yield from compare("stream_decoder_4k_reads", "packets/s", decode_stream(StreamDecoder, chunks),
                       decode_stream(reference.ReferenceStreamDecoder, chunks), n)
    yield figure("stream_decoder_mb_per_s", len(stream) / best_time_s(decode_stream(StreamDecoder, chunks),
                                                                      repeat=repeat) / 1e6, "MB/s")
    yield from compare("stream_decoder_one_frame_reads", "packets/s", decode_stream(StreamDecoder, frames),
                       decode_stream(reference.ReferenceStreamDecoder, frames), n)

    def catalogue_decode() -> None:
        for p in packets:
            CATALOGUE.decode(p)

    yield figure("catalogue_decode_packets_per_s", n / best_time_s(catalogue_decode, repeat=repeat),
                 "packets/s")

    imu = CATALOGUE.by_name("IMU_DATA").example_values()

    def catalogue_encode() -> None:
        for i in range(n):
            CATALOGUE.encode("IMU_DATA", imu, seq_count=i % 16384, time_tag_s=float(i))

    yield figure("catalogue_encode_imu_data_per_s", n / best_time_s(catalogue_encode, repeat=repeat),
                 "packets/s")

    keys = KeyRing({1: os.urandom(32)})
    signer = Signer(keys, 1)
    m = n // 4
    tcs = [telecommand.sign("TC_GO", {"command_id": i, "burn_id": 1}, signer, seq_count=i % 16384)
           for i in range(m)]

    def verify() -> None:
        auth = Authenticator(keys)
        for tc in tcs:
            assert telecommand.check(tc, auth).accepted

    yield figure("telecommand_check_per_s", m / best_time_s(verify, repeat=repeat), "commands/s")
    yield from _codec_figures(packets, quick)


def _per_call_s(fn: Callable[..., object], args: tuple[object, ...], n: int, repeat: int) -> float:
    """Best mean seconds per call of ``fn(*args)`` over ``n`` calls."""
    def calls() -> None:
        for _ in range(n):
            fn(*args)
    return best_time_s(calls, repeat=repeat) / n


def _codec_figures(packets: list[bytes], quick: bool) -> Iterable[dict[str, object]]:
    """Per packet, for IMU_DATA, THRUSTER_STATUS and THRUSTER_COMMAND: encoding the whole packet from a
    values dict (``PacketSpec.pack_packet``, the generated encoder) and decoding it (``Catalogue.decode``,
    one header pass and the generated decoder), and the same through the converter path they fall back to
    (``_pack_packet_reference``, ``_decode_reference``), timed back to back; ``*_speedup`` is the ratio."""
    n = 2000 if quick else 20000
    repeat = 3 if quick else 5
    for name, raw in zip(("IMU_DATA", "THRUSTER_STATUS", "THRUSTER_COMMAND"), packets[:3], strict=True):
        spec = CATALOGUE.by_name(name)
        msg = CATALOGUE.decode(raw)
        values = {k: list(v) if isinstance(v, tuple) else v for k, v in msg.fields.items()}
        enc_args = (values, msg.seq_count, msg.coarse_time, msg.fine_time)
        assert spec.pack_packet(*enc_args) == raw
        key = name.lower()
        for what, fast, slow, args in (
            ("encode", spec.pack_packet, spec._pack_packet_reference, enc_args),
            ("decode", CATALOGUE.decode, CATALOGUE._decode_reference, (raw,)),
        ):
            t_fast = _per_call_s(fast, args, n, repeat)
            t_slow = _per_call_s(slow, args, n, repeat)
            yield figure(f"codec_{what}_{key}_us", t_fast * 1e6, "us")
            yield figure(f"codec_{what}_{key}_converters_us", t_slow * 1e6, "us")
            yield figure(f"codec_{what}_{key}_speedup", t_slow / t_fast, "")
