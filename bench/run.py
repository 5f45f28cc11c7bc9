"""Page throughput against /healthz on the same server, and SQL queries per page as data grows.

GET pages, calendar feeds (a volunteer's personal feed holding every extra visit, up to 500, built and
answered 304 to its ETag; the public programme feed), and the check-in API: POST /api/v1/checkins, a
host's scans of one ticket with a fresh scan id each (the first answers ok, the rest already_checked_in;
each stores its scan).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import time as clock_time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PATHS = ["/healthz", "/", "/visits/{visit_id}", "/api/v1/visits"]
#: a personal feed holds at most this many visits (the extra visits the bench volunteer signs up to)
FEED_VISITS = 500
SCAN_PATH = "/api/v1/checkins"


@dataclass
class Built:
    """What the load needs from a freshly built database."""

    visit_id: int
    #: a host's API token, and the ticket of a volunteer at a visit under way, for the check-in API
    token: str
    ticket: str
    #: the path of a volunteer's personal feed (signed up to every extra visit, up to 500) and its ETag
    feed: str
    etag: str


@dataclass
class Target:
    """One thing to measure: a GET of `path`, or a POST of a JSON body made fresh for each request."""

    label: str
    path: str
    method: str = "GET"
    headers: dict = field(default_factory=dict)
    #: for the check-in API: the ticket each POST scans, with a fresh scan id
    ticket: str | None = None
    #: the status every answer must have (anything else counts as an error)
    status: int = 200

    @property
    def all_headers(self) -> dict:
        return {"Accept-Language": "zh-CN", **self.headers}

    def request(self) -> tuple[bytes | None, dict]:
        """The body and headers of one request (a fresh scan id each time)."""
        if self.ticket is None:
            return None, self.all_headers
        body = {"ticket": self.ticket, "direction": "in", "scan_id": uuid.uuid4().hex}
        return json.dumps(body).encode(), {**self.all_headers, "Content-Type": "application/json"}


def targets(built: Built) -> list[Target]:
    pages = [Target(p, p.format(visit_id=built.visit_id)) for p in PATHS]

    headers = {"Authorization": f"Bearer {built.token}"}
    feeds = [
        Target("personal feed", built.feed),
        Target("personal feed 304", built.feed, headers={"If-None-Match": built.etag}, status=304),
        Target("/cal/programme.ics", "/cal/programme.ics"),
    ]
    return [*pages, *feeds, Target(f"POST {SCAN_PATH}", SCAN_PATH, "POST", headers, ticket=built.ticket)]


def build_database(url: str, extra_visits: int, instance: str) -> Built:
    """Migrate, seed the demo and add published visits, and a visit under way with a ticket to scan."""
    os.environ["SCIVISIT_INSTANCE"] = instance
    from flask_migrate import upgrade
    from sqlalchemy import text

    from accounts.models import Role
    from accounts.services import create_user
    from app import create_app
    from calendars.services import feeds_for
    from core.timeutil import in_zone, local_to_utc, utcnow
    from demo import seed_demo
    from events.models import School, SlotRole
    from events.services import LessonData, SlotData, VisitData, create_visit, publish_visit
    from extensions import db
    from volunteers.models import Signup, SignupStatus

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
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
        subscriber = create_user(
            db.session,
            email="bench-feed@example.org",
            name="Bench Feed",
            password=uuid.uuid4().hex,
            roles={Role.VOLUNTEER},
            now=now,
        )
        for i in range(extra_visits):
            school = schools[i % len(schools)]
            # 09:00 at the school, so that the visit stays within one of its days whatever the hour now
            day = in_zone(now, school.timezone).date() + timedelta(days=40 + i // len(schools))
            start = local_to_utc(day, clock_time(9, 0), school.timezone)
            data = VisitData(
                school_id=school.id,
                title=f"Bench visit {i}",
                starts_at=start,
                ends_at=start + timedelta(hours=5),
                slots=[SlotData(role=SlotRole.ASSISTANT, capacity=5), SlotData(role=SlotRole.DRIVER, capacity=2)],
                lessons=[LessonData(title="Lesson", grade=4, starts_at=start, ends_at=start + timedelta(hours=1))],
            )
            visit = publish_visit(db.session, create_visit(db.session, data, now=now), now=now)
            if i < FEED_VISITS:
                # Straight into the table: the rules would refuse one person at several visits on one day.
                db.session.add(
                    Signup(
                        slot_id=visit.slots[0].id,
                        visit_id=visit.id,
                        user_id=subscriber.id,
                        status=SignupStatus.CONFIRMED,
                        created_at=now,
                        updated_at=now,
                        confirmed_at=now,
                    )
                )
        token, ticket = _gate(db.session, now)
        (personal,) = [link for link in feeds_for(db.session, subscriber, now) if link.kind == "personal"]
        db.session.commit()
        feed = urlsplit(personal.url).path
        etag = app.test_client().get(feed).headers["ETag"]
        return Built(visit.id if visit else 1, token, ticket, feed, etag)


def _gate(session, now) -> tuple[str, str]:
    """A visit starting within the hour at a new school, its host's API token and a volunteer's ticket."""
    from accounts.models import Role
    from accounts.services import create_user, issue_api_token
    from checkin.tickets import ticket_for
    from events.models import SlotRole
    from events.services import SlotData, VisitData, create_school, create_visit, publish_visit
    from volunteers.signups import sign_up

    def person(role, name):
        email = f"bench-{role.value}@example.org"
        return create_user(session, email=email, name=name, password=uuid.uuid4().hex, roles={role}, now=now)

    host, volunteer = person(Role.HOST, "Bench Host"), person(Role.VOLUNTEER, "Bench Volunteer")
    # A visit lies within one day at its school: a zone where it is about 08:00 now keeps 08:30 to 13:30 in one
    # day whatever the hour the bench runs at (Etc/GMT-N is N hours ahead of UTC).
    ahead = (8 - now.hour + 12) % 24 - 12
    zone = f"Etc/GMT{-ahead:+d}" if ahead else "Etc/GMT"
    values = {"name": "Bench Gate School", "province": "四川省", "timezone": zone}
    school = create_school(session, values, hosts=[host], now=now)
    start = now + timedelta(minutes=30)  # check-in opens two hours before the start
    data = VisitData(
        school_id=school.id,
        title="Bench check-in",
        starts_at=start,
        ends_at=start + timedelta(hours=5),
        slots=[SlotData(role=SlotRole.ASSISTANT, capacity=5)],
    )
    visit = publish_visit(session, create_visit(session, data, now=now), now=now)
    signup, _ = sign_up(session, slot_id=visit.slots[0].id, volunteer=volunteer, now=now)
    return issue_api_token(session, host, now), ticket_for(session, signup, now).secret


def cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU seconds used so far (user and system, from /proc) by the server's processes (gunicorn and its workers)
    and by the database's (PostgreSQL's processes on this machine; SQLite runs inside the workers): steadier than
    requests per second where other work shares the machine. Empty where /proc cannot be read."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {"app": 0.0, "db": 0.0}
    try:
        pids = [name for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/comm") as comm:
                name = comm.read().strip()
        except OSError:
            continue  # gone meanwhile
        seconds = (int(fields[11]) + int(fields[12])) / tick
        if int(pid) == server_pid or int(fields[1]) == server_pid:  # fields[1]: the parent's pid
            used["app"] += seconds
        elif name.startswith("postgres"):
            used["db"] += seconds
    return used


def wrk(port: int, target: Target, seconds: int, connections: int, server_pid: int | None = None) -> dict:
    """Drive `target` with wrk (2 threads, `connections` keep-alive connections) for `seconds`; with the server's
    process id, also the CPU milliseconds per request of the server (`app_cpu_ms`) and of PostgreSQL (`db_cpu_ms`)."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(ROOT / "bench" / "wrk.lua")]
    for name, value in target.all_headers.items():
        command += ["-H", f"{name}: {value}"]
    command += [f"http://127.0.0.1:{port}{target.path}", "--", str(target.status)]
    if target.ticket is not None:
        command += [target.ticket, uuid.uuid4().hex]
    before = cpu_seconds(server_pid) if server_pid else {}
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    after = cpu_seconds(server_pid) if server_pid else {}
    summary = json.loads(next(line for line in out.splitlines() if line.startswith("WRK "))[4:])
    summary["rps"] = summary["requests"] / summary["seconds"]
    for part in after:
        summary[f"{part}_cpu_ms"] = (after[part] - before[part]) * 1000 / max(summary["requests"], 1)
    return summary


