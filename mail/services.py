"""Writing messages into the outbox and delivering them at most once."""

from __future__ import annotations

import smtplib
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.i18n import DEFAULT_LOCALE
from mail.models import OutboxMessage, OutboxStatus

#: a message stuck in "sending" this long is assumed lost by a crashed sender and retried
SENDING_LEASE = timedelta(minutes=10)


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
    with force_locale(locale or DEFAULT_LOCALE):
        text = render_template(f"mail/{template}.txt", **context)
    subject, _, body = text.strip().partition("\n")
    message = OutboxMessage(
        recipient=recipient,
        subject=subject.strip(),
        body=body.strip() + "\n",
        attachments=attachments or [],
        created_at=now,
        next_attempt_at=now,
    )
    session.add(message)
    session.flush()
    return message


def _claim(session: Session, message_id: int, now: datetime) -> bool:
    """Take one message for sending; False when another sender got it first."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
            OutboxMessage.next_attempt_at <= now,
        )
        .values(status=OutboxStatus.SENDING, next_attempt_at=now + SENDING_LEASE, attempts=OutboxMessage.attempts + 1)
    )
    return result.rowcount == 1


def build_email(message: OutboxMessage, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = f"<outbox-{message.id}@scivisit>"
    email.set_content(message.body)
    for item in message.attachments or []:
        maintype, _, subtype = item["content_type"].partition("/")
        email.add_attachment(
            item["content"].encode("utf-8"), maintype=maintype, subtype=subtype, filename=item["filename"]
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


def console_transport(email: EmailMessage) -> None:
    """Development: print the message instead of sending it."""
    lines = [f"--- mail to {email['To']} ---", f"Subject: {email['Subject']}", ""]
    lines.append(email.get_body(preferencelist=("plain",)).get_content().rstrip("\n"))
    lines += [f"[attached: {part.get_filename()} ({part.get_content_type()})]" for part in email.iter_attachments()]
    print("\n".join(lines), file=sys.stderr)


def transport_for(backend: str) -> Callable[[EmailMessage], None]:
    return {"smtp": smtp_transport, "console": console_transport}[backend]


def deliver_due(session: Session, now: datetime, transport: Callable[[EmailMessage], None]) -> tuple[int, int]:
    """Send every message that is due; commits after each so a message is never sent twice.

    This is a worker, not a request: it owns its transactions. Returns (sent, failed).
    """
    max_attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    due = session.scalars(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.id)
    ).all()
    session.commit()
    sent = failed = 0
    for message_id in due:
        claimed = _claim(session, message_id, now)
        session.commit()
        if not claimed:
            continue
        message = session.get(OutboxMessage, message_id)
        email, attempts = build_email(message, sender), message.attempts
        # No transaction stays open over the network call: on SQLite a write at the end of a
        # read begun before another process's commit fails with "database is locked", which
        # would leave a sent message in "sending" to be sent again after its lease.
        session.commit()
        try:
            transport(email)
        except Exception as exc:  # any transport failure is retried later with back-off
            outcome = {"last_error": f"{type(exc).__name__}: {exc}"[:2000]}
            if attempts >= max_attempts:
                outcome["status"] = OutboxStatus.FAILED
            else:
                outcome["status"] = OutboxStatus.PENDING
                outcome["next_attempt_at"] = now + timedelta(minutes=2**attempts)
            failed += 1
        else:
            outcome = {"status": OutboxStatus.SENT, "sent_at": now}
            sent += 1
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
    return sent, failed
