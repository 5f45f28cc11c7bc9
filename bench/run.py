"""Page throughput against /healthz on the same server, SQL statements per page at two data sizes, the ledger's
verification at two sizes, a personal feed's build time, and (`--plans`) PostgreSQL's plans of the heaviest pages.

The data: the demo, `bench.scale.generate` at `--scale` (1: 20 schools, 200 volunteers, 100 visits, 5,000 stock
movements), and the bench's own fixtures: a volunteer signed up to up to 500 visits (their personal feed), a visit
under way with a host's API token and a volunteer's ticket (the check-in API), and a school of visits with one
slot each plus volunteers with API tokens (the signup API: every request a fresh signup of one volunteer to one
visit, wrk.lua taking the pairs in turn).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
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

from bench.load import WRK_THREADS, measure, warm, wrk  # noqa: E402
from bench.probes import _app, explain, feed_build_ms, statements_of, verify_bench, verify_child  # noqa: E402

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/bench"
#: a personal feed holds at most this many visits (the ones the bench's subscriber signs up to)
FEED_VISITS = 500
SCAN_PATH = "/api/v1/checkins"
SIGNUP_PATH = "/api/v1/slots/{slot_id}/signups"
#: the signup API's pool: this many volunteers with tokens, and visits on days of their own, one slot each
SIGNUP_VOLUNTEERS = 200
SIGNUP_VISITS = 100
#: targets of the --plans section: the heaviest (lowest ratio) this many pages
PLANNED = 3


@dataclass
class SignupPool:
    """Pairs of a volunteer's API token and a slot, each a valid signup once: wrk takes them from `path` in turn,
    from `used` on; `spare` ones are kept for counting SQL in-process."""

    path: str
    size: int
    spare: list[tuple[str, int]]
    used: int = 0


@dataclass
class Built:
    """What the load needs from a freshly built database."""

    url: str
    visit_id: int
    #: a host's API token, and the ticket of a volunteer at a visit under way, for the check-in API
    token: str
    ticket: str
    #: the path of a volunteer's personal feed, its ETag, and how many visits it holds
    feed: str
    etag: str
    feed_visits: int
    #: Cookie headers of logged-in sessions: admin, host, volunteer
    cookies: dict[str, str]
    signups: SignupPool
    movements: int
    #: seconds the generator took, and the table sizes it wrote
    generated_seconds: float
    rows: dict[str, int] = field(default_factory=dict)


@dataclass
class Target:
    """One thing to measure: a GET of `path`, or a POST of a JSON body made fresh for each request."""

    label: str
    path: str
    method: str = "GET"
    headers: dict = field(default_factory=dict)
    #: for the check-in API: the ticket each POST scans, with a fresh scan id
    ticket: str | None = None
    #: for the signup API: the pairs of token and slot each POST takes in turn
    signups: SignupPool | None = None
    #: the status every answer must have (anything else counts as an error)
    status: int = 200

    @property
    def all_headers(self) -> dict:
        return {"Accept-Language": "zh-CN", **self.headers}

    def request(self) -> tuple[str, bytes | None, dict]:
        """The path, body and headers of one in-process request (a fresh scan id, a spare signup pair)."""
        if self.signups is not None:
            token, slot_id = self.signups.spare.pop()
            headers = {**self.all_headers, "Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            return SIGNUP_PATH.format(slot_id=slot_id), b"{}", headers
        if self.ticket is None:
            return self.path, None, self.all_headers
        body = {"ticket": self.ticket, "direction": "in", "scan_id": uuid.uuid4().hex}
        return self.path, json.dumps(body).encode(), {**self.all_headers, "Content-Type": "application/json"}


def targets(built: Built) -> list[Target]:
    admin, host, volunteer = ({"Cookie": built.cookies[who]} for who in ("admin", "host", "volunteer"))
    bearer = {"Authorization": f"Bearer {built.token}"}
    return [
        Target("/healthz", "/healthz"),
        Target("/", "/"),
        Target("/visits/{visit_id}", f"/visits/{built.visit_id}"),
        Target("My visits", "/my/visits", headers=volunteer),
        Target("/visits/ (admin)", "/visits/", headers=admin),
        Target("/visits/ (host)", "/visits/", headers=host),
        Target("personal feed", built.feed),
        Target("personal feed 304", built.feed, headers={"If-None-Match": built.etag}, status=304),
        Target("/cal/programme.ics", "/cal/programme.ics"),
        Target("/kits/stock", "/kits/stock", headers=admin),
        Target("/kits/forecast", "/kits/forecast", headers=admin),
        Target("/reports/", "/reports/", headers=admin),
        Target(f"POST {SCAN_PATH}", SCAN_PATH, "POST", bearer, ticket=built.ticket),
        Target("POST signup (API)", SIGNUP_PATH, "POST", signups=built.signups, status=201),
        Target("/api/v1/visits", "/api/v1/visits"),
        Target("/api/v1/openapi.json", "/api/v1/openapi.json"),
    ]


def _empty(url: str) -> None:
    """An empty database at `url`: PostgreSQL's created if missing and its schema dropped, SQLite's file deleted."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    if target.get_backend_name() == "sqlite":
        Path(target.database).unlink(missing_ok=True)
        return
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}).scalar():
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    engine = create_engine(target)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def build_data(url: str, scale: float, instance: str) -> float:
    """Migrate an empty database and generate `scale`'s data alone (for the ledger's verification): the seconds the
    generator took."""
    from flask_migrate import upgrade

    from bench.scale import analyze, generate
    from core.timeutil import utcnow
    from extensions import db

    _empty(url)
    app = _app(url, instance)
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        generate(db.session, scale, utcnow())
        db.session.commit()
        seconds = time.perf_counter() - started
        analyze(db.engine)
        db.engine.dispose()
        return seconds


