"""What the emulated boards share: the plant and clock they run on, board time, periodic reports."""

from __future__ import annotations

import time
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
        self, t_s: float, open_until_s: NDArray[np.float64], thrust_factor: NDArray[np.float64] | None = None
    ) -> None: ...


class Housekeeping:
    """The counters of a board's housekeeping packet."""

    def __init__(self) -> None:
        self.wall0 = time.monotonic()
        self.boot_count = 1
        self.tx_packets = 0

    def values(self, rx_packets: int, rx_crc_errors: int, rx_framing_errors: int) -> dict[str, object]:
        return {
            "uptime_s": min(int(time.monotonic() - self.wall0), (1 << 32) - 1),
            "boot_count": self.boot_count % (1 << 16),
            "bus_voltage_v": 28.0,
            "temperature_c": 25.0,
            "rx_packets": rx_packets % (1 << 32),
            "rx_crc_errors": rx_crc_errors % (1 << 32),
            "rx_framing_errors": rx_framing_errors % (1 << 32),
            "tx_packets": self.tx_packets % (1 << 32),
        }
