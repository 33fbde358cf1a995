"""Flight-side drivers: ``flight.ports`` implemented over any packet link (serial, MQTT, loopback).

:class:`ImuDriver` (``ImuPort``), :class:`ThrusterDriver` (``ThrusterPort``) and :class:`GroundDriver`
(``GroundPort``) decode packets with the catalogue, count and drop bad ones, and report stale data and
link loss to the flight software as events (``flight.ports.Event``, given to ``on_event`` and kept in
``events``) and in ``health()``; every wait is bounded. Use each as ``async with Driver(link)`` around an
open link (the host end of the ``imu`` and ``thruster`` channels, the board end of ``ground``).
"""

from hil.drivers.base import DriverStats, PortHealth, Stream
from hil.drivers.ground import GroundDriver
from hil.drivers.imu import ImuCommandTimeout, ImuDriver
from hil.drivers.thruster import ThrusterDriver, ThrusterStatusTimeout

__all__ = [
    "DriverStats",
    "GroundDriver",
    "ImuCommandTimeout",
    "ImuDriver",
    "PortHealth",
    "Stream",
    "ThrusterDriver",
    "ThrusterStatusTimeout",
]