def build_database(url: str, scale: float, instance: str) -> Built:
    """Migrate, seed the demo, generate `scale`'s data, and add the bench's fixtures; log in the bench's people."""
    from flask_migrate import upgrade

    from accounts.models import Role
    from accounts.services import create_user
    from bench.scale import BENCH_PASSWORD, analyze, generate
    from calendars.services import feeds_for
    from core.timeutil import utcnow
    from demo import seed_demo
    from extensions import db
    from kits.ledger import head_state

    _empty(url)
    app = _app(url, instance)
    with app.app_context():
        upgrade()
        now = utcnow()
        seed_demo(db.session, now)
        started = time.perf_counter()
        generated = generate(db.session, scale, now)
        db.session.commit()
        seconds = time.perf_counter() - started
        subscriber = create_user(
            db.session,
            email="bench-feed@example.org",
            name="Bench Feed",
            password=uuid.uuid4().hex,
            roles={Role.VOLUNTEER},
            now=now,
        )
        wanted = generated.upcoming_visit_ids + generated.completed_visit_ids
        feed_visits = _subscribe(db.session, subscriber, wanted, FEED_VISITS, now)
        token, ticket = _gate(db.session, now)
        signups = _signup_pool(db.session, now, Path(instance) / f"signups-{uuid.uuid4().hex}.txt")
        (personal,) = [link for link in feeds_for(db.session, subscriber, now) if link.kind == "personal"]
        movements = head_state(db.session).count
        db.session.commit()
        analyze(db.engine)
        feed = urlsplit(personal.url).path
    # Requests outside the app context above: each has a context (and a `g`) of its own, as on a server.
    logins = {"admin": generated.admin_email, "host": generated.host_email, "volunteer": generated.volunteer_email}
    cookies = {who: _login(app, email, BENCH_PASSWORD) for who, email in logins.items()}
    etag = app.test_client().get(feed).headers["ETag"]  # after the logins, which change people the feed names
    with app.app_context():
        db.engine.dispose()
    visit_id = generated.upcoming_visit_ids[0] if generated.upcoming_visit_ids else 1
    return Built(
        url, visit_id, token, ticket, feed, etag, feed_visits, cookies, signups, movements, seconds, generated.rows
    )


