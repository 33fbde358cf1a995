"""Link URLs and open_link's choices: every accepted form, and a one-sentence LinkError for each mistake."""

from __future__ import annotations

import pytest

from hil.links import (
    LinkError,
    LoopbackLink,
    LoopSpec,
    MqttSpec,
    PtyLink,
    PtySpec,
    SerialSpec,
    open_link,
    parse_link_url,
)
from hil.links.mqtt_link import MqttLink, topics
from hil.links.serial_link import SerialLink


def test_serial_url_with_baud() -> None:
    assert parse_link_url("serial:///dev/ttyUSB0?baud=115200") == SerialSpec("/dev/ttyUSB0", 115200)


def test_serial_url_default_baud_is_921600() -> None:
    assert parse_link_url("serial:///dev/ttyACM1") == SerialSpec("/dev/ttyACM1", 921600)


def test_mqtt_url_with_credentials_port_and_prefix() -> None:
    spec = parse_link_url("mqtt://flight:s%40cret@broker.local:1884/rig7")
    assert isinstance(spec, MqttSpec)
    assert (spec.host, spec.port, spec.prefix, spec.username, spec.password, spec.tls) == (
        "broker.local",
        1884,
        "rig7",
        "flight",
        "s@cret",
        False,
    )


def test_mqtt_url_defaults() -> None:
    spec = parse_link_url("mqtt://localhost")
    assert isinstance(spec, MqttSpec)
    assert (spec.port, spec.prefix, spec.username) == (1883, "deorbit", None)


def test_mqtts_url_tls_parameters() -> None:
    spec = parse_link_url("mqtts://h/p/q?ca=/c/ca.crt&cert=/c/me.crt&key=/c/me.key&insecure=1")
    assert isinstance(spec, MqttSpec)
    assert (spec.port, spec.prefix, spec.tls, spec.ca_file, spec.cert_file, spec.key_file, spec.insecure) == (
        8883,
        "p/q",
        True,
        "/c/ca.crt",
        "/c/me.crt",
        "/c/me.key",
        True,
    )


def test_password_is_not_in_the_repr() -> None:
    assert "hunter2" not in repr(parse_link_url("mqtt://u:hunter2@h/p"))


def test_pty_urls() -> None:
    assert parse_link_url("pty://") == PtySpec(None)
    assert parse_link_url("pty:///tmp/ttyIMU") == PtySpec("/tmp/ttyIMU")
    assert isinstance(open_link("pty://", "imu", "board"), PtyLink)


@pytest.mark.parametrize("url", ["loop://", "loop://bench"])
def test_loop_url(url: str) -> None:
    assert parse_link_url(url) == LoopSpec("bench" if url.endswith("bench") else "default")


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("tcp://host:1", "unsupported link URL"),
        ("pty://host/x", "has a host part"),
        ("pty:///tmp/dir/", "absolute path"),
        ("serial://dev/ttyUSB0", "three slashes"),
        ("serial:///dev/ttyUSB0?baud=fast", "not an integer"),
        ("serial:///dev/ttyUSB0?parity=E", "unknown parameter 'parity'"),
        ("mqtt://h:notaport/p", "bad port"),
        ("mqtt:///p", "needs a broker host"),
        ("mqtt://h/a/+/b", "bad topic prefix"),
        ("mqtt://h/p?ca=/x", "unknown parameter 'ca'"),
        ("mqtts://h/p?key=/k", "without a client certificate"),
        ("mqtts://h/p?insecure=maybe", "must be 1 or 0"),
        ("mqtt://h/p?keepalive=0", "outside"),
        ("mqtt://h/p?client_id=a&client_id=b", "given twice"),
    ],
)
def test_bad_urls_get_one_sentence(url: str, words: str) -> None:
    """Each malformed URL raises LinkError naming the problem, in one line."""
    with pytest.raises(LinkError, match=words.replace("+", r"\+")) as info:
        parse_link_url(url)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("channel", "role"), [("imu", "pilot"), ("", "host"), ("imu/cmd", "host"), ("#", "board")]
)
def test_open_link_rejects_bad_channel_or_role(channel: str, role: str) -> None:
    with pytest.raises(LinkError, match=r"bad (channel|role)"):
        open_link("loop://", channel, role)


def test_open_link_chooses_the_transport_by_scheme() -> None:
    assert isinstance(open_link("serial:///dev/ttyS9", "imu", "host"), SerialLink)
    assert isinstance(open_link("loop://x", "imu", "host"), LoopbackLink)
    link = open_link("mqtt://localhost/rig", "thruster", "board")
    assert isinstance(link, MqttLink)
    assert (link.tx_topic, link.rx_topic) == ("rig/thruster/tm", "rig/thruster/cmd")


def test_mqtt_topic_layout_matches_the_icd() -> None:
    """{prefix}/{board}/cmd, /tm and /state, default prefix deorbit."""
    assert topics("deorbit", "imu") == {
        "cmd": "deorbit/imu/cmd",
        "tm": "deorbit/imu/tm",
        "state": "deorbit/imu/state",
    }
    host = open_link("mqtt://localhost", "imu", "host")
    assert isinstance(host, MqttLink)
    assert (host.tx_topic, host.rx_topic) == ("deorbit/imu/cmd", "deorbit/imu/tm")


def test_missing_tls_file_is_a_link_error() -> None:
    with pytest.raises(LinkError, match=r"cannot read TLS CA file /nonexistent/ca\.crt: no such file"):
        open_link("mqtts://localhost/p?ca=/nonexistent/ca.crt", "imu", "host")


def test_mqtt_channel_must_be_a_catalogue_board() -> None:
    with pytest.raises(LinkError, match="no MQTT topics for channel 'bench'"):
        open_link("mqtt://localhost/p", "bench", "host")
