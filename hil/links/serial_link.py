"""Serial links (``serial:///dev/ttyUSB0?baud=921600``): COBS-framed packets over a byte stream.

Framing and CRC checks are the protocol's (``frame()`` and ``StreamDecoder``). When the port goes away
(a USB adapter unplugged, a pty whose other side closed) the link goes DOWN and reopens the same path
with bounded, jittered exponential backoff; a partial frame from before the loss is discarded.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any

import serial
import serial_asyncio_fast

from hil.links.base import Backoff, Link, LinkError, LinkState
from hil.protocol.framing import StreamDecoder, frame

#: Bytes allowed in the transport's write buffer before further frames are dropped (and counted).
WRITE_BUFFER_LIMIT = 256 * 1024


def _reason(exc: BaseException) -> str:
    errno = getattr(exc, "errno", None)
    if isinstance(errno, int) and errno > 0:
        return os.strerror(errno).lower()
    text = str(exc).strip()
    return text or type(exc).__name__


class _Protocol(asyncio.Protocol):
    def __init__(self, link: SerialLink) -> None:
        self.link = link
        self.decoder = StreamDecoder()
        self.lost = asyncio.Event()
        self.lost_reason = ""

    def data_received(self, data: bytes) -> None:
        before = _decoder_errors(self.decoder)
        packets = self.decoder.feed(data)
        after = _decoder_errors(self.decoder)
        stats = self.link.stats
        stats.crc_errors += after[0] - before[0]
        stats.framing_errors += after[1] - before[1]
        stats.oversize += after[2] - before[2]
        for packet in packets:
            self.link._deliver(bytes(packet), crc_checked=True)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost_reason = _reason(exc) if exc is not None else "port closed"
        self.lost.set()


def _decoder_errors(decoder: StreamDecoder) -> tuple[int, int, int]:
    s = decoder.stats
    return (s.crc_errors, s.framing_errors, s.oversize)


class SerialLink(Link):
    scheme = "serial"

    def __init__(
        self,
        path: str,
        baud: int,
        *,
        channel: str = "",
        role: str = "host",
        backoff: Backoff | None = None,
        open_timeout_s: float = 5.0,
        outbox_size: int = 1024,
    ) -> None:
        super().__init__(f"serial://{path}", outbox_size=outbox_size)
        self.path = path
        self.baud = baud
        self.channel = channel
        self.role = role
        self._backoff = backoff if backoff is not None else Backoff()
        self._open_timeout_s = open_timeout_s
        self._transport: asyncio.Transport | None = None
        self._protocol: _Protocol | None = None
        self.last_error = ""

    async def _open(self) -> None:
        loop = asyncio.get_running_loop()
        proto = _Protocol(self)
        try:
            async with asyncio.timeout(self._open_timeout_s):
                transport, _ = await serial_asyncio_fast.create_serial_connection(
                    loop, lambda: proto, self.path, baudrate=self.baud, exclusive=True
                )
        except TimeoutError:
            raise LinkError(
                f"cannot open serial port {self.path}: no answer within {self._open_timeout_s} s"
            ) from None
        except (serial.SerialException, OSError, ValueError) as exc:
            raise LinkError(f"cannot open serial port {self.path}: {_reason(exc)}") from None
        self._transport = transport
        self._protocol = proto
        self._set_state(LinkState.UP)
        self._flush_outbox()

    async def _connect_first(self) -> None:
        await self._open()

    def _try_transmit_now(self, data: bytes) -> bool:
        transport = self._transport
        if transport is None or transport.is_closing():
            return False
        if transport.get_write_buffer_size() > WRITE_BUFFER_LIMIT:
            self.stats.tx_dropped += 1
            return True
        transport.write(frame(data))
        self._count_tx(data)
        return True

    def _flush_outbox(self) -> None:
        while self._outbox and self._try_transmit_now(self._outbox[0]):
            self._outbox_pop()

    async def _run(self) -> None:
        while True:
            proto = self._protocol
            if proto is not None:
                await proto.lost.wait()
                self.last_error = proto.lost_reason
            self._close_transport()
            self._set_state(LinkState.DOWN)
            await self._reconnect()

    async def _reconnect(self) -> None:
        self._backoff.reset()
        while True:
            await asyncio.sleep(self._backoff.next_delay_s())
            try:
                await self._open()
            except LinkError as exc:
                self.last_error = str(exc)
                continue
            self.stats.reconnects += 1
            return

    def _close_transport(self) -> None:
        transport, self._transport = self._transport, None
        self._protocol = None
        if transport is not None and not transport.is_closing():
            transport.abort()

    async def _shutdown(self) -> None:
        proto = self._protocol
        self._close_transport()
        if proto is not None:
            # The transport closes the port in an executor; wait (bounded) so the device is free again.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2.0):
                    await proto.lost.wait()

    def info(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "baud": self.baud,
            "state": self.state.value,
            "last_error": self.last_error,
        }
