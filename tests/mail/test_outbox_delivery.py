"""The outbox delivered through `flask send-mail` to a real SMTP server: once, with retries."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from extensions import db
from mail.models import OutboxMessage, OutboxStatus
from mail.services import SENDING_LEASE, _claim, deliver_due, smtp_transport


def outbox(db_session) -> list[OutboxMessage]:
    return list(db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_send_mail_delivers_each_message_once_however_often_it_runs(inbox, queue_mail, flask_command, db_session):
    queue_mail(3)
    assert flask_command("send-mail").strip() == "sent 3, failed 0"
    assert flask_command("send-mail").strip() == "sent 0, failed 0"
    assert sorted(r.rcpt_tos[0] for r in inbox.received) == [f"reader{i}@example.com" for i in range(3)]
    assert len({r.message["Message-ID"] for r in inbox.received}) == 3
    assert {(m.status, m.attempts) for m in outbox(db_session)} == {(OutboxStatus.SENT, 1)}
    first = inbox.to("reader0@example.com")[0]
    assert first.subject == "Reset your SciVisit password"
    assert "Hello Reader 0," in first.text
    assert "http://scivisit.test/reset/0" in first.text
    assert first.message["From"] == "SciVisit <noreply@scivisit.local>"


def test_unreachable_server_is_retried_with_growing_back_off_then_delivered_once(
    smtp_server, inbox, queue_mail, flask_command, clock, db_session, now
):
    (message,) = queue_mail(1)
    smtp_server.stop()
    assert flask_command("send-mail").strip() == "sent 0, failed 1"
    db_session.refresh(message)
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
    assert message.next_attempt_at == now + timedelta(minutes=2)
    assert "Connection" in message.last_error

    clock.set(now + timedelta(minutes=1))
    assert flask_command("send-mail").strip() == "sent 0, failed 0"  # not due yet
    clock.set(now + timedelta(minutes=2))
    assert flask_command("send-mail").strip() == "sent 0, failed 1"
    db_session.refresh(message)
    assert message.next_attempt_at == clock.now + timedelta(minutes=4)

    smtp_server.start()
    clock.advance(minutes=4)
    assert flask_command("send-mail").strip() == "sent 1, failed 0"
    assert flask_command("send-mail").strip() == "sent 0, failed 0"
    assert len(inbox.received) == 1
    db_session.refresh(message)
    assert (message.status, message.attempts, message.sent_at) == (OutboxStatus.SENT, 3, clock.now)


def test_a_451_answer_is_retried_later_and_the_message_arrives_once(
    inbox, queue_mail, flask_command, clock, db_session, now
):
    (message,) = queue_mail(1)
    inbox.answer_next("451 4.3.0 Mailbox temporarily unavailable")
    assert flask_command("send-mail").strip() == "sent 0, failed 1"
    db_session.refresh(message)
    assert message.status == OutboxStatus.PENDING
    assert "451" in message.last_error
    assert inbox.received == []

    clock.set(now + timedelta(minutes=3))
    assert flask_command("send-mail").strip() == "sent 1, failed 0"
    assert flask_command("send-mail").strip() == "sent 0, failed 0"
    assert len(inbox.received) == 1


@pytest.mark.app_config(MAIL_MAX_ATTEMPTS=2)
def test_a_message_that_keeps_failing_is_given_up_after_the_last_attempt(
    smtp_server, inbox, queue_mail, flask_command, clock, db_session, now
):
    (message,) = queue_mail(1)
    smtp_server.stop()
    for minutes in (0, 10, 60):
        clock.set(now + timedelta(minutes=minutes))
        flask_command("send-mail")
    db_session.refresh(message)
    assert (message.status, message.attempts) == (OutboxStatus.FAILED, 2)


def test_a_message_left_sending_by_a_crashed_sender_is_retried_after_its_lease(
    inbox, queue_mail, flask_command, clock, db_session, now
):
    (message,) = queue_mail(1)
    assert _claim(db_session, message.id, now, max_attempts=8)  # a sender took it, then died before sending
    db_session.commit()

    clock.set(now + SENDING_LEASE - timedelta(seconds=1))
    assert flask_command("send-mail").strip() == "sent 0, failed 0"
    assert inbox.received == []

    clock.set(now + SENDING_LEASE)
    assert flask_command("send-mail").strip() == "sent 1, failed 0"
    assert flask_command("send-mail").strip() == "sent 0, failed 0"
    assert len(inbox.received) == 1
    db_session.refresh(message)
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 2)


def test_senders_running_at_once_send_each_message_once(app, inbox, queue_mail, db_session, now):
    count, senders = 30, 4
    queue_mail(count)
    start = threading.Barrier(senders)
    results, errors = [], []

    def sender() -> None:
        with app.app_context():
            session = Session(db.engine)
            try:
                start.wait()
                report = deliver_due(session, now, smtp_transport)
                results.append((report.sent, report.failed))
            except Exception as exc:  # reported below; a thread's exception is otherwise lost
                errors.append(exc)
            finally:
                session.close()

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(sent for sent, _ in results) == count
    assert sum(failed for _, failed in results) == 0
    per_message = Counter(r.message["Message-ID"] for r in inbox.received)
    assert len(per_message) == count
    assert set(per_message.values()) == {1}
    assert {(m.status, m.attempts) for m in outbox(db_session)} == {(OutboxStatus.SENT, 1)}


@pytest.mark.app_config(MAIL_BACKEND="console")
def test_in_development_send_mail_prints_the_message_and_marks_it_sent(
    queue_mail, flask_command, db_session, make_visit, make_user, now
):
    from volunteers.signups import sign_up

    queue_mail(1)
    volunteer = make_user(name="Dev Reader", locale="en")
    sign_up(db_session, slot_id=make_visit(title="Kite day").slots[0].id, volunteer=volunteer, now=now)

    output = flask_command("send-mail", stream="output")

    assert "sent 2, failed 0" in output
    assert "=== mail to reader0@example.com ===" in output
    assert "Subject: Reset your SciVisit password" in output
    assert "http://scivisit.test/reset/0" in output
    assert f"=== mail to {volunteer.email} ===" in output
    assert "Subject: You are signed up: Kite day" in output
    assert "Hello Dev Reader," in output
    assert "[attached: visit.ics (text/calendar)]" in output
    assert {m.status for m in outbox(db_session)} == {OutboxStatus.SENT}