def measure(port: int, ceiling: Target, target: Target, args, server_pid: int | None = None) -> dict:
    """`target` right after its own /healthz, `--rounds` times; the medians, and the ratio of each pair's."""
    pairs = [
        (
            wrk(port, ceiling, args.seconds, args.connections, server_pid),
            wrk(port, target, args.seconds, args.connections, server_pid),
        )
        for _ in range(args.rounds)
    ]
    cpu = {
        f"{part}_cpu_ms": round(statistics.median(t[f"{part}_cpu_ms"] for _, t in pairs), 3)
        for part in ("app", "db")
        if all(f"{part}_cpu_ms" in t for _, t in pairs)
    }
    if "app_cpu_ms" in cpu:
        cpu["healthz_app_cpu_ms"] = round(statistics.median(h["app_cpu_ms"] for h, _ in pairs), 3)
    return {
        **cpu,
        "path": target.path if target.method == "GET" else target.label,
        "rps": round(statistics.median(t["rps"] for _, t in pairs), 1),
        "healthz_rps": round(statistics.median(h["rps"] for h, _ in pairs), 1),
        "ratio": round(statistics.median(t["rps"] / h["rps"] for h, t in pairs), 3),
        "p50_ms": round(statistics.median(t["p50_ms"] for _, t in pairs), 2),
        "p99_ms": round(statistics.median(t["p99_ms"] for _, t in pairs), 2),
        "errors": sum(t["errors"] + h["errors"] for h, t in pairs),
    }


