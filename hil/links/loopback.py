"""In-process loopback links (``loop://``): a host end and a board end joined by a wire, no I/O at all.

Both ends of a wire are found by (name, channel) in a hub, so ``open_link("loop://", "imu", "host")`` and
``open_link("loop://", "imu", "board")`` in the same process talk to each other. Packets sent before the
other end opens wait on the wire (bounded; the oldest is dropped and counted first).
"""

from __future__ import annotations

import collections
import dataclasses

from hil.links.base import Link, LinkError, LinkState


@dataclasses.dataclass
class _Wire:
    ends: dict[str, LoopbackLink | None] = dataclasses.field(
        default_factory=lambda: {"board": None, "host": None}
    )
    waiting: dict[str, collections.deque[bytes]] = dataclasses.field(
        default_factory=lambda: {"board": collections.deque(), "host": collections.deque()}
    )


class LoopbackHub:
    """Where loopback ends meet. One default hub serves ``loop://``; tests may make their own."""

    def __init__(self, wire_capacity: int = 4096) -> None:
        self._wires: dict[tuple[str, str], _Wire] = {}
        self.wire_capacity = wire_capacity

    def _attach(self, link: LoopbackLink) -> _Wire:
        wire = self._wires.setdefault((link.wire_name, link.channel), _Wire())
        if wire.ends[link.role] is not None:
            raise LinkError(
                f"loopback {link.wire_name!r} channel {link.channel!r} already has an open {link.role} end"
            )
        wire.ends[link.role] = link
        return wire

    def _detach(self, link: LoopbackLink) -> None:
        key = (link.wire_name, link.channel)
        wire = self._wires.get(key)
        if wire is None or wire.ends[link.role] is not link:
            return
        wire.ends[link.role] = None
        if all(end is None for end in wire.ends.values()) and not any(wire.waiting.values()):
            del self._wires[key]


DEFAULT_HUB = LoopbackHub()


def _other(role: str) -> str:
    return "host" if role == "board" else "board"


class LoopbackLink(Link):
    scheme = "loop"

    def __init__(
        self,
        channel: str,
        role: str,
        *,
        wire_name: str = "default",
        hub: LoopbackHub | None = None,
        rx_queue_size: int = 4096,
    ) -> None:
        super().__init__(f"loop://{wire_name}/{channel}/{role}", rx_queue_size=rx_queue_size)
        self.channel = channel
        self.role = role
        self.wire_name = wire_name
        self._hub = hub if hub is not None else DEFAULT_HUB
        self._wire: _Wire | None = None
        self._peer_role = _other(role)

    @property
    def peer_online(self) -> bool:
        """Whether the other end of the wire is open."""
        return self._wire is not None and self._wire.ends[_other(self.role)] is not None

    async def _connect_first(self) -> None:
        self._wire = self._hub._attach(self)
        self._set_state(LinkState.UP)
        waiting = self._wire.waiting[self.role]
        while waiting:
            self._deliver(waiting.popleft())

    async def _run(self) -> None:
        return None

    def _try_transmit_now(self, data: bytes) -> bool:
        wire = self._wire
        assert wire is not None
        stats = self.stats  # _count_tx, written out
        stats.frames_tx += 1
        stats.bytes_tx += len(data)
        peer = wire.ends[self._peer_role]
        if peer is not None:
            peer._deliver(data)
            return True
        waiting = wire.waiting[self._peer_role]
        if len(waiting) >= self._hub.wire_capacity:
            waiting.popleft()
            self.stats.tx_dropped += 1
        waiting.append(data)
        return True

    async def _shutdown(self) -> None:
        if self._wire is not None:
            self._hub._detach(self)
            self._wire = None


def loopback_pair(
    channel: str = "imu",
    *,
    hub: LoopbackHub | None = None,
) -> tuple[LoopbackLink, LoopbackLink]:
    """A (host, board) pair on a private hub, each still to be opened with ``async with``."""
    hub = hub if hub is not None else LoopbackHub()
    return (
        LoopbackLink(channel, "host", hub=hub),
        LoopbackLink(channel, "board", hub=hub),
    )
