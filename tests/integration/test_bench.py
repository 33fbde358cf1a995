"""``hil bench`` against our standalone emulated boards (``hil board ...`` in its own process) over a real
pty pair and over a real mosquitto: every check passes, the exit status is 0 and the JSON report lists
every check of the board with its ICD section, measured value and limit.

The boards run spacecraft time four times faster than the wall clock (``--time scaled:4``) and the suite
is told so (``--time-scale 4``): every limit is in spacecraft time, so the same ICD limits apply, and the
ten-second housekeeping period takes 2.5 s of test time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from hil.bench.limits import Limits
from hil.bench.suite import check_names
from tests.support.broker import Broker

ROOT = Path(__file__).resolve().parents[2]
SCALE = "4"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


@contextmanager
def board_process(*args: str) -> Iterator[str]:
    """``hil board ARGS`` running; yields the first line it prints (the pty path or the link)."""
    proc = subprocess.Popen([sys.executable, "-m", "hil.cli", "board", *args, "--time", f"scaled:{SCALE}"],
                            cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line:
            proc.wait(timeout=10)
            pytest.fail(f"board exited early: {proc.stderr.read() if proc.stderr else ''}")
        yield line
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def bench(board: str, where: list[str], report: Path) -> subprocess.CompletedProcess[str]:
    extra = ["--condition", "orbit"] if board == "imu" else []
    return subprocess.run(
        [sys.executable, "-m", "hil.cli", "bench", board, *where, "--quick", "--time-scale", SCALE,
         "--report", str(report), *extra],
        cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=180)


def assert_all_pass(done: subprocess.CompletedProcess[str], report: Path, board: str, mqtt: bool) -> None:
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(report.read_text())
    failed = [c for c in data["checks"] if not c["passed"]]
    assert data["passed"] is True and not failed, failed
    names = [c["name"] for c in data["checks"]]
    for name in check_names(board, Limits.for_run(quick=True), mqtt=mqtt):
        assert name in names
    for passive in ("packets.well_formed", "packets.sequence", "time.monotonic", "time.clock_rate",
                    "status.rate", "housekeeping.rate", "housekeeping.counts_bad_input", "board.no_reset"):
        assert passive in names
    assert all(c["icd"] and c["limit"] for c in data["checks"])
    table = done.stdout.splitlines()
    assert table[0].split()[:3] == ["CHECK", "ICD", "RESULT"]
    assert f"{len(names)} of {len(names)} checks passed: PASS" in table[-1]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("board", ["imu", "thruster"])
def test_emulated_board_on_a_pty_passes_the_suite(board: str, tmp_path: Path) -> None:
    """The standalone emulated board on a new pty conforms: exit 0, every check passed in the report."""
    with board_process(board, "--serial", "pty") as path:
        assert path.startswith("/dev/")
        done = bench(board, ["--serial", path], tmp_path / "report.json")
    assert_all_pass(done, tmp_path / "report.json", board, mqtt=False)


@pytest.mark.parametrize("board", ["imu", "thruster"])
def test_emulated_board_on_mosquitto_passes_the_suite(board: str, broker: Broker, prefix: str,
                                                      tmp_path: Path) -> None:
    """The standalone emulated board on a real broker (the board as its ACL-limited user, the bench as
    user 'flight') conforms, MQTT state topic included."""
    with board_process(board, "--mqtt", broker.url(prefix, listener="auth", user=board)):
        done = bench(board, ["--mqtt", broker.url(prefix, listener="auth", user="flight")],
                     tmp_path / "report.json")
    assert_all_pass(done, tmp_path / "report.json", board, mqtt=True)
    assert "flight-secret" not in (tmp_path / "report.json").read_text() + done.stdout


def test_a_broker_without_a_board_is_a_connection_error(broker: Broker, prefix: str, tmp_path: Path) -> None:
    """The broker answers but no board serves under the prefix: exit 2, one sentence naming the link,
    no report written."""
    report = tmp_path / "r.json"
    done = subprocess.run(
        [sys.executable, "-m", "hil.cli", "bench", "imu", "--mqtt", broker.url(prefix), "--quick",
         "--report", str(report)], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hil: no packet from the imu board on mqtt://"), lines
    assert not report.exists()
