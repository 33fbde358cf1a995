"""The ground (mission control) emulator.

- :mod:`hil.ground.station`: :class:`GroundStation` (signed telecommands up; acknowledgements, telemetry
  and events down; a log of everything) and :class:`MissionControl` (the scenario's command plan on
  spacecraft time, with tracking from the truth);
- :mod:`hil.ground.timing`: acting at a planned spacecraft time, deterministically in lockstep;
- :mod:`hil.ground.keys`: per-run telecommand keys;
- :mod:`hil.ground.cli`: ``hil ground send COMMAND ...``.

The flight software's end of the ground link is a driver like the others: ``hil.drivers.ground``.
"""

from hil.ground.keys import KEY_FILE_NAME, load_keys, write_key_file
from hil.ground.station import GroundPlan, GroundStation, MissionControl, Tracker
from hil.ground.timing import GroundTime, WatchedClock

__all__ = ["KEY_FILE_NAME", "GroundPlan", "GroundStation", "GroundTime", "MissionControl", "Tracker",
           "WatchedClock", "load_keys", "write_key_file"]
