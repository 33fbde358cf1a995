"""XTCE 1.2 (OMG XML Telemetric and Command Exchange, namespace 20180204) export of the packet catalogue.

One abstract container ``CCSDSPacket`` holds the primary header (parameter names as space_packet_parser
and Yamcs examples use them: VERSION, TYPE, SEC_HDR_FLG, PKT_APID, SEQ_FLGS, SRC_SEQ_CTR, PKT_LEN) and
the CUC time tag (SC_TIME_COARSE, SC_TIME_FINE). Every packet type is a container that inherits from it,
restricted by its APID, and ends with the packet error control (PKT_CRC). Telecommands are described as
containers too, so that a ground tool decodes a recorded uplink as it decodes telemetry. Parameters are
named ``<PACKET>_<field>``; array elements get a two-digit index (``THRUSTER_COMMAND_on_time_us_07``).
Scaled integers carry a polynomial calibrator (value = raw * scale + offset).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hil.protocol.catalogue import CATALOGUE
from hil.protocol.schema import Catalogue, Field, PacketSpec

NS = "http://www.omg.org/spec/XTCE/20180204"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{NS} https://www.omg.org/spec/XTCE/20180204/SpaceSystem.xsd"
ROOT_CONTAINER = "CCSDSPacket"
SPACE_SYSTEM = "ISS_Deorbit"
HEADER_PARAMETERS = (
    ("VERSION", 3, "packet version number"),
    ("TYPE", 1, "packet type: 0 telemetry, 1 telecommand"),
    ("SEC_HDR_FLG", 1, "secondary header flag"),
    ("PKT_APID", 11, "application process identifier"),
    ("SEQ_FLGS", 2, "sequence flags"),
    ("SRC_SEQ_CTR", 14, "packet sequence count"),
    ("PKT_LEN", 16, "packet data length: octets of the packet data field minus one"),
    ("SC_TIME_COARSE", 32, "spacecraft time, CUC coarse: seconds since 1958-01-01 TAI"),
    ("SC_TIME_FINE", 16, "spacecraft time, CUC fine: units of 2^-16 s"),
)
CRC_PARAMETER = "PKT_CRC"


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _sub(parent: ET.Element, tag: str, **attrs: str) -> ET.Element:
    return ET.SubElement(parent, _q(tag), attrs)


def parameter_names(spec: PacketSpec, f: Field) -> list[str]:
    """The XTCE parameter names of one field (one per array element)."""
    base = f"{spec.name}_{f.name}"
    if f.count == 1 or f.length:
        return [base]
    width = max(2, len(str(f.count - 1)))
    return [f"{base}_{i:0{width}d}" for i in range(f.count)]


def _unit_set(parent: ET.Element, unit: str) -> None:
    us = _sub(parent, "UnitSet")
    if unit:
        u = _sub(us, "Unit")
        u.text = unit


def _int_encoding(parent: ET.Element, bits: int, signed: bool) -> ET.Element:
    return _sub(parent, "IntegerDataEncoding", sizeInBits=str(bits),
                encoding="twosComplement" if signed else "unsigned")


def _type_name(spec: PacketSpec, f: Field) -> str:
    return f"{spec.name}_{f.name}_Type"


def _parameter_type(types: ET.Element, name: str, f: Field) -> None:
    wt = f.wire
    bits = 8 * f.element_octets
    desc = {"shortDescription": f.description[:200]} if f.description else {}
    if f.enum is not None:
        t = _sub(types, "EnumeratedParameterType", name=name, **desc)
        _unit_set(t, f.unit)
        _int_encoding(t, bits, wt.signed)
        el = _sub(t, "EnumerationList")
        for member in f.enum:
            _sub(el, "Enumeration", value=str(int(member)), label=member.name)
    elif f.kind == "bool":
        t = _sub(types, "BooleanParameterType", name=name, **desc)
        _unit_set(t, f.unit)
        _int_encoding(t, bits, False)
    elif f.kind == "text":
        t = _sub(types, "StringParameterType", name=name, **desc)
        _unit_set(t, f.unit)
        enc = _sub(t, "StringDataEncoding", encoding="US-ASCII")
        size = _sub(enc, "SizeInBits")
        fixed = _sub(size, "Fixed")
        _sub(fixed, "FixedValue").text = str(bits)
        _sub(size, "TerminationChar").text = "00"
    elif f.kind == "bytes":
        t = _sub(types, "BinaryParameterType", name=name, **desc)
        _unit_set(t, f.unit)
        enc = _sub(t, "BinaryDataEncoding")
        _sub(_sub(enc, "SizeInBits"), "FixedValue").text = str(bits)
    elif not wt.integer:
        t = _sub(types, "FloatParameterType", name=name, sizeInBits=str(bits), **desc)
        _unit_set(t, f.unit)
        _sub(t, "FloatDataEncoding", sizeInBits=str(bits), encoding="IEEE754_1985")
    elif f.scale is not None:
        t = _sub(types, "FloatParameterType", name=name, sizeInBits="64", **desc)
        _unit_set(t, f.unit)
        enc = _int_encoding(t, bits, wt.signed)
        poly = _sub(_sub(enc, "DefaultCalibrator"), "PolynomialCalibrator")
        _sub(poly, "Term", coefficient=repr(f.offset), exponent="0")
        _sub(poly, "Term", coefficient=repr(f.scale), exponent="1")
    else:
        t = _sub(types, "IntegerParameterType", name=name, signed=str(wt.signed).lower(),
                 sizeInBits=str(bits), **desc)
        _unit_set(t, f.unit)
        _int_encoding(t, bits, wt.signed)


def build(catalogue: Catalogue = CATALOGUE) -> ET.Element:
    """The XTCE SpaceSystem element of the whole catalogue."""
    ET.register_namespace("xtce", NS)
    ET.register_namespace("xsi", XSI)
    root = ET.Element(_q("SpaceSystem"), {"name": SPACE_SYSTEM, f"{{{XSI}}}schemaLocation": SCHEMA_LOCATION})
    _sub(root, "Header", validationStatus="Working", version="1.0",
         classification="NotClassified").append(_long_description())
    tm = _sub(root, "TelemetryMetaData")
    types = _sub(tm, "ParameterTypeSet")
    params = _sub(tm, "ParameterSet")
    containers = _sub(tm, "ContainerSet")

    for name, bits, desc in HEADER_PARAMETERS:
        t = _sub(types, "IntegerParameterType", name=f"{name}_Type", signed="false", sizeInBits=str(bits))
        _unit_set(t, "s" if name.startswith("SC_TIME_COARSE") else "")
        _int_encoding(t, bits, False)
        _sub(params, "Parameter", name=name, parameterTypeRef=f"{name}_Type", shortDescription=desc)
    t = _sub(types, "IntegerParameterType", name=f"{CRC_PARAMETER}_Type", signed="false", sizeInBits="16")
    _unit_set(t, "")
    _int_encoding(t, 16, False)
    _sub(params, "Parameter", name=CRC_PARAMETER, parameterTypeRef=f"{CRC_PARAMETER}_Type",
         shortDescription="packet error control: CRC-16/CCITT-FALSE over every preceding octet")

    base = _sub(containers, "SequenceContainer", name=ROOT_CONTAINER, abstract="true")
    entries = _sub(base, "EntryList")
    for name, _bits, _desc in HEADER_PARAMETERS:
        _sub(entries, "ParameterRefEntry", parameterRef=name)

    for spec in catalogue:
        for f in spec.all_fields:
            tname = _type_name(spec, f)
            _parameter_type(types, tname, f)
            for pname in parameter_names(spec, f):
                attrs = {"name": pname, "parameterTypeRef": tname}
                if f.description:
                    attrs["shortDescription"] = f.description[:200]
                _sub(params, "Parameter", **attrs)
        c = _sub(containers, "SequenceContainer", name=spec.name, shortDescription=spec.description[:200])
        el = _sub(c, "EntryList")
        for f in spec.all_fields:
            for pname in parameter_names(spec, f):
                _sub(el, "ParameterRefEntry", parameterRef=pname)
        _sub(el, "ParameterRefEntry", parameterRef=CRC_PARAMETER)
        bc = _sub(c, "BaseContainer", containerRef=ROOT_CONTAINER)
        crit = _sub(_sub(bc, "RestrictionCriteria"), "ComparisonList")
        _sub(crit, "Comparison", parameterRef="PKT_APID", value=str(spec.apid), useCalibratedValue="false")
        _sub(crit, "Comparison", parameterRef="TYPE", value=str(int(spec.packet_type)),
             useCalibratedValue="false")
    ET.indent(root)
    return root


def _long_description() -> ET.Element:
    # Header holds no LongDescription in XTCE 1.2; the author set carries the provenance instead.
    authors = ET.Element(_q("AuthorSet"))
    a = ET.SubElement(authors, _q("Author"))
    a.text = "generated by `hil xtce` from hil/protocol/catalogue.py; see docs/icd.md"
    return authors


def to_string(catalogue: Catalogue = CATALOGUE) -> str:
    """The XTCE document as text, with an XML declaration."""
    body = ET.tostring(build(catalogue), encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'
