"""One bad message cannot stop the outbox: clean headers, failures kept on their row, back-off, a limit, a retry page.

The fault these hold down: a visit title with a carriage return made every `flask send-mail` run
crash on the Subject header, left the message in "sending" and never sent what came after it.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from accounts.models import Role
from mail.models import OutboxMessage, OutboxStatus
from mail.services import SENDING_LEASE, _claim

BAD_RECIPIENT = "reader@example.com\r\nBcc: someone@example.org"


def raw_message(db_session, now, **fields) -> OutboxMessage:
    """A row as an older version (or a bug) may have written it, past queue_message's care."""
    values = {"recipient": "raw@example.com", "subject": "Hello", "body": "Body\n", "template": "raw"}
    message = OutboxMessage(**{**values, **fields}, created_at=now, next_attempt_at=now)
    db_session.add(message)
    db_session.commit()
    return message


def fresh(db_session, message: OutboxMessage) -> OutboxMessage:
    db_session.refresh(message)
    return message


# ---------------------------------------------------------------- headers


@pytest.mark.parametrize("title", ["Kite\rday", "Kite\u2028day", "Kite\u2029day", "Kite\x85day", "Kite\x0bday"])
def test_a_visit_title_with_a_line_break_is_sent_on_one_line_and_the_mail_after_it_too(
    inbox, queue_mail, flask_command, db_session, make_visit, make_user, now, title
):
    from volunteers.signups import sign_up

    volunteer = make_user(locale="en")
    sign_up(db_session, slot_id=make_visit(title=title).slots[0].id, volunteer=volunteer, now=now)
    db_session.commit()
    queue_mail(1)  # a password reset behind it, as in the probe

    assert flask_command("send-mail").strip() == "sent 2, failed 0"
    assert inbox.to(volunteer.email)[0].subject == "You are signed up: Kite day"
    assert len(inbox.to("reader0@example.com")) == 1


def test_a_stored_subject_with_line_breaks_cannot_add_a_header(inbox, flask_command, db_session, now):
    raw_message(db_session, now, subject="Hi\u2028there\r\nBcc: someone@example.org\x07")

    assert flask_command("send-mail").strip() == "sent 1, failed 0"
    (received,) = inbox.received
    assert received.subject == "Hi there Bcc: someone@example.org"
    assert received.rcpt_tos == ["raw@example.com"]
    assert received.message["Bcc"] is None


@pytest.mark.app_config(MAIL_DEFAULT_SENDER="SciVisit\r\n<noreply@scivisit.local>")
def test_a_sender_setting_with_a_line_break_is_put_on_one_line(inbox, queue_mail, flask_command):
    queue_mail(1)
    assert flask_command("send-mail").strip() == "sent 1, failed 0"
    assert inbox.received[0].message["From"] == "SciVisit <noreply@scivisit.local>"


# ---------------------------------------------------------------- failures stay with their message


def test_a_message_that_cannot_be_built_fails_alone_and_the_next_is_delivered_in_the_same_run(
    inbox, queue_mail, flask_command, db_session, now
):
    bad = raw_message(db_session, now, recipient=BAD_RECIPIENT)
    queue_mail(1)

    assert flask_command("send-mail").strip() == "sent 1, failed 1"
    assert [r.rcpt_tos for r in inbox.received] == [["reader0@example.com"]]
    bad = fresh(db_session, bad)
    assert (bad.status, bad.attempts, bad.last_attempt_at) == (OutboxStatus.PENDING, 1, now)
    assert bad.last_error.startswith("ValueError: recipient address has a line break")
    assert bad.next_attempt_at == now + timedelta(minutes=2)


def test_send_mail_reports_each_failure_on_stderr_and_exits_0(inbox, queue_mail, flask_command, db_session, now):
    bad = raw_message(db_session, now, recipient=BAD_RECIPIENT)
    (refused,) = queue_mail(1)
    inbox.answer_next("554 5.7.1 Message rejected")
    stderr = flask_command("send-mail", stream="stderr")  # flask_command asserts exit code 0

    lines = stderr.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"message {bad.id} failed: ValueError: recipient address")
    assert lines[1].startswith(f"message {refused.id} failed: SMTPDataError: (554")
    assert fresh(db_session, refused).last_error.startswith("SMTPDataError: (554")


def test_a_message_refused_by_the_server_does_not_stop_the_next_one(inbox, queue_mail, flask_command, db_session):
    first, second = queue_mail(2)
    inbox.answer_next("554 5.7.1 Message rejected")

    assert flask_command("send-mail").strip() == "sent 1, failed 1"
    assert [r.rcpt_tos for r in inbox.received] == [[second.recipient]]
    assert fresh(db_session, first).status == OutboxStatus.PENDING


