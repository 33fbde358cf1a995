"""A raw pseudo-terminal pair for tests: the code under test opens ``path`` (the slave) like a serial
device; the test reads and writes the master end directly, with bounded asynchronous reads."""

from __future__ import annotations

import asyncio
import os
import tty
from types import TracebackType
from typing import Self


class PtyPair:
    def __init__(self) -> None:
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)
        os.set_blocking(self.master, False)
        self.path = os.ttyname(self._slave)

    def write(self, data: bytes) -> None:
        """Write to the master end (small writes: the pty buffer holds several kilobytes)."""
        view = memoryview(data)
        while view:
            n = os.write(self.master, view)
            view = view[n:]

    async def read(self, timeout_s: float) -> bytes:
        """The next bytes the slave side wrote, waiting at most ``timeout_s``."""
        loop = asyncio.get_running_loop()
        readable = asyncio.Event()
        loop.add_reader(self.master, readable.set)
        try:
            async with asyncio.timeout(timeout_s):
                while True:
                    try:
                        return os.read(self.master, 65536)
                    except BlockingIOError:
                        readable.clear()
                        await readable.wait()
        finally:
            loop.remove_reader(self.master)

    def close(self) -> None:
        for fd in (self.master, self._slave):
            if fd >= 0:
                os.close(fd)
        self.master = self._slave = -1

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
