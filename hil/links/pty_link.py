"""A link on the master side of a pseudo-terminal: an emulated board that a serial link can open by path.

``PtyLink`` creates a pty pair, keeps the slave open (so the "device" stays plugged in while nobody has
it open) and speaks the same COBS framing as :class:`~hil.links.serial_link.SerialLink` on the master.
``path`` is the slave device; with ``alias`` the link also maintains a symlink there, the way a udev rule
names a USB adapter, so the device can be unplugged (closing this link) and plugged in again (a new
``PtyLink`` with the same alias) under a stable name.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tty
from pathlib import Path

from hil.links.base import Link, LinkState
from hil.protocol.framing import StreamDecoder, frame

READ_CHUNK = 65536
WRITE_BUFFER_LIMIT = 256 * 1024


class PtyLink(Link):
    scheme = "pty"

    def __init__(
        self, channel: str = "", role: str = "board", *, alias: str | os.PathLike[str] | None = None
    ) -> None:
        super().__init__(f"pty:{channel}/{role}")
        self.channel = channel
        self.role = role
        self.alias = Path(alias) if alias is not None else None
        self.path = ""
        self._master = -1
        self._slave = -1
        self._decoder = StreamDecoder()
        self._wbuf = bytearray()

    async def _connect_first(self) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self.path = os.ttyname(self._slave)
        self.name = f"pty:{self.path}"
        if self.alias is not None:
            tmp = self.alias.with_name(self.alias.name + ".new")
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            tmp.symlink_to(self.path)
            tmp.replace(self.alias)
        asyncio.get_running_loop().add_reader(self._master, self._on_readable)
        self._set_state(LinkState.UP)

    async def _run(self) -> None:
        return None

    def _on_readable(self) -> None:
        try:
            data = os.read(self._master, READ_CHUNK)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            return
        s = self._decoder.stats
        before = (s.crc_errors, s.framing_errors, s.oversize)
        packets = self._decoder.feed(data)
        self.stats.crc_errors += s.crc_errors - before[0]
        self.stats.framing_errors += s.framing_errors - before[1]
        self.stats.oversize += s.oversize - before[2]
        for packet in packets:
            self._deliver(packet, crc_checked=True)

    def write_raw(self, data: bytes) -> None:
        """Put raw bytes on the line (garbage, half frames): for tests of the far end's resynchronisation."""
        self._write(bytes(data))

    def _write(self, data: bytes) -> None:
        if self._wbuf:
            self._wbuf += data
            return
        try:
            n = os.write(self._master, data)
        except BlockingIOError:
            n = 0
        if n < len(data):
            self._wbuf += data[n:]
            asyncio.get_running_loop().add_writer(self._master, self._on_writable)

    def _on_writable(self) -> None:
        try:
            n = os.write(self._master, self._wbuf)
        except BlockingIOError:
            return
        del self._wbuf[:n]
        if not self._wbuf:
            asyncio.get_running_loop().remove_writer(self._master)

    def _try_transmit_now(self, data: bytes) -> bool:
        if self._master < 0:
            return False
        if len(self._wbuf) > WRITE_BUFFER_LIMIT:
            self.stats.tx_dropped += 1
            return True
        self._write(frame(data))
        self._count_tx(data)
        return True

    async def _shutdown(self) -> None:
        loop = asyncio.get_running_loop()
        if self._master >= 0:
            loop.remove_reader(self._master)
            loop.remove_writer(self._master)
            os.close(self._master)
            self._master = -1
        if self._slave >= 0:
            os.close(self._slave)
            self._slave = -1
        if self.alias is not None:
            with contextlib.suppress(FileNotFoundError):
                if self.alias.is_symlink() and os.readlink(self.alias) == self.path:
                    self.alias.unlink()
