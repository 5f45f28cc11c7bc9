"""Scanning a ticket in or out: the rules, their reason codes, and a count that holds under any race.

A scan answers with `ok` or one reason, and every attempt is stored with it. A ticket scanned
twice, or by several phones at once, counts once: the check-in is an INSERT that does nothing
when the signup already has one, the check-out an UPDATE that needs an open check-in, so the
database decides, not a read before the write. A scan carries the scanning phone's random
`scan_id` and counts once however often a queue sends it: a repeat gets the first answer back.

At most three statements per scan: the ticket with its signup, visit, whether the scanner hosts the school
and the answer this scan id had if it came before (one SELECT); the check-in or check-out write (a check-out
that changed nothing asks once more which reason applies); the scan's row. On PostgreSQL a check-in's write and
row are one statement (checkin.scan_sql). A scan is the hottest write there is (a gate of volunteers, phones
queueing), so these are Core statements built once, reading only the columns the rules and the answer use: no
ORM objects made, no statement built or its cache key computed per scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from accounts.models import Company, User
from checkin import scan_sql
from checkin.access import scanner_hosts_visit
from checkin.models import Attendance, Direction, Scan, Ticket
from checkin.tickets import TICKETED, hash_code, hash_secret, normalise_code, secret_from
from core.db import insert_or_ignore
from core.errors import DomainError
from core.i18n import lazy_gettext as _l
from events.models import RoleSlot, SlotRole, Visit, VisitStatus
from volunteers.models import Signup, SignupStatus

#: how long before a visit's start a check-in counts
EARLY = timedelta(hours=2)
#: how long after a visit's end a check-out counts (a check-in counts until the end)
LATE_CHECKOUT = timedelta(hours=2)
#: how far a phone's clock may run ahead of the server's, and how old a queued scan may be
CLOCK_SKEW = timedelta(minutes=5)
OLDEST_QUEUED = timedelta(days=7)

#: reason code -> what the scanner's panel says
REASONS = {
    "ok": _l("OK"),
    "unknown_ticket": _l("This is not a SciVisit ticket, or its code was mistyped."),
    "revoked": _l("This ticket no longer works: the signup was cancelled or a new ticket was issued."),
    "wrong_visit": _l("This ticket is for another visit."),
    "too_early": _l("Too early: check-in opens two hours before the visit starts."),
    "too_late": _l("Too late: the visit is over."),
    "already_checked_in": _l("Already checked in."),
    "already_checked_out": _l("Already checked out."),
    "not_checked_in": _l("Not checked in yet: check in first."),
    "visit_cancelled": _l("This visit was cancelled."),
    "not_allowed": _l("You may not check people in for this visit."),
    # the visit's poster, scanned by a volunteer without a place at the visit
    "not_signed_up": _l("You have no confirmed place at this visit, so you cannot check in to it."),
}


@dataclass(frozen=True)
class ScannedVisit:
    id: int
    status: VisitStatus
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class ScannedCompany:
    name: str


@dataclass(frozen=True)
class ScannedUser:
    name: str
    company: ScannedCompany | None


@dataclass(frozen=True)
class ScannedSlot:
    role: SlotRole


@dataclass(frozen=True)
class ScannedSignup:
    """A signup as a scan reads it: the attributes of `Signup` that the rules (`attend`) and the answer
    (whose ticket it is) use, by the same names, so a `Signup` serves wherever this does."""

    id: int
    status: SignupStatus
    visit: ScannedVisit
    user: ScannedUser
    slot: ScannedSlot


@dataclass(frozen=True)
class ScanAnswer:
    reason: str
    direction: Direction
    scanned_at: datetime
    signup: Signup | ScannedSignup | None = None
    #: this scan id was answered before: this is that answer again, and nothing changed now
    repeated: bool = False

    @property
    def ok(self) -> bool:
        return self.reason == "ok"

    @property
    def message(self) -> str:
        return str(REASONS[self.reason])

    @property
    def shows_person(self) -> bool:
        """Whether the answer may name the volunteer: only to a scanner allowed for the visit."""
        return self.signup is not None and self.reason not in ("unknown_ticket", "not_allowed")


def scan(
    session: Session,
    *,
    scanner: User,
    ticket: str,
    direction: Direction,
    scan_id: str,
    scanned_at: datetime,
    now: datetime,
    visit_id: int | None = None,
) -> ScanAnswer:
    """Check the ticket (`ticket`: its URL, secret, or short code, which needs `visit_id`) in or out.

    `scanned_at` is when the phone scanned it (a queued scan arrives later); `visit_id`, the visit
    the scanner is open for. Raises: validation_error (a scan time outside sane bounds).
    """
    if scanned_at > now + CLOCK_SKEW or scanned_at < now - OLDEST_QUEUED:
        raise DomainError("validation_error", field="scanned_at")
    scanned_at = min(scanned_at, now)
    found, earlier = _find(session, scanner, ticket, visit_id, scan_id)
    if earlier is not None:
        return earlier
    if found is None:
        # A short code is tried only for a visit the scanner may check in for: to anyone else every code,
        # right or wrong, is `not_allowed`, so guessing one tells them nothing.
        typed_for = visit_id if secret_from(ticket) is None else None
        refused = typed_for is not None and not _may_scan(session, scanner, typed_for)
        answer = ScanAnswer("not_allowed" if refused else "unknown_ticket", direction, scanned_at)
    else:
        refused = _refusal(found, scanner, direction, scanned_at, visit_id)
        if refused is None and direction == Direction.IN and session.get_bind().dialect.name == "postgresql":
            return _attend_and_keep(session, found, direction, scanned_at, scan_id=scan_id, scanner=scanner, now=now)
        reason = refused or _attend(session, found.signup, direction, scanned_at)
        answer = ScanAnswer(reason, direction, scanned_at, found.signup)
    return keep(
        session,
        answer,
        scan_id=scan_id,
        visit_id=found.visit_id if found else visit_id,
        ticket_id=found.id if found else None,
        scanner=scanner,
        now=now,
    )


def earlier_answer(session: Session, scan_id: str) -> ScanAnswer | None:
    """The answer this scan id had the first time it came, if it came before."""
    earlier = _read(session, _EARLIER, {"scan_id": scan_id}).first()
    return None if earlier is None else _answer_of(session, earlier)


def keep(
    session: Session,
    answer: ScanAnswer,
    *,
    scan_id: str,
    visit_id: int | None,
    ticket_id: int | None,
    scanner: User,
    now: datetime,
) -> ScanAnswer:
    """Store the attempt with its answer; the same scan id stored at the same moment by another
    request gets that request's answer instead (nothing this one did counts twice)."""
    stored = insert_or_ignore(
        session,
        Scan,
        dict(
            scan_id=scan_id,
            visit_id=visit_id,
            ticket_id=ticket_id,
            signup_id=answer.signup.id if answer.signup is not None else None,
            scanner_id=scanner.id,
            direction=answer.direction,
            reason=answer.reason,
            scanned_at=answer.scanned_at,
            received_at=now,
        ),
        conflict_on=["scan_id"],
    )
    if not stored:  # the same scan id, sent twice at the same moment: the first one's answer
        return _answer_of(session, _read(session, _EARLIER, {"scan_id": scan_id}).one())
    return answer


