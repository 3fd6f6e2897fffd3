"""A real SMTP server on loopback (aiosmtpd) whose answers a test can change: accept, 4xx, 5xx, drop, hang."""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    message_id: str
    to: list[str]
    subject: str
    body: str  # the text/plain part ("" for an encrypted RFC 3156 message)
    raw: bytes = b""  # the message as received


@dataclass
class SmtpSink:
    """``mode``: "accept", "4xx", "5xx", "drop" (close before answering DATA) or "hang" (never answer)."""

    port: int = field(default_factory=free_port)
    mode: str = "accept"
    received: list[Received] = field(default_factory=list)
    data_seen: threading.Event = field(default_factory=threading.Event)
    _controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        parsed = message_from_bytes(raw, policy=email_policy.default)
        part = parsed.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
        body = part.get_content() if part is not None else ""
        self.received.append(Received(message_id=str(parsed["Message-ID"]), to=list(envelope.rcpt_tos),
                                      subject=str(parsed["Subject"]), body=body, raw=bytes(raw)))
        self.data_seen.set()
        if self.mode == "4xx":
            return "451 4.3.0 Try again later"
        if self.mode == "5xx":
            return "550 5.1.1 No such mailbox"
        if self.mode == "drop":
            server.transport.close()
            return "421 closing"
        if self.mode == "hang":
            await asyncio.sleep(120)
        return "250 Message accepted for delivery"

    def start(self) -> SmtpSink:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, ready_timeout=10)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop(no_assert=True)
            self._controller = None

    def ids(self) -> list[str]:
        return [r.message_id for r in self.received]
