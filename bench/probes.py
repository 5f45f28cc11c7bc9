"""What bench.run measures in-process: SQL statements per request (and their plans), the ledger's verification in a
fresh process, and a personal feed's build time."""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.run import Target

ROOT = Path(__file__).resolve().parent.parent
#: the bench's script, which runs verify_child in a fresh process
RUN = ROOT / "bench" / "run.py"


def _app(url: str, instance: str):
    os.environ["SCIVISIT_INSTANCE"] = instance
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})


def statements_of(url: str, instance: str, measured: list[Target]) -> dict[str, list[tuple[str, object]]]:
    """The SQL statements (text and parameters) each page (or API call) runs, in-process; keyed by label.

    Each target is asked twice (caches of translations and templates warm, then recorded), without the shared cache.
    """
    from sqlalchemy import event

    from extensions import db

    app = _app(url, instance)
    with app.app_context():
        engine = db.engine
    recorded: list[tuple[str, object]] = []

    def listener(_conn, _cursor, statement, parameters, _context, _executemany):
        recorded.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listener)
    client = app.test_client(use_cookies=False)  # the targets' own Cookie headers, as wrk sends them
    found = {}
    try:
        for target in measured:
            for _ in range(2):
                recorded.clear()
                path, body, headers = target.request()
                answer = client.open(path, method=target.method, data=body, headers=headers)
                if answer.status_code != target.status:
                    raise RuntimeError(f"{target.label} answered {answer.status_code} in-process")
            found[target.label] = list(recorded)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
        engine.dispose()
    return found


def explain(url: str, instance: str, statements: list[tuple[str, object]]) -> list[tuple[str, str]]:
    """PostgreSQL's EXPLAIN (ANALYZE, BUFFERS) of each SELECT, in a transaction rolled back: (statement, plan)."""
    from extensions import db

    app = _app(url, instance)
    plans = []
    with app.app_context(), db.engine.connect() as conn:
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            rows = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters or {}).all()
            plans.append((_inline(statement, parameters), "\n".join(row[0] for row in rows)))
        conn.rollback()
    return plans


def _inline(statement: str, parameters) -> str:
    """The statement with its parameters written in (for reading only), as psycopg's %(name)s placeholders."""
    if not isinstance(parameters, dict):
        return statement
    return re.sub(r"%\((\w+)\)s", lambda m: repr(parameters.get(m.group(1))), statement)


def verify_child(url: str) -> None:
    """In a process of its own: verify the whole ledger, timed; then again under tracemalloc for its peak."""
    import resource
    import tracemalloc

    from extensions import db
    from kits.ledger import verify_ledger

    app = _app(url, tempfile.mkdtemp(prefix="scivisit-bench-"))
    with app.app_context():
        db.session.execute(db.select(1))  # connect and load what verifying needs before measuring
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        result = verify_ledger(db.session)
        seconds = time.perf_counter() - started
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        db.session.rollback()
        tracemalloc.start()
        verify_ledger(db.session)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    summary = {
        "ok": result.ok,
        "checked": result.checked,
        "seconds": round(seconds, 3),
        "tracemalloc_peak_kib": round(peak / 1024),
        "maxrss_before_kib": rss_before,
        "maxrss_after_kib": rss_after,
    }
    print(json.dumps(summary))


def verify_bench(urls: list[str]) -> list[dict]:
    """verify_child on each database, each in a fresh process (so maxrss is its own)."""
    results = []
    for url in urls:
        out = subprocess.run(
            [sys.executable, str(RUN), "--verify-child", url], capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def feed_build_ms(url: str, instance: str, feed: str, builds: int = 7) -> float:
    """The median milliseconds of building the personal feed's body in-process (the lookup by token aside)."""
    from calendars import feeds, services
    from core.timeutil import utcnow
    from extensions import db

    token = feed.rsplit("/", 1)[1].removesuffix(".ics")
    app = _app(url, instance)
    times = []
    with app.app_context():
        row = services.find_feed(db.session, services.feed_key(token))
        feeds.private_feed(db.session, row, utcnow())  # warm: translations, mappers
        for _ in range(builds):
            db.session.expire_all()
            started = time.perf_counter()
            feeds.private_feed(db.session, row, utcnow())
            times.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
        db.engine.dispose()
    return round(statistics.median(times), 1)
