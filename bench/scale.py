"""Benchmark data at a scale factor, built by bulk inserts, valid as the app sees it.

`--scale 1` is 20 schools, 200 volunteers, 100 visits and 5,000 stock movements; every size grows in
proportion (`--scale 100`: 2,000 schools, 20,000 volunteers, 10,000 visits, 500,000 movements), a float
below 1 gives tiny databases for tests. Besides: a tenth as many companies as schools, one host for every two
schools, one programme coordinator, eight kit types, hubs (three, one more per 20 scale units).

Each visit has four role slots (eight places) and two lessons with kits. Visits spread from a year ago to four
months ahead, one school's visits at least a week apart, so no one is at two visits at once (a school's visits
take their volunteers from the school's own ten). Past visits are completed (their confirmed volunteers
attended, with tickets, scans, attendance rows and minutes; some no-shows) or cancelled; visits to come are
published (places confirmed with tickets, some full slots with a waitlist, some cancelled signups), draft or
cancelled.

The stock ledger is a hash chain (kits.ledger): movements are numbered on from the ledger's head, each hashed by
`kits.ledger.movement_hash` over the values inserted, and the head, the per-hub counters (`stock_level`), the
lessons' reservations (`kit_reservation`), the visits' journeys (`visit_kit`), the lots (`movement_lot`, first in,
first out as kits.lots allocates them) and the donations' trails (`donation_trail`) are written to agree with it,
so `flask verify-ledger` passes. The movements of the visits (reserved, released, shipped, received at the school,
consumed, returned) come as the visits' journeys need them; the rest are donations received and kits written off,
never more than is available beyond what later reservations need.

On PostgreSQL, call `analyze(engine)` after committing: the planner needs statistics of the loaded tables.

Run alone: `python bench/scale.py --scale 100` (the database from BENCH_DATABASE_URL, default PostgreSQL's `bench`)
empties and migrates the database, builds the data, analyzes it and prints the time each part took.
"""

from __future__ import annotations

import math
import random
import secrets
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import func, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: sizes of one scale unit
PER_UNIT = {"schools": 20, "volunteers": 200, "visits": 100, "movements": 5000}
#: the password of every generated account (hashed once, with the app's method)
BENCH_PASSWORD = "bench-password-2026"  # noqa: S105 - throwaway benchmark accounts
#: rows per INSERT batch
BATCH = 5000
KIT_TYPES = 8
PROVINCES = (
    ("四川省", "凉山彝族自治州", "美姑县"),
    ("贵州省", "毕节市", "威宁县"),
    ("云南省", "昭通市", "镇雄县"),
    ("广东省", "河源市", "紫金县"),
    ("甘肃省", "定西市", "岷县"),
    ("新疆维吾尔自治区", "和田地区", "墨玉县"),
)


