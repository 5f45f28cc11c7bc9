"""Event pages: the public list of visits, visits and their editing, schools."""

from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from access import SIGNED_IN, can_see_contact, can_see_school, can_see_visit, requires, roster_view, viewer
from accounts.models import Role
from core.errors import DomainError, all_problems
from core.forms import show_domain_error
from core.i18n import SPOKEN_LANGUAGES
from core.timeutil import in_zone, local_to_utc, naive_local_to_utc
from events import services
from events.forms import SchoolFilterForm, SchoolForm, VisitFilterForm, VisitForm, kit_type_choices, school_choices
from events.models import School, SlotRole, Visit, VisitStatus
from events.services import LessonData, SatelliteData, SlotData, VisitData, VisitFilter
from extensions import db
from kits.services import list_kit_types
from volunteers import services as signups

bp = Blueprint("events", __name__)

#: form action -> (target status, service, what the coordinator is told)
STATUS_ACTIONS = {
    "publish": (VisitStatus.PUBLISHED, services.publish_visit, _l("The visit is published.")),
    "cancel": (VisitStatus.CANCELLED, services.cancel_visit, _l("The visit is cancelled.")),
    "complete": (VisitStatus.COMPLETED, services.complete_visit, _l("The visit is marked as completed.")),
}

ROW_LISTS = ("slots", "lessons", "satellites")
_ROW_FIELD = re.compile(r"^(slots|lessons|satellites)-(\d+)-(.+)$")


def _paginate(query):
    return db.paginate(query, per_page=current_app.config["PAGE_SIZE"], error_out=False)


def _page_args() -> dict:
    return {k: v for k, v in request.args.items() if k != "page" and v}


def _valid(field):
    """A filter's value, or None when what was sent is not one of its choices."""
    return None if field.errors else field.data


# ---------------------------------------------------------------- visits


@bp.get("/")
def home():
    """Published upcoming visits, for anyone."""
    page = _paginate(services.public_visits(g.now))
    return render_template("events/home.html", page=page, args=_page_args())


@bp.get("/visits/")
@requires(SIGNED_IN)
def visits():
    """The visits this person may see, filtered by date, school, region and status."""
    filters = VisitFilterForm(request.args)
    filters.set_choices(
        schools=services.schools_for_choice(db.session, include_archived=current_user.is_admin),
        provinces=services.provinces(db.session),
        see_drafts=current_user.is_admin or Role.HOST in current_user.roles,
    )
    filters.validate()
    when = _valid(filters.when) or "upcoming"
    status = _valid(filters.status)
    query = services.list_visits(
        current_user,
        VisitFilter(
            when="" if when == "all" else when,
            school_id=_valid(filters.school_id),
            province=_valid(filters.province) or "",
            status=VisitStatus(status) if status else None,
        ),
        g.now,
    )
    page = _paginate(query)
    return render_template("events/visits.html", page=page, filters=filters, args=_page_args())


@bp.get("/visits/<int:visit_id>")
def visit(visit_id: int):
    """One visit: when and where, its roles and places left, its lessons."""
    visit = db.get_or_404(Visit, visit_id)
    person = viewer()
    if not can_see_visit(person, visit):
        abort(404)
    is_admin = person is not None and person.is_admin
    actions = []
    if is_admin:
        actions = [name for name, (target, _c, _m) in STATUS_ACTIONS.items() if services.can_move(visit, target, g.now)]
    volunteers = person is None or Role.VOLUNTEER in person.roles
    mine = signups.active_signup(db.session, person, visit.id) if person is not None and volunteers else None
    return render_template(
        "events/visit.html",
        visit=visit,
        can_edit=is_admin and not services.is_final(visit),
        actions=actions,
        sees_school_notes=can_see_school(person, visit.school),
        languages=SPOKEN_LANGUAGES,
        signup_open=visit.status == VisitStatus.PUBLISHED and signups.signup_window_open(visit, g.now),
        offers_signup=volunteers,
        signs_up_colleagues=person is not None and Role.COORDINATOR in person.roles,
        mine=mine,
        my_position=signups.waitlist_position(db.session, mine) if mine else None,
        can_cancel=mine is not None and signups.can_cancel_self(mine, g.now),
        cancel_cutoff=signups.cancel_cutoff_at(visit),
        roster=roster_view(person, visit),
        contact=current_app.config["PROGRAMME_CONTACT"],
    )


@bp.route("/visits/new", methods=["GET", "POST"])
@requires(Role.ADMIN)
def visit_new():
    """Plan a visit with its roles, lessons and satellite schools."""
    return _visit_form_page(None)


@bp.route("/visits/<int:visit_id>/edit", methods=["GET", "POST"])
@requires(Role.ADMIN)
def visit_edit(visit_id: int):
    """Change a visit, its roles, lessons and satellite schools."""
    return _visit_form_page(db.get_or_404(Visit, visit_id))


