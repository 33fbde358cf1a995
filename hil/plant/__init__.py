"""The truth simulation (the plant): the stack's 6-DOF dynamics, re-entry and debris footprint.

``Plant.from_scenario(scenario, seed)`` builds the truth of one run; the IMU board reads
``imu_accumulators()``, the thruster board drives ``set_valves()``, the runner calls ``advance_to()`` under
the simulation clock (``hil.clock``) and reads ``truth()`` and ``breakup_and_impacts()``.
"""

from hil.plant.debris import DebrisFootprint, Impact
from hil.plant.truth import EntryEvent, Plant, ThrusterSet, TruthState

__all__ = ["DebrisFootprint", "EntryEvent", "Impact", "Plant", "ThrusterSet", "TruthState"]
