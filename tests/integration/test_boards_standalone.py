"""Standalone boards (``hil board ...`` in its own process) over a real pty and a real mosquitto, read and
commanded end to end by the flight-side drivers."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from flight.ports import THRUSTER_COUNT, ArmState, ThrusterCommand
from hil.drivers.imu import ImuDriver
from hil.drivers.thruster import ThrusterDriver
from hil.links import open_link
from tests.support.aio import run
from tests.support.broker import Broker

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def board_process(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``hil board ARGS`` running; yields the process and the first line it prints (pty path or link)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "hil.cli", "board", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line:
            proc.wait(timeout=10)
            pytest.fail(f"board exited early: {proc.stderr.read() if proc.stderr else ''}")
        yield proc, line
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def interrupt(proc: subprocess.Popen[str]) -> tuple[int, str]:
    """Ctrl-C the board; its exit status and standard error."""
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=15)
    return proc.returncode, err


async def read_imu(url: str, n: int) -> tuple[list[float], float | None, ImuDriver, float]:
    """Sample times of ``n`` samples after the first, the confirmed new rate, the driver, and the wall time
    the ``n`` samples took."""
    async with open_link(url, "imu", "host") as link, ImuDriver(link, command_timeout_s=5.0) as imu:
        times = []
        stream = imu.samples()
        async with asyncio.timeout(10.0):
            await anext(stream)
            while len(stream):  # start from a fresh sample: the board may have queued some already
                await anext(stream)
        wall0 = time.monotonic()
        for _ in range(n):
            async with asyncio.timeout(10.0):
                times.append((await anext(stream)).t_s)
        wall_s = time.monotonic() - wall0
        await imu.set_output_rate(20.0)
        return times, imu.output_rate_hz, imu, wall_s


async def drive_thruster(url: str) -> tuple[ArmState, int, ArmState]:
    async with open_link(url, "thruster", "host") as link, ThrusterDriver(link, period_s=0.5) as thr:
        await thr.arm_prepare(0x5AFE)
        await thr.arm_confirm(0x5AFE)
        on = tuple(0.3 if i == 2 else 0.0 for i in range(THRUSTER_COUNT))
        await thr.command(ThrusterCommand(1, on, False, 100, t_s=(await thr.status()).t_s))
        async with asyncio.timeout(10.0):
            async for status in thr.statuses():
                if status.last_command_id == 100:
                    break
        armed, valves = status.arm_state, status.valves_open
        await thr.disarm()
        async with asyncio.timeout(10.0):
            async for status in thr.statuses():
                if status.arm_state is ArmState.DISARMED:
                    break
        return armed, valves, status.arm_state


def test_imu_board_on_a_pty_is_read_by_the_driver() -> None:
    """`hil board imu --serial pty` prints its pty; the driver reads time-ordered samples at 10 Hz, paced
    by the wall clock (5 samples in 0.5 s, within 0.15 s), and changes the rate (confirmed); Ctrl-C exits
    with status 0 and no traceback."""
    with board_process("imu", "--serial", "pty", "--time", "realtime") as (proc, path):
        assert path.startswith("/dev/")
        times, rate, imu, wall_s = run(read_imu(f"serial://{path}", 5))
        assert abs(wall_s - 0.5) < 0.15
        assert all(b > a for a, b in itertools.pairwise(times))
        assert all(abs((b - a) - 0.1) < 1e-4 for a, b in itertools.pairwise(times))
        assert rate == 20.0
        assert imu.stats.bad_packets == 0
        code, err = interrupt(proc)
    assert code == 0
    assert "Traceback" not in err


def test_thruster_board_on_a_pty_arms_fires_and_disarms() -> None:
    """Over a real pty: two-step arming, a 0.3 s pulse on thruster 2 (its valve reported open), DISARM."""
    with board_process("thruster", "--serial", "pty") as (proc, path):
        armed, valves, after = run(drive_thruster(f"serial://{path}"))
        code, _err = interrupt(proc)
    assert armed is ArmState.ARMED
    assert valves == 1 << 2
    assert after is ArmState.DISARMED
    assert code == 0


def test_boards_over_mosquitto_with_per_board_credentials(broker: Broker, prefix: str) -> None:
    """Both boards on a real broker's authenticated listener (board users limited by ACL to their own
    topics), read and commanded by the drivers as user 'flight'; scaled:5 runs 5 times the wall clock:
    20 samples of 0.1 s never come sooner than 0.4 s of wall time (less 0.05 s) and come well before the
    2 s they span in spacecraft time (a generous bound: a loaded host only delays them)."""
    imu_url = broker.url(prefix, listener="auth", user="imu")
    thr_url = broker.url(prefix, listener="auth", user="thruster")
    flight_url = broker.url(prefix, listener="auth", user="flight")
    with board_process("imu", "--mqtt", imu_url, "--time", "scaled:5") as (imu_proc, _):
        times, rate, _imu, wall_s = run(read_imu(flight_url, 20))
        span_s = times[-1] - times[0] + 0.1
        assert span_s / 5.0 - 0.05 <= wall_s < 0.75 * span_s  # 5 times the wall clock, never faster
        assert all(b > a for a, b in itertools.pairwise(times))
        assert rate == 20.0
        assert interrupt(imu_proc)[0] == 0
    with board_process("thruster", "--mqtt", thr_url) as (thr_proc, _):
        armed, valves, after = run(drive_thruster(flight_url))
        assert (armed, valves, after) == (ArmState.ARMED, 1 << 2, ArmState.DISARMED)
        assert interrupt(thr_proc)[0] == 0


@pytest.mark.parametrize("where", [["--serial", "/dev/no-such-port"], ["--mqtt", "mqtt://127.0.0.1:1/x"],
                                   ["--serial", "pty", "--scenario", "no-such-scenario"]])
def test_bad_port_broker_or_scenario_is_one_clear_line(where: list[str]) -> None:
    """A missing port, an unreachable broker or an unknown scenario: exit 1 and one line on stderr."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "hil.cli", "board", "imu", *where], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hil: ")


async def command_at(url: str, t_s: float) -> float:
    async with open_link(url, "thruster", "host") as link, ThrusterDriver(link, period_s=0.1) as thr:
        await thr.command(ThrusterCommand(1, (0.0,) * THRUSTER_COUNT, False, 100, t_s=t_s))
        async with asyncio.timeout(10.0):
            async for status in thr.statuses():
                if status.last_command_id == 100:
                    return status.t_s
    raise AssertionError("no status for the command")


def test_standalone_thruster_board_in_lockstep_follows_the_command_time_tags() -> None:
    """With no IMU board beside it, a lockstep thruster board takes its time from the commands: the status
    answering a command tagged 100 s after the scenario start carries that time (within one tick)."""
    t0 = 959_774_400.0  # iss-deorbit start, 2030-06-01T00:00:00 UTC, seconds since J2000
    with board_process("thruster", "--serial", "pty", "--time", "lockstep") as (proc, path):
        t_status = run(command_at(f"serial://{path}", t0 + 100.0))
        assert interrupt(proc)[0] == 0
    assert abs(t_status - (t0 + 100.0)) <= 2**-16