def _login(app, email: str, password: str) -> str:
    """The Cookie header of a session started through the real login form (CSRF token and all)."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = client.post("/login", data={"email": email, "password": password, "csrf_token": csrf})
    if answer.status_code != 302:
        problem = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answer.get_data(as_text=True)))[-600:]
        raise RuntimeError(f"logging in as {email} answered {answer.status_code}: {problem}")
    name = app.config["SESSION_COOKIE_NAME"]
    return f"{name}={client.get_cookie(name).value}"


def _subscribe(session, subscriber, visit_ids: list[int], most: int, now) -> int:
    """The subscriber confirmed in a slot with a place left (counted, with a ticket) at the first `most` of the
    visits that have one: how many."""
    from sqlalchemy import select

    from checkin.tickets import ticket_for
    from events.models import RoleSlot
    from volunteers.models import Signup, SignupStatus

    slots = {}
    for slot in session.scalars(
        select(RoleSlot)
        .where(RoleSlot.visit_id.in_(visit_ids), RoleSlot.taken < RoleSlot.capacity)
        .order_by(RoleSlot.id)
    ):
        slots.setdefault(slot.visit_id, slot)
    made = []
    for slot in [slots[visit_id] for visit_id in visit_ids if visit_id in slots][:most]:
        slot.taken += 1
        # Straight into the table: the rules would refuse one person at several visits on one day.
        signup = Signup(
            slot_id=slot.id,
            visit_id=slot.visit_id,
            user_id=subscriber.id,
            status=SignupStatus.CONFIRMED,
            created_at=now,
            updated_at=now,
            confirmed_at=now,
        )
        session.add(signup)
        made.append(signup)
    session.flush()
    for signup in made:
        ticket_for(session, signup, now)
    return len(made)


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


def _signup_pool(session, now, path: Path) -> SignupPool:
    """SIGNUP_VISITS published visits on days of their own at a school of their own, one slot each, and
    SIGNUP_VOLUNTEERS volunteers with API tokens: each (volunteer, visit) pair is one valid signup. Written to
    `path` as "token slot" lines in the order wrk takes them; the last visit's pairs are kept for counting SQL
    in-process."""
    from accounts.models import Role
    from accounts.services import create_user_with_password_hash, hash_password, issue_api_token
    from core.timeutil import in_zone, local_to_utc
    from events.models import SlotRole
    from events.services import SlotData, VisitData, create_school, create_visit, publish_visit

    school = create_school(session, {"name": "Bench Signup School", "province": "四川省"}, now=now)
    slots = []
    for n in range(SIGNUP_VISITS):
        day = in_zone(now, school.timezone).date() + timedelta(days=200 + n)
        start = local_to_utc(day, clock_time(9, 0), school.timezone)
        data = VisitData(
            school_id=school.id,
            title=f"Bench signups {n}",
            starts_at=start,
            ends_at=start + timedelta(hours=5),
            slots=[SlotData(role=SlotRole.ASSISTANT, capacity=50)],
        )
        slots.append(publish_visit(session, create_visit(session, data, now=now), now=now).slots[0].id)
    password_hash = hash_password(uuid.uuid4().hex)
    tokens = []
    for n in range(SIGNUP_VOLUNTEERS):
        person = create_user_with_password_hash(
            session,
            email=f"bench-signup-{n}@example.org",
            name=f"Bench Signup {n}",
            password_hash=password_hash,
            roles={Role.VOLUNTEER},
            now=now,
        )
        tokens.append(issue_api_token(session, person, now))
    # Pair k: visit k mod D, volunteer (k mod D + k div D) mod V, each pair once; neighbours differ in both, so
    # concurrent requests do not queue on one slot's or one person's row lock (what a signup measures, not a queue).
    days = len(slots) - 1
    order = ((k % days, (k % days + k // days) % len(tokens)) for k in range(days * len(tokens)))
    pairs = [(tokens[volunteer], slots[visit]) for visit, volunteer in order]
    path.write_text("".join(f"{token} {slot}\n" for token, slot in pairs))
    return SignupPool(str(path), len(pairs), [(token, slots[-1]) for token in tokens])


def _redis(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _sibling(url: str, suffix: str) -> str:
    """Another database beside `url`: a file beside SQLite's, a database named with the suffix on PostgreSQL."""
    from sqlalchemy.engine import make_url

    target = make_url(url)
    if target.get_backend_name() == "sqlite":
        path = Path(target.database)
        return target.set(database=str(path.with_name(f"{path.stem}_{suffix}{path.suffix}"))).render_as_string(False)
    return target.set(database=f"{target.database}_{suffix}").render_as_string(False)


def serve(url: str, instance: str, cache: str | None, args) -> subprocess.Popen:
    env = {
        **os.environ,
        "SCIVISIT_INSTANCE": instance,
        "DATABASE_URL": url,
        "RATELIMIT_ENABLED": "false",
        "SECRET_KEY": "bench",
        "CACHE_REDIS_URL": cache or "",
        "CACHE_KEY_PREFIX": f"bench-{uuid.uuid4().hex}",
    }
    command = [str(ROOT / ".venv/bin/gunicorn"), "--workers", str(args.workers), "--threads", str(args.threads)]
    command += ["--bind", f"127.0.0.1:{args.port}", "--log-level", "warning", "--graceful-timeout", "5"]
    command += ["app:create_app()"]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                break
        except OSError:
            time.sleep(0.1)
    return server


