"""Integration fixtures: one real mosquitto for the session (plain, auth, TLS and mutual-TLS listeners)
and a unique topic prefix per test, so tests never see each other's messages."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import broker as broker_mod
from tests.support.broker import Broker


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    if not broker_mod.available():
        pytest.skip(broker_mod.SKIP_REASON)
    with Broker(Path(tmp_path_factory.mktemp("mosquitto"))) as b:
        yield b


@pytest.fixture
def restartable_broker(tmp_path: Path) -> Iterator[Broker]:
    """A broker of the test's own, for tests that stop and restart it."""
    if not broker_mod.available():
        pytest.skip(broker_mod.SKIP_REASON)
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
