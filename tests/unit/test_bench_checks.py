"""The bench's passive checks on recorded traffic built here packet by packet: what a conforming board
sends passes, and each kind of fault the checks look for (a malformed packet, a sequence break, a time
tag going back, a wrong interval, a board clock running fast) is caught and named."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from hil.bench.checks import common, imu
from hil.bench.checks.common import Context
from hil.bench.limits import Limits
from hil.bench.session import BenchSession, Received, packet_problem
from hil.drivers.packets import PacketWriter
from hil.protocol.catalogue import CATALOGUE, ImuStatus

T0 = 800_000_000.0


def imu_data(writer: PacketWriter, k: int, dt_s: float = 0.1, interval_s: float | None = None,
             step_s: float = 0.0, flags: int = 0) -> bytes:
    return writer.encode("IMU_DATA", {
        "delta_angle_x": 1e-5, "delta_angle_y": 0.0, "delta_angle_z": 0.0, "delta_velocity_x": 0.0,
        "delta_velocity_y": 0.0, "delta_velocity_z": 0.0,
        "interval_s": dt_s if interval_s is None else interval_s, "sample_count": round(dt_s * 100),
        "output_seq": k, "status": int(ImuStatus.BIT_PASS) | flags}, T0 + k * dt_s + step_s)


def session_of(packets: list[tuple[bytes, float, int]], board: str = "imu", scale: float = 1.0) -> Context:
    """A context whose session recorded ``packets`` as (octets, wall time of arrival, epoch)."""
    limits = Limits.for_run(quick=True, time_scale=scale)
    s = BenchSession("loop://", board, limits)
    for raw, wall, epoch in packets:
        msg, problem = packet_problem(raw, board)
        s.log.append(Received(len(s.log), wall, epoch, raw, msg, problem))
    return Context(s, limits)


def stream(n: int, dt_s: float = 0.1) -> list[tuple[bytes, float, int]]:
    w = PacketWriter()
    return [(imu_data(w, k, dt_s), k * dt_s, 0) for k in range(n)]


def test_a_conforming_stream_passes_every_passive_check_it_can_judge() -> None:
    ctx = session_of(stream(50))
    for check in (common.check_well_formed, common.check_sequence, common.check_time_monotonic,
                  imu.check_intervals, common.check_clock_rate):
        r = check(ctx)
        assert r.passed, (r.name, r.detail)


def test_packets_of_another_board_or_direction_or_with_undefined_flag_bits_are_malformed() -> None:
    w = PacketWriter()
    good = imu_data(w, 1)
    assert packet_problem(good, "imu") == (packet_problem(good, "imu")[0], None)
    assert "not telemetry of the thruster board" in str(packet_problem(good, "thruster")[1])
    config = CATALOGUE.encode("IMU_CONFIG", {"command_id": 1, "output_rate_hz": 1.0}, seq_count=0,
                              time_tag_s=1.0)
    assert "IMU_CONFIG" in str(packet_problem(config, "imu")[1])
    flags = w.encode("IMU_STATUS", {"output_rate_hz": 1.0, "internal_rate_hz": 100.0, "status": 1,
                                    "temperature_c": 0.0, "last_command_id": 0, "last_sync_id": 0}, T0)
    # status is at user-data octet 8 of IMU_STATUS: set bit 15, which ImuStatus does not define
    bad = bytearray(flags)
    bad[20] |= 0x80
    from hil.protocol.crc import crc16

    bad[-2:] = crc16(bytes(bad[:-2])).to_bytes(2, "big")
    assert "undefined bits 0x8000" in str(packet_problem(bytes(bad), "imu")[1])
    ctx = session_of([(good, 0.0, 0), (bytes(bad), 0.1, 0)])
    r = common.check_well_formed(ctx)
    assert not r.passed and r.measured == 1


def test_a_skipped_sequence_count_is_a_break_but_a_gap_across_a_reconnect_is_not() -> None:
    packets = stream(20)
    skipped = packets[:10] + packets[11:]
    r = common.check_sequence(session_of(skipped))
    assert not r.passed and r.measured == 1 and "count 9 then 11" in r.detail
    across = [(raw, wall, 0 if i < 10 else 1) for i, (raw, wall, _) in enumerate(skipped)]
    assert common.check_sequence(session_of(across)).passed


def test_a_board_that_restarted_its_counts_across_a_reconnect_is_caught() -> None:
    w2 = PacketWriter()
    restarted = stream(10) + [(imu_data(w2, 100 + k), 2.0 + 0.1 * k, 1) for k in range(5)]
    r = common.check_sequence(session_of(restarted))
    assert not r.passed and "count 9 then 0" in r.detail


def test_a_time_tag_going_back_is_caught() -> None:
    w = PacketWriter()
    packets = [(imu_data(w, k), 0.1 * k, 0) for k in (0, 1, 2, 1, 4)]
    r = common.check_time_monotonic(session_of(packets))
    assert not r.passed and r.measured == 1


def test_an_interval_that_disagrees_with_the_time_tags_is_caught() -> None:
    w = PacketWriter()
    packets = [(imu_data(w, k, interval_s=0.1 if k != 3 else 0.12), 0.1 * k, 0) for k in range(6)]
    r = imu.check_intervals(session_of(packets))
    assert not r.passed and "interval_s 0.120000" in r.detail


def test_a_clock_step_passes_only_when_the_output_after_it_is_flagged_time_jump() -> None:
    """A board whose clock a time sync stepped by 0.25 s: its tags jump from output 3 on. With TIME_JUMP on
    the first output after the step (the ICD's flag) the interval check passes; without it, the same
    stream fails on that output."""
    for flagged in (True, False):
        w = PacketWriter()
        packets = [(imu_data(w, k, step_s=0.25 if k >= 3 else 0.0,
                             flags=int(ImuStatus.TIME_JUMP) if flagged and k == 3 else 0), 0.1 * k, 0)
                   for k in range(6)]
        r = imu.check_intervals(session_of(packets))
        assert r.passed is flagged, r.detail


@given(rate=st.floats(0.5, 2.0), scale=st.sampled_from([1.0, 4.0]), jitter_s=st.floats(0.0, 0.02),
       seed=st.integers(0, 2**32 - 1))
def test_clock_rate_estimate_is_within_the_latency_jitter_of_the_truth(
    rate: float, scale: float, jitter_s: float, seed: int
) -> None:
    """Property: for a board whose clock runs ``rate`` times ``scale`` x the wall clock, sending every
    0.1 s of board time for 12 s of wall time, with each packet delayed by up to ``jitter_s`` (uniform),
    the estimated rate ratio is within (jitter + 1 ms) / (span / 3) of ``rate``: latency only delays
    arrivals, and the envelope at each end of the run removes it to within the jitter."""
    rng = random.Random(seed)
    w = PacketWriter()
    n = int(12.0 * scale * rate / 0.1)
    packets = []
    for k in range(n):
        t_board = 0.1 * k
        wall = t_board / (scale * rate) + rng.uniform(0.0, jitter_s)
        packets.append((imu_data(w, k), wall, 0))
    packets.sort(key=lambda p: p[1])
    ratio, span = common.clock_rate(session_of(packets, scale=scale))
    assert abs(ratio - rate) <= rate * (jitter_s + 1e-3) / (span / 3.0) + 1e-9
