"""Safety of the thruster board under arbitrary command sequences, garbage and link loss (a hypothesis
state machine over the board's firmware logic, fed whole packets as bytes).

Properties, checked after every step:
- no valve is commanded open unless the board is ARMED, and no valve is actually open unless ARMED or
  stuck open by an injected fault;
- every valve is commanded closed by one watchdog period after the last valid command;
- no on-time exceeds its bound: an open valve closes by the start of its cycle plus
  min(cycle period, max_on_s), for the commanded and (stuck-open valves aside) the actual schedule;
- the board never raises on any input, and a valid command that would open a valve while not armed is
  rejected and counted.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from hil.boards.thruster_logic import ThrusterBoardConfig, ThrusterBoardCore
from hil.drivers.packets import PacketWriter
from hil.protocol.catalogue import MAX_CYCLE_PERIOD_US, THRUSTER_COUNT, ArmedState

T0_S = 959_774_400.0
EPS_S = 1e-9
CODES = st.sampled_from([0, 1, 0x5AFE, 0xFFFFFFFF])
ON_US = st.sampled_from([0, 1_000, 19_999, 20_000, 50_000, 100_000, 1_000_000, MAX_CYCLE_PERIOD_US])
PERIOD_US = st.sampled_from([1_000, 100_000, 1_000_000, 10_000_000, MAX_CYCLE_PERIOD_US])


class ThrusterBoardSafety(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.config = ThrusterBoardConfig(watchdog_s=1.0, max_on_s=60.0, min_on_s=0.02)
        self.board = ThrusterBoardCore(self.config, T0_S)
        self.writer = PacketWriter()
        self.t = T0_S
        self.ids = 0
        self.cycle = 0
        self.last_packet = b""

    @initialize()
    def start(self) -> None:
        assert self.board.armed_state is ArmedState.DISARMED

    def _id(self) -> int:
        self.ids += 1
        return self.ids

    def _send(self, name: str, values: dict[str, object]) -> None:
        packet = self.writer.encode(name, values, self.t)
        self.last_packet = packet
        self.board.receive(self.t, packet)

    @rule(dt=st.sampled_from([0.0, 0.001, 0.05, 0.1, 0.5, 0.99, 1.0, 2.9, 3.0, 10.0, 100.0, 1000.0]))
    def time_passes(self, dt: float) -> None:
        """Time passes with no packet at all (link loss, or a silent flight computer)."""
        self.t += dt
        self.board.advance(self.t)

    @rule(mode=st.sampled_from(["ALL_OFF", "PULSE", "MAIN_BURN"]), period=PERIOD_US,
          on=st.lists(ON_US, min_size=THRUSTER_COUNT, max_size=THRUSTER_COUNT),
          cycle_step=st.sampled_from([1, 1, 1, 0, -1, 5]))
    def command(self, mode: str, period: int, on: list[int], cycle_step: int) -> None:
        self.cycle = max(0, self.cycle + cycle_step)
        armed = self.board.armed_state is ArmedState.ARMED
        rejected = self.board.counters.commands_rejected
        last_cycle = self.board.last_cycle
        self._send("THRUSTER_COMMAND", {"command_id": self._id(), "cycle": self.cycle, "mode": mode,
                                        "cycle_period_us": period, "on_time_us": on})
        fresh = last_cycle is None or self.cycle > last_cycle
        opens = mode == "MAIN_BURN" or (mode == "PULSE" and any(on))
        if fresh and opens and not armed:
            assert self.board.counters.commands_rejected == rejected + 1
            assert not self.board.commanded_open().any()

    @rule(code=CODES)
    def arm_prepare(self, code: int) -> None:
        self._send("THRUSTER_ARM", {"command_id": self._id(), "action": "ARM_PREPARE", "arm_code": code})

    @rule(code=CODES)
    def arm_confirm(self, code: int) -> None:
        self._send("THRUSTER_ARM", {"command_id": self._id(), "action": "ARM_CONFIRM", "arm_code": code})

    @rule()
    def disarm(self) -> None:
        self._send("THRUSTER_ARM", {"command_id": self._id(), "action": "DISARM", "arm_code": 0})
        assert self.board.armed_state is ArmedState.DISARMED
        assert not self.board.commanded_open().any()

    @rule(kind=st.sampled_from(["CLEAR", "VALVE_STUCK_CLOSED", "DEGRADED_THRUST", "BOARD_RESET"]),
          thruster=st.integers(0, THRUSTER_COUNT - 1), factor=st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0]))
    def fault(self, kind: str, thruster: int, factor: float) -> None:
        self._send("THRUSTER_FAULT_INJECT", {"command_id": self._id(), "kind": kind, "thruster": thruster,
                                             "factor": factor})

    @rule(thruster=st.integers(0, THRUSTER_COUNT - 1))
    def stuck_open(self, thruster: int) -> None:
        self._send("THRUSTER_FAULT_INJECT", {"command_id": self._id(), "kind": "VALVE_STUCK_OPEN",
                                             "thruster": thruster, "factor": 1.0})

    @rule(data=st.binary(max_size=300))
    def garbage(self, data: bytes) -> None:
        self.board.receive(self.t, data)

    @precondition(lambda self: bool(self.last_packet))
    @rule(bit=st.integers(0, 10_000))
    def corrupted_or_repeated(self, bit: int) -> None:
        """A corrupted copy of the last packet (never accepted), then the packet repeated (a duplicate)."""
        raw = bytearray(self.last_packet)
        i = bit % (8 * len(raw))
        raw[i // 8] ^= 1 << (i % 8)
        executed = self.board.counters.commands_executed
        self.board.receive(self.t, bytes(raw))
        self.board.receive(self.t, self.last_packet)
        assert self.board.counters.commands_executed == executed

    @invariant()
    def no_valve_unless_armed(self) -> None:
        b = self.board
        if b.armed_state is not ArmedState.ARMED:
            assert not b.commanded_open(self.t).any()
            actual = b.actual_open(self.t)
            actual[list(b.faults.stuck_open)] = False
            assert not actual.any()

    @invariant()
    def closed_within_one_watchdog_period(self) -> None:
        b = self.board
        assert np.all(b.commanded_until_s <= max(b.last_valid_s + b.watchdog_period_s, b.t_s) + EPS_S)

    @invariant()
    def on_times_bounded(self) -> None:
        b = self.board
        cap = b.last_valid_s + min(b.cycle_period_s, self.config.max_on_s) + EPS_S
        open_cmd = b.commanded_until_s > b.t_s
        assert np.all(b.commanded_until_s[open_cmd] <= cap)
        actual = b.actual_until_s.copy()
        actual[list(b.faults.stuck_open)] = -np.inf
        assert np.all(actual[actual > b.t_s] <= cap)


TestThrusterBoardSafety = ThrusterBoardSafety.TestCase
