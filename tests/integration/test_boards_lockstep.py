"""Both emulated boards on one plant in lockstep, read and commanded by the flight-side drivers over
in-process loopback links: the gate, the burn's delivered impulse, the watchdog and determinism."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import math
from dataclasses import dataclass, field

import numpy as np
import pytest

from flight.ports import (
    MAIN_THRUSTERS,
    THRUSTER_COUNT,
    ArmState,
    ThrusterCommand,
    ThrusterFaults,
    ThrusterStatus,
)
from hil.boards.boardset import BoardSet
from hil.clock import SimClock
from hil.drivers.imu import ImuDriver
from hil.drivers.thruster import ThrusterDriver
from hil.links import Link, LinkState, LoopbackHub, LoopbackLink, PtyLink, open_link
from hil.plant import Plant
from hil.protocol.catalogue import ArmedState
from hil.scenario import load
from tests.support.aio import run
from tests.support.broker import Broker

ARM_CODE = 0x5AFE


@dataclass
class Flight:
    """A minimal flight loop: answers every IMU sample with one command (main burn for the first
    ``burn_cycles`` after arming, nothing after), and records what it saw."""

    burn_cycles: int
    total_cycles: int
    answer: bool = True
    samples: list[bytes] = field(default_factory=list)
    final_state: np.ndarray = field(default_factory=lambda: np.zeros(0))  # truth at the last sample
    dv_body_mps: list[np.ndarray] = field(default_factory=list)
    commanded_on_s: float = 0.0
    faults: list[tuple[str, int, float]] = field(default_factory=list)  # injected after arming


async def open_links(
    stack: contextlib.AsyncExitStack, transport: str, mqtt_url: str
) -> tuple[Link, Link, Link, Link]:
    """(imu host, imu board, thruster host, thruster board), opened on ``stack``."""
    links: list[Link]
    if transport == "loop":
        hub = LoopbackHub()
        links = [LoopbackLink(ch, role, hub=hub) for ch in ("imu", "thruster") for role in ("host", "board")]
    elif transport == "pty":
        imu_pty, thr_pty = PtyLink("imu", "board"), PtyLink("thruster", "board")
        await stack.enter_async_context(imu_pty)
        await stack.enter_async_context(thr_pty)
        links = [open_link(f"serial://{imu_pty.path}", "imu", "host"), imu_pty,
                 open_link(f"serial://{thr_pty.path}", "thruster", "host"), thr_pty]
    else:
        links = [open_link(mqtt_url, ch, role) for ch in ("imu", "thruster") for role in ("host", "board")]
    for link in links:
        if link.state is LinkState.CONNECTING:
            await stack.enter_async_context(link)
    return links[0], links[1], links[2], links[3]


async def fly(
    seed: int, flight: Flight, *, stall_timeout_s: float = 5.0, transport: str = "loop", mqtt_url: str = ""
) -> tuple[BoardSet, ThrusterDriver]:
    scenario = load("iss-deorbit")
    plant = Plant.from_scenario(scenario, seed)
    clock = SimClock("lockstep", plant.t_s, stall_timeout_s=stall_timeout_s)
    async with contextlib.AsyncExitStack() as stack:
        imu_host, imu_board, thr_host, thr_board = await open_links(stack, transport, mqtt_url)
        boards = BoardSet.from_scenario(scenario, seed, imu_board, thr_board, clock, plant=plant)
        async with boards, ImuDriver(imu_host) as imu, ThrusterDriver(thr_host) as thr:
            await thr.arm_prepare(ARM_CODE)
            await thr.arm_confirm(ARM_CODE)
            for kind, thruster, factor in flight.faults:
                await thr.inject_fault(kind, thruster, factor)
            n = 0
            stream = imu.samples()
            while n < flight.total_cycles:
                async with asyncio.timeout(10.0):
                    sample = await anext(stream)
                n += 1
                flight.samples.append(hashlib.sha256(repr(sample).encode()).digest())
                if n == flight.total_cycles:
                    flight.final_state = plant.state_vector
                flight.dv_body_mps.append(np.array(sample.dv_body_mps))
                burn = n <= flight.burn_cycles
                if burn:
                    flight.commanded_on_s += sample.interval_s * len(MAIN_THRUSTERS)
                if flight.answer:
                    await thr.command(ThrusterCommand(n, (0.0,) * THRUSTER_COUNT, burn, n, t_s=sample.t_s,
                                                      period_s=sample.interval_s))
            await asyncio.sleep(0.05)
    return boards, thr


def test_lockstep_burn_delivers_the_commanded_impulse_within_dispersions() -> None:
    """Thirty deorbit Dracos for 20 s: the plant's delivered impulse equals on-time x 400 N within 0.75 %
    (4 sigma of the scenario's 1 % per-thruster thrust dispersion over 30 thrusters, plus 0.1 deg
    misalignment); the gate never stalls when every sample is answered."""
    flight = Flight(burn_cycles=200, total_cycles=260)
    boards, _ = run(fly(1, flight))
    impulse = float(np.linalg.norm(boards.plant.impulse_body_ns))
    commanded = flight.commanded_on_s * 400.0
    assert commanded == pytest.approx(30 * 400.0 * 200 * 0.1, rel=1e-4)
    assert impulse == pytest.approx(commanded, rel=0.0075)
    assert boards.clock.stall_count == 0
    assert boards.clock.cycles_commanded >= flight.total_cycles - 1
    assert boards.thruster.core.propellant_kg < 16_000.0


@pytest.mark.parametrize(("faults", "expected_fraction"), [
    ([("VALVE_STUCK_CLOSED", 20, 1.0)], 29 / 30),
    ([("DEGRADED_THRUST", 31, 0.5), ("DEGRADED_THRUST", 32, 0.5)], 29 / 30),
    ([("VALVE_STUCK_OPEN", 3, 1.0)], 1.0),
])
def test_valve_faults_change_the_delivered_impulse(
    faults: list[tuple[str, int, float]], expected_fraction: float
) -> None:
    """A deorbit valve stuck closed loses 1/30 of the burn's impulse along the thrust axis; two thrusters
    at half thrust lose the same; an attitude valve stuck open keeps firing through the coast (its impulse
    shows after the burn). Within 0.75 % (the thrust dispersions)."""
    nominal = Flight(burn_cycles=100, total_cycles=120)
    faulty = Flight(burn_cycles=100, total_cycles=120, faults=faults)
    boards_n, _ = run(fly(2, nominal))
    boards_f, _ = run(fly(2, faulty))
    axis = boards_n.plant.impulse_body_ns / np.linalg.norm(boards_n.plant.impulse_body_ns)
    along_n = float(boards_n.plant.impulse_body_ns @ axis)
    along_f = float(boards_f.plant.impulse_body_ns @ axis)
    if faults[0][0] == "VALVE_STUCK_OPEN":
        assert boards_f.plant.valve_open_s[3] > 11.0  # open through the burn and the coast
        assert boards_n.plant.valve_open_s[3] == 0.0
    else:
        assert along_f / along_n == pytest.approx(expected_fraction, rel=0.0075)


def test_lockstep_is_bit_for_bit_repeatable() -> None:
    """Same seed, same samples and the same truth state, bit for bit; another seed differs."""
    a, b, c = (Flight(burn_cycles=20, total_cycles=40) for _ in range(3))
    run(fly(7, a))
    run(fly(7, b))
    run(fly(8, c))
    assert a.samples == b.samples
    assert np.array_equal(a.final_state, b.final_state)
    assert a.samples != c.samples


def test_lockstep_gives_the_same_result_bit_for_bit_on_every_transport(broker: Broker, prefix: str) -> None:
    """Loopback, a real pty pair and a real mosquitto: the same seed gives the same samples and the same
    truth state, bit for bit (DESIGN.md section 4)."""
    runs = {}
    for transport in ("loop", "pty", "mqtt"):
        flight = Flight(burn_cycles=30, total_cycles=50)
        run(fly(9, flight, transport=transport, mqtt_url=broker.url(f"{prefix}_{transport}")))
        runs[transport] = (flight.samples, flight.final_state)
    for transport in ("pty", "mqtt"):
        assert runs[transport][0] == runs["loop"][0], transport
        assert np.array_equal(runs[transport][1], runs["loop"][1]), transport


def test_silent_flight_software_stalls_the_gate_boundedly_and_the_watchdog_safes_the_board() -> None:
    """With no commands at all the gate stalls each cycle for its bound and goes on; the armed board's
    watchdog expires watchdog_s (1 s) after arming, the board reports SAFED (DISARMED at the port) with
    the WATCHDOG fault and every valve closed, and no thrust is produced."""
    flight = Flight(burn_cycles=0, total_cycles=15, answer=False)
    boards, thr = run(fly(3, flight, stall_timeout_s=0.02))
    assert boards.clock.stall_count >= 10
    assert np.linalg.norm(boards.plant.impulse_body_ns) == 0.0
    core = boards.thruster.core
    assert core.watchdog_expired and core.counters.watchdog_expiries == 1
    status = run(_last_status(thr))
    assert boards.thruster.core.armed_state is ArmedState.SAFED
    assert status.arm_state is ArmState.DISARMED
    assert status.faults & ThrusterFaults.WATCHDOG
    assert status.all_valves_closed
    assert math.isfinite(status.t_s)


async def _last_status(thr: ThrusterDriver) -> ThrusterStatus:
    return await thr.status()
