"""Page throughput against /healthz on the same server, and SQL queries per page as data grows."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PATHS = ["/healthz", "/", "/visits/{visit_id}", "/api/v1/visits"]


def build_database(url: str, extra_visits: int, instance: str) -> int:
    """Migrate, seed the demo and add published visits; returns one visit id to fetch."""
    os.environ["SCIVISIT_INSTANCE"] = instance
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app import create_app
    from core.timeutil import utcnow
    from demo import seed_demo
    from events.models import School, SlotRole
    from events.services import LessonData, SlotData, VisitData, create_visit, publish_visit
    from extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        now = utcnow()
        seed_demo(db.session, now)
        schools = db.session.query(School).all()
        visit = None
        for i in range(extra_visits):
            school = schools[i % len(schools)]
            start = now + timedelta(days=40 + i // len(schools), hours=1)
            data = VisitData(
                school_id=school.id,
                title=f"Bench visit {i}",
                starts_at=start,
                ends_at=start + timedelta(hours=5),
                slots=[SlotData(role=SlotRole.ASSISTANT, capacity=5), SlotData(role=SlotRole.DRIVER, capacity=2)],
                lessons=[LessonData(title="Lesson", grade=4, starts_at=start, ends_at=start + timedelta(hours=1))],
            )
            visit = publish_visit(db.session, create_visit(db.session, data, now=now), now=now)
        db.session.commit()
        return visit.id if visit else 1


def load(port: int, path: str, seconds: float, concurrency: int) -> dict:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine, bad = [], 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Accept-Language": "zh-CN"})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    bad += 1
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    return {
        "path": path,
        "requests": len(latencies),
        "errors": errors,
        "rps": round(len(latencies) / seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2) if latencies else None,
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 2) if latencies else None,
    }


def count_queries(url: str, instance: str, paths: list[str]) -> dict[str, int]:
    """SQL statements each page runs, counted in-process."""
    os.environ["SCIVISIT_INSTANCE"] = instance
    from sqlalchemy import event

    from app import create_app
    from extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
    counts = {}
    with app.app_context():
        engine = db.engine
    statements = []
    listener = lambda *args, **kwargs: statements.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    client = app.test_client()
    for path in paths:
        client.get(path)  # warm caches (translations, templates)
        statements.clear()
        client.get(path)
        counts[path] = len(statements)
    event.remove(engine, "before_cursor_execute", listener)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--visits", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=5077)
    args = parser.parse_args()

    instance = tempfile.mkdtemp(prefix="scivisit-bench-")
    url = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{instance}/bench.sqlite3")
    from config import normalise_database_url

    url = normalise_database_url(url)

    small_url = f"sqlite:///{instance}/small.sqlite3" if url.startswith("sqlite") else url
    small_visit = build_database(small_url, 10, instance)
    small = count_queries(small_url, instance, [p.format(visit_id=small_visit) for p in PATHS])
    visit_id = build_database(url, args.visits, instance)
    large = count_queries(url, instance, [p.format(visit_id=visit_id) for p in PATHS])

    env = {
        **os.environ,
        "SCIVISIT_INSTANCE": instance,
        "DATABASE_URL": url,
        "RATELIMIT_ENABLED": "false",
        "SECRET_KEY": "bench",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{args.port}",
            "--log-level",
            "warning",
            "app:create_app()",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=1)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        results = [load(args.port, p.format(visit_id=visit_id), args.seconds, args.concurrency) for p in PATHS]
    finally:
        server.terminate()
        server.wait(timeout=10)

    ceiling = results[0]["rps"] or 1
    where = url.split("@")[-1]
    print(f"database: {where}  visits: {args.visits}+demo  workers: {args.workers}  clients: {args.concurrency}")
    print(
        f"{'path':<22}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'vs /healthz':>13}{'errors':>8}{'SQL@10':>8}{'SQL@N':>7}"
    )
    for template, result in zip(PATHS, results, strict=True):
        path = result["path"]
        small_path = template.format(visit_id=small_visit)
        result["ratio"] = round(result["rps"] / ceiling, 3)
        result["queries_small"] = small.get(small_path)
        result["queries_large"] = large.get(path)
        print(
            f"{template:<22}{result['rps']:>9}{result['p50_ms']:>9}{result['p95_ms']:>9}"
            f"{result['ratio']:>13}{result['errors']:>8}{result['queries_small']!s:>8}{result['queries_large']!s:>7}"
        )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps({"database": url.split("@")[-1], "results": results}, indent=2))


if __name__ == "__main__":
    main()