def run_database(kind: str, url: str, instance: str, cache: str | None, args) -> dict:
    """Everything for one database: build, count SQL at scale 1 and the run's, load, verify, feed, plans."""
    started = time.perf_counter()
    built = build_database(url, args.scale, instance)
    build_seconds = time.perf_counter() - started
    large = statements_of(url, instance, targets(built))
    if args.scale == 1:
        small = large
    else:
        small_url = _sibling(url, "scale1")
        small = statements_of(small_url, instance, targets(build_database(small_url, 1, instance)))

    chosen = [
        target
        for target in targets(built)
        if target.label == "/healthz" or not args.only or any(part in target.label for part in args.only)
    ]
    server = serve(url, instance, cache, args)
    try:
        warm(args.port, [target for target in chosen if target.method == "GET"], args.workers)
        for target in chosen:  # the writes' first requests on each worker (mail templates, calendar files) too
            if target.method == "POST":
                wrk(args.port, target, 1, args.connections)
        results = [measure(args.port, chosen[0], target, args, server.pid, url) for target in chosen[1:]]
    finally:
        server.terminate()  # gunicorn lets its workers finish what they hold for up to --graceful-timeout
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    for result in results:
        result["sql_scale1"] = len(small[result["label"]])
        result["sql_scale_n"] = len(large[result["label"]])

    tenth_url = _sibling(url, "tenth")
    tenth_seconds = build_data(tenth_url, args.scale / 10, instance)
    verification = verify_bench([url, tenth_url])
    report = {
        "database": kind,
        "where": url.split("@")[-1],
        "scale": args.scale,
        "generator_seconds": round(built.generated_seconds, 1),
        "build_seconds": round(build_seconds, 1),
        "rows": built.rows,
        "results": results,
        "verify": verification,
        "tenth_generator_seconds": round(tenth_seconds, 1),
        "feed_visits": built.feed_visits,
        "feed_build_ms": feed_build_ms(url, instance, built.feed),
    }
    if args.plans and kind == "postgresql":
        pages = sorted((r for r in results if not r["label"].startswith("POST")), key=lambda r: r["ratio"] or 0)
        report["plans"] = {r["label"]: explain(url, instance, large[r["label"]]) for r in pages[:PLANNED]}
    return report


def print_report(report: dict, args, cache: str | None) -> None:
    print(
        f"\n## {report['database']} ({report['where']}), scale {report['scale']}\n\n"
        f"generator: {report['generator_seconds']} s ({report['rows'].get('movement', 0):,} movements), "
        f"whole build {report['build_seconds']} s; gunicorn workers: {args.workers}; wrk: {WRK_THREADS} threads, "
        f"{args.connections} connections, {args.rounds} x {args.seconds} s after /healthz each; "
        f"shared cache: {'redis' if cache else 'none'}\n"
    )
    print(
        "| target | req/s | /healthz req/s | ratio | p50 ms | p99 ms | errors | SQL@1 | SQL@N "
        "| app CPU ms | DB CPU ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in report["results"]:
        print(
            f"| {r['label']} | {r['rps']} | {r['healthz_rps']} | {r['ratio']} | {r['p50_ms']} | {r['p99_ms']} | "
            f"{r['errors']} | {r['sql_scale1']} | {r['sql_scale_n']} | {r.get('app_cpu_ms', '–')} | "
            f"{r.get('db_cpu_ms', '–')} |"
        )
    print("\n| ledger verification | movements | ok | seconds | tracemalloc peak KiB | maxrss before → after KiB |")
    print("|---|---|---|---|---|---|")
    for v in report["verify"]:
        print(
            f"| | {v['checked']:,} | {v['ok']} | {v['seconds']} | {v['tracemalloc_peak_kib']} | "
            f"{v['maxrss_before_kib']:,} → {v['maxrss_after_kib']:,} |"
        )
    print(
        f"\npersonal feed of {report['feed_visits']} visits built in-process: {report['feed_build_ms']} ms "
        "(median of 7)"
    )
    for label, plans in report.get("plans", {}).items():
        print(f"\n### Plans: {label}\n")
        for statement, plan in plans:
            print(f"```sql\n{statement}\n```\n\n```\n{plan}\n```\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1, help="of the generated data (bench/scale.py)")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=int, default=5, help="of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="pairs of /healthz and the target, per target")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (more than 1: gthread)")
    parser.add_argument("--port", type=int, default=5077)
    parser.add_argument(
        "--only", action="append", default=[], help="measure only the targets whose label contains this (repeatable)"
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="the shared cache; 'none': without")
    parser.add_argument("--plans", action="store_true", help="EXPLAIN (ANALYZE, BUFFERS) of the 3 heaviest pages")
    parser.add_argument("--verify-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    # One key for building, counting and serving: tickets' and feeds' secrets are derived from it.
    os.environ["SECRET_KEY"] = "bench"  # noqa: S105 - a throwaway database on this machine
    from config import normalise_database_url

    if args.verify_child:
        verify_child(normalise_database_url(args.verify_child))
        return
    if shutil.which("wrk") is None:
        sys.exit("bench needs wrk: apt-get install wrk (make bench installs it)")

    instance = tempfile.mkdtemp(prefix="scivisit-bench-")
    urls = {
        "sqlite": f"sqlite:///{instance}/bench.sqlite3",
        "postgresql": normalise_database_url(os.environ.get("BENCH_DATABASE_URL", POSTGRES_URL)),
    }
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    cache = args.redis if args.redis != "none" and _redis(args.redis) else None
    reports = []
    for kind in kinds:
        report = run_database(kind, urls[kind], instance, cache, args)
        print_report(report, args, cache)
        reports.append(report)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    summary = {"scale": args.scale, "shared_cache": bool(cache), "workers": args.workers, "databases": reports}
    (out / "latest.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
