"""Event pages: the public list of visits, visits and their editing, schools."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from accounts.access import SIGNED_IN, can_see_contact, requires, viewer
from accounts.models import Role
from core.errors import DomainError
from core.http import safe_next
from core.i18n import SPOKEN_LANGUAGES
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from core.kept_pages import kept_for_visitors
from core.web import act, form_status, page_args, paginate, submit
from events import queries, services, visit_kits
from events.access import can_plan, can_see_kits, can_see_school, can_see_visit, sees_drafts
from events.forms import SchoolFilterForm, SchoolForm, VisitFilterForm, VisitForm, on_form_rows
from events.models import School, Visit, VisitStatus
from events.queries import VisitFilter
from extensions import db
from kits.services import list_kit_types
from kits.stock import list_hubs

bp = Blueprint("events", __name__)

#: form action -> (target status, service, what the coordinator is told)
STATUS_ACTIONS = {
    "publish": (VisitStatus.PUBLISHED, services.publish_visit, _l("The visit is published.")),
    "cancel": (VisitStatus.CANCELLED, services.cancel_visit, _l("The visit is cancelled.")),
    "complete": (VisitStatus.COMPLETED, services.complete_visit, _l("The visit is marked as completed.")),
}


# ---------------------------------------------------------------- visits


#: whose landing a person with several roles gets: the first of their roles in this order
LANDING_ORDER = (Role.ADMIN, Role.HOST, Role.VOLUNTEER, Role.COORDINATOR)


def _landing(person) -> str:
    """Which home page a person gets: a role's value, or "public"."""
    roles = person.roles if person is not None else set()
    return next((role.value for role in LANDING_ORDER if role in roles), "public")


@bp.get("/")
@kept_for_visitors
def home():
    """Each person's landing: what their role needs first, one page of it.

    Anyone: published visits to come. Programme coordinators: visits with the most places still
    open first. School hosts: their schools' visits. Company coordinators: visits with places their
    team can take. Volunteers: their next visits and the open places they can take, which the
    volunteers package contributes (`volunteer_home`), as it does the marks on the visits they are in.
    """
    person = viewer()
    landing = _landing(person)
    lists = {
        "public": lambda: queries.public_visits(g.now),
        "admin": lambda: queries.visits_needing_volunteers(g.now),
        "host": lambda: queries.hosted_visits(person, g.now),
        "coordinator": lambda: queries.visits_with_open_places(g.now),
    }
    page = paginate(queries.visit_cards(lists[landing]()), item=queries.VisitCard.of) if landing in lists else None
    return render_template(
        "events/home.html",
        landing=landing,
        page=page,
        args=page_args(),
        schools_hosted=queries.hosted_school_count(db.session, person) if landing == "host" else 0,
        can_plan=can_plan(person),
    )


@bp.get("/visits/")
@requires(SIGNED_IN)
def visits():
    """The visits this person may see, filtered by date, school, region and status."""
    person = viewer()
    filters = VisitFilterForm(request.args)
    provinces = queries.provinces(db.session)
    # the region and school asked for, as the form coerced them (its choices, set next, depend on them)
    wanted = filters.province.data
    schools, held_back = queries.schools_for_filter(
        db.session,
        include_archived=can_plan(person),
        province=wanted if wanted in provinces else None,  # one of the choices, or none: never the raw text
        chosen=filters.school_id.data,
    )
    filters.set_choices(schools=schools, provinces=provinces, see_drafts=sees_drafts(person))
    query = queries.visit_cards(queries.list_visits(person, filters.applied(), g.now))
    return render_template(
        "events/visits.html",
        page=paginate(query, item=queries.VisitCard.of),
        filters=filters,
        schools_held_back=held_back,
        args=page_args(),
        can_plan=can_plan(person),
    )


