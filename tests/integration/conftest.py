"""Integration fixtures: one real mosquitto for the session (plain, auth, TLS and mutual-TLS listeners)
and a unique topic prefix per test, so tests never see each other's messages."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import broker as broker_mod
from tests.support import certs as certs_mod
from tests.support.broker import Broker


def _skip_without_tools() -> None:
    if not broker_mod.available():
        pytest.skip(broker_mod.SKIP_REASON)
    if certs_mod.OPENSSL is None:
        pytest.skip("openssl not installed (apt-get install openssl)")


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    _skip_without_tools()
    with Broker(Path(tmp_path_factory.mktemp("mosquitto"))) as b:
        yield b


@pytest.fixture
def restartable_broker(tmp_path: Path) -> Iterator[Broker]:
    """A broker of the test's own, for tests that stop and restart it."""
    _skip_without_tools()
    b = Broker(tmp_path / "mosquitto")
    b.start()
    try:
        yield b
    finally:
        b.stop()


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", request.node.name)[:40]
    return f"t_{name}_{uuid.uuid4().hex[:8]}"
