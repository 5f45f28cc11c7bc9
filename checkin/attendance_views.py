"""Attendance after the visit: who came and for how long, corrections by a programme coordinator, and
students attended as the host records them (which completes the visit)."""

from __future__ import annotations

from flask import abort, g, render_template, request, url_for

from accounts.access import SIGNED_IN, requires, viewer
from checkin import bp
from checkin.access import can_scan
from checkin.attendance import roll_call
from checkin.forms import CorrectionForm, students_form
from checkin.hours import correct_attendance, minutes_counted, record_students
from checkin.models import Attendance
from core.i18n import gettext as _
from core.timeutil import in_zone, local_to_utc
from core.web import form_status, submit
from events.access import can_plan
from events.models import Visit, VisitStatus
from extensions import db
from volunteers.models import Signup


def _visit_for_scanner(visit_id: int) -> Visit:
    visit = db.session.get(Visit, visit_id) or abort(404)
    if not can_scan(viewer(), visit):
        abort(403)
    return visit


@bp.route("/visits/<int:visit_id>/attendance", methods=["GET", "POST"])
@requires(SIGNED_IN)
def attendance(visit_id: int):
    """Who came and for how long; after the visit, the students attended per lesson and satellite school."""
    visit = _visit_for_scanner(visit_id)
    form = students_form(visit, request.form if request.method == "POST" else None)
    if form.validate_on_submit():
        saved = submit(
            form,
            lambda: record_students(db.session, visit, form.counts(), by=viewer(), now=g.now),
            done=lambda v: (
                _("Attendance saved. The visit is completed.")
                if v.status == VisitStatus.COMPLETED
                else _("Attendance saved.")
            ),
            then=lambda v: url_for("checkin.attendance", visit_id=v.id),
        )
        if saved is not None:
            return saved
    return (
        render_template(
            "checkin/attendance.html",
            visit=visit,
            roll=roll_call(db.session, visit),
            minutes=lambda attendance: minutes_counted(attendance, visit),
            form=form,
            is_over=g.now >= visit.ends_at,
            corrects=can_plan(viewer()),
        ),
        form_status(form),
    )


@bp.route("/visits/<int:visit_id>/attendance/<int:signup_id>", methods=["GET", "POST"])
@requires(SIGNED_IN)
def correct(visit_id: int, signup_id: int):
    """A programme coordinator sets when a volunteer came and left, giving a reason."""
    if not can_plan(viewer()):
        abort(403)
    signup = db.session.get(Signup, signup_id)
    if signup is None or signup.visit_id != visit_id:
        abort(404)
    visit, tz = signup.visit, signup.visit.school.timezone
    day = in_zone(visit.starts_at, tz).date()
    current = db.session.get(Attendance, signup.id)
    form = CorrectionForm(
        request.form if request.method == "POST" else None,
        data=None
        if current is None
        else {
            "checked_in_at": in_zone(current.checked_in_at, tz).time(),
            "checked_out_at": in_zone(current.checked_out_at, tz).time() if current.checked_out_at else None,
        },
    )
    if form.validate_on_submit():
        saved = submit(
            form,
            lambda: correct_attendance(
                db.session,
                signup,
                checked_in_at=local_to_utc(day, form.checked_in_at.data, tz),
                checked_out_at=local_to_utc(day, form.checked_out_at.data, tz),
                reason=form.reason.data,
                by=viewer(),
                now=g.now,
            ),
            done=lambda _a: _("The times of %(name)s are corrected.", name=signup.user.name),
            then=lambda _a: url_for("checkin.attendance", visit_id=visit.id, _anchor=f"signup-{signup.id}"),
        )
        if saved is not None:
            return saved
    return render_template("checkin/correct.html", visit=visit, signup=signup, form=form), form_status(form)
