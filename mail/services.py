"""Writing messages into the outbox, delivering them at most once, and retrying those that failed.

A message that cannot be built or sent is retried with back-off up to MAIL_MAX_ATTEMPTS tries and
then stays failed until someone retries it from the outbox page; it never stops the others.
"""

from __future__ import annotations

import re
import smtplib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import TextIO

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import ColumnElement, Select, and_, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from core.db import is_database_id
from core.errors import DomainError
from core.forms import CONTROL_CHARACTERS
from core.i18n import DEFAULT_LOCALE
from mail.models import OutboxMessage, OutboxStatus

#: a message stuck in "sending" this long is assumed lost by a crashed sender and retried
SENDING_LEASE = timedelta(minutes=10)
#: the longest error text kept on a message
MAX_ERROR_LENGTH = 2000


def header_text(value: str) -> str:
    """`value` fit for a mail header: line breaks and other control characters become one space.

    A CR, LF, U+2028 or any C0/C1 control in a header makes the email package refuse the whole
    message (and a bare line break could smuggle in another header), so none may reach one.
    """
    return re.sub(r"\s+", " ", CONTROL_CHARACTERS.sub(" ", value)).strip()


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try: 2, 4, 8, 16 ... minutes."""
    return timedelta(minutes=2**attempts)


def render_message(template: str, locale: str | None, **context) -> tuple[str, str]:
    """templates/mail/<template>.txt in `locale`: its first line as the subject, the rest as the body."""
    with force_locale(locale or DEFAULT_LOCALE):
        text = render_template(f"mail/{template}.txt", **context)
    subject, _, body = text.strip().partition("\n")
    return header_text(subject), body.strip() + "\n"


def queue_message(
    session: Session,
    *,
    recipient: str,
    template: str,
    locale: str | None,
    now: datetime,
    attachments: list[dict] | None = None,
    **context,
) -> OutboxMessage:
    """Render templates/mail/<template>.txt in the recipient's language and add it to the outbox."""
    subject, body = render_message(template, locale, **context)
    message = OutboxMessage(
        recipient=recipient,
        template=template,
        subject=subject,
        body=body,
        attachments=attachments or [],
        created_at=now,
        next_attempt_at=now,
    )
    session.add(message)
    session.flush()
    return message


def queue_message_where(
    session: Session,
    condition: ColumnElement[bool],
    *,
    recipient: str,
    template: str,
    locale: str | None,
    now: datetime,
    **context,
) -> None:
    """Like `queue_message`, but the message is written only where `condition` (SQL, true of at most one row) holds.

    It is one INSERT ... SELECT ... WHERE `condition`, run whether or not it writes a row, for a
    request that must do the same work either way (a password reset for an address with no account).
    """
    subject, body = render_message(template, locale, **context)
    values = {
        "recipient": recipient,
        "template": template,
        "subject": subject,
        "body": body,
        "attachments": [],
        "status": OutboxStatus.PENDING,
        "created_at": now,
        "next_attempt_at": now,
        "attempts": 0,
        "last_error": "",
    }
    columns = OutboxMessage.__table__.c
    row = select(*(literal(value, columns[name].type) for name, value in values.items())).where(condition)
    session.execute(insert(OutboxMessage).from_select(list(values), row))


