"""A real mosquitto broker for tests, on free local ports, with four listeners:

- ``plain``: anonymous;
- ``auth``: password file and ACL: user ``flight`` may publish every board's ``cmd`` and read every
  ``tm`` and ``state``; a board user (``imu``, ``thruster``) may read only its own ``cmd`` and write only
  its own ``tm`` and ``state``, under any prefix;
- ``tls``: TLS with a throwaway CA, anonymous;
- ``mtls``: TLS that also requires a client certificate from that CA.

Persistence is on, so a graceful restart (``restart()``) keeps sessions and queued QoS-1 messages, as a
production broker would. ``kill()`` and ``start()`` simulate a crash.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
from pathlib import Path
from types import TracebackType
from typing import Self

from tests.support.certs import CertSet, make_certs

SKIP_REASON = "mosquitto not installed (apt-get install mosquitto mosquitto-clients)"
MOSQUITTO = shutil.which("mosquitto") or (
    "/usr/sbin/mosquitto" if os.access("/usr/sbin/mosquitto", os.X_OK) else None
)
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd")
MOSQUITTO_PUB = shutil.which("mosquitto_pub")
MOSQUITTO_SUB = shutil.which("mosquitto_sub")

USERS = {"flight": "flight-secret", "imu": "imu-secret", "thruster": "thruster-secret"}

ACL = """\
# Board users: only their own topics, under any prefix.
pattern read +/%u/cmd
pattern write +/%u/tm
pattern readwrite +/%u/state

# The flight computer: commands to every board, telemetry and state from every board.
user flight
topic write +/+/cmd
topic read +/+/tm
topic read +/+/state
"""


def available() -> bool:
    return MOSQUITTO is not None and MOSQUITTO_PASSWD is not None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Broker:
    """One mosquitto process with plain, auth, tls and mtls listeners (see the module docstring)."""

    def __init__(self, directory: Path) -> None:
        if not available():
            raise RuntimeError(SKIP_REASON)
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.ports = {kind: free_port() for kind in ("plain", "auth", "tls", "mtls")}
        self.certs: CertSet = make_certs(self.dir / "certs")
        self.log = self.dir / "mosquitto.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._write_config()

    def _write_config(self) -> None:
        passwd = self.dir / "passwd"
        passwd.write_text("")
        for user, password in USERS.items():
            subprocess.run(
                [str(MOSQUITTO_PASSWD), "-b", str(passwd), user, password],
                check=True,
                capture_output=True,
                timeout=30,
            )
        acl = self.dir / "acl"
        acl.write_text(ACL)
        (self.dir / "data").mkdir(exist_ok=True)
        c = self.certs
        lines = [
            "per_listener_settings true",
            "persistence true",
            f"persistence_location {self.dir / 'data'}/",
            "autosave_interval 1",
            f"log_dest file {self.log}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "connection_messages true",
            "max_queued_messages 10000",
            "set_tcp_nodelay true",
        ]
        if os.geteuid() == 0:
            lines.append("user root")
        lines += [
            f"listener {self.ports['plain']} 127.0.0.1",
            "allow_anonymous true",
            f"listener {self.ports['auth']} 127.0.0.1",
            "allow_anonymous false",
            f"password_file {passwd}",
            f"acl_file {acl}",
            f"listener {self.ports['tls']} 127.0.0.1",
            "allow_anonymous true",
            f"cafile {c.ca}",
            f"certfile {c.server_cert}",
            f"keyfile {c.server_key}",
            f"listener {self.ports['mtls']} 127.0.0.1",
            "allow_anonymous true",
            f"cafile {c.ca}",
            f"certfile {c.server_cert}",
            f"keyfile {c.server_key}",
            "require_certificate true",
        ]
        self.config = self.dir / "mosquitto.conf"
        self.config.write_text("\n".join(lines) + "\n")

    # -- lifetime ----------------------------------------------------------------------------------
    def start(self, timeout_s: float = 15.0) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        self._proc = subprocess.Popen(
            [str(MOSQUITTO), "-c", str(self.config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout_s
        pending = set(self.ports.values())
        while pending:
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
                log = self.log.read_text(errors="replace") if self.log.exists() else ""
                raise RuntimeError(f"mosquitto exited with {self._proc.returncode}: {err}\n{log}")
            for port in list(pending):
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    pending.discard(port)
            if pending:
                if time.monotonic() > deadline:
                    self.kill()
                    raise RuntimeError(f"mosquitto did not open ports {sorted(pending)} within {timeout_s} s")
                time.sleep(0.02)

    def stop(self, timeout_s: float = 10.0) -> None:
        """Graceful stop (SIGTERM): the broker saves its persistent state first."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=timeout_s)
        if proc.stderr is not None:
            proc.stderr.close()

    def kill(self) -> None:
        """Crash (SIGKILL): whatever was not autosaved is lost."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def pid(self) -> int:
        """The broker's process id (for a test that pauses it); RuntimeError when it is not running."""
        if self._proc is None or self._proc.poll() is not None:
            raise RuntimeError("the broker is not running")
        return self._proc.pid

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------------------
    def url(
        self,
        prefix: str,
        *,
        listener: str = "plain",
        user: str | None = None,
        password: str | None = None,
        client: str | None = None,
        ca: Path | None = None,
        insecure: bool = False,
    ) -> str:
        """A link URL for one listener. ``user`` takes its password from USERS unless one is given."""
        scheme = "mqtts" if listener in ("tls", "mtls") else "mqtt"
        auth = ""
        if user is not None:
            pw = password if password is not None else USERS[user]
            auth = f"{urllib.parse.quote(user, safe='')}:{urllib.parse.quote(pw, safe='')}@"
        query: dict[str, str] = {}
        if scheme == "mqtts":
            query["ca"] = str(ca if ca is not None else self.certs.ca)
            if client is not None:
                cert, key = self.certs.clients[client]
                query["cert"], query["key"] = str(cert), str(key)
            if insecure:
                query["insecure"] = "1"
        q = ("?" + urllib.parse.urlencode(query)) if query else ""
        return f"{scheme}://{auth}127.0.0.1:{self.ports[listener]}/{prefix}{q}"
