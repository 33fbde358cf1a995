"""Properties of seeded fault injection, alone and through a loopback link pair.

- The same seed and the same inputs give the same faults, whatever the kind of generator.
- On the wire, every packet is one that was sent or a corruption of one (1 to 3 flipped bits), and the
  counters add up: out = sent - dropped - lost + duplicated.
- Through drop, corrupt, duplicate, delay and reorder, the receiving link hands up only packets that were
  sent, each at most once.
"""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from hil.links import FaultConfig, FaultInjector, FaultyLink, loopback_pair
from hil.protocol.spacepacket import pack
from tests.support.aio import run

probability = st.floats(min_value=0.0, max_value=1.0)
configs = st.builds(
    FaultConfig,
    drop_p=probability,
    corrupt_p=probability,
    corrupt_bits=st.integers(1, 3),
    duplicate_p=probability,
    delay_p=probability,
    delay_s=st.just((0.0, 0.003)),
    reorder_p=probability,
    reorder_hold_s=st.just(0.002),
    disconnect_p=st.floats(min_value=0.0, max_value=0.2),
    disconnect_s=st.just((0.0, 0.002)),
)
no_disconnect = st.builds(
    FaultConfig,
    drop_p=probability,
    corrupt_p=probability,
    corrupt_bits=st.integers(1, 3),
    duplicate_p=probability,
    delay_p=probability,
    delay_s=st.just((0.0, 0.003)),
    reorder_p=probability,
    reorder_hold_s=st.just(0.002),
)
steps = st.lists(st.floats(min_value=0.0, max_value=0.01), min_size=1, max_size=60)


def packets(n: int) -> list[bytes]:
    return [pack(0x40, i, i.to_bytes(4, "big") * 3, time_tag_s=float(i)) for i in range(n)]


def drive(inj: FaultInjector, sent: list[bytes], dts: list[float]) -> list[tuple[float, bytes]]:
    out: list[tuple[float, bytes]] = []
    t = 0.0
    for p, dt in zip(sent, dts, strict=True):
        t += dt
        out += inj.process(p, t)
    out += inj.due_held(float("inf"))
    return out


@given(configs, st.integers(0, 2**32 - 1), steps)
def test_same_seed_same_faults(config: FaultConfig, seed: int, dts: list[float]) -> None:
    """Two injectors with the same seed (int, random.Random or numpy Generator) fed the same packets at the
    same times put the same bytes on the wire at the same times and count the same faults."""
    sent = packets(len(dts))
    a, b = FaultInjector(config, seed), FaultInjector(config, random.Random(seed))
    assert drive(a, sent, dts) == drive(b, sent, dts)
    assert a.counts == b.counts
    c, d = (
        FaultInjector(config, np.random.default_rng(seed)),
        FaultInjector(config, np.random.default_rng(seed)),
    )
    assert drive(c, sent, dts) == drive(d, sent, dts)
    assert c.counts == d.counts


@given(configs, st.integers(0, 2**32 - 1), steps)
def test_wire_holds_only_sent_or_corrupted_packets_and_counts_add_up(
    config: FaultConfig, seed: int, dts: list[float]
) -> None:
    """Every emitted packet equals a sent one or differs from exactly one by 1..corrupt_bits bits; the
    number emitted is sent - dropped - lost while disconnected + duplicated."""
    sent = packets(len(dts))
    inj = FaultInjector(config, seed)
    out = drive(inj, sent, dts)
    for _, p in out:
        if p in sent:
            continue
        distances = [sum(bin(x ^ y).count("1") for x, y in zip(p, s, strict=True)) for s in sent]
        assert 1 <= min(distances) <= config.corrupt_bits
    c = inj.counts
    assert len(out) == len(sent) - c.dropped - c.lost_while_disconnected + c.duplicated


@given(no_disconnect, st.integers(0, 2**32 - 1), st.integers(1, 40))
def test_through_faults_nothing_is_handed_up_twice_and_all_was_sent(
    config: FaultConfig, seed: int, n: int
) -> None:
    """Over a loopback pair, the receiver hands up a subset of the sent packets, each once; everything not
    dropped or corrupted arrives."""
    sent = packets(n)

    async def body() -> list[bytes]:
        host, board = loopback_pair("imu")
        async with FaultyLink(host, config, seed) as faulty, board:
            for p in sent:
                await faulty.send(p)
            await faulty.drain(5.0)
            got = []
            while board.pending():
                got.append(await board.recv(1.0))
            assert len(got) == n - faulty.faults.dropped - faulty.faults.corrupted
            return got

    got = run(body())
    assert len(set(got)) == len(got)
    assert set(got) <= set(sent)
