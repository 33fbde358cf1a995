"""The fault injector's individual faults, with synthetic time, and the wrapper around a loopback link."""

from __future__ import annotations

import random

import numpy as np
import pytest

from hil.links import FaultConfig, FaultInjector, FaultyLink, LinkState, loopback_pair
from hil.protocol.spacepacket import pack, packet_is_valid
from tests.support.aio import run


def pkt(seq: int) -> bytes:
    return pack(0x30, seq, b"fault test payload")


def bit_distance(a: bytes, b: bytes) -> int:
    return sum(bin(x ^ y).count("1") for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"drop_p": 1.5},
        {"corrupt_p": -0.1},
        {"corrupt_bits": 4},
        {"delay_s": (0.2, 0.1)},
        {"reorder_hold_s": 0.0},
    ],
)
def test_config_rejects_nonsense(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        FaultConfig(**kwargs)  # type: ignore[arg-type]


def test_rng_must_be_a_seed_or_generator() -> None:
    with pytest.raises(TypeError):
        FaultInjector(FaultConfig(), "seed")  # type: ignore[arg-type]


def test_no_faults_passes_everything_through_at_once() -> None:
    inj = FaultInjector(FaultConfig(), 1)
    for i in range(20):
        assert inj.process(pkt(i), float(i)) == [(float(i), pkt(i))]
    assert all(v == 0 for v in inj.counts.as_dict().values())


def test_drop_everything() -> None:
    inj = FaultInjector(FaultConfig(drop_p=1.0), 1)
    assert all(inj.process(pkt(i), 0.0) == [] for i in range(10))
    assert inj.counts.dropped == 10


@pytest.mark.parametrize("bits", [1, 2, 3])
def test_corruption_flips_between_one_and_n_bits_and_never_passes_the_crc(bits: int) -> None:
    inj = FaultInjector(FaultConfig(corrupt_p=1.0, corrupt_bits=bits), random.Random(bits))
    for i in range(200):
        [(_t, out)] = inj.process(pkt(i), 0.0)
        assert 1 <= bit_distance(out, pkt(i)) <= bits
        assert not packet_is_valid(out)
    assert inj.counts.corrupted == 200


def test_duplicate_sends_two_identical_copies() -> None:
    inj = FaultInjector(FaultConfig(duplicate_p=1.0), 1)
    assert inj.process(pkt(1), 5.0) == [(5.0, pkt(1)), (5.0, pkt(1))]
    assert inj.counts.duplicated == 1


def test_delay_is_within_its_range() -> None:
    inj = FaultInjector(FaultConfig(delay_p=1.0, delay_s=(0.1, 0.2)), 1)
    for i in range(50):
        [(t, out)] = inj.process(pkt(i), 10.0)
        assert out == pkt(i) and 10.1 <= t <= 10.2
    assert inj.counts.delayed == 50


def test_reorder_holds_a_packet_until_after_the_next() -> None:
    inj = FaultInjector(FaultConfig(reorder_p=1.0, reorder_hold_s=1.0), 1)
    assert inj.process(pkt(1), 0.0) == []
    # The next packet is not held (one at a time): it goes first, the held one right after it.
    assert [p for _, p in inj.process(pkt(2), 0.1)] == [pkt(2), pkt(1)]
    assert inj.counts.reordered == 1


def test_a_held_packet_is_released_after_its_hold_time() -> None:
    inj = FaultInjector(FaultConfig(reorder_p=1.0, reorder_hold_s=0.5), 1)
    inj.process(pkt(1), 0.0)
    assert inj.next_held_s() == 0.5
    assert inj.due_held(0.4) == []
    assert inj.due_held(0.5) == [(0.5, pkt(1))]
    assert inj.next_held_s() is None


def test_disconnect_loses_everything_for_its_duration() -> None:
    inj = FaultInjector(FaultConfig(disconnect_p=1.0, disconnect_s=(1.0, 1.0)), 1)
    assert inj.process(pkt(0), 0.0) == []
    assert inj.is_down(0.5) and not inj.is_down(1.0)
    assert inj.process(pkt(1), 0.5) == []
    assert inj.counts.disconnects == 1
    assert inj.counts.lost_while_disconnected == 2


def test_numpy_generator_is_accepted() -> None:
    inj = FaultInjector(FaultConfig(drop_p=0.5), np.random.default_rng(3))
    kept = sum(len(inj.process(pkt(i), 0.0)) for i in range(400))
    assert 120 < kept < 280  # binomial(400, 0.5): far outside 8 sigma would fail
    assert inj.counts.dropped == 400 - kept


def test_wrapper_delivers_delayed_packets_later_and_counts_faults() -> None:
    """Delayed packets arrive (the wrapper's task releases them); the peer sees each once, CRC-valid."""

    async def body() -> None:
        host, board = loopback_pair("imu")
        cfg = FaultConfig(delay_p=1.0, delay_s=(0.01, 0.03), duplicate_p=0.5)
        async with FaultyLink(host, cfg, 11) as faulty, board:
            sent = [pkt(i) for i in range(20)]
            for p in sent:
                await faulty.send(p)
            got = [await board.recv(2.0) for _ in sent]
            assert sorted(got) == sorted(sent)
            assert faulty.faults.delayed == 20
            assert board.stats.duplicates == faulty.faults.duplicated > 0
            assert faulty.stats is host.stats

    run(body())


def test_wrapper_reports_down_during_an_injected_disconnect() -> None:
    async def body() -> None:
        host, board = loopback_pair("imu")
        cfg = FaultConfig(disconnect_p=1.0, disconnect_s=(30.0, 30.0))
        async with FaultyLink(host, cfg, 1) as faulty, board:
            assert faulty.state is LinkState.UP
            await faulty.send(pkt(1))
            assert faulty.state is LinkState.DOWN
            await board.send(pkt(2))
            with pytest.raises(TimeoutError):
                await faulty.recv(0.05)
            assert faulty.faults.lost_while_disconnected == 2
            assert board.stats.frames_rx == 0

    run(body())
