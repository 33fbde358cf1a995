"""``hil run [SCENARIO] [--transport serial|mqtt|loopback] [--broker URL] [--time lockstep|realtime|scaled:N]
[--seed N] [--faults FILE] [--out DIR] [--flight internal|external]``: fly one emulated campaign and write
its run folder.

``--flight external`` leaves the flight software out: the rig (plant, boards, mission control) prints the
URLs of the links' flight ends and the ``flight run`` command that takes them, then flies the campaign with
whatever flight computer connects, lockstep included, and judges it the same way.

Serial (the default) runs every link through a pseudo-terminal pair: nothing to set up. ``--transport mqtt``
without ``--broker`` starts a local mosquitto on a free port when one is installed (and says so). A
progress bar shows mission time; a result table ends the run. Exit status 0 only when every truth fragment
impact lies inside the target zone; 1 otherwise; 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from hil.cli import CliError, run_async

HELP = "fly an emulated campaign (plant, boards, links, flight software, ground) and write a run folder"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "scenario",
        nargs="?",
        default="iss-deorbit",
        help="scenario name (iss-deorbit, iss-final-burn) or TOML file (default iss-deorbit)",
    )
    parser.add_argument(
        "--transport",
        default="serial",
        choices=("serial", "mqtt", "loopback"),
        help="links: serial over pseudo-terminals (default), mqtt, or loopback in process",
    )
    parser.add_argument(
        "--broker", metavar="URL", help="MQTT broker, mqtt://[user:pass@]host[:port][/prefix]"
    )
    parser.add_argument(
        "--time", default="lockstep", metavar="MODE", help="lockstep (default), realtime or scaled:N"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of every random draw of the run (default 0)"
    )
    parser.add_argument("--faults", type=Path, metavar="FILE", help="TOML file of faults to inject")
    parser.add_argument("--out", type=Path, metavar="DIR", help="run folder (default runs/SCENARIO-TIME)")
    parser.add_argument(
        "--flight",
        default="internal",
        choices=("internal", "external"),
        help="internal: the flight software in this process (default); external: a flight computer "
        "(flight run, or flight hardware) takes the flight ends of the links, which are printed",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def flight_links_printer(scenario: str, keys: Path, out: TextIO, err: TextIO) -> Any:
    """For ``--flight external``: print the link URLs (``imu URL``, ``thrusters URL``, ``ground URL`` on
    standard output, for scripts) and the ``flight run`` command that connects to them (standard error)."""

    def show(urls: dict[str, str]) -> None:
        for name, ch in (("imu", "imu"), ("thrusters", "thruster"), ("ground", "ground")):
            print(f"{name} {urls[ch]}", file=out, flush=True)
        print(
            "hil run: waiting for the flight computer; start it with:\n"
            f"  flight run --scenario {scenario} --imu {urls['imu']} --thrusters {urls['thruster']} "
            f"--ground {urls['ground']} --keys {keys}",
            file=err,
            flush=True,
        )

    return show


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def local_broker(err: TextIO) -> Iterator[str]:
    """A mosquitto of our own on a free local port for the run (stopped afterwards)."""
    exe = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else None
    )
    if exe is None:
        raise CliError(
            "--transport mqtt needs --broker URL, or mosquitto installed to start a local broker "
            "(apt-get install mosquitto)"
        )
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="hil-mosquitto-") as d:
        conf = Path(d) / "mosquitto.conf"
        # no Nagle delay on the broker's side: lockstep traffic is a ping-pong of small packets
        conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                        "set_tcp_nodelay true\n")
        proc = subprocess.Popen([exe, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 5.0
            while True:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise CliError(f"could not start a local mosquitto on port {port}")
                time.sleep(0.05)
            print(f"hil run: started a local mosquitto on 127.0.0.1:{port} for this run", file=err)
            yield f"mqtt://127.0.0.1:{port}/hilrun{os.getpid()}"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=5.0)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5.0)


class ProgressBar:
    """A one-line progress bar in mission time on a terminal; a line every 10 % otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self._last_decile = -1

    def __call__(self, p: Any) -> None:
        frac = min(1.0, max(0.0, p.t_mission_s / p.t_limit_s)) if p.t_limit_s > 0 else 0.0
        d, rem = divmod(int(p.t_mission_s), 86400)
        h, rem = divmod(rem, 3600)
        m, s = divmod(rem, 60)
        alt = f"{p.altitude_km:6.1f} km" if math.isfinite(p.altitude_km) else "-"
        text = (
            f"T+{d}d {h:02d}:{m:02d}:{s:02d}  alt {alt}  {p.phase:<12} burns {p.burns_done}  "
            f"wall {p.wall_s:6.1f} s"
        )
        if self.tty:
            n = 28
            bar = "#" * int(frac * n) + "." * (n - int(frac * n))
            self.stream.write(f"\r[{bar}] {text}\x1b[K")
            self.stream.flush()
        else:
            decile = int(frac * 10)
            if decile > self._last_decile:
                self._last_decile = decile
                print(f"hil run: {text}", file=self.stream, flush=True)

    def done(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def result_table(s: dict[str, Any]) -> str:
    fp = s.get("footprint") or {}
    re = s.get("reentry") or {}
    c = s.get("control") or {}
    lat = c.get("latency_ms") or {}
    loop = c.get("loop_latency_ms") or {}

    def f(x: Any, fmt: str = ".3f", unit: str = "") -> str:
        return "-" if x is None else (f"{x:{fmt}}{unit}" if isinstance(x, float) else f"{x}{unit}")

    rows = [
        ("outcome", s["outcome"]),
        ("end", s.get("end_reason") or "-"),
        ("scenario / seed", f"{s['scenario']} / {s['seed']}"),
        ("transport / time", f"{s['transport']} / {s['time_mode']}"),
        ("mission time", f"{s['sim_time_s'] / 86400.0:.3f} days"),
        ("wall time", f(s["wall_time_s"], ".1f", " s")),
    ]
    for b in s.get("burns") or []:
        rows.append(
            (
                f"burn {b['name']}",
                f"{b['ignition_utc']}  {b['duration_s']:.1f} s  "
                f"{b['dv_achieved_mps']:.3f}/{b['dv_target_mps']:.3f} m/s  {b['outcome']}",
            )
        )
    rows += [
        (
            "entry interface",
            f"{re.get('interface_utc') or '-'}  fpa {f(re.get('fpa_at_interface_deg'), '.2f', ' deg')}",
        ),
        ("breakup altitude", f(re.get("breakup_alt_km"), ".1f", " km")),
        (
            "footprint",
            f"{f(fp.get('length_km'), '.0f', ' km')} long, centre {f(fp.get('center_miss_km'), '.1f', ' km')}"
            f" from aim, all in zone: {fp.get('inside_zone')}",
        ),
        (
            "control",
            f"{c.get('cycles')} cycles, {c.get('deadline_misses')} misses, latency p50/p99/max "
            f"{f(lat.get('p50'), '.2f')}/{f(lat.get('p99'), '.2f')}/{f(lat.get('max'), '.2f')} ms",
        ),
        (
            "IMU sample to command",
            f"p50/p99/max {f(loop.get('p50'), '.2f')}/{f(loop.get('p99'), '.2f')}/"
            f"{f(loop.get('max'), '.2f')} ms (through both links)",
        ),
    ]
    for n, v in (s.get("links") or {}).items():
        rows.append(
            (
                f"link {n}",
                f"{v['frames_sent']} frames, {v['crc_errors']} CRC errors, {v['gaps']} gaps, "
                f"{v['duplicates']} duplicates",
            )
        )
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"  {k:<{width}}  {v}" for k, v in rows)