@bp.get("/visits/<int:visit_id>")
@kept_for_visitors
def visit(visit_id: int):
    """One visit: when and where, its roles and places left, its lessons."""
    visit = db.session.get(Visit, visit_id)
    person = viewer()
    if visit is None or not can_see_visit(person, visit):
        abort(404)
    planner = can_plan(person)
    actions = []
    if planner:
        actions = [name for name, (target, _c, _m) in STATUS_ACTIONS.items() if services.can_move(visit, target, g.now)]
    kits = visit_kits.lesson_reservations(db.session, visit) if can_see_kits(person, visit) else None
    return render_template(
        "events/visit.html",
        visit=visit,
        kits=kits,
        kit_shortfall=sum(row.shortfall for row in kits.values()) if kits else 0,
        planner=planner,
        can_edit=planner and not services.is_final(visit),
        actions=actions,
        sees_school_notes=can_see_school(person, visit.school),
        languages=SPOKEN_LANGUAGES,
        past_draft=planner and visit.status == VisitStatus.DRAFT and services.is_in_past(visit, g.now),
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
    return act(
        lambda: change(db.session, visit, now=g.now),
        done=lambda _visit: str(done),
        then=url_for("events.visit", visit_id=visit_id),
    )


@bp.get("/visits/<int:visit_id>/cancel")
@requires(Role.ADMIN)
def confirm_cancel_visit(visit_id: int):
    """Ask before cancelling a visit, saying how many volunteers will be told; changes nothing."""
    visit = db.get_or_404(Visit, visit_id)
    here = url_for("events.visit", visit_id=visit_id)
    if not services.can_move(visit, VisitStatus.CANCELLED, g.now):
        flash(DomainError("invalid_status_transition").message, "error")
        return redirect(here)
    return render_template("events/cancel_visit.html", visit=visit, back=safe_next(request.args.get("next"), here))


def _visit_form_page(visit: Visit | None):
    if request.method == "POST":
        form = VisitForm()
    elif visit is not None:
        form = VisitForm(data=VisitForm.data_of(visit))
    else:
        # "New visit" on a school's page brings the school along.
        form = VisitForm(data={"school_id": request.args.get("school_id", type=int)})
    # An add-row button keeps what was typed and saves nothing.
    grew = form.add_requested_row(request.form)
    _set_visit_choices(form, visit)
    if not grew and form.validate_on_submit():
        saved = submit(
            form,
            lambda: _save_visit(form, visit),
            done=_saved_visit_message,
            then=lambda saved: url_for("events.visit", visit_id=saved.id),
        )
        if saved is not None:
            return saved
    kits = visit_kits.lesson_reservations(db.session, visit) if visit is not None else {}
    return render_template("events/visit_form.html", form=form, visit=visit, kits=kits), form_status(form)


def _saved_visit_message(saved: Visit) -> str:
    """What saving says; a visit dated in the past is saved (to correct it later) with a warning."""
    if services.is_in_past(saved, g.now):
        flash(_("This visit is dated in the past. Check the date: a visit in the past cannot be published."), "warning")
    return _("The visit %(title)s has been saved.", title=saved.title)


def _save_visit(form: VisitForm, visit: Visit | None) -> Visit:
    """Create or change the visit from the validated form; a broken rule names the form's rows."""
    school = db.session.get(School, form.school_id.data)
    data, positions = form.as_visit_data(school.timezone)
    try:
        if visit is None:
            return services.create_visit(db.session, data, now=g.now)
        return services.update_visit(db.session, visit, data, now=g.now)
    except DomainError as error:
        on_form_rows(error, positions)
        raise


def _set_visit_choices(form: VisitForm, visit: Visit | None) -> None:
    schools = queries.schools_for_choice(db.session)
    if visit is not None:
        # An archived school already on the visit stays choosable; the rules decide the rest.
        listed = {school.id for school in schools}
        schools += [s for s in (visit.school, *(sat.school for sat in visit.satellites)) if s.id not in listed]
    hubs = [hub for hub in list_hubs(db.session) if hub.active or (visit is not None and hub.id == visit.hub_id)]
    form.set_choices(schools=schools, kit_types=list_kit_types(db.session), hubs=hubs)


# ---------------------------------------------------------------- schools


@bp.get("/schools/")
@requires(Role.ADMIN, Role.HOST)
def schools():
    """Schools: all of them for programme coordinators, their own for hosts."""
    person = viewer()
    filters = SchoolFilterForm(request.args)
    query = queries.list_schools(person, include_archived=bool(filters.archived.data))
    return render_template(
        "events/schools.html", page=paginate(query), filters=filters, args=page_args(), can_plan=can_plan(person)
    )


@bp.get("/schools/<int:school_id>")
@requires(Role.ADMIN, Role.HOST)
def school(school_id: int):
    """One school: where it is, its hosts and its upcoming visits."""
    school = db.get_or_404(School, school_id)
    person = viewer()
    if not can_see_school(person, school):
        abort(404)
    upcoming = db.session.scalars(
        queries.list_visits(person, VisitFilter(when="upcoming", school_id=school.id), g.now).limit(50)
    ).all()
    hosts = [(host, can_see_contact(person, host)) for host in school.hosts]
    return render_template(
        "events/school.html", school=school, hosts=hosts, upcoming=upcoming, can_plan=can_plan(person)
    )


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
    form = SchoolForm(data=SchoolForm.data_of(school) if school is not None else None)
    candidates = queries.host_candidates(db.session, school)
    form.set_host_choices(candidates)
    if school is not None:
        form.keep_timezone(school.timezone)
    if form.validate_on_submit():
        saved = submit(
            form,
            lambda: _save_school(form, school, candidates),
            done=lambda saved: _("The school %(name)s has been saved.", name=saved.name),
            then=lambda saved: url_for("events.school", school_id=saved.id),
        )
        if saved is not None:
            return saved
    return render_template("events/school_form.html", form=form, school=school), form_status(form)


def _save_school(form: SchoolForm, school: School | None, candidates) -> School:
    values, hosts = form.values(), form.chosen_hosts(candidates)
    if school is None:
        return services.create_school(db.session, values, hosts=hosts, now=g.now)
    return services.update_school(db.session, school, values, hosts=hosts)


@bp.post("/schools/<int:school_id>/archive")
@requires(Role.ADMIN)
def school_archive(school_id: int):
    """Archive a school: it is no longer offered for new visits."""
    school = db.get_or_404(School, school_id)
    return act(
        lambda: services.archive_school(db.session, school, now=g.now),
        done=lambda archived: _("The school %(name)s has been archived.", name=archived.name),
        then=url_for("events.school", school_id=school_id),
    )


@bp.post("/schools/<int:school_id>/restore")
@requires(Role.ADMIN)
def school_restore(school_id: int):
    """Bring an archived school back."""
    school = db.get_or_404(School, school_id)
    return act(
        lambda: services.restore_school(db.session, school),
        done=lambda restored: _("The school %(name)s has been restored.", name=restored.name),
        then=url_for("events.school", school_id=school_id),
    )
