"""The emulated thruster board behind a link: :class:`~hil.boards.thruster_logic.ThrusterBoardCore` with
I/O. For each packet it runs the core at board time, gives the plant the actual valve schedule
(``plant.set_valves``: stuck and degraded valves included), tells the clock it holds the command that
answers the IMU sample named by the command's time tag (``clock.command_held``: the lockstep gate), and
answers with THRUSTER_STATUS; it also reports status at ``status_period_s`` and housekeeping, and lets the
watchdog run while no packet arrives. A ``standalone`` board (no IMU board in its process to move the
plant) in lockstep takes its time from the time tags of the packets it receives.
"""

from __future__ import annotations

import asyncio
import logging
import struct

from hil.boards.common import Housekeeping, PlantLike
from hil.boards.thruster_logic import Reaction, ThrusterBoardConfig, ThrusterBoardCore
from hil.clock import SimClock
from hil.drivers.packets import PacketWriter
from hil.drivers.timebase import t_from_tag
from hil.links.base import Link
from hil.protocol.catalogue import ArmedState
from hil.protocol.spacepacket import PRIMARY_HEADER_OCTETS, packet_is_valid

log = logging.getLogger(__name__)

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
        self.housekeeping = Housekeeping()
        self.commands_held = 0
        self.standalone = standalone

    def now_s(self) -> float:
        if self.clock.mode.lockstep:
            return max(self.plant.t_s, self.core.t_s)
        return max(self.clock.now_s, self.plant.t_s, self.core.t_s)

    def _apply(self, t_s: float) -> None:
        """Give the plant the core's actual valve schedule from ``t_s``."""
        if t_s > self.plant.t_s:
            self.plant.advance_to(t_s)
        self.plant.set_valves(max(t_s, self.plant.t_s), self.core.actual_until_s.copy())

    async def send_status(self) -> None:
        await self.link.send(self.writer.encode("THRUSTER_STATUS", self.core.status_values(), self.now_s()))
        self.housekeeping.tx_packets += 1

    async def send_housekeeping(self) -> None:
        c = self.core.counters
        values = self.housekeeping.values(c.rx_packets, c.rx_crc_errors + self.link.stats.crc_errors,
                                          c.rx_framing_errors + self.link.stats.framing_errors)
        values["boot_count"] = c.boot_count % (1 << 16)
        await self.link.send(self.writer.encode("THRUSTER_HOUSEKEEPING", values, self.now_s()))
        self.housekeeping.tx_packets += 1

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self._receive_loop(), name="thruster-board-receive")
            tg.create_task(self._periodic_loop(), name="thruster-board-periodic")

    async def handle_packet(self, raw: bytes) -> Reaction:
        t = self.now_s()
        if self.standalone and self.clock.mode.lockstep and packet_is_valid(raw):
            # No IMU board moves this plant: board time follows the commands' time tags.
            t = max(t, t_from_tag(*struct.unpack_from(">IH", raw, PRIMARY_HEADER_OCTETS)))
        boot = self.core.counters.boot_count
        reaction = self.core.receive(t, raw)
        if self.core.counters.boot_count != boot:
            self.writer.reset()
        if reaction.valves_changed or reaction.send_status:
            self._apply(self.core.t_s)
        if reaction.held_t_s is not None:
            self.commands_held += 1
            self.clock.command_held(reaction.held_t_s)
        if reaction.send_status:
            await self.send_status()
        return reaction

    async def _receive_loop(self) -> None:
        while True:
            try:
                raw = await self.link.recv(timeout_s=5.0)
            except TimeoutError:
                continue
            await self.handle_packet(raw)

    async def _periodic_loop(self) -> None:
        next_status = self.now_s() + self.status_period_s
        next_hk = self.now_s()
        while True:
            if self.clock.mode.lockstep:
                await asyncio.sleep(LOCKSTEP_POLL_S)
            else:
                target = min(next_status, next_hk)
                if self.core.armed_state is ArmedState.ARMED and not self.core.watchdog_expired:
                    target = min(target, self.core.last_valid_s + self.core.watchdog_period_s)
                await self.clock.wait_until(max(target, self.now_s() + MIN_WAIT_S))
            t = self.now_s()
            if self.core.advance(t):
                self._apply(self.core.t_s)
                await self.send_status()
            if t >= next_status:
                next_status = t + self.status_period_s
                await self.send_status()
            if t >= next_hk:
                next_hk = t + self.housekeeping_period_s
                await self.send_housekeeping()