def run(args: argparse.Namespace) -> int:
    from flight.config import ConfigError
    from flight.guidance import GuidanceError
    from flight.security import SecurityError
    from hil.campaign import CampaignError, RunOptions, run_campaign
    from hil.clock import TimeMode, TimeModeError
    from hil.ground.keys import KEY_FILE_NAME
    from hil.links.base import LinkError
    from hil.report.faults import FaultFileError
    from hil.scenario import ScenarioError, load

    if args.seed < 0:
        raise CliError(f"--seed must be non-negative, got {args.seed}", status=2)
    if args.broker and args.transport != "mqtt":
        raise CliError("--broker is for --transport mqtt", status=2)
    if args.flight == "external" and args.transport == "loopback":
        raise CliError("--flight external needs --transport serial or mqtt", status=2)
    try:
        TimeMode.parse(args.time)
        scenario = load(args.scenario)
        if args.faults is not None:
            from hil.report.faults import load_faults

            load_faults(args.faults)
    except (TimeModeError, ScenarioError, FaultFileError) as exc:
        raise CliError(str(exc), status=2) from None
    out = args.out or Path("runs") / f"{scenario.name}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    bar = None if args.quiet else ProgressBar(sys.stderr)
    with contextlib.ExitStack() as stack:
        broker = args.broker
        if args.transport == "mqtt" and not broker:
            broker = stack.enter_context(local_broker(sys.stderr))
        opts = RunOptions(
            scenario=args.scenario,
            transport=args.transport,
            broker=broker,
            time_mode=args.time,
            seed=args.seed,
            faults=args.faults,
            out=out,
            progress=bar,
            flight=args.flight,
            on_flight_links=flight_links_printer(args.scenario, out / KEY_FILE_NAME, sys.stdout, sys.stderr),
        )
        try:
            result = run_async(run_campaign(opts))
        except (CampaignError, LinkError, SecurityError, ConfigError, GuidanceError, OSError) as exc:
            if bar is not None:
                bar.done()
            raise CliError(str(exc)) from None
        finally:
            if bar is not None:
                bar.done()
    print(result_table(result.summary))
    print(f"  run folder: {out}  (report.html, summary.json)")
    return 0 if result.success else 1
