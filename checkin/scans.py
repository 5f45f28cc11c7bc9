"""Scanning a ticket in or out: the rules, their reason codes, and a count that holds under any race.

A scan answers with `ok` or one reason, and every attempt is stored with it. A ticket scanned
twice, or by several phones at once, counts once: the check-in is an INSERT that does nothing
when the signup already has one, the check-out an UPDATE that needs an open check-in, so the
database decides, not a read before the write. A scan carries the scanning phone's random
`scan_id` and counts once however often a queue sends it: a repeat gets the first answer back.

At most four statements per scan: the earlier answer to this scan id, the ticket with its signup,
visit and whether the scanner hosts the school (one SELECT), the check-in write, the scan's row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session, contains_eager, joinedload, lazyload

from accounts.models import User
from checkin.access import scanner_hosts_visit
from checkin.models import Attendance, Direction, Scan, Ticket
from checkin.tickets import TICKETED, hash_code, hash_secret, normalise_code, secret_from
from core.db import insert_or_ignore
from core.errors import DomainError
from events.models import School, Visit, VisitStatus
from volunteers.models import Signup

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
class ScanAnswer:
    reason: str
    direction: Direction
    scanned_at: datetime
    signup: Signup | None = None
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
    earlier = earlier_answer(session, scan_id)
    if earlier is not None:
        return earlier

    found = _find(session, scanner, ticket, visit_id)
    if found is None:
        # A short code is tried only for a visit the scanner may check in for: to anyone else every code,
        # right or wrong, is `not_allowed`, so guessing one tells them nothing.
        typed_for = visit_id if secret_from(ticket) is None else None
        refused = typed_for is not None and not _may_scan(session, scanner, typed_for)
        answer = ScanAnswer("not_allowed" if refused else "unknown_ticket", direction, scanned_at)
    else:
        found_ticket, hosts = found
        answer = ScanAnswer(
            _reason(session, found_ticket, hosts, scanner, direction, scanned_at, visit_id),
            direction,
            scanned_at,
            found_ticket.signup,
        )
    return keep(
        session,
        answer,
        scan_id=scan_id,
        visit_id=found[0].visit_id if found else visit_id,
        ticket_id=found[0].id if found else None,
        scanner=scanner,
        now=now,
    )


def earlier_answer(session: Session, scan_id: str) -> ScanAnswer | None:
    """The answer this scan id had the first time it came, if it came before."""
    earlier = session.scalar(select(Scan).where(Scan.scan_id == scan_id))
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
        return _answer_of(session, session.scalar(select(Scan).where(Scan.scan_id == scan_id)))
    return answer


def _find(session: Session, scanner: User, text: str, visit_id: int | None) -> tuple[Ticket, bool] | None:
    """The ticket, with its signup and visit, and whether the scanner hosts the visit's school."""
    secret = secret_from(text)
    if secret is not None:
        condition = Ticket.secret_hash == hash_secret(secret)
    else:
        code = normalise_code(text)
        if code is None or visit_id is None:
            return None
        condition = and_(Ticket.visit_id == visit_id, Ticket.code_hash == hash_code(visit_id, code))
    row = session.execute(
        select(Ticket, scanner_hosts_visit(scanner).label("hosts"))
        .join(Ticket.signup)
        .join(Visit, Visit.id == Ticket.visit_id)
        .options(
            # what the answer shows (name, role, visit times), and not the people's roles or the school's hosts
            contains_eager(Ticket.signup)
            .joinedload(Signup.user)
            .options(lazyload(User.role_rows), joinedload(User.company)),
            contains_eager(Ticket.signup).joinedload(Signup.visit).joinedload(Visit.school).lazyload(School.hosts),
        )
        .where(condition)
    ).first()
    return None if row is None else (row[0], bool(row[1]))


def _may_scan(session: Session, scanner: User, visit_id: int) -> bool:
    """checkin.access.can_scan for a visit known only by its id (a typed code that matched nothing)."""
    if scanner.is_admin:
        return True
    return bool(session.scalar(select(scanner_hosts_visit(scanner)).select_from(Visit).where(Visit.id == visit_id)))


def _reason(
    session: Session,
    ticket: Ticket,
    hosts: bool,
    scanner: User,
    direction: Direction,
    scanned_at: datetime,
    visit_id: int | None,
) -> str:
    if not (scanner.is_admin or hosts):  # checkin.access.can_scan, its SQL half read with the ticket
        return "not_allowed"
    if visit_id is not None and visit_id != ticket.visit_id:
        return "wrong_visit"
    if ticket.revoked_at is not None:
        return "revoked"
    return attend(session, ticket.signup, direction, scanned_at)


def attend(session: Session, signup: Signup, direction: Direction, scanned_at: datetime) -> str:
    """The rules of coming and going, however the attempt arrives (a host's scan, the visit's poster):
    a place that still holds, a visit not cancelled, inside its time window. Records the check-in or
    check-out when it counts; answers `ok` or the reason it does not."""
    visit = signup.visit
    if signup.status not in TICKETED:
        return "revoked"
    if visit.status == VisitStatus.CANCELLED:
        return "visit_cancelled"
    if scanned_at < visit.starts_at - EARLY:
        return "too_early"
    if direction == Direction.IN:
        if scanned_at > visit.ends_at:
            return "too_late"
        came = insert_or_ignore(
            session,
            Attendance,
            dict(signup_id=signup.id, visit_id=visit.id, checked_in_at=scanned_at, closed_at_end=False),
            conflict_on=["signup_id"],
        )
        return "ok" if came else "already_checked_in"
    if scanned_at > visit.ends_at + LATE_CHECKOUT:
        return "too_late"
    left = session.execute(
        update(Attendance)
        .where(
            Attendance.signup_id == signup.id,
            Attendance.checked_out_at.is_(None),
            Attendance.checked_in_at <= scanned_at,
        )
        .values(checked_out_at=scanned_at)
        .execution_options(synchronize_session=False)
    ).rowcount
    if left:
        return "ok"
    state = session.scalar(select(Attendance.checked_out_at.is_not(None)).where(Attendance.signup_id == signup.id))
    return "already_checked_out" if state else "not_checked_in"


def _answer_of(session: Session, stored: Scan) -> ScanAnswer:
    signup = session.get(Signup, stored.signup_id) if stored.signup_id else None
    return ScanAnswer(stored.reason, stored.direction, stored.scanned_at, signup, repeated=True)
