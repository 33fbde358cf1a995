"""Flight-side drivers: ``flight.ports`` implemented over any packet link (serial, MQTT, loopback).

:class:`ImuDriver` (``ImuPort``), :class:`ThrusterDriver` (``ThrusterPort``) and :class:`GroundDriver`
(``GroundPort``) decode packets with the catalogue, count and drop bad ones, and report stale data and
link loss to the flight software as events (``flight.ports.Event``) and in ``health()``; every wait is
bounded.
"""
