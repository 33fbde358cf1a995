"""Throwaway TLS certificates for a test broker, made with the openssl command line tool.

A private CA signs a server certificate for ``localhost``/127.0.0.1 and one client certificate per name.
Keys are P-256 (quick to make); everything is valid for two days and lives in the given directory.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

OPENSSL = shutil.which("openssl")


@dataclasses.dataclass(frozen=True)
class CertSet:
    ca: Path
    server_cert: Path
    server_key: Path
    clients: dict[str, tuple[Path, Path]]  # name -> (cert, key)
    other_ca: Path  # a CA that signed nothing the broker uses


def _run(*args: str, cwd: Path) -> None:
    assert OPENSSL is not None
    subprocess.run([OPENSSL, *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _key(path: Path, cwd: Path) -> None:
    _run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(path), cwd=cwd)


def _ca(name: str, cwd: Path) -> tuple[Path, Path]:
    key, crt = cwd / f"{name}.key", cwd / f"{name}.crt"
    _key(key, cwd)
    _run(
        "req",
        "-x509",
        "-new",
        "-key",
        str(key),
        "-out",
        str(crt),
        "-days",
        "2",
        "-subj",
        f"/CN={name}",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        cwd=cwd,
    )
    return crt, key


def _leaf(name: str, cn: str, ext: str, ca: tuple[Path, Path], cwd: Path) -> tuple[Path, Path]:
    key, csr, crt, extfile = (
        cwd / f"{name}.key",
        cwd / f"{name}.csr",
        cwd / f"{name}.crt",
        cwd / f"{name}.ext",
    )
    _key(key, cwd)
    _run("req", "-new", "-key", str(key), "-out", str(csr), "-subj", f"/CN={cn}", cwd=cwd)
    extfile.write_text(ext)
    _run(
        "x509",
        "-req",
        "-in",
        str(csr),
        "-CA",
        str(ca[0]),
        "-CAkey",
        str(ca[1]),
        "-CAcreateserial",
        "-out",
        str(crt),
        "-days",
        "2",
        "-extfile",
        str(extfile),
        cwd=cwd,
    )
    return crt, key


def make_certs(directory: Path, clients: tuple[str, ...] = ("imu", "flight")) -> CertSet:
    """A CA, a server certificate for localhost and 127.0.0.1, and client certificates, in ``directory``."""
    if OPENSSL is None:
        raise RuntimeError("openssl not installed (apt-get install openssl)")
    directory.mkdir(parents=True, exist_ok=True)
    ca = _ca("test-ca", directory)
    other_ca, _ = _ca("other-ca", directory)
    server = _leaf(
        "server",
        "localhost",
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n"
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
        ca,
        directory,
    )
    client_certs = {
        name: _leaf(
            f"client-{name}",
            name,
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n",
            ca,
            directory,
        )
        for name in clients
    }
    return CertSet(
        ca=ca[0], server_cert=server[0], server_key=server[1], clients=client_certs, other_ca=other_ca
    )
