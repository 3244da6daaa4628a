"""A real SMTP server on loopback for the mail tests (aiosmtpd): what the app sends is
received over SMTP and parsed back, never taken from a mock of smtplib.

``Mailbox.failing = True`` makes the server answer every message with 451 (the app sees
smtplib.SMTPDataError, as with a mail server that is down for maintenance).
"""

from __future__ import annotations

import email
import email.policy
import threading
from email.message import EmailMessage

from aiosmtpd.controller import Controller


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        if self.box.failing:
            return "451 4.3.0 Mail server unavailable, try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.box.lock:
            self.box.messages.append(message)
        return "250 OK"


class _LoopbackController(Controller):
    """Controller on a free port: port 0 is resolved from the listening socket."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        return super()._trigger_server()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.failing = False
        self.lock = threading.Lock()
        self.controller = _LoopbackController(_Handler(self), hostname="127.0.0.1", port=0)

    def start(self) -> Mailbox:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def port(self) -> int:
        return self.controller.port

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address.lower() in m["To"].lower()]

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()


def body_of(message: EmailMessage) -> str:
    """The plain-text body of ``message``."""
    return message.get_body(preferencelist=("plain",)).get_content()