@dataclass(frozen=True)
class Sizes:
    schools: int
    volunteers: int
    visits: int
    movements: int
    companies: int
    hosts: int
    hubs: int

    @classmethod
    def at(cls, scale: float) -> Sizes:
        count = {name: max(1, round(unit * scale)) for name, unit in PER_UNIT.items()}
        return cls(
            **count,
            companies=max(1, math.ceil(count["schools"] / 10)),
            hosts=max(1, math.ceil(count["schools"] / 2)),
            hubs=3 + int(scale // 20) if scale >= 1 else 1,
        )


@dataclass
class Generated:
    """What was built: sizes, row counts per table, seconds per part, and logins the bench uses."""

    sizes: Sizes
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    admin_email: str = ""
    #: the host of the first two schools, and the first school's first volunteer (five visits or so)
    host_email: str = ""
    volunteer_email: str = ""
    #: published visits to come, soonest first, and completed ones, latest first (ids)
    upcoming_visit_ids: list[int] = field(default_factory=list)
    completed_visit_ids: list[int] = field(default_factory=list)


class _Writer:
    """Bulk INSERTs through the session's connection, BATCH rows at a time, with explicit ids."""

    def __init__(self, session, generated: Generated):
        from extensions import db

        self.session = session
        self.generated = generated
        self.pending: dict[str, list[dict]] = defaultdict(list)
        #: parents before children, so a full batch of one table can go with every table's rows before it
        self.tables = list(db.metadata.sorted_tables)

    def next_id(self, table) -> int:
        return (self.session.scalar(select(func.max(table.c.id))) or 0) + 1

    def add(self, table, row: dict) -> None:
        rows = self.pending[table.name]
        rows.append(row)
        if len(rows) >= BATCH:
            self.flush_all(*self.tables)

    def flush(self, table) -> None:
        rows = self.pending.pop(table.name, [])
        if rows:
            self.session.execute(insert(table), rows)
            self.generated.rows[table.name] = self.generated.rows.get(table.name, 0) + len(rows)

    def flush_all(self, *tables) -> None:
        for table in tables:
            self.flush(table)


def _tables():
    from accounts.models import Company, User, UserRole
    from checkin.models import Attendance, Scan, Ticket
    from events.models import Lesson, RoleSlot, School, Visit, school_host
    from kits.models import (
        DonationTrail,
        Hub,
        KitReservation,
        KitType,
        LedgerHead,
        Movement,
        MovementLot,
        StockLevel,
        VisitKit,
    )
    from volunteers.models import Signup

    models = {
        "company": Company,
        "user": User,
        "user_role": UserRole,
        "school": School,
        "visit": Visit,
        "slot": RoleSlot,
        "lesson": Lesson,
        "signup": Signup,
        "ticket": Ticket,
        "attendance": Attendance,
        "scan": Scan,
        "hub": Hub,
        "kit_type": KitType,
        "stock": StockLevel,
        "movement": Movement,
        "lot": MovementLot,
        "trail": DonationTrail,
        "head": LedgerHead,
        "reservation": KitReservation,
        "visit_kit": VisitKit,
    }
    tables = {name: model.__table__ for name, model in models.items()}
    tables["school_host"] = school_host
    return SimpleNamespace(**tables)


def generate(session, scale: float, now: datetime, *, seed: int = 13) -> Generated:
    """Add the data of `scale` to the session's database (empty or holding other data, the demo's say) by bulk
    inserts; flushed, not committed. Needs an app context (SECRET_KEY derives tickets' and trails' secrets)."""
    sizes = Sizes.at(scale)
    generated = Generated(sizes)
    rng = random.Random(seed)
    now = now.replace(microsecond=0)
    t = _tables()
    writer = _Writer(session, generated)

    started = time.perf_counter()
    people = _people(writer, t, sizes, now, generated)
    generated.seconds["people"] = time.perf_counter() - started

    started = time.perf_counter()
    kits = _kit_setup(writer, t, sizes, now)
    visits = _visits(writer, t, sizes, now, rng, people, kits, generated)
    generated.seconds["visits, signups, check-ins"] = time.perf_counter() - started

    started = time.perf_counter()
    from bench.scale_ledger import ledger

    ledger(session, writer, t, sizes, now, rng, kits, visits, people)
    generated.seconds["stock ledger"] = time.perf_counter() - started

    started = time.perf_counter()
    _reset_sequences(session)
    generated.seconds["sequences"] = time.perf_counter() - started
    session.flush()
    return generated


# ---------------------------------------------------------------- people and schools


def _people(writer: _Writer, t, sizes: Sizes, now: datetime, generated: Generated) -> SimpleNamespace:
    from accounts.models import Role, TrainingStatus
    from accounts.services import hash_password

    password_hash = hash_password(BENCH_PASSWORD)
    tag = uuid.uuid4().hex[:6]  # several generations in one database keep unique names
    first_company = writer.next_id(t.company)
    companies = list(range(first_company, first_company + sizes.companies))
    for n, company_id in enumerate(companies):
        name, code = f"Bench company {tag}-{n}", f"B{tag}{n:06d}".upper()
        writer.add(t.company, {"id": company_id, "name": name, "join_code": code, "created_at": now})
    writer.flush(t.company)

    next_user = writer.next_id(t.user)

    def account(email: str, name: str, role: Role, company_id: int | None, training: TrainingStatus) -> int:
        nonlocal next_user
        user_id, next_user = next_user, next_user + 1
        row = {
            "id": user_id,
            "email": email,
            "name": name,
            "phone": f"139{user_id:08d}",
            "password_hash": password_hash,
            "company_id": company_id,
            "languages": ["mandarin"],
            "skills": "",
            "training_status": training,
            "locale": None,
            "last_locale": None,
            "session_nonce": secrets.token_hex(16),
            "active": True,
            "created_at": now - timedelta(days=400),
            "updated_at": now - timedelta(days=400),
        }
        writer.add(t.user, row)
        writer.add(t.user_role, {"user_id": user_id, "role": role})
        return user_id

    generated.admin_email = f"bench-admin-{tag}@example.org"
    admin = account(generated.admin_email, "Bench Admin", Role.ADMIN, None, TrainingStatus.COMPLETED)
    hosts = [
        account(f"bench-host-{tag}-{n}@example.org", f"主持人 Host {n}", Role.HOST, None, TrainingStatus.NONE)
        for n in range(sizes.hosts)
    ]
    volunteers = [
        account(
            f"bench-v-{tag}-{n}@example.org",
            f"志愿者 Volunteer {n}",
            Role.VOLUNTEER,
            companies[n % len(companies)],
            TrainingStatus.COMPLETED if n % 3 else TrainingStatus.IN_PROGRESS,
        )
        for n in range(sizes.volunteers)
    ]
    writer.flush_all(t.user, t.user_role)
    generated.host_email = f"bench-host-{tag}-0@example.org"
    generated.volunteer_email = f"bench-v-{tag}-0@example.org"

    first_school = writer.next_id(t.school)
    schools = []
    for n in range(sizes.schools):
        school_id = first_school + n
        province, prefecture, county = PROVINCES[n % len(PROVINCES)]
        zone = "Asia/Urumqi" if province.startswith("新疆") and n % 2 else "Asia/Shanghai"
        row = {
            "id": school_id,
            "name": f"第{n + 1}小学 Bench Primary School {tag}-{n}",
            "province": province,
            "prefecture": prefecture,
            "county": county,
            "township": f"{n % 37}镇",
            "address": f"{county}{n}号",
            "timezone": zone,
            "travel_notes": "",
            "connectivity_notes": "",
            "created_at": now - timedelta(days=400),
            "updated_at": now - timedelta(days=400),
            "archived_at": None,
        }
        writer.add(t.school, row)
        schools.append(SimpleNamespace(id=school_id, timezone=zone, host=hosts[n // 2 % len(hosts)]))
        writer.add(t.school_host, {"school_id": school_id, "user_id": hosts[n // 2 % len(hosts)]})
    writer.flush_all(t.school, t.school_host)
    return SimpleNamespace(admin=admin, hosts=hosts, volunteers=volunteers, schools=schools)


def _kit_setup(writer: _Writer, t, sizes: Sizes, now: datetime) -> SimpleNamespace:
    tag = uuid.uuid4().hex[:6]
    first_type, first_hub = writer.next_id(t.kit_type), writer.next_id(t.hub)
    kit_types = []
    for n in range(KIT_TYPES):
        row = {
            "id": first_type + n,
            "name": f"Bench kit {tag}-{n}",
            "description": "",
            "students_per_kit": (2, 4)[n % 2],
            "consumable": n % 3 != 0,
            "unit_value_fen": 1000 + 500 * n,
            "low_stock_threshold": 10,
            "lesson_plan_url": "",
            "created_at": now - timedelta(days=420),
        }
        writer.add(t.kit_type, row)
        kit_types.append(SimpleNamespace(**row))
    hubs = list(range(first_hub, first_hub + sizes.hubs))
    for hub_id in hubs:
        row = {"id": hub_id, "name": f"Bench hub {tag}-{hub_id}", "address": "", "active": True}
        writer.add(t.hub, {**row, "created_at": now - timedelta(days=420)})
    writer.flush_all(t.kit_type, t.hub)
    return SimpleNamespace(types=kit_types, hubs=hubs)


# ---------------------------------------------------------------- visits, signups and check-ins


def _visits(writer: _Writer, t, sizes, now, rng, people, kits, generated) -> list[SimpleNamespace]:
    """Visits with their slots, lessons, signups, tickets, attendance and scans; returns what the ledger needs."""
    from bench.scale_signups import signups
    from checkin import tickets
    from checkin.hours import minutes_counted
    from core.timeutil import in_zone, local_to_utc
    from events.models import VisitStatus

    ids = {name: writer.next_id(getattr(t, name)) for name in ("visit", "slot", "lesson", "signup", "ticket", "scan")}

    def new(name: str) -> int:
        ids[name] += 1
        return ids[name] - 1

    schools = people.schools
    visits = []
    for n in range(sizes.visits):
        school = schools[n % len(schools)]
        round_, index = divmod(n, len(schools))
        # rounds a quarter of a year apart, each school's visit at a day of its own within it
        offset = -365 + 97 * round_ + (index * 7 + round_ * 13) % 90
        offset = offset if offset != 0 else 1
        day = in_zone(now, school.timezone).date() + timedelta(days=offset)
        starts_at = local_to_utc(day, clock_time(9, 0), school.timezone)
        ends_at = starts_at + timedelta(hours=6)
        roll = rng.random()
        if offset < 0:
            status = VisitStatus.CANCELLED if roll < 0.08 else VisitStatus.COMPLETED
        else:
            status = (
                VisitStatus.DRAFT if roll < 0.07 else VisitStatus.CANCELLED if roll < 0.14 else VisitStatus.PUBLISHED
            )
        created_at = min(now - timedelta(days=1), starts_at - timedelta(days=30))
        published_at = None if status == VisitStatus.DRAFT else created_at + timedelta(hours=1)
        cancelled_at = None
        if status == VisitStatus.CANCELLED:
            cancelled_at = min(now - timedelta(hours=1), starts_at - timedelta(days=3))
        visit_id = new("visit")
        visit = SimpleNamespace(
            id=visit_id,
            school=school,
            status=status,
            starts_at=starts_at,
            ends_at=ends_at,
            created_at=created_at,
            published_at=published_at,
            cancelled_at=cancelled_at,
            hub_id=kits.hubs[n % len(kits.hubs)],
            lessons=[],
        )
        writer.add(
            t.visit,
            {
                "id": visit_id,
                "school_id": school.id,
                "title": f"科学日 Science day {n}",
                "starts_at": starts_at,
                "ends_at": ends_at,
                "status": status,
                "signup_opens_at": published_at,
                "signup_closes_at": None,
                "meeting_point": "县城汽车站 7:00 Meet at the bus station at 7:00",
                "what_to_bring": "",
                "livestream_url": "",
                "notes": "",
                "revision": 1 if cancelled_at else 0,
                "cancel_cutoff_hours": 24,
                "created_at": created_at,
                "updated_at": cancelled_at or published_at or created_at,
                "published_at": published_at,
                "cancelled_at": cancelled_at,
                "hub_id": visit.hub_id,
                "kits_override_reason": "",
                "kits_overridden_at": None,
            },
        )
        for k, (hour, grade) in enumerate(((9, 3), (13, 5))):
            kit_type = kits.types[(n + 3 * k) % len(kits.types)]
            expected = 30 + (n * 7 + k * 5) % 16
            lesson_start = local_to_utc(day, clock_time(hour, 30), school.timezone)
            lesson = SimpleNamespace(
                id=new("lesson"),
                kit_type=kit_type,
                needed=-(-expected // kit_type.students_per_kit) + 1,
            )
            visit.lessons.append(lesson)
            writer.add(
                t.lesson,
                {
                    "id": lesson.id,
                    "visit_id": visit_id,
                    "title": f"实验 Experiment {k + 1}",
                    "grade": grade,
                    "classroom": f"{grade}（{k + 1}）班",
                    "starts_at": lesson_start,
                    "ends_at": lesson_start + timedelta(minutes=90),
                    "kit_type_id": kit_type.id,
                    "students_expected": expected,
                    "students_attended": expected - n % 4 if status == VisitStatus.COMPLETED else None,
                    "spare_kits": 1,
                },
            )
        signups(writer, t, new, visit, index, people, rng, tickets, minutes_counted)
        visits.append(visit)
    writer.flush_all(t.visit, t.slot, t.lesson, t.signup, t.ticket, t.attendance, t.scan)
    upcoming = [v for v in visits if v.status == VisitStatus.PUBLISHED]
    generated.upcoming_visit_ids = [v.id for v in sorted(upcoming, key=lambda v: (v.starts_at, v.id))]
    completed = [v for v in visits if v.status == VisitStatus.COMPLETED]
    generated.completed_visit_ids = [v.id for v in sorted(completed, key=lambda v: (v.starts_at, v.id), reverse=True)]
    return visits


def _reset_sequences(session) -> None:
    """On PostgreSQL, move every id sequence past the ids inserted here (SQLite takes the largest id + 1)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    rows = session.execute(
        text(
            "SELECT s.relname AS seq, t.relname AS tab, a.attname AS col FROM pg_class s "
            "JOIN pg_depend d ON d.objid = s.oid JOIN pg_class t ON t.oid = d.refobjid "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid "
            "WHERE s.relkind = 'S' AND t.relnamespace = 'public'::regnamespace"
        )
    ).all()
    for seq, table, column in rows:
        largest = f'SELECT max("{column}") FROM "{table}"'  # noqa: S608 - names from the catalogue, not input
        session.execute(text(f"SELECT setval(:seq, COALESCE(({largest}), 0) + 1, false)"), {"seq": f'"{seq}"'})


def analyze(engine) -> None:
    """On PostgreSQL, gather the planner's statistics after the bulk load, as autovacuum would some time later:
    without them it plans for the tables as they were (empty), and the impact dashboard took minutes, not seconds."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


def main() -> None:
    import argparse
    import os

    parser = argparse.ArgumentParser(description="Build benchmark data in an empty database and time it.")
    parser.add_argument("--scale", type=float, default=1)
    args = parser.parse_args()
    os.environ.setdefault("SECRET_KEY", "bench")
    from flask_migrate import upgrade

    from app import create_app
    from config import normalise_database_url
    from core.timeutil import utcnow
    from extensions import db

    url = normalise_database_url(os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        started = time.perf_counter()
        generated = generate(db.session, args.scale, utcnow())
        db.session.commit()
        committed = time.perf_counter() - started
        analyze(db.engine)
        total = time.perf_counter() - started
    print(f"scale {args.scale}: {generated.sizes}")
    for part, seconds in generated.seconds.items():
        print(f"  {part}: {seconds:.1f} s")
    print(f"  total, committed: {committed:.1f} s; with ANALYZE: {total:.1f} s")
    for table, rows in sorted(generated.rows.items()):
        print(f"  {table}: {rows:,} rows")


if __name__ == "__main__":
    main()
