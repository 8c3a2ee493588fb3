"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1.

``smtp_server`` is one server per test on a free port that it keeps across ``stop()`` and
``start()`` (an outage and its end); it offers SMTPUTF8 (RFC 6531), ``SmtpServer(smtputf8=
False)`` one that does not. ``hold()`` makes it keep the next message in DATA
without answering, until ``release()``: the state "recorded, being sent, not accepted".
"""

from __future__ import annotations

import email
import email.policy
import socket
import time
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)

    def part(self, subtype: str) -> str:
        body = self.message.get_body((subtype,))
        assert body is not None, f"no text/{subtype} part"
        return body.get_content()


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    holding: bool = False
    held: int = 0  # messages that reached DATA while holding
    release_reply: str = "451 4.3.0 try again later"
    rcpt_replies: dict[str, str] = field(default_factory=dict)  # address -> a refusal
    data_reply: str | None = None  # a refusal of every message

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: N802
        if address in self.rcpt_replies:
            return self.rcpt_replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd API
        import asyncio

        if self.holding:
            self.held += 1
            while self.holding:
                await asyncio.sleep(0.02)
            return self.release_reply  # never accepted: the sender must try again
        if self.data_reply is not None:
            return self.data_reply
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
        )
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    def __init__(self, *, smtputf8: bool = True) -> None:
        self.port = free_port()
        self.handler = _Handler()
        self.smtputf8 = smtputf8
        self.controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def start(self) -> None:
        # aiosmtpd 1.4.6: Controller(port=0) fails its self-check; use a port found free
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=self.smtputf8
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def hold(self) -> None:
        self.handler.holding = True

    def release(self) -> None:
        self.handler.holding = False

    def wait_for(self, count: int, timeout: float = 60.0, what=None) -> list[Received]:
        """Wait until ``count`` messages (or ``what()`` is true) arrived."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count or (what is not None and not what()):
            assert time.monotonic() < deadline, (
                f"{len(self.received)} messages after {timeout} s, expected {count}"
            )
            time.sleep(0.05)
        return self.received

    def wait_held(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.handler.held:
            assert time.monotonic() < deadline, "no message reached DATA"
            time.sleep(0.02)


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.release()
    server.stop()