def count_queries(url: str, instance: str, measured: list[Target]) -> dict[str, int]:
    """SQL statements each page (or API call) runs, counted in-process; keyed by label."""
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
    for target in measured:
        for _ in range(2):  # warm caches (translations, templates), then count
            statements.clear()
            body, headers = target.request()
            client.open(target.path, method=target.method, data=body, headers=headers)
        counts[target.label] = len(statements)
    event.remove(engine, "before_cursor_execute", listener)
    return counts


def _redis(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--visits", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=5, help="of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="pairs of /healthz and the target, per target")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (more than 1: gthread)")
    parser.add_argument("--port", type=int, default=5077)
    parser.add_argument("--only", default="", help="measure only the targets whose label contains this")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="the shared cache; 'none': without")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench needs wrk: apt-get install wrk (make bench installs it)")

    # One key for building, counting and serving: tickets' and feeds' secrets are derived from it.
    os.environ["SECRET_KEY"] = "bench"  # noqa: S105 - a throwaway database on this machine
    instance = tempfile.mkdtemp(prefix="scivisit-bench-")
    url = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{instance}/bench.sqlite3")
    from config import normalise_database_url

    url = normalise_database_url(url)
    cache = args.redis if args.redis != "none" and _redis(args.redis) else None

    small_url = f"sqlite:///{instance}/small.sqlite3" if url.startswith("sqlite") else url
    small = count_queries(small_url, instance, targets(build_database(small_url, 10, instance)))
    built = build_database(url, args.visits, instance)
    large = count_queries(url, instance, targets(built))

    env = {
        **os.environ,
        "SCIVISIT_INSTANCE": instance,
        "DATABASE_URL": url,
        "RATELIMIT_ENABLED": "false",
        "SECRET_KEY": "bench",
        "CACHE_REDIS_URL": cache or "",
        "CACHE_KEY_PREFIX": f"bench-{uuid.uuid4().hex}",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--bind",
            f"127.0.0.1:{args.port}",
            "--log-level",
            "warning",
            "app:create_app()",
        ],
        cwd=ROOT,
        env=env,
    )
    measured = [target for target in targets(built) if target.label == "/healthz" or args.only in target.label]
    try:
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=1)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        results = [measure(args.port, measured[0], target, args, server.pid) for target in measured[1:]]
    finally:
        server.terminate()
        server.wait(timeout=10)

    where = url.split("@")[-1]
    print(
        f"database: {where}  visits: {args.visits}+demo  gunicorn workers: {args.workers}  "
        f"wrk: 2 threads, {args.connections} connections, {args.rounds} x {args.seconds} s after /healthz each  "
        f"shared cache: {'redis' if cache else 'none'}"
    )
    print(
        f"| {'target':<22} | req/s | /healthz req/s | ratio | p50 ms | p99 ms | errors | SQL@10 | SQL@N "
        "| app CPU ms | DB CPU ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for target, result in zip(measured[1:], results, strict=True):
        result["queries_small"] = small.get(target.label)
        result["queries_large"] = large.get(target.label)
        print(
            f"| {target.label:<22} | {result['rps']} | {result['healthz_rps']} | {result['ratio']} | "
            f"{result['p50_ms']} | {result['p99_ms']} | {result['errors']} | {result['queries_small']} | "
            f"{result['queries_large']} | {result.get('app_cpu_ms', '–')} | {result.get('db_cpu_ms', '–')} |"
        )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    summary = {"database": where, "visits": args.visits, "shared_cache": bool(cache), "results": results}
    (out / "latest.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
