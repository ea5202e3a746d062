"""A real SMTP server for tests (aiosmtpd on a free loopback port) and a port that refuses connections.

    with smtp_server() as server:
        settings = Settings(smtp_host=server.host, smtp_port=server.port, ...)
        ...
        [message] = server.messages          # email.message.EmailMessage, parsed
        server.envelopes[0].rcpt_tos         # what the client said on the SMTP envelope
        server.rejected_recipients.add(addr) # make RCPT TO for addr fail with 550

The pytest fixture `smtp` (tests/core/conftest.py) wraps `smtp_server()`; other test packages can
import it from here the same way.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

HOST = "127.0.0.1"


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[Envelope] = field(default_factory=list)
    rejected_recipients: set[str] = field(default_factory=set)  # answered "550" at RCPT TO
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if address.lower() in {a.lower() for a in self.rejected_recipients}:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode()
        # SMTP speaks CRLF; parse with Python's own line endings so bodies compare as written.
        message = message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=policy.default)
        with self._lock:
            self.envelopes.append(envelope)
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class _FreePortController(Controller):
    """Binds port 0 and learns the port the kernel chose (no find-then-bind race)."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@contextmanager
def smtp_server(host: str = HOST) -> Iterator[SmtpServer]:
    handler = SmtpServer(host=host, port=0)
    controller = _FreePortController(handler, hostname=host, port=0)
    controller.start()
    handler.port = controller.port
    try:
        yield handler
    finally:
        controller.stop()


@contextmanager
def refused_port(host: str = HOST) -> Iterator[int]:
    """A port that is bound but not listening: connecting is refused at once, and nobody else gets it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((host, 0))
        yield sock.getsockname()[1]
    finally:
        sock.close()
