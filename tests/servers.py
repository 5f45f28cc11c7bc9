"""Real servers for tests that need several requests at the same moment: gunicorn worker processes
on the test's database and clock, a way to release many calls at once, and pages' forms read the
way a browser reads them (so a racing request carries what a browser would send, CSRF token included).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def race(calls: list[Callable[[], object]]) -> list[object]:
    """Run every call in its own thread, all released at the same moment; an exception is a result."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as error:  # reported by the assertions, never lost in a thread
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request never came back"
    return results


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


@dataclass
class Gunicorn:
    """A running gunicorn: its base URL, its error log and its access log (pid, method, path, status)."""

    base: str
    log: Path
    access: Path

    def problems(self) -> str:
        """What the server logged that must never happen: 'database is locked', a traceback, an error."""
        output = self.log.read_text()
        return output if any(bad in output for bad in ("locked", "Traceback", "ERROR")) else ""

    def requests_seen(self, method: str, count: int) -> list[tuple[str, str, str]]:
        """The access log's (pid, path, status) of `method` requests, once `count` of them are written."""
        deadline = time.monotonic() + 10
        while True:  # a worker writes the line just after it answered
            seen = [line.split() for line in self.access.read_text().splitlines() if f" {method} " in line]
            if len(seen) >= count or time.monotonic() > deadline:
                return [(pid, path, status) for pid, _method, path, status in seen]
            time.sleep(0.05)


@contextmanager
def gunicorn(
    database_url: str,
    tmp_path: Path,
    clock,
    *,
    workers: int = 3,
    threads: int = 8,
    worker_class: str = "gthread",
    **env,
) -> Iterator[Gunicorn]:
    """The app under gunicorn (gthread workers, as production), on the test's database and stopped clock.

    Built from the environment as production builds it: CSRF on, rate limits off (`env` adds settings).
    """
    sock = _free_socket()
    log, access = tmp_path / "gunicorn.log", tmp_path / "access.log"
    ready = Path(tempfile.mkdtemp(prefix="gunicorn-ready-", dir=tmp_path))
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SCIVISIT_INSTANCE": str(tmp_path / "gunicorn-instance"),
        "SECRET_KEY": "race-test",
        "RATELIMIT_ENABLED": "false",
        "MAIL_BACKEND": "console",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "PYTHONPATH": str(ROOT),
        "SCIVISIT_TEST_NOW": clock.now.isoformat(),
        "SCIVISIT_TEST_READY_DIR": str(ready),
        **env,
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                *("--workers", str(workers), "--threads", str(threads), "--worker-class", worker_class, "--preload"),
                *("--bind", f"fd://{sock.fileno()}", "--log-level", "warning", "--graceful-timeout", "2"),
                # each worker says when it is ready (see tests/gunicorn_ready.py); no control socket, whose
                # one default path every server of the run would share
                *("--config", "python:tests.gunicorn_ready", "--no-control-socket"),
                # the worker's process id with each request, to show the race reached several processes
                *("--access-logfile", str(access), "--access-logformat", "%(p)s %(m)s %(U)s %(s)s"),
                "tests.stopped_clock_app:create_app()",
            ],
            cwd=ROOT,
            env=environment,
            pass_fds=[sock.fileno()],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the master and its workers end together
        )
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        deadline = time.monotonic() + 30
        # every worker, or the first requests would all go to the one that is
        while len(list(ready.iterdir())) < workers:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.02)
        assert requests.get(f"{base}/healthz", timeout=10).status_code == 200, log.read_text()
        yield Gunicorn(base, log, access)
    finally:
        # Killed at once, the whole process group: the test has read all it wanted from the server, and a
        # graceful stop waits for idle workers (1.5 to 3.5 s a server, most of a race test's time).
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        sock.close()


class _FormReader(HTMLParser):
    """The fields of a page's forms, as a browser would submit them: [(action, [(name, value)])]."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._first_option: str | None = None
        self._chosen = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append((a.get("action") or "", []))
        elif not self.forms or "disabled" in a:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.forms[-1][1].append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and a.get("name"):
            self._select, self._first_option, self._chosen = a["name"], None, False
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in a:
                self.forms[-1][1].append((self._select, value))
                self._chosen = True
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self.forms[-1][1].append((a["name"], ""))

    def handle_data(self, data):
        if self._textarea:
            name, value = self.forms[-1][1][-1]
            self.forms[-1][1][-1] = (name, value + data)

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            if not self._chosen and self._first_option is not None:
                self.forms[-1][1].append((self._select, self._first_option))
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_fields(html: str, action: str) -> list[tuple[str, str]]:
    """The fields a browser would send with the page's form whose action ends with `action` ("" for
    a form posting to its own page)."""
    reader = _FormReader()
    reader.feed(html)
    for form_action, fields in reader.forms:
        target = form_action.split("?")[0]
        if target.endswith(action) if action else not target:
            return fields
    raise AssertionError(f"no form posting to {action!r} on the page: {[a for a, _ in reader.forms]}")


def replaced(fields: list[tuple[str, str]], **values: str) -> list[tuple[str, str]]:
    """The fields with some values changed (or added)."""
    out = [(k, values.pop(k) if k in values else v) for k, v in fields]
    return out + list(values.items())
