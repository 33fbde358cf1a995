"""Emulated boards: the IMU and the thruster board, each behind a link, on the truth plant and clock.

:class:`ImuBoard` and :class:`ThrusterBoard` run inside a process (:class:`BoardSet` starts both on one
plant) or standalone (``hil board imu|thruster``, :mod:`hil.boards.cli`). The thruster board's firmware
logic is pure (:mod:`hil.boards.thruster_logic`), as is the IMU error model (:mod:`hil.boards.imu_model`).
"""

from hil.boards.imu import ImuBoard
from hil.boards.imu_model import GRADES, ImuErrorModel, ImuGrade
from hil.boards.thruster import ThrusterBoard
from hil.boards.thruster_logic import ThrusterBoardConfig, ThrusterBoardCore

__all__ = [
    "GRADES",
    "ImuBoard",
    "ImuErrorModel",
    "ImuGrade",
    "ThrusterBoard",
    "ThrusterBoardConfig",
    "ThrusterBoardCore",
]
