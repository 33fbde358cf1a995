"""What the emulated boards share: the plant and clock they run on, board time, periodic reports."""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray


class PlantLike(Protocol):
    """The parts of ``hil.plant.Plant`` the boards use."""

    @property
    def t_s(self) -> float: ...

    def advance_to(self, t_s: float) -> None: ...

    def imu_accumulators(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...

    def set_valves(
        self, t_s: float, open_until_s: NDArray[np.float64], thrust_factor: NDArray[np.float64] | None = None,
        last_s: float | None = None,
    ) -> None: ...


class Housekeeping:
    """The counters of a board's housekeeping packet. Uptime is counted in board (spacecraft) time from
    ``start_s``, the board's time when it started, as a board's own oscillator would count it."""

    def __init__(self, start_s: float) -> None:
        self.start_s = start_s
        self.boot_count = 1
        self.tx_packets = 0

    def restart(self, t_s: float) -> None:
        """The board restarted at board time ``t_s``: uptime counts from there."""
        self.start_s = t_s

    def values(self, t_s: float, rx_packets: int, rx_crc_errors: int, rx_framing_errors: int
               ) -> dict[str, object]:
        """The housekeeping fields at board time ``t_s``."""
        return {
            "uptime_s": min(max(int(t_s - self.start_s), 0), (1 << 32) - 1),
            "boot_count": self.boot_count % (1 << 16),
            "bus_voltage_v": 28.0,
            "temperature_c": 25.0,
            "rx_packets": rx_packets % (1 << 32),
            "rx_crc_errors": rx_crc_errors % (1 << 32),
            "rx_framing_errors": rx_framing_errors % (1 << 32),
            "tx_packets": self.tx_packets % (1 << 32),
        }
