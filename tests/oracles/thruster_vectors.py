"""Writes the thruster board area's vector file, tests/vectors/thr.vec.

Run ``python -m tests.oracles.thruster_vectors`` from the worktree root.

Each line is a script for the ``thr_script`` case of tests/c/cases_thr.c (its comment gives the layout):
operations at increasing board times and what the board answered. The expected answers come from the
pure-Python reference tests/oracles/thruster_board.py, fed the same operations as packets (no arming
command id repeats within a script and every fault command gets a fresh one, so that the reference's
repeat filter, which is not part of the core, never acts).
The rules the scripts exercise are those of docs/icd.md section 8.2: two-step arming, the watchdog and its
SAFED latch, on-time bounds, stale and repeated commands, injected faults and board resets, tank blowdown.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from hil.boards.thruster_logic import ThrusterBoardConfig
from hil.drivers.packets import PacketWriter
from hil.protocol.catalogue import THRUSTER_COUNT
from tests.oracles.thruster_board import ThrusterBoardCore as Reference
from tests.vectorfile import VECTOR_DIR, format_line, write_vectors

T0_S = 959_774_400.0
OK, E_NONFINITE, E_RANGE = 0, 2, 3
ADVANCE, COMMAND, ARM, FAULT, STATUS = 1, 2, 3, 4, 5
PREPARE, CONFIRM, DISARM = 1, 2, 3
ALL_OFF, PULSE, MAIN_BURN = 0, 1, 2
CLEAR, STUCK_CLOSED, STUCK_OPEN, DEGRADED, RESET = 0, 1, 2, 3, 4
#: The vectors' board (cases_thr.c's thr_default_config): a small tank so that scripts reach low pressure.
CONFIG = ThrusterBoardConfig(watchdog_s=1.0, max_on_s=60.0, min_on_s=0.02, propellant_kg=50.0)
#: Propellant and pressure come from sums of open times taken in another order in the core.
TOL = 1e-6

Op = tuple[float, ...]


def expected(script: Iterable[Op]) -> list[float]:
    """The reference's answers to a script (see cases_thr.c for the operations)."""
    ref = Reference(CONFIG, T0_S)
    writer = PacketWriter()
    t = T0_S
    ids = 1000
    out: list[float] = []

    def send(name: str, values: dict[str, object]) -> None:
        r = ref.receive(t, writer.encode(name, values, t))
        out.append(float(r.send_status | r.valves_changed << 1 | r.accepted << 2
                         | (r.held_t_s is not None) << 3))

    for op in script:
        kind, dt, a, b, c, d, e = op
        t += dt
        if kind == ADVANCE:
            out.append(float(ref.advance(t)))
        elif kind == COMMAND:
            send("THRUSTER_COMMAND", {"cycle": int(a), "command_id": int(b), "mode": int(c),
                                      "cycle_period_us": int(d), "on_time_us": [int(e)] * THRUSTER_COUNT})
        elif kind == ARM:
            ids += 1
            send("THRUSTER_ARM", {"action": int(a), "arm_code": int(b), "command_id": int(c)})
        elif kind == FAULT:
            ids += 1
            send("THRUSTER_FAULT_INJECT",
                 {"kind": int(a), "thruster": int(b), "factor": c, "command_id": ids})
        else:
            s = ref.status_values()
            valves = int(s["valve_states"])
            out += [float(s["armed_state"]), float(s["mode"]), float(valves & 0xFFFFFFFF),
                    float(valves >> 32), float(s["last_command_id"]), float(s["last_cycle"]),
                    float(s["tank_pressure_pa"]), float(s["propellant_kg"]), float(s["flags"]),
                    float(s["commands_rejected"])]
    return out


def op(kind: int, dt: float = 0.0, *args: float) -> Op:
    return (float(kind), dt, *[float(x) for x in args], *[0.0] * (5 - len(args)))


def armed(code: int = 7) -> list[Op]:
    return [op(ARM, 0.0, PREPARE, code, 1), op(ARM, 0.5, CONFIRM, code, 2), op(STATUS)]


