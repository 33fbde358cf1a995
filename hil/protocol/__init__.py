"""The wire protocol between flight software, boards and ground (docs/icd.md is its specification).

CCSDS Space Packets (CCSDS 133.0-B-2) with a CUC time-tag secondary header and a CRC-16/CCITT-FALSE
packet error control field, COBS framing on serial links, per-APID sequence tracking, the packet
catalogue (one schema for encoding, decoding, the ICD tables and the XTCE export) and authenticated
ground telecommands.

The names most users need are re-exported here::

    from hil.protocol import CATALOGUE, StreamDecoder, frame

    raw = CATALOGUE.encode("IMU_CONFIG", {"command_id": 1, "output_rate_hz": 10.0}, seq_count=0,
                           time_tag_s=t_s)
    for packet in decoder.feed(serial_bytes):
        message = CATALOGUE.decode(packet)
"""

from hil.protocol.catalogue import CATALOGUE
from hil.protocol.framing import DecoderStats, RawStreamDecoder, StreamDecoder, frame
from hil.protocol.schema import Catalogue, DecodeError, EncodeError, Message, PacketSpec
from hil.protocol.sequence import SeqStatus, SequenceTracker
from hil.protocol.spacepacket import PacketError, PacketType, packet_is_valid

__all__ = [
    "CATALOGUE",
    "Catalogue",
    "DecodeError",
    "DecoderStats",
    "EncodeError",
    "Message",
    "PacketError",
    "PacketSpec",
    "PacketType",
    "RawStreamDecoder",
    "SeqStatus",
    "SequenceTracker",
    "StreamDecoder",
    "frame",
    "packet_is_valid",
]
