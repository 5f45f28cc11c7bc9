"""A small delivery loop inside the web process, for development and single-machine installs."""

from __future__ import annotations

import threading

from flask import Flask

from core import timeutil
from extensions import db
from mail.services import deliver_due, transport_for

INTERVAL_SECONDS = 10


def start_mail_thread(app: Flask) -> threading.Thread:
    """Deliver the outbox every few seconds; claims are atomic, so several processes may run it."""
    stop = threading.Event()

    def loop() -> None:
        transport = transport_for(app.config["MAIL_BACKEND"])
        while not stop.wait(INTERVAL_SECONDS):
            with app.app_context():
                try:
                    report = deliver_due(db.session, timeutil.now(), transport)
                    for message_id, error in report.failures:
                        app.logger.warning("mail message %s failed: %s", message_id, error)
                except Exception:  # keep the loop alive; the next round retries
                    app.logger.exception("mail delivery round failed")
                finally:
                    db.session.remove()

    thread = threading.Thread(target=loop, name="scivisit-mail", daemon=True)
    thread.stop = stop
    thread.start()
    return thread
