"""Building and reading the catalogue's packets with spacecraft time tags: what drivers and boards share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hil.drivers.timebase import t_from_tag, tag_from_t
from hil.protocol.catalogue import CATALOGUE
from hil.protocol.schema import Catalogue, Message, PacketSpec
from hil.protocol.spacepacket import SEQ_COUNT_MODULUS


class PacketWriter:
    """Encodes packets of the catalogue, keeping each APID's 14-bit sequence count."""

    def __init__(self, catalogue: Catalogue = CATALOGUE) -> None:
        self.catalogue = catalogue
        self._seq: dict[int, int] = {}
        self._plain: dict[str, PacketSpec] = {}  # unauthenticated specs by name, as used

    def next_seq(self, apid: int) -> int:
        n = self._seq.get(apid, 0)
        self._seq[apid] = (n + 1) % SEQ_COUNT_MODULUS
        return n

    def encode(self, name: str, values: Mapping[str, Any], t_s: float) -> bytes:
        """The packet ``name`` with ``values`` (engineering units), time-tagged with spacecraft ``t_s``."""
        spec = self._plain.get(name)
        if spec is None:
            spec = self.catalogue.by_name(name)
            if spec.authenticated:  # the catalogue says how to build those
                coarse, fine = tag_from_t(t_s)
                return self.catalogue.encode(name, values, seq_count=self.next_seq(spec.apid),
                                             coarse_time=coarse, fine_time=fine)
            self._plain[name] = spec
        coarse, fine = tag_from_t(t_s)
        apid = spec.apid  # next_seq, written out
        n = self._seq.get(apid, 0)
        self._seq[apid] = (n + 1) % SEQ_COUNT_MODULUS
        return spec.pack_packet(values, n, coarse, fine)

    def reset(self) -> None:
        """Start every count from 0 again (a board that restarts)."""
        self._seq.clear()


def message_t_s(msg: Message) -> float:
    """Spacecraft time ``t_s`` of a decoded message's time tag."""
    return t_from_tag(msg.coarse_time, msg.fine_time)
