"""A real SMTP server on loopback (aiosmtpd) that keeps what arrives, and the app pointed at it."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from mail.models import OutboxMessage
from mail.services import queue_message


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()

    @property
    def attachments(self) -> dict[str, str]:
        """filename -> decoded text of every attachment."""
        return {
            part.get_filename(): part.get_payload(decode=True).decode("utf-8")
            for part in self.message.iter_attachments()
        }


class Inbox:
    """The aiosmtpd handler: parses every message with the email package and keeps it."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._answers: list[str] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self._lock:
            if self._answers:
                return self._answers.pop(0)
            message = message_from_bytes(envelope.content, policy=policy.default)
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def answer_next(self, reply: str) -> None:
        """Answer the next DATA with `reply` (such as a 451) instead of accepting it."""
        with self._lock:
            self._answers.append(reply)

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]


class SMTPServer:
    def __init__(self) -> None:
        self.inbox = Inbox()
        self.host = "127.0.0.1"
        self.port = _free_port()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        """Stop listening: connections are refused until start() again."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def inbox(app, smtp_server) -> Inbox:
    """What the SMTP server received, with the app sending through it."""
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    return smtp_server.inbox


@pytest.fixture
def flask_command(app, runner, db_session):
    """Run `flask <args>` as cron would: its own app context and database session.

    Returns what it wrote to `stream`: "stdout", "stderr" or "output" (both).
    """

    def invoke(*args: str, stream: str = "stdout") -> str:
        db_session.commit()
        with app.app_context():
            result = runner.invoke(args=list(args))
        db_session.expire_all()
        assert result.exit_code == 0, result.output
        return getattr(result, stream)

    return invoke


@pytest.fixture
def queue_mail(db_session, now):
    """Put `count` password-reset messages in the outbox, due now."""

    def queue(count: int = 1, locale: str = "en") -> list[OutboxMessage]:
        messages = [
            queue_message(
                db_session,
                recipient=f"reader{i}@example.com",
                template="password_reset",
                locale=locale,
                now=now,
                name=f"Reader {i}",
                minutes=60,
                link=f"http://scivisit.test/reset/{i}",
            )
            for i in range(count)
        ]
        db_session.commit()
        return messages

    return queue
