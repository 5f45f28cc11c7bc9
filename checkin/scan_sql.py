"""PostgreSQL's one-statement check-in: the check-in and the scan's row together, one round trip fewer on the
hottest write there is (checkin.scans).

The check-in runs in a WITH, an INSERT that does nothing when the signup has one; the scan's reason comes from
whether it made a row (`ok`) or not (`already_checked_in`), as the two separate statements decide it elsewhere
(SQLite has no writes in WITH). Under a race the database decides: a second INSERT waits for the first and then
does nothing. The scan's INSERT does nothing when its scan id is stored already (then no row comes back, and the
caller reads the first answer); the check-in in the WITH runs even then and changes nothing a second time,
because the first request made it.

A check-out stays two statements everywhere: when its UPDATE finds the check-in closed by a request that
committed meanwhile, only a second statement (a fresh snapshot) can tell `already_checked_out` from
`not_checked_in`.

Built once, at import; its parameters are named `the_<column>`, `the_closed_at_end` and `the_correction_reason`
too (False and "").
"""

from __future__ import annotations

from sqlalchemy import bindparam, case, exists, literal_column, select
from sqlalchemy.dialects.postgresql import insert

from checkin.models import Attendance, Scan

_attendance, _scans = Attendance.__table__, Scan.__table__


def _param(name: str, column):
    # named apart from every column: SQLAlchemy takes an execution parameter named as a column of an UPDATE
    # or INSERT for a value to set
    return bindparam(f"the_{name}", type_=column.type)


_SIGNUP = _param("signup_id", _attendance.c.signup_id)
#: the reasons as SQL constants: a value a WITH holds as an anonymous parameter is lost from a statement built
#: once (SQLAlchemy 2.1 does not carry it over from the cached form), so nothing here is one
_REASON = {
    reason: literal_column(f"'{reason}'")
    for reason in ("ok", "already_checked_in", "already_checked_out", "not_checked_in")
}
_SCANNED_AT = _param("scanned_at", _attendance.c.checked_in_at)


def _keep(reason, write) -> object:
    """The scan's INSERT with `reason` (a SQL expression over the WITH `write`), answering its reason."""
    values = select(
        _param("scan_id", _scans.c.scan_id),
        _param("visit_id", _scans.c.visit_id),
        _param("ticket_id", _scans.c.ticket_id),
        _SIGNUP,
        _param("scanner_id", _scans.c.scanner_id),
        _param("direction", _scans.c.direction),
        reason,
        _SCANNED_AT,
        _param("received_at", _scans.c.received_at),
    )
    names = ["scan_id", "visit_id", "ticket_id", "signup_id", "scanner_id", "direction", "reason"]
    return (
        insert(_scans)
        .from_select([*names, "scanned_at", "received_at"], values)
        .on_conflict_do_nothing(index_elements=["scan_id"])
        .returning(_scans.c.reason)
        .add_cte(write)
    )


def _check_in():
    came = (
        insert(_attendance)
        .values(
            signup_id=_SIGNUP,
            visit_id=_param("visit_id", _attendance.c.visit_id),
            checked_in_at=_SCANNED_AT,
            closed_at_end=_param("closed_at_end", _attendance.c.closed_at_end),
            correction_reason=_param("correction_reason", _attendance.c.correction_reason),
        )
        .on_conflict_do_nothing(index_elements=["signup_id"])
        .returning(_attendance.c.signup_id)
        .cte("came")
    )
    reason = case((exists(select(came.c.signup_id)), _REASON["ok"]), else_=_REASON["already_checked_in"])
    return _keep(reason, came)


CHECK_IN_AND_KEEP = _check_in()