def script_line(script: list[Op], comment: str) -> list[str]:
    inputs = [T0_S] + [x for o in script for x in o]
    return [f"# {comment}", format_line("thr_script", OK, TOL, inputs, expected(script))]


def scripts() -> list[tuple[str, list[Op]]]:
    burn = [op(COMMAND, 0.1, n, 100 + n, MAIN_BURN, 100_000, 0) for n in range(1, 6)]
    return [
        ("arming in two steps, pulses, a main burn, then the watchdog closes every valve and latches SAFED",
         [*armed(), op(COMMAND, 0.1, 1, 11, PULSE, 100_000, 50_000), op(STATUS, 0.01),
          op(COMMAND, 0.1, 2, 12, MAIN_BURN, 100_000, 0), op(STATUS, 0.05), op(ADVANCE, 0.2), op(STATUS),
          op(ADVANCE, 0.1), op(STATUS), op(COMMAND, 0.1, 3, 13, PULSE, 100_000, 50_000), op(STATUS),
          op(ARM, 0.1, DISARM, 0, 14), op(STATUS)]),
        ("a valve never opens unless armed: commands before arming, after a failed confirm, after disarm",
         [op(COMMAND, 0.1, 1, 1, PULSE, 100_000, 50_000), op(COMMAND, 0.1, 2, 2, MAIN_BURN, 100_000, 0),
          op(STATUS), op(ARM, 0.1, PREPARE, 7, 3), op(ARM, 0.1, CONFIRM, 8, 4), op(STATUS),
          op(COMMAND, 0.1, 3, 5, PULSE, 100_000, 50_000), op(STATUS), *armed(9),
          op(ARM, 0.1, DISARM, 0, 6), op(COMMAND, 0.1, 4, 7, MAIN_BURN, 100_000, 0), op(STATUS),
          op(COMMAND, 0.1, 5, 8, ALL_OFF, 100_000, 0), op(STATUS)]),
        ("arming errors: a zero code, a confirm without prepare, a confirm after the 5 s timeout",
         [op(ARM, 0.0, PREPARE, 0, 1), op(STATUS), op(ARM, 0.1, CONFIRM, 7, 2), op(STATUS),
          op(ARM, 0.1, PREPARE, 7, 3), op(ADVANCE, 4.0), op(STATUS), op(ARM, 1.5, CONFIRM, 7, 4), op(STATUS),
          op(ARM, 0.1, PREPARE, 7, 5), op(ADVANCE, 5.5), op(STATUS)]),
        ("stale and repeated commands are rejected, answered and counted; once only",
         [*armed(), op(COMMAND, 0.1, 5, 50, PULSE, 100_000, 30_000),
          op(COMMAND, 0.1, 5, 51, PULSE, 100_000, 30_000),
          op(COMMAND, 0.1, 4, 52, PULSE, 100_000, 30_000), op(COMMAND, 0.1, 6, 50, PULSE, 100_000, 30_000),
          op(STATUS), op(COMMAND, 0.1, 6, 53, PULSE, 100_000, 30_000), op(STATUS)]),
        ("on-time bounds: clamped to the cycle period and to max_on_s, below min_on_s not fired",
         [*armed(), op(COMMAND, 0.1, 1, 1, PULSE, 100_000, 150_000), op(STATUS),
          op(COMMAND, 0.1, 2, 2, PULSE, 100_000, 100_000), op(STATUS),
          op(COMMAND, 0.1, 3, 3, PULSE, 100_000_000, 90_000_000), op(STATUS, 59.0), op(STATUS, 1.5),
          op(COMMAND, 0.1, 4, 4, PULSE, 100_000, 19_999), op(STATUS)]),
        ("injected faults act on the actual valves: stuck open, stuck closed, degraded, clear",
         [*armed(), op(FAULT, 0.1, STUCK_OPEN, 3, 1.0), op(STATUS), op(FAULT, 0.1, STUCK_CLOSED, 20, 1.0),
          op(COMMAND, 0.1, 1, 1, MAIN_BURN, 100_000, 0), op(STATUS), op(FAULT, 0.1, DEGRADED, 21, 0.5),
          op(STATUS), op(FAULT, 0.1, STUCK_OPEN, 20, 1.0), op(STATUS), op(FAULT, 0.1, CLEAR, 0, 1.0),
          op(STATUS), op(ADVANCE, 1.0), op(STATUS)]),
        ("a board reset loses arming and the schedule, keeps a stuck valve, reports BOARD_RESET once",
         [*armed(), op(FAULT, 0.1, STUCK_OPEN, 30, 1.0), op(COMMAND, 0.1, 1, 1, MAIN_BURN, 100_000, 0),
          op(FAULT, 0.1, RESET, 0, 1.0), op(STATUS), op(STATUS, 0.1),
          op(COMMAND, 0.1, 1, 1, PULSE, 100_000, 50_000), op(STATUS)]),
        ("a long main burn empties the small tank: propellant to zero, LOW_PRESSURE",
         [*armed(), *burn, op(STATUS), op(COMMAND, 0.1, 6, 106, MAIN_BURN, 10_000_000, 0), op(ADVANCE, 25.0),
          op(STATUS), op(ADVANCE, 10.0), op(STATUS)]),
    ]