@dataclass(frozen=True)
class _Earlier:
    """A scan id's stored answer, as `_EARLIER` reads it."""

    reason: str
    direction: Direction
    scanned_at: datetime
    signup_id: int | None


@dataclass(frozen=True)
class _Found:
    """A scanned ticket: what the rules read of it, its signup, and whether the scanner hosts its visit."""

    id: int
    visit_id: int
    revoked_at: datetime | None
    hosts: bool
    signup: ScannedSignup


_tickets, _signups, _visits, _slots = Ticket.__table__, Signup.__table__, Visit.__table__, RoleSlot.__table__
_users, _companies, _scans, _attendance = User.__table__, Company.__table__, Scan.__table__, Attendance.__table__

#: a scan id's stored answer
_EARLIER = select(_scans.c.reason, _scans.c.direction, _scans.c.scanned_at, _scans.c.signup_id).where(
    _scans.c.scan_id == bindparam("scan_id")
)
_earlier = _scans.alias("earlier")

#: a ticket with what the rules and the answer need of its signup, visit, person and role, and whether the
#: scanner (`scanner_id`) hosts the visit's school: by its secret's hash, or by its visit and short code's hash
_TICKET = select(
    _tickets.c.id,
    _tickets.c.visit_id,
    _tickets.c.revoked_at,
    scanner_hosts_visit(bindparam("scanner_id")).label("hosts"),
    _signups.c.id.label("signup_id"),
    _signups.c.status,
    _visits.c.status.label("visit_status"),
    _visits.c.starts_at,
    _visits.c.ends_at,
    _users.c.name,
    _companies.c.name.label("company"),
    _slots.c.role,
    *(_earlier.c[column.name].label(f"earlier_{column.name}") for column in _EARLIER.selected_columns),
).select_from(
    _tickets.join(_signups, _signups.c.id == _tickets.c.signup_id)
    .join(_visits, _visits.c.id == _tickets.c.visit_id)
    .join(_slots, _slots.c.id == _signups.c.slot_id)
    .join(_users, _users.c.id == _signups.c.user_id)
    .outerjoin(_companies, _companies.c.id == _users.c.company_id)
    # the scan id's stored answer, if it came before (at most one: scan ids are unique), read in the same trip
    .outerjoin(_earlier, _earlier.c.scan_id == bindparam("scan_id"))
)
_TICKET_BY_SECRET = _TICKET.where(_tickets.c.secret_hash == bindparam("secret_hash"))
_TICKET_BY_CODE = _TICKET.where(
    _tickets.c.visit_id == bindparam("visit_id"), _tickets.c.code_hash == bindparam("code_hash")
)