@pytest.mark.app_config(MAIL_MAX_ATTEMPTS=3)
def test_a_message_that_cannot_be_built_backs_off_then_stays_failed_after_the_last_try(
    inbox, flask_command, db_session, clock, now
):
    bad = raw_message(db_session, now, recipient=BAD_RECIPIENT)
    assert flask_command("send-mail").strip() == "sent 0, failed 1"
    assert fresh(db_session, bad).next_attempt_at == now + timedelta(minutes=2)

    clock.set(now + timedelta(minutes=1, seconds=59))
    assert flask_command("send-mail").strip() == "sent 0, failed 0"  # not due yet
    clock.set(now + timedelta(minutes=2))
    assert flask_command("send-mail").strip() == "sent 0, failed 1"
    assert fresh(db_session, bad).next_attempt_at == clock.now + timedelta(minutes=4)

    clock.advance(minutes=4)
    assert flask_command("send-mail").strip() == "sent 0, failed 1"
    bad = fresh(db_session, bad)
    assert (bad.status, bad.attempts, bad.last_attempt_at) == (OutboxStatus.FAILED, 3, clock.now)
    assert "ValueError" in bad.last_error

    clock.advance(days=2)
    assert flask_command("send-mail", stream="output").strip() == "sent 0, failed 0"
    assert fresh(db_session, bad).attempts == 3
    assert inbox.received == []


@pytest.mark.app_config(MAIL_MAX_ATTEMPTS=2)
def test_a_last_try_left_sending_by_a_crashed_sender_is_failed_after_its_lease_not_sent_again(
    inbox, queue_mail, flask_command, db_session, clock, now
):
    (message,) = queue_mail(1)
    message.attempts = 1
    db_session.commit()
    assert _claim(db_session, message.id, now, max_attempts=2)  # the last try, and the sender died in it
    db_session.commit()

    clock.set(now + SENDING_LEASE)
    assert flask_command("send-mail").strip() == "sent 0, failed 0"
    message = fresh(db_session, message)
    assert (message.status, message.attempts) == (OutboxStatus.FAILED, 2)
    assert "stopped" in message.last_error
    assert inbox.received == []


# ---------------------------------------------------------------- the outbox page


@pytest.mark.app_config(MAIL_MAX_ATTEMPTS=1)
def test_the_outbox_page_lists_failed_messages_and_retry_sends_one_again(
    smtp_server, inbox, queue_mail, flask_command, db_session, client, login, make_user, clock, now
):
    failed, delivered = queue_mail(2)
    inbox.answer_next("554 5.7.1 Mailbox unavailable")
    assert flask_command("send-mail").strip() == "sent 1, failed 1"
    assert fresh(db_session, failed).status == OutboxStatus.FAILED

    login(make_user(Role.ADMIN, locale="en"))
    clock.advance(hours=3)
    response = client.get("/admin/outbox")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count("<h1") == 1
    assert failed.recipient in html and delivered.recipient not in html
    assert "password_reset" in html and "Reset your SciVisit password" in html
    assert "554" in html and "Given up" in html
    assert f'action="/admin/outbox/{failed.id}/retry"' in html
    assert re.search(r'name="csrf_token"', html)

    response = client.post(f"/admin/outbox/{failed.id}/retry")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/outbox")
    failed = fresh(db_session, failed)
    assert (failed.status, failed.attempts, failed.next_attempt_at) == (OutboxStatus.PENDING, 0, clock.now)
    assert "will be sent again" in client.get("/admin/outbox").get_data(as_text=True)

    assert flask_command("send-mail").strip() == "sent 1, failed 0"
    assert len(inbox.to(failed.recipient)) == 1
    assert fresh(db_session, failed).status == OutboxStatus.SENT
    assert "Every message has been sent" in client.get("/admin/outbox").get_data(as_text=True)
    # a sent message cannot be "retried" into a second delivery
    assert client.post(f"/admin/outbox/{failed.id}/retry").status_code == 404


def test_the_outbox_page_shows_a_message_waiting_for_its_next_try(
    smtp_server, inbox, queue_mail, flask_command, db_session, client, login, make_user
):
    (message,) = queue_mail(1)
    smtp_server.stop()
    assert flask_command("send-mail").strip() == "sent 0, failed 1"
    login(make_user(Role.ADMIN, locale="en"))
    html = client.get("/admin/outbox").get_data(as_text=True)
    assert message.recipient in html
    assert "Next try" in html and "Given up" not in html