def random_scripts(n: int, seed: int) -> list[tuple[str, list[Op]]]:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        script = armed() if k % 2 == 0 else []
        cycle = 0
        arm_id = 100  # arming ids never repeat: the reference's repeat filter must not act
        for _ in range(30):
            dt = rng.choice([0.0, 0.01, 0.1, 0.3, 1.0, 3.5])
            kind = rng.choice([COMMAND, COMMAND, COMMAND, ARM, FAULT, ADVANCE, STATUS, STATUS])
            if kind == COMMAND:
                cycle += rng.choice([1, 1, 1, 0, -1])
                script.append(op(COMMAND, dt, max(cycle, 0), rng.randrange(1, 60), rng.choice([0, 1, 2]),
                                 rng.choice([1_000, 100_000, 1_000_000]),
                                 rng.choice([0, 10_000, 50_000, 100_000, 2_000_000])))
            elif kind == ARM:
                arm_id += 1
                script.append(op(ARM, dt, rng.choice([1, 2, 2, 3]), rng.choice([7, 7, 0]), arm_id))
            elif kind == FAULT:
                script.append(op(FAULT, dt, rng.choice([0, 1, 2, 3, 4]), rng.randrange(THRUSTER_COUNT),
                                 rng.choice([0.0, 0.5, 1.5])))
            else:
                script.append(op(kind, dt))
        script.append(op(STATUS, 1.0))
        out.append((f"random script {k} (seed {seed})", script))
    return out


def build() -> list[str]:
    lines: list[str] = []
    for comment, script in scripts() + random_scripts(12, 20261124):
        lines += script_line(script, comment)
    lines.append("# refused: a mode, an arming action, a fault kind outside its enumeration; a thruster")
    lines.append("# index past the last; a factor outside 0..2; a NaN time")
    bad = [op(COMMAND, 0.1, 1, 1, 3, 100_000, 0), op(ARM, 0.1, 4, 7, 1), op(FAULT, 0.1, 5, 0, 1.0),
           op(FAULT, 0.1, STUCK_OPEN, THRUSTER_COUNT, 1.0), op(FAULT, 0.1, DEGRADED, 1, 2.5)]
    for o in bad:
        lines.append(format_line("thr_script", E_RANGE, 0.0, [T0_S, *o], []))
    lines.append(format_line("thr_script", E_NONFINITE, 0.0, [T0_S, *op(ADVANCE, float("nan"))], []))
    return lines


def main() -> None:
    provenance = [
        "provenance: thruster board scripts (docs/icd.md section 8.2 rules); every expected value from the",
        "pure-Python reference tests/oracles/thruster_board.py fed the same operations as packets",
        "(written by tests/oracles/thruster_vectors.py, do not edit by hand). Layout: tests/c/cases_thr.c.",
    ]
    write_vectors(VECTOR_DIR / "thr.vec", provenance, build())


if __name__ == "__main__":
    main()