#: whether the scanner (`scanner_id`) hosts the visit `visit_id`
_HOSTS_VISIT = select(scanner_hosts_visit(bindparam("scanner_id"))).where(_visits.c.id == bindparam("visit_id"))

#: a check-out: counts only for an open check-in made before it
_CHECK_OUT = (
    update(_attendance)
    .where(
        _attendance.c.signup_id == bindparam("checked_out_signup_id"),
        _attendance.c.checked_out_at.is_(None),
        _attendance.c.checked_in_at <= bindparam("scanned_at"),
    )
    .values(checked_out_at=bindparam("scanned_at"))
)
#: whether the signup's check-in, if any, was checked out
_CHECKED_OUT = select(_attendance.c.checked_out_at.is_not(None)).where(
    _attendance.c.signup_id == bindparam("signup_id")
)


def _run(session: Session, statement, params: dict):
    """Execute a Core statement of this module that writes; pending ORM changes are flushed first, as for an ORM one
    (and the shared cache hears of the write: core.cache)."""
    if session.autoflush:
        session.flush()  # nothing to do, and cheap, when nothing is pending
    return session.execute(statement, params)


def _read(session: Session, statement, params: dict):
    """Execute a Core statement of this module that only reads, on the session's connection (in its transaction):
    the ORM's execute adds nothing a read of columns needs. Pending ORM changes are flushed first."""
    if session.autoflush:
        session.flush()
    return session.connection().execute(statement, params)


def _find(
    session: Session, scanner: User, text: str, visit_id: int | None, scan_id: str
) -> tuple[_Found | None, ScanAnswer | None]:
    """The ticket, with its signup and visit, and whether the scanner hosts the visit's school; and the answer
    the scan id had if it came before. One statement when the text names a ticket (the scan's own answer is
    read with it), else one for the scan id alone."""
    secret = secret_from(text)
    if secret is not None:
        statement, params = _TICKET_BY_SECRET, {"secret_hash": hash_secret(secret)}
    else:
        code = normalise_code(text)
        if code is None or visit_id is None:
            return None, earlier_answer(session, scan_id)
        statement, params = _TICKET_BY_CODE, {"visit_id": visit_id, "code_hash": hash_code(visit_id, code)}
    row = _read(session, statement, {"scanner_id": scanner.id, "scan_id": scan_id, **params}).first()
    if row is None:
        return None, earlier_answer(session, scan_id)
    if row.earlier_reason is not None:
        earlier = _Earlier(row.earlier_reason, row.earlier_direction, row.earlier_scanned_at, row.earlier_signup_id)
        return None, _answer_of(session, earlier)
    visit = ScannedVisit(row.visit_id, row.visit_status, row.starts_at, row.ends_at)
    user = ScannedUser(row.name, ScannedCompany(row.company) if row.company is not None else None)
    signup = ScannedSignup(row.signup_id, row.status, visit, user, ScannedSlot(row.role))
    return _Found(row.id, row.visit_id, row.revoked_at, bool(row.hosts), signup), None


