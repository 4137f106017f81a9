"""A real SMTP server on loopback (aiosmtpd, in a thread of its own) that records the messages
it accepts and can refuse chosen addresses, for good (5xx) or for now (4xx)."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from fedihub.config import WEEKDAYS
from tests.support.network import free_port


@dataclass
class Received:
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    def part(self, subtype: str) -> str:
        body = self.message.get_body((subtype,))
        assert body is not None, f"no text/{subtype} part"
        content = body.get_content()  # type: ignore[attr-defined]
        assert isinstance(content, str)
        return content


@dataclass
class Recorder:
    """aiosmtpd's handler: refuses `refused` recipients with their reply, records the rest."""

    refused: dict[str, str] = field(default_factory=dict)  # address -> "550 No such user"
    data_delay_s: float = 0.0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refused:
            return self.refused[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_delay_s:
            await asyncio.sleep(self.data_delay_s)
        with self.lock:
            self.received.append(Received(list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self) -> None:
        self.recorder = Recorder()
        self.port = free_port()
        self._controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    @property
    def received(self) -> list[Received]:
        with self.recorder.lock:
            return list(self.recorder.received)

    def refuse(self, address: str, reply: str) -> None:
        self.recorder.refused[address] = reply

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.recipients]

    def copies_by_recipient(self) -> Counter[str]:
        return Counter(a for r in self.received for a in r.recipients)

    def settings(self) -> str:
        """The config.toml lines that send mail through this server."""
        return (f'smtp_host = "127.0.0.1"\nsmtp_port = {self.port}\nsmtp_security = "none"\n'
                'mail_from = "newsletter@localhost"\n')  # fmt: skip

    def wait_for(self, count: int, timeout_s: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if len(self.received) >= count:
                return self.received
            time.sleep(0.02)
        raise AssertionError(f"{len(self.received)} messages received, wanted {count}")


def not_due() -> str:
    """config.toml lines putting the weekly issue's time three days back, beyond its catch-up:
    a server started by a test makes no issue of its own; `send-now` makes it."""
    day = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3)).weekday()
    return f'newsletter_day = "{WEEKDAYS[day]}"\nnewsletter_time = "00:00"\n'


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
