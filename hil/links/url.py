"""Link URLs: ``serial:///dev/ttyUSB0?baud=921600``, ``mqtt://user:pass@host:1883/prefix``, ``mqtts://...``,
``loop://`` (optionally ``loop://name``), and ``pty://`` (optionally ``pty:///tmp/ttyIMU``): a new
pseudo-terminal whose master end is this link, for an emulated board that a serial link opens by path.
Every mistake is a LinkError with one sentence."""

from __future__ import annotations

import dataclasses
import re
import urllib.parse

from hil.links.base import ROLES, LinkError

DEFAULT_BAUD = 921600
DEFAULT_PREFIX = "deorbit"
MQTT_PORT = 1883
MQTTS_PORT = 8883
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
_PREFIX = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclasses.dataclass(frozen=True)
class SerialSpec:
    path: str
    baud: int = DEFAULT_BAUD


@dataclasses.dataclass(frozen=True)
class MqttSpec:
    host: str
    port: int
    prefix: str = DEFAULT_PREFIX
    username: str | None = None
    password: str | None = dataclasses.field(default=None, repr=False)
    tls: bool = False
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    insecure: bool = False
    client_id: str | None = None
    keepalive_s: int = 10


@dataclasses.dataclass(frozen=True)
class LoopSpec:
    name: str = "default"


@dataclasses.dataclass(frozen=True)
class PtySpec:
    alias: str | None = None


LinkSpec = SerialSpec | MqttSpec | LoopSpec | PtySpec


def check_channel_role(channel: str, role: str) -> None:
    if not isinstance(channel, str) or not _NAME.match(channel):
        raise LinkError(f"bad channel {channel!r}: use a board name such as 'imu', 'thruster' or 'ground'")
    if role not in ROLES:
        raise LinkError(f"bad role {role!r}: use 'board' or 'host'")


def _flag(name: str, value: str) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise LinkError(f"link URL parameter {name}={value!r} must be 1 or 0")


def _params(query: str, allowed: set[str], url: str) -> dict[str, str]:
    try:
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise LinkError(f"cannot read the parameters of link URL {url!r}") from None
    params: dict[str, str] = {}
    for key, value in pairs:
        if key not in allowed:
            raise LinkError(
                f"unknown parameter {key!r} in link URL {url!r} (known: {', '.join(sorted(allowed))})"
            )
        if key in params:
            raise LinkError(f"parameter {key!r} given twice in link URL {url!r}")
        params[key] = value
    return params


def _int(name: str, value: str, lo: int, hi: int) -> int:
    try:
        n = int(value)
    except ValueError:
        raise LinkError(f"link URL parameter {name}={value!r} is not an integer") from None
    if not lo <= n <= hi:
        raise LinkError(f"link URL parameter {name}={n} is outside {lo}..{hi}")
    return n


def parse_link_url(url: str) -> LinkSpec:
    """The transport and its settings from a link URL."""
    if not isinstance(url, str):
        raise LinkError(f"a link URL is a string, not {type(url).__name__}")
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "serial":
        return _serial(parts, url)
    if scheme in ("mqtt", "mqtts"):
        return _mqtt(parts, url, tls=scheme == "mqtts")
    if scheme == "loop":
        _params(parts.query, set(), url)
        name = (parts.netloc + parts.path).strip("/") or "default"
        if not _NAME.match(name):
            raise LinkError(f"bad loopback name {name!r} in link URL {url!r}")
        return LoopSpec(name=name)
    if scheme == "pty":
        _params(parts.query, set(), url)
        if parts.netloc:
            raise LinkError(f"pty link URL {url!r} has a host part; write pty:// or pty:///path/of/alias")
        alias = urllib.parse.unquote(parts.path)
        if alias and (not alias.startswith("/") or alias.endswith("/")):
            raise LinkError(
                f"pty link URL {url!r} needs an absolute path for the alias, as in pty:///tmp/ttyIMU"
            )
        return PtySpec(alias=alias or None)
    raise LinkError(f"unsupported link URL {url!r}: use serial://, mqtt://, mqtts://, loop:// or pty://")


def _serial(parts: urllib.parse.SplitResult, url: str) -> SerialSpec:
    params = _params(parts.query, {"baud"}, url)
    if parts.netloc:
        raise LinkError(
            f"serial link URL {url!r} has a host part; write serial:///dev/ttyUSB0 (three slashes)"
        )
    path = urllib.parse.unquote(parts.path)
    if not path.startswith("/") or path == "/":
        raise LinkError(f"serial link URL {url!r} needs an absolute device path such as /dev/ttyUSB0")
    baud = _int("baud", params["baud"], 50, 20_000_000) if "baud" in params else DEFAULT_BAUD
    return SerialSpec(path=path, baud=baud)


def _mqtt(parts: urllib.parse.SplitResult, url: str, *, tls: bool) -> MqttSpec:
    allowed = {"client_id", "keepalive"} | ({"ca", "cert", "key", "insecure"} if tls else set())
    params = _params(parts.query, allowed, url)
    try:
        port = parts.port
    except ValueError:
        raise LinkError(f"bad port in link URL {url!r}") from None
    host = parts.hostname
    if not host:
        raise LinkError(f"MQTT link URL {url!r} needs a broker host, as in mqtt://localhost:1883/deorbit")
    prefix = parts.path.strip("/") or DEFAULT_PREFIX
    if not _PREFIX.match(prefix):
        raise LinkError(
            f"bad topic prefix {prefix!r} in link URL {url!r}: no wildcards, spaces or empty levels"
        )
    if "key" in params and "cert" not in params:
        raise LinkError(f"link URL {url!r} gives a client key without a client certificate (cert=...)")
    return MqttSpec(
        host=host,
        port=port if port is not None else (MQTTS_PORT if tls else MQTT_PORT),
        prefix=prefix,
        username=urllib.parse.unquote(parts.username) if parts.username is not None else None,
        password=urllib.parse.unquote(parts.password) if parts.password is not None else None,
        tls=tls,
        ca_file=params.get("ca") or None,
        cert_file=params.get("cert") or None,
        key_file=params.get("key") or None,
        insecure=_flag("insecure", params["insecure"]) if "insecure" in params else False,
        client_id=params.get("client_id") or None,
        keepalive_s=_int("keepalive", params["keepalive"], 1, 65535) if "keepalive" in params else 10,
    )