def _may_scan(session: Session, scanner: User, visit_id: int) -> bool:
    """checkin.access.can_scan for a visit known only by its id (a typed code that matched nothing)."""
    if scanner.is_admin:
        return True
    return bool(_read(session, _HOSTS_VISIT, {"scanner_id": scanner.id, "visit_id": visit_id}).scalar())


def _refusal(
    ticket: _Found, scanner: User, direction: Direction, scanned_at: datetime, visit_id: int | None
) -> str | None:
    """Why the scan does not count, read before anything is written; None when it may count."""
    if not (scanner.is_admin or ticket.hosts):  # checkin.access.can_scan, its SQL half read with the ticket
        return "not_allowed"
    if visit_id is not None and visit_id != ticket.visit_id:
        return "wrong_visit"
    if ticket.revoked_at is not None:
        return "revoked"
    return _refused(ticket.signup, direction, scanned_at)


def _refused(signup: Signup | ScannedSignup, direction: Direction, scanned_at: datetime) -> str | None:
    """The rules of coming and going before the write: a place that still holds, a visit not cancelled,
    inside its time window."""
    visit = signup.visit
    if signup.status not in TICKETED:
        return "revoked"
    if visit.status == VisitStatus.CANCELLED:
        return "visit_cancelled"
    if scanned_at < visit.starts_at - EARLY:
        return "too_early"
    if scanned_at > (visit.ends_at if direction == Direction.IN else visit.ends_at + LATE_CHECKOUT):
        return "too_late"
    return None


def attend(session: Session, signup: Signup | ScannedSignup, direction: Direction, scanned_at: datetime) -> str:
    """The rules of coming and going, however the attempt arrives (a host's scan, the visit's poster):
    a place that still holds, a visit not cancelled, inside its time window. Records the check-in or
    check-out when it counts; answers `ok` or the reason it does not."""
    return _refused(signup, direction, scanned_at) or _attend(session, signup, direction, scanned_at)


def _attend(session: Session, signup: Signup | ScannedSignup, direction: Direction, scanned_at: datetime) -> str:
    """The check-in or check-out write, once the rules allow it: `ok`, or why it changed nothing."""
    if direction == Direction.IN:
        came = insert_or_ignore(
            session,
            Attendance,
            dict(signup_id=signup.id, visit_id=signup.visit.id, checked_in_at=scanned_at, closed_at_end=False),
            conflict_on=["signup_id"],
        )
        return "ok" if came else "already_checked_in"
    left = _run(session, _CHECK_OUT, {"checked_out_signup_id": signup.id, "scanned_at": scanned_at}).rowcount
    if left:
        return "ok"
    state = _read(session, _CHECKED_OUT, {"signup_id": signup.id}).scalar()
    return "already_checked_out" if state else "not_checked_in"


def _attend_and_keep(
    session: Session,
    ticket: _Found,
    direction: Direction,
    scanned_at: datetime,
    *,
    scan_id: str,
    scanner: User,
    now: datetime,
) -> ScanAnswer:
    """PostgreSQL: the check-in and the scan's row in one statement (checkin.scan_sql); the same scan id
    stored at the same moment by another request gets that request's answer."""
    signup = ticket.signup
    values = {
        "signup_id": signup.id,
        "visit_id": ticket.visit_id,
        "scan_id": scan_id,
        "ticket_id": ticket.id,
        "scanner_id": scanner.id,
        "direction": direction,
        "scanned_at": scanned_at,
        "received_at": now,
        "closed_at_end": False,
        "correction_reason": "",
    }
    params = {f"the_{name}": value for name, value in values.items()}
    statement = scan_sql.CHECK_IN_AND_KEEP
    if session.autoflush:
        session.flush()
    stored = session.execute(statement, params).first()
    if stored is None:
        return _answer_of(session, _read(session, _EARLIER, {"scan_id": scan_id}).one())
    return ScanAnswer(stored.reason, direction, scanned_at, signup)


def _answer_of(session: Session, stored) -> ScanAnswer:
    """The answer of a stored scan (a row of `_EARLIER`), naming its signup as an ORM `Signup`."""
    signup = session.get(Signup, stored.signup_id) if stored.signup_id else None
    return ScanAnswer(stored.reason, stored.direction, stored.scanned_at, signup, repeated=True)