@bp.post("/visits/<int:visit_id>/status")
@requires(Role.ADMIN)
def visit_status(visit_id: int):
    """Publish, cancel or complete a visit."""
    visit = db.get_or_404(Visit, visit_id)
    action = STATUS_ACTIONS.get(request.form.get("action", ""))
    if action is None:
        abort(400)
    _target, change, done = action
    try:
        change(db.session, visit, now=g.now)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(str(done), "success")
    return redirect(url_for("events.visit", visit_id=visit_id))


def _visit_form_page(visit: Visit | None):
    if request.method == "POST":
        form = VisitForm()
    elif visit is not None:
        form = VisitForm(data=_visit_form_data(visit))
    else:
        # "New visit" on a school's page brings the school along.
        form = VisitForm(data={"school_id": request.args.get("school_id", type=int)})
    grow = next((rows for button, rows in VisitForm.ADD_BUTTONS.items() if button in request.form), None)
    if grow:
        # An add-row button keeps what was typed and saves nothing.
        form[grow].append_entry()
    _set_visit_choices(form, visit)
    if grow is None and form.validate_on_submit():
        school = db.session.get(School, form.school_id.data)
        data, positions = _visit_data(form, school.timezone)
        try:
            if visit is None:
                visit = services.create_visit(db.session, data, now=g.now)
            else:
                services.update_visit(db.session, visit, data, now=g.now)
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, _on_form_rows(error, positions))
        else:
            db.session.commit()
            flash(_("The visit %(title)s has been saved.", title=visit.title), "success")
            return redirect(url_for("events.visit", visit_id=visit.id))
    return render_template("events/visit_form.html", form=form, visit=visit), 422 if form.errors else 200


def _set_visit_choices(form: VisitForm, visit: Visit | None) -> None:
    schools = services.schools_for_choice(db.session)
    if visit is not None:
        # An archived school already on the visit stays choosable; the rules decide the rest.
        listed = {school.id for school in schools}
        schools += [s for s in (visit.school, *(sat.school for sat in visit.satellites)) if s.id not in listed]
    form.school_id.choices = school_choices(schools, _("Choose a school"), show_zone=True)
    kits = kit_type_choices(list_kit_types(db.session))
    satellite_schools = school_choices(schools, _("Choose a school"))
    for row in form.lessons:
        row.form.kit_type_id.choices = kits
    for row in form.satellites:
        row.form.school_id.choices = satellite_schools


def _visit_form_data(visit: Visit) -> dict:
    """A saved visit as the form shows it: wall-clock times at the school."""
    tz = visit.school.timezone

    def local(value):
        return in_zone(value, tz).replace(tzinfo=None) if value else None

    return {
        "school_id": visit.school_id,
        "title": visit.title,
        "date": local(visit.starts_at).date(),
        "starts_at": local(visit.starts_at).time(),
        "ends_at": local(visit.ends_at).time(),
        "signup_opens_at": local(visit.signup_opens_at),
        "signup_closes_at": local(visit.signup_closes_at),
        "meeting_point": visit.meeting_point,
        "livestream_url": visit.livestream_url,
        "cancel_cutoff_hours": visit.cancel_cutoff_hours,
        "notes": visit.notes,
        "slots": [
            {
                "id": slot.id,
                "role": slot.role.value,
                "capacity": slot.capacity,
                "requires_training": slot.requires_training,
                "required_language": slot.required_language or "",
            }
            for slot in visit.slots
        ],
        "lessons": [
            {
                "id": lesson.id,
                "title": lesson.title,
                "grade": lesson.grade,
                "classroom": lesson.classroom,
                "starts_at": local(lesson.starts_at).time(),
                "ends_at": local(lesson.ends_at).time(),
                "kit_type_id": lesson.kit_type_id,
                "students_expected": lesson.students_expected,
                "spare_kits": lesson.spare_kits,
            }
            for lesson in visit.lessons
        ],
        "satellites": [
            {"id": sat.id, "school_id": sat.school_id, "students_expected": sat.students_expected}
            for sat in visit.satellites
        ],
    }


