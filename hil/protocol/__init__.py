"""The wire protocol between flight software, boards and ground (docs/icd.md is its specification).

CCSDS Space Packets (CCSDS 133.0-B-2) with a CUC time-tag secondary header and a CRC-16/CCITT-FALSE
packet error control field, COBS framing on serial links, per-APID sequence tracking, and the packet
catalogue (one schema for encoding, decoding, the ICD tables and the XTCE export).
"""
