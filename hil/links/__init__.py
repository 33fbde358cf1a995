"""Packet links between the flight-side host and the boards: serial, MQTT and in-process loopback.

    async with open_link("mqtt://localhost:1883/deorbit", "imu", "host") as link:
        await link.send(packet)
        reply = await link.recv(timeout_s=1.0)

Every link is an async context manager with ``send(packet)``, ``recv(timeout_s)``, ``state``
(:class:`LinkState`), ``wait_state(...)`` and ``stats`` (:class:`LinkStats`, ``as_dict()``). A packet is
the bytes of one CCSDS space packet, CRC included. ``role`` is ``"board"`` (receives commands, sends
telemetry) or ``"host"`` (the other side); ``channel`` is the board's name. :class:`FaultyLink` wraps any
link with seeded fault injection.

An emulated board on a new pseudo-terminal (``pty://``, the path a serial link opens is ``link.path``)::

    async with open_link("pty://", "imu", "board") as board:
        print(board.path)  # give this to the flight side: serial:///dev/pts/N
"""

from __future__ import annotations

from hil.links.base import Backoff, Link, LinkClosedError, LinkError, LinkState, LinkStats
from hil.links.faults import FaultConfig, FaultCounts, FaultInjector, FaultyLink
from hil.links.loopback import DEFAULT_HUB, LoopbackHub, LoopbackLink, loopback_pair
from hil.links.pty_link import PtyLink
from hil.links.url import (
    LinkSpec,
    LoopSpec,
    MqttSpec,
    PtySpec,
    SerialSpec,
    check_channel_role,
    parse_link_url,
)

__all__ = [
    "Backoff",
    "FaultConfig",
    "FaultCounts",
    "FaultInjector",
    "FaultyLink",
    "Link",
    "LinkClosedError",
    "LinkError",
    "LinkSpec",
    "LinkState",
    "LinkStats",
    "LoopSpec",
    "LoopbackHub",
    "LoopbackLink",
    "MqttSpec",
    "PtyLink",
    "PtySpec",
    "SerialSpec",
    "loopback_pair",
    "open_link",
    "parse_link_url",
]


def open_link(url: str, channel: str, role: str, *, hub: LoopbackHub | None = None) -> Link:
    """The link for ``url`` (not yet connected: enter it with ``async with``).

    Raises LinkError with one sentence for a malformed URL, channel or role, or unreadable TLS files.
    """
    check_channel_role(channel, role)
    spec = parse_link_url(url)
    if isinstance(spec, SerialSpec):
        from hil.links.serial_link import SerialLink

        return SerialLink(spec.path, spec.baud, channel=channel, role=role)
    if isinstance(spec, MqttSpec):
        from hil.links.mqtt_link import MqttLink

        return MqttLink(spec, channel, role)
    if isinstance(spec, PtySpec):
        return PtyLink(channel, role, alias=spec.alias)
    return LoopbackLink(channel, role, wire_name=spec.name, hub=hub if hub is not None else DEFAULT_HUB)