def _visit_data(form: VisitForm, tz: str) -> tuple[VisitData, dict[str, list[int]]]:
    """The form as service input, and for each list the form row behind each item passed on."""
    day = form.date.data

    def at(value):
        return local_to_utc(day, value, tz)

    def moment(value):
        return naive_local_to_utc(value, tz) if value else None

    positions: dict[str, list[int]] = {name: [] for name in ROW_LISTS}

    def kept(name: str):
        for index, row in enumerate(form[name]):
            if not row.form.is_skipped():
                positions[name].append(index)
                yield row.form

    slots = [
        SlotData(
            id=row.id.data,
            role=SlotRole(row.role.data),
            capacity=row.capacity.data,
            requires_training=row.requires_training.data,
            required_language=row.required_language.data or None,
        )
        for row in kept("slots")
    ]
    lessons = [
        LessonData(
            id=row.id.data,
            title=row.title.data,
            grade=row.grade.data,
            classroom=row.classroom.data or "",
            starts_at=at(row.starts_at.data),
            ends_at=at(row.ends_at.data),
            kit_type_id=row.kit_type_id.data,
            students_expected=row.students_expected.data or 0,
            spare_kits=row.spare_kits.data or 0,
        )
        for row in kept("lessons")
    ]
    satellites = [
        SatelliteData(id=row.id.data, school_id=row.school_id.data, students_expected=row.students_expected.data or 0)
        for row in kept("satellites")
    ]
    data = VisitData(
        school_id=form.school_id.data,
        title=form.title.data,
        starts_at=at(form.starts_at.data),
        ends_at=at(form.ends_at.data),
        signup_opens_at=moment(form.signup_opens_at.data),
        signup_closes_at=moment(form.signup_closes_at.data),
        meeting_point=form.meeting_point.data or "",
        livestream_url=form.livestream_url.data or "",
        notes=form.notes.data or "",
        cancel_cutoff_hours=24 if form.cancel_cutoff_hours.data is None else form.cancel_cutoff_hours.data,
        slots=slots,
        lessons=lessons,
        satellites=satellites,
    )
    return data, positions


def _on_form_rows(error: DomainError, positions: dict[str, list[int]]) -> DomainError:
    """The service numbers rows as passed to it; skipped rows make the form's numbers differ."""
    for problem in all_problems(error):
        match = _ROW_FIELD.match(problem.field or "")
        if match:
            name, index, rest = match.groups()
            problem.field = f"{name}-{positions[name][int(index)]}-{rest}"
    return error


# ---------------------------------------------------------------- schools


@bp.get("/schools/")
@requires(Role.ADMIN, Role.HOST)
def schools():
    """Schools: all of them for programme coordinators, their own for hosts."""
    filters = SchoolFilterForm(request.args)
    query = services.list_schools(current_user, include_archived=bool(filters.archived.data))
    page = _paginate(query)
    return render_template("events/schools.html", page=page, filters=filters, args=_page_args())


@bp.get("/schools/<int:school_id>")
@requires(Role.ADMIN, Role.HOST)
def school(school_id: int):
    """One school: where it is, its hosts and its upcoming visits."""
    school = db.get_or_404(School, school_id)
    if not can_see_school(current_user, school):
        abort(404)
    upcoming = db.session.scalars(
        services.list_visits(current_user, VisitFilter(when="upcoming", school_id=school.id), g.now).limit(50)
    ).all()
    hosts = [(host, can_see_contact(current_user, host)) for host in school.hosts]
    return render_template("events/school.html", school=school, hosts=hosts, upcoming=upcoming)


@bp.route("/schools/new", methods=["GET", "POST"])
@requires(Role.ADMIN)
def school_new():
    """Add a school and name its hosts."""
    return _school_form_page(None)


@bp.route("/schools/<int:school_id>/edit", methods=["GET", "POST"])
@requires(Role.ADMIN)
def school_edit(school_id: int):
    """Change a school's details and hosts."""
    return _school_form_page(db.get_or_404(School, school_id))


def _school_form_page(school: School | None):
    data = None
    if school is not None:
        data = {name: getattr(school, name) for name in services.SCHOOL_FIELDS}
        data["hosts"] = [host.id for host in school.hosts]
    form = SchoolForm(data=data)
    candidates = services.host_candidates(db.session, school)
    form.set_host_choices(candidates)
    if school is not None:
        form.keep_timezone(school.timezone)
    if form.validate_on_submit():
        values = {name: form[name].data or "" for name in services.SCHOOL_FIELDS}
        by_id = {person.id: person for person in candidates}
        hosts = [by_id[person_id] for person_id in form.hosts.data or []]
        try:
            if school is None:
                school = services.create_school(db.session, values, hosts=hosts, now=g.now)
            else:
                services.update_school(db.session, school, values, hosts=hosts)
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("The school %(name)s has been saved.", name=school.name), "success")
            return redirect(url_for("events.school", school_id=school.id))
    return render_template("events/school_form.html", form=form, school=school), 422 if form.errors else 200


@bp.post("/schools/<int:school_id>/archive")
@requires(Role.ADMIN)
def school_archive(school_id: int):
    """Archive a school: it is no longer offered for new visits."""
    school = db.get_or_404(School, school_id)
    services.archive_school(school, g.now)
    db.session.commit()
    flash(_("The school %(name)s has been archived.", name=school.name), "success")
    return redirect(url_for("events.school", school_id=school_id))


@bp.post("/schools/<int:school_id>/restore")
@requires(Role.ADMIN)
def school_restore(school_id: int):
    """Bring an archived school back."""
    school = db.get_or_404(School, school_id)
    services.restore_school(school)
    db.session.commit()
    flash(_("The school %(name)s has been restored.", name=school.name), "success")
    return redirect(url_for("events.school", school_id=school_id))