def _claim(session: Session, message_id: int, now: datetime, max_attempts: int) -> bool:
    """Take one message for sending; False when another sender got it first or it has no tries left."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.attempts < max_attempts,
        )
        .values(
            status=OutboxStatus.SENDING,
            next_attempt_at=now + SENDING_LEASE,
            attempts=OutboxMessage.attempts + 1,
            last_attempt_at=now,
        )
    )
    return result.rowcount == 1


def _give_up_abandoned(session: Session, now: datetime, max_attempts: int) -> None:
    """Fail messages whose last try was left unfinished by a sender that stopped (its lease is over)."""
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.attempts >= max_attempts,
        )
        .values(status=OutboxStatus.FAILED, last_error="The sender stopped during the last try.")
        .execution_options(synchronize_session=False)
    )


def build_email(message: OutboxMessage, sender: str) -> EmailMessage:
    """The message as an email, every header value one clean line.

    Raises ValueError for a recipient with a line break or control character: an address cannot
    be mended by guessing, so the message fails (and shows on the outbox page) instead.
    """
    if CONTROL_CHARACTERS.search(message.recipient):
        raise ValueError(f"recipient address has a line break or control character: {message.recipient!r}")
    email = EmailMessage()
    email["From"] = header_text(sender)
    email["To"] = message.recipient
    email["Subject"] = header_text(message.subject)
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = f"<outbox-{message.id}@scivisit>"
    email.set_content(message.body)
    for item in message.attachments or []:
        maintype, _, subtype = item["content_type"].partition("/")
        email.add_attachment(
            item["content"].encode("utf-8"),
            maintype=maintype,
            subtype=subtype,
            filename=header_text(item["filename"]),
        )
    return email


def smtp_transport(email: EmailMessage) -> None:
    cfg = current_app.config
    with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=30) as smtp:
        if cfg["MAIL_USE_TLS"]:
            smtp.starttls()
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        smtp.send_message(email)


#: the width of the rules around a message printed by the console transport
CONSOLE_WIDTH = 72


def console_text(email: EmailMessage) -> str:
    """The message as the console transport prints it: one block between two rules, blank lines around."""
    top = f"=== mail to {email['To']} "
    lines = ["", top.ljust(CONSOLE_WIDTH, "="), f"Subject: {email['Subject']}", ""]
    lines.append(email.get_body(preferencelist=("plain",)).get_content().rstrip("\n"))
    lines += [f"[attached: {part.get_filename()} ({part.get_content_type()})]" for part in email.iter_attachments()]
    lines += [f"=== end of mail to {email['To']} ".ljust(CONSOLE_WIDTH, "="), "", ""]
    return "\n".join(lines)


def console_transport(email: EmailMessage, stream: TextIO | None = None) -> None:
    """Development: print the message on stdout instead of sending it.

    Stdout, not stderr, where the server's access log goes (werkzeug logs there); and in one write,
    so that no log line from another thread can land inside a message.
    """
    stream = stream or sys.stdout
    stream.write(console_text(email))
    stream.flush()


def transport_for(backend: str) -> Callable[[EmailMessage], None]:
    return {"smtp": smtp_transport, "console": console_transport}[backend]


@dataclass
class DeliveryReport:
    """What one delivery run did: how many went out, and (id, error) of each try that failed."""

    sent: int = 0
    failures: list[tuple[int, str]] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.failures)


def _error_text(exc: Exception) -> str:
    """The error as kept on the row (PostgreSQL text cannot hold NUL)."""
    return f"{type(exc).__name__}: {exc}".replace("\x00", "")[:MAX_ERROR_LENGTH]


def deliver_due(session: Session, now: datetime, transport: Callable[[EmailMessage], None]) -> DeliveryReport:
    """Send every message that is due; commits after each so a message is never sent twice.

    This is a worker, not a request: it owns its transactions. A message that cannot be built or
    sent is retried later with back-off, or failed after MAIL_MAX_ATTEMPTS tries, and the run goes
    on to the next one.
    """
    max_attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    _give_up_abandoned(session, now, max_attempts)
    due = session.scalars(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.attempts < max_attempts,
        )
        .order_by(OutboxMessage.id)
    ).all()
    session.commit()
    report = DeliveryReport()
    for message_id in due:
        claimed = _claim(session, message_id, now, max_attempts)
        session.commit()
        if not claimed:
            continue
        message = session.get(OutboxMessage, message_id)
        attempts, email, error = message.attempts, None, None
        try:
            email = build_email(message, sender)
        except Exception as exc:  # a message that cannot be built fails alone, like one that cannot be sent
            error = _error_text(exc)
        # No transaction stays open over the network call: on SQLite a write at the end of a
        # read begun before another process's commit fails with "database is locked", which
        # would leave a sent message in "sending" to be sent again after its lease.
        session.commit()
        if email is not None:
            try:
                transport(email)
            except Exception as exc:  # any transport failure is retried later with back-off
                error = _error_text(exc)
        if error is None:
            outcome = {"status": OutboxStatus.SENT, "sent_at": now}
            report.sent += 1
        else:
            outcome = {"last_error": error}
            if attempts >= max_attempts:
                outcome["status"] = OutboxStatus.FAILED
            else:
                outcome["status"] = OutboxStatus.PENDING
                outcome["next_attempt_at"] = now + retry_delay(attempts)
            report.failures.append((message_id, error))
        # Only while the claim is still ours: a sender that took over after the lease records its own.
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.status == OutboxStatus.SENDING,
                OutboxMessage.attempts == attempts,
            )
            .values(**outcome)
            .execution_options(synchronize_session=False)
        )
        session.commit()
    return report


def troubled_messages() -> Select:
    """Messages that failed for good, then those waiting to be tried again after an error; latest first."""
    given_up = OutboxMessage.status == OutboxStatus.FAILED
    retrying = and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.last_error != "")
    return (
        select(OutboxMessage)
        .where(or_(given_up, retrying))
        .order_by(given_up.desc(), OutboxMessage.last_attempt_at.desc(), OutboxMessage.id.desc())
    )


def retry_message(session: Session, message_id: int, now: datetime) -> OutboxMessage:
    """Make a failed (or retrying) message due now with all its tries again.

    Raises not_found when there is no such message, or it is not waiting after an error.
    """
    message = session.get(OutboxMessage, message_id) if is_database_id(message_id) else None
    if message is None or message.status not in (OutboxStatus.FAILED, OutboxStatus.PENDING) or not message.last_error:
        raise DomainError("not_found")
    message.status = OutboxStatus.PENDING
    message.next_attempt_at = now
    message.attempts = 0
    session.flush()
    return message
