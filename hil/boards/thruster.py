"""The emulated thruster board behind a link: :class:`~hil.boards.thruster_logic.ThrusterBoardCore` with
I/O. For each packet it runs the core at board time, gives the plant the actual valve schedule
(``plant.set_valves``: stuck and degraded valves included), tells the clock it holds the command that
answers the IMU sample named by the command's time tag (``clock.command_held``: the lockstep gate), and
answers with THRUSTER_STATUS; it also reports status at ``status_period_s`` and housekeeping, and lets the
watchdog run while no packet arrives. Outside lockstep THRUSTER_TIME_SYNC sets the board clock (an offset
from simulated time; the plant keeps simulated time). A ``standalone`` board (no IMU board in its process
to move the plant) in lockstep takes its time from the time tags of the packets it receives. In lockstep
the answer to each sample's command stands for the periodic status of the interval that follows (the ICD's
"at 1 Hz when no command arrives"): no report goes out at the next sample, where it would race that sample
on the other link to the flight software.
"""

from __future__ import annotations

import asyncio
import math
import struct

from hil.boards.common import Housekeeping, PlantLike
from hil.boards.thruster_logic import Reaction, ThrusterBoardConfig, ThrusterBoardCore
from hil.clock import SimClock
from hil.drivers.packets import PacketWriter
from hil.drivers.timebase import t_from_tag
from hil.links.base import Link, LinkClosedError
from hil.protocol.catalogue import ArmedState
from hil.protocol.spacepacket import PRIMARY_HEADER_OCTETS, packet_is_valid

#: Wall-clock period of the housekeeping loop in lockstep, where simulated time moves only with the IMU.
LOCKSTEP_POLL_S = 0.2
#: Shortest wait of the periodic loop in realtime and scaled modes (simulated seconds).
MIN_WAIT_S = 0.01


class ThrusterBoard:
    """An emulated thruster board on ``link`` (board side of the ``thruster`` channel)."""

    def __init__(
        self,
        link: Link,
        plant: PlantLike,
        clock: SimClock,
        config: ThrusterBoardConfig,
        *,
        status_period_s: float = 1.0,
        housekeeping_period_s: float = 10.0,
        standalone: bool = False,
    ) -> None:
        self.link = link
        self.plant = plant
        self.clock = clock
        self.core = ThrusterBoardCore(config, plant.t_s)
        self.status_period_s = status_period_s
        self.housekeeping_period_s = housekeeping_period_s
        self.writer = PacketWriter()
        self.housekeeping = Housekeeping(plant.t_s)
        self.commands_held = 0
        self.standalone = standalone
        self._ticked = False
        self._last_tick_t_s = -math.inf  # the simulated time of the previous tick (lockstep)
        self._last_held_t_s: float | None = None  # the time tag of the last command the board held
        self._next_status_s = plant.t_s + status_period_s
        self._next_hk_s = plant.t_s
        self.clock_offset_s = 0.0  # board time minus simulated time (set by THRUSTER_TIME_SYNC)
        self._fault_changes_given = -1  # the thrust factors the plant has are those of this many changes

    def now_s(self) -> float:
        """Board time: the simulated time in lockstep; the simulated time plus the offset set by the last
        time synchronisation in realtime and scaled modes (never going back)."""
        if self.clock.mode.lockstep:
            return max(self.plant.t_s, self.core.t_s)
        return max(max(self.clock.now_s, self.plant.t_s) + self.clock_offset_s, self.core.t_s)

    def _apply(self, t_s: float) -> None:
        """Give the plant the core's actual valve schedule and thrust factors from board time ``t_s``."""
        plant_t = t_s - self.clock_offset_s
        if plant_t > self.plant.t_s:
            self.plant.advance_to(plant_t)
        changes = self.core.fault_changes
        factor = self.core.thrust_factor if changes != self._fault_changes_given else None
        until = self.core.actual_until_view  # set_valves copies it
        last = self.core.actual_last_s
        if self.clock_offset_s:
            until = until - self.clock_offset_s
            last -= self.clock_offset_s
        self.plant.set_valves(max(plant_t, self.plant.t_s), until, thrust_factor=factor, last_s=last)
        self._fault_changes_given = changes

    def _time_sync(self, raw: bytes) -> None:
        """THRUSTER_TIME_SYNC outside lockstep: set the board clock to the packet's time tag (SLEW is
        applied as a step too). In lockstep the board clock is the simulation's and only the id is kept,
        so that a run stays deterministic."""
        if self.clock.mode.lockstep:
            return
        tag_t = t_from_tag(*struct.unpack_from(">IH", raw, PRIMARY_HEADER_OCTETS))
        self.clock_offset_s = tag_t - max(self.clock.now_s, self.plant.t_s)

    async def send_status(self) -> None:
        self._send_status_now()

    def _send_status_now(self) -> None:
        self.link.send_nowait(self.writer.encode("THRUSTER_STATUS", self.core.status_values(), self.now_s()))
        self.housekeeping.tx_packets += 1

    async def send_housekeeping(self) -> None:
        c = self.core.counters
        stats = self.link.stats
        t = self.now_s()
        # uptime runs with the board's oscillator (simulated time), not with the clock a sync sets
        values = self.housekeeping.values(
            t - self.clock_offset_s, c.rx_packets, c.rx_crc_errors + stats.crc_errors,
            c.rx_framing_errors + stats.framing_errors + stats.oversize)
        values["boot_count"] = c.boot_count % (1 << 16)
        await self.link.send(self.writer.encode("THRUSTER_HOUSEKEEPING", values, t))
        self.housekeeping.tx_packets += 1

    async def run(self) -> None:
        # Packets are handled as they arrive, in the link's callback, unless something wraps its recv.
        push = "recv" not in vars(self.link)
        if push:
            self.link.set_receiver(self._receive_now)
        try:
            async with asyncio.TaskGroup() as tg:
                if push:
                    tg.create_task(self._watch_receiver(), name="thruster-board-receive")
                else:
                    tg.create_task(self._receive_loop(), name="thruster-board-receive")
                tg.create_task(self._periodic_loop(), name="thruster-board-periodic")
        finally:
            if push:
                self.link.set_receiver(None)

    async def _watch_receiver(self) -> None:
        await self.link.watch_receiver()
        raise LinkClosedError(f"link {self.link.name} is closed")

    def _receive_now(self, raw: bytes) -> None:
        self._handle_now(raw)

    async def handle_packet(self, raw: bytes) -> Reaction:
        return self._handle_now(raw)

    def _handle_now(self, raw: bytes) -> Reaction:
        t = self.now_s()
        if self.standalone and self.clock.mode.lockstep and packet_is_valid(raw):
            # No IMU board moves this plant: board time follows the commands' time tags.
            t = max(t, t_from_tag(*struct.unpack_from(">IH", raw, PRIMARY_HEADER_OCTETS)))
        boot = self.core.counters.boot_count
        reaction = self.core.receive(t, raw)
        if reaction.kind == "sync":
            self._time_sync(raw)
        if self.core.counters.boot_count != boot:
            self.writer.reset()
            self.housekeeping.restart(self.core.t_s - self.clock_offset_s)
        if reaction.valves_changed or reaction.send_status:
            self._apply(self.core.t_s)
        if reaction.held_t_s is not None:
            self.commands_held += 1
            self._last_held_t_s = reaction.held_t_s
            self.clock.command_held(reaction.held_t_s)
        if reaction.send_status:
            self._send_status_now()
        return reaction

    async def tick(self, t_s: float) -> None:
        """Simulated time has reached ``t_s`` (the IMU board beside this one advanced the plant): run the
        watchdog, the arming timeout and the periodic reports now, so that in lockstep they happen at
        deterministic simulated times."""
        self._ticked = True
        t = max(t_s, self.core.t_s)
        held = self._last_held_t_s
        if self.clock.mode.lockstep and held is not None and held >= self._last_tick_t_s:
            # The command of the previous sample was answered with a status: in lockstep that answer is
            # this interval's periodic report (time jumps a whole output interval at once, and a report at
            # this instant would race the sample on the other link to the flight software).
            self._next_status_s = max(self._next_status_s, t + self.status_period_s)
        self._last_tick_t_s = t_s
        await self._periodic(t)

    async def _periodic(self, t: float) -> None:
        if self.core.advance(t):
            self._apply(self.core.t_s)
            await self.send_status()
        if t >= self._next_status_s:
            self._next_status_s = t + self.status_period_s
            await self.send_status()
        if t >= self._next_hk_s:
            self._next_hk_s = t + self.housekeeping_period_s
            await self.send_housekeeping()

    async def _receive_loop(self) -> None:
        while True:
            try:
                raw = await self.link.recv(timeout_s=5.0)
            except TimeoutError:
                continue
            await self.handle_packet(raw)

    async def _periodic_loop(self) -> None:
        while True:
            if self.clock.mode.lockstep:
                await asyncio.sleep(LOCKSTEP_POLL_S)
                if self._ticked:
                    continue  # the IMU board beside this one drives the reports at simulated times
            else:
                target = min(self._next_status_s, self._next_hk_s)
                if self.core.armed_state is ArmedState.ARMED and not self.core.watchdog_expired:
                    target = min(target, self.core.last_valid_s + self.core.watchdog_period_s)
                await self.clock.wait_until(max(target, self.now_s() + MIN_WAIT_S) - self.clock_offset_s)
            await self._periodic(self.now_s())
