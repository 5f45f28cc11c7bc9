"""Volunteer pages: registration, profile, people, companies and invitations, signing up, rosters, privacy."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from accounts import services as accounts
from accounts.access import SIGNED_IN, requires, viewer
from accounts.forms import InvitationForm
from accounts.models import Company, Invitation, Role, TrainingStatus, User
from accounts.sessions import account_key, account_limits, end_session, login_limits, start_session
from core.downloads import csv_response, json_response
from core.errors import DomainError
from core.http import safe_next
from core.i18n import SPOKEN_LANGUAGES, browser_locale, current_locale_code
from core.timeutil import in_zone
from core.urls import external_url
from core.web import act, form_status, page_args, paginate, submit
from events.access import can_see_visit
from events.models import RoleSlot, School, Visit, VisitStatus
from events.services import schools_for_choice
from extensions import db, limiter
from volunteers import privacy, registration, rosters, signups
from volunteers.access import (
    FULL_ROSTER,
    offers_signup,
    roster_view,
    sees_day_of,
    signs_up_colleagues,
    signup_refusal,
)
from volunteers.forms import (
    AssignForm,
    CompanyForm,
    CompanySignupForm,
    DeleteAccountForm,
    MoveForm,
    PeopleFilterForm,
    PersonEditForm,
    PersonForm,
    ProfileForm,
    RegistrationForm,
)
from volunteers.models import Signup
from volunteers.waitlist import waitlist_position

bp = Blueprint("volunteers", __name__)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(login_limits, methods=["POST"])
@limiter.limit(account_limits, methods=["POST"], key_func=account_key)
def register():
    """A volunteer registers with their company's join code; the account is made when they confirm by mail."""
    # A coordinator's invitation link brings the join code along (only shown on GET; a POST sends its own).
    form = RegistrationForm(next=request.args.get("next", ""), join_code=request.args.get("join_code", ""))
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: registration.register_volunteer(
                db.session,
                join_code=form.join_code.data,
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                phone=form.phone.data,
                languages=form.languages.data,
                locale=current_locale_code(),  # the confirmation mail's language, not stored as a choice
                next_url=safe_next(form.next.data, ""),
                now=g.now,
            ),
            # The same answer whether or not the address has an account: look in the mailbox.
            done=None,
            then=lambda _r: url_for("volunteers.registration_sent"),
        )
        if done:
            return done
    return render_template("volunteers/register.html", form=form), form_status(form)


@bp.get("/register/sent")
def registration_sent():
    """Where registering leads, whoever the address belongs to: the next step is in the mailbox."""
    return render_template("volunteers/register_sent.html")


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(login_limits, methods=["POST"])
def confirm_registration(token: str):
    """Create the account from the link mailed on registering; with a button, as mail scanners open links."""
    pending = registration.usable_registration(db.session, token, g.now)
    if request.method == "GET":
        return render_template("volunteers/register_confirm.html", pending=pending, token=token)
    next_url = safe_next(pending.next_url, "")
    try:
        user = registration.confirm_registration(db.session, token, g.now)
        start_session(user)
    except DomainError as error:
        db.session.rollback()
        if error.code != "email_taken":
            raise
        # Someone confirmed first (another link, or a coordinator made the account): the way in is logging in.
        flash(_("An account with this email already exists. Please log in."), "error")
        return redirect(url_for("accounts.login", next=next_url or None))
    db.session.commit()
    flash(_("Welcome, %(name)s! Your volunteer account is ready.", name=user.name), "success")
    return redirect(next_url or url_for("events.home"))


@bp.route("/profile", methods=["GET", "POST"])
@requires(SIGNED_IN)
def profile():
    """See and change one's own details."""
    # The language select shows the account's own choice; "" (the phone's language) when there is none.
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        user = current_user._get_current_object()

        def save():
            registration.update_profile(
                db.session, user, {name: form[name].data for name in registration.PROFILE_FIELDS}
            )
            # This browser follows the choice too; "the phone's language" forgets its switch's choice.
            if user.locale:
                session["locale"] = user.locale
            else:
                session.pop("locale", None)
                user.last_locale = browser_locale()

        done = submit(
            form, save, done=lambda _r: _("Your profile has been saved."), then=lambda _r: url_for("volunteers.profile")
        )
        if done:
            return done
    return render_template("volunteers/profile.html", form=form), form_status(form)


@bp.get("/people/")
@requires(Role.ADMIN)
def people():
    """Every account, filtered by name, email or role."""
    filters = PeopleFilterForm(request.args)
    filters.validate()
    query = registration.people_query(
        role=Role(filters.role.data) if filters.role.data and not filters.role.errors else None,
        search=filters.q.data or "" if not filters.q.errors else "",
    )
    return render_template("volunteers/people.html", page=paginate(query), filters=filters, args=page_args())


@bp.route("/people/new", methods=["GET", "POST"])
@requires(Role.ADMIN)
def person_new():
    """Create an account directly, with any roles."""
    form = PersonForm()
    form.company.choices = _company_choices()
    if form.validate_on_submit():

        def create():
            user = accounts.create_user(
                db.session,
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                phone=form.phone.data,
                roles={Role(r) for r in form.roles.data},
                company=db.session.get(Company, form.company.data) if form.company.data else None,
                now=g.now,
            )
            registration.set_training(user, TrainingStatus(form.training_status.data))
            return user

        done = submit(
            form,
            create,
            done=lambda user: _("Account created for %(name)s.", name=user.name),
            then=lambda _r: url_for("volunteers.people"),
        )
        if done:
            return done
    return render_template("volunteers/person_form.html", form=form), form_status(form)


def _company_choices() -> list[SelectChoice]:
    return [SelectChoice(0, "—")] + [SelectChoice(c.id, c.name) for c in registration.companies(db.session)]


@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
@requires(Role.ADMIN)
def person_edit(person_id: int):
    """Change someone's name, roles, company and training status."""
    person = db.get_or_404(User, person_id)
    form = PersonEditForm(data=PersonEditForm.data_of(person))
    form.company.choices = _company_choices()
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: registration.update_person(
                db.session,
                person,
                {
                    "name": form.name.data,
                    "roles": {Role(r) for r in form.roles.data},
                    "company": db.session.get(Company, form.company.data) if form.company.data else None,
                    "training_status": TrainingStatus(form.training_status.data),
                },
            ),
            done=lambda saved: _("The details of %(name)s have been saved.", name=saved.name),
            # Someone who gave up their own admin role can no longer see the list.
            then=lambda _r: url_for("volunteers.people") if current_user.is_admin else url_for("events.home"),
        )
        if done:
            return done
    return render_template("volunteers/person_edit.html", form=form, person=person), form_status(form)


@bp.route("/companies/", methods=["GET", "POST"])
@requires(Role.ADMIN)
def companies():
    """Partner companies and their join codes; add a company."""
    form = CompanyForm()
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: accounts.create_company(db.session, form.name.data, g.now),
            done=lambda company: _(
                "Company %(name)s added. Its join code is %(code)s.", name=company.name, code=company.join_code
            ),
            then=lambda _r: url_for("volunteers.companies"),
        )
        if done:
            return done
    return render_template(
        "volunteers/companies.html", form=form, companies=registration.companies(db.session)
    ), form_status(form)


def _invitation_form() -> InvitationForm:
    form = InvitationForm()
    form.company.choices = [SelectChoice(0, "—")] + [
        SelectChoice(c.id, c.name) for c in registration.companies(db.session)
    ]
    form.school.choices = [SelectChoice(0, "—")] + [SelectChoice(s.id, s.name) for s in schools_for_choice(db.session)]
    return form


@bp.route("/admin/invitations", methods=["GET", "POST"])
@requires(Role.ADMIN)
def invitations():
    """Invite a school host, company coordinator or programme coordinator by email."""
    form = _invitation_form()
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: accounts.invite(
                db.session,
                email=form.email.data,
                role=Role(form.role.data),
                invited_by=current_user,
                now=g.now,
                company=db.session.get(Company, form.company.data) if form.company.data else None,
                school=db.session.get(School, form.school.data) if form.school.data else None,
            ),
            done=lambda _r: _("The invitation has been sent to %(email)s.", email=form.email.data),
            then=lambda _r: url_for("volunteers.invitations"),
        )
        if done:
            return done
    pending = db.session.scalars(select(Invitation).order_by(Invitation.created_at.desc()).limit(50)).all()
    return render_template("volunteers/invitations.html", form=form, invitations=pending), form_status(form)


@bp.post("/admin/invitations/<int:invitation_id>/revoke")
@requires(Role.ADMIN)
def revoke_invitation(invitation_id: int):
    """Withdraw an invitation that has not been used."""
    invitation = db.get_or_404(Invitation, invitation_id)
    return act(
        lambda: accounts.revoke_invitation(invitation, g.now),
        done=lambda _r: _("The invitation has been withdrawn."),
        then=url_for("volunteers.invitations"),
    )


# ---------------------------------------------------------------- the visit page's signup panel


@bp.app_template_global("signup_panel")
def signup_panel(visit: Visit) -> dict:
    """What the visit page (of the events package) shows about signing up, for the person looking."""
    person = viewer()
    mine = signups.active_signup(db.session, person, visit.id) if person is not None and offers_signup(person) else None
    # Before the tap, each role says what the tap would answer: the service's own checks, asked for each role.
    asks = person is not None and mine is None and visit.status == VisitStatus.PUBLISHED
    hurdles = {slot.id: signups.signup_hurdle(db.session, slot, person, g.now) for slot in visit.slots} if asks else {}
    contact = current_app.config["PROGRAMME_CONTACT"]
    return {
        "hurdles": hurdles,
        # said once for the page; programme coordinators assign people instead
        "not_volunteer": asks
        and not person.is_admin
        and any(h is not None and h.code == "forbidden" for h in hurdles.values()),
        "day_of": _day_of(person, visit, contact),
        "mine": mine,
        "position": waitlist_position(db.session, mine) if mine else None,
        "can_cancel": mine is not None and signups.can_cancel_self(mine, g.now),
        "cancel_cutoff": signups.cancel_cutoff_at(visit),
        "open": visit.status == VisitStatus.PUBLISHED and signups.signup_window_open(visit, g.now),
        "offered": offers_signup(person),
        "for_colleagues": signs_up_colleagues(person),
        "roster": roster_view(person, visit),
        "contact": contact,
    }


def _day_of(person: User | None, visit: Visit, contact: str) -> dict | None:
    """The visit page's "On the day" part, for those who may see it (volunteers.access.sees_day_of)."""
    place = rosters.own_place(db.session, person, visit) if person is not None and offers_signup(person) else None
    if not sees_day_of(person, visit, place):
        return None
    lead = rosters.lead_instructor(db.session, visit)
    return {
        # the lead instructor is the team's contact, unless that is the person looking
        "lead": lead if lead is not None and lead.id != person.id else None,
        "contact": contact,
        "own_slot": place.slot if place is not None else None,
    }


@bp.app_template_global("told_if_visit_cancelled")
def told_if_visit_cancelled(visit: Visit) -> int:
    """How many volunteers cancelling the visit would tell: the events package's confirmation says so."""
    return signups.told_if_visit_cancelled(db.session, visit)


# ---------------------------------------------------------------- signing up and cancelling


def _slot_of(visit_id: int, slot_id: int) -> RoleSlot:
    slot = db.session.get(RoleSlot, slot_id)
    if slot is None or slot.visit_id != visit_id or not can_see_visit(current_user, slot.visit):
        abort(404)
    return slot


def _signed_up_message(result: tuple[Signup, bool], name: str | None = None) -> str:
    signup, created = result
    role = signup.slot.role.label
    if not created:
        return _("Already signed up as %(role)s.", role=role)
    position = waitlist_position(db.session, signup)
    if position is not None:
        if name:
            return _("The role is full: %(name)s is number %(position)s on the waitlist.", name=name, position=position)
        return _(
            "The role is full: you are number %(position)s on the waitlist. We will email you if a place frees up.",
            position=position,
        )
    if name:
        return _("%(name)s is signed up as %(role)s.", name=name, role=role)
    return _("You are signed up as %(role)s. A confirmation is on its way by email.", role=role)


@bp.route("/visits/<int:visit_id>/slots/<int:slot_id>/signup", methods=["GET", "POST"])
@requires(Role.VOLUNTEER)
def slot_signup(visit_id: int, slot_id: int):
    """Sign oneself up for a role; the page a login or registration comes back to with the role still chosen."""
    slot = _slot_of(visit_id, slot_id)
    if request.method == "GET":
        mine = signups.active_signup(db.session, current_user, visit_id)
        return render_template(
            "volunteers/slot_signup.html",
            slot=slot,
            visit=slot.visit,
            mine=mine,
            position=waitlist_position(db.session, mine) if mine else None,
            languages=SPOKEN_LANGUAGES,
        )
    volunteer = current_user._get_current_object()
    return act(
        lambda: signups.sign_up(db.session, slot_id=slot.id, volunteer=volunteer, now=g.now),
        done=_signed_up_message,
        then=url_for("events.visit", visit_id=visit_id),
    )


def _back(default: str) -> str:
    """Where "keep it" leads, and the done deed: the page the person came from (`next`), if it is on this site."""
    back = safe_next(request.args.get("next"), default)
    # Never back to the page that asks: it may send the person back (a signup no longer active).
    return default if urlsplit(back).path == request.path else back


@bp.get("/signups/<int:signup_id>/cancel")
@requires(SIGNED_IN)
def confirm_cancel(signup_id: int):
    """Ask before cancelling a signup or leaving a waitlist, saying what would happen; changes nothing."""
    signup = db.get_or_404(Signup, signup_id)
    back = _back(url_for("events.visit", visit_id=signup.visit_id))
    try:
        outlook = signups.cancel_outlook(db.session, signup, by=current_user, now=g.now)
    except DomainError as error:
        if error.code != "signup_not_active":
            raise
        flash(error.message, "info")
        return redirect(back)
    return render_template(
        "volunteers/cancel_signup.html",
        signup=signup,
        outlook=outlook,
        back=back,
        contact=current_app.config["PROGRAMME_CONTACT"],
    )


@bp.post("/signups/<int:signup_id>/cancel")
@requires(SIGNED_IN)
def cancel(signup_id: int):
    """Cancel a signup: one's own before the cutoff, or as a coordinator; a freed place goes to the next waiting."""
    signup = db.get_or_404(Signup, signup_id)
    back = safe_next(request.form.get("next"), url_for("events.visit", visit_id=signup.visit_id))
    own = signup.user_id == current_user.id
    name = signup.user.name

    def tell_whom_to_ask(error: DomainError) -> None:
        if error.code == "cancel_cutoff_passed":
            flash(_("Contact: %(contact)s", contact=current_app.config["PROGRAMME_CONTACT"]), "info")

    return act(
        lambda: signups.cancel_signup(db.session, signup, by=current_user, now=g.now),
        done=lambda _r: _("Your signup is cancelled.") if own else _("The signup of %(name)s is cancelled.", name=name),
        then=back,
        on_error=tell_whom_to_ask,
    )


@bp.get("/my/visits")
@requires(SIGNED_IN)
def my_visits():
    """A volunteer's coming visits (confirmed, or waiting with their place in the queue) and past ones."""
    mine = rosters.my_visits(db.session, current_user, g.now)
    return render_template(
        "volunteers/my_visits.html",
        mine=mine,
        cancellable={s.id for s in mine.upcoming if signups.can_cancel_self(s, g.now)},
        contact=current_app.config["PROGRAMME_CONTACT"],
    )


# ---------------------------------------------------------------- rosters


def _assign_form(visit: Visit) -> AssignForm:
    form = AssignForm()
    form.person.choices = [SelectChoice(0, "—")] + [
        SelectChoice(p.id, f"{p.name} ({p.email})") for p in rosters.assignable_people(db.session)
    ]
    form.slot.choices = [SelectChoice(s.id, s.role.label) for s in visit.slots]
    return form


def _roster_page(visit: Visit, form: AssignForm, status: int = 200):
    return render_template(
        "volunteers/roster.html",
        visit=visit,
        roster=rosters.visit_roster(db.session, visit),
        form=form,
        started=g.now >= visit.starts_at,
    ), status


def _visit_with_roster(visit_id: int) -> tuple[Visit, str]:
    """The visit and which roster this person sees of it; 404 when none (existence is not revealed)."""
    visit = db.session.get(Visit, visit_id)
    view = roster_view(current_user, visit) if visit is not None else None
    if view is None:
        abort(404)
    return visit, view


@bp.get("/visits/<int:visit_id>/roster")
@requires(Role.ADMIN, Role.HOST)
def roster(visit_id: int):
    """Who is coming: everything for programme coordinators; first names and roles for the school's hosts."""
    visit, view = _visit_with_roster(visit_id)
    if view != FULL_ROSTER:
        return render_template("volunteers/team.html", visit=visit, team=rosters.host_roster(db.session, visit))
    return _roster_page(visit, _assign_form(visit))


@bp.get("/visits/<int:visit_id>/roster.csv")
@requires(Role.ADMIN)
def roster_csv(visit_id: int):
    """The roster as a spreadsheet file."""
    visit, _view = _visit_with_roster(visit_id)
    header = [_("Volunteer role"), _("Status"), _("Waitlist position"), _("Name"), _("Email"), _("Phone"), _("Company")]
    rows = [
        [
            row.role.label,
            row.signup.status.label,
            row.position or "",
            row.user.name,
            row.user.email,
            row.user.phone or "",
            row.user.company.name if row.user.company else "",
        ]
        for row in rosters.roster_rows(db.session, visit)
    ]
    day = in_zone(visit.starts_at, visit.school.timezone).date().isoformat()
    return csv_response(header, rows, f"roster-{visit.id}-{day}.csv")


@bp.post("/visits/<int:visit_id>/roster/assign")
@requires(Role.ADMIN)
def roster_assign(visit_id: int):
    """Put a volunteer into a role by hand, overriding the rules with a recorded reason."""
    visit = db.get_or_404(Visit, visit_id)
    form = _assign_form(visit)
    if form.validate_on_submit():
        done = _sign_up_someone(
            form, db.session.get(User, form.person.data), url_for("volunteers.roster", visit_id=visit_id)
        )
        if done:
            return done
    return _roster_page(visit, form, 422)


def _sign_up_someone(form, person: User, then: str):
    """Sign `person` up as the current coordinator from a form with `slot` and `reason`.

    None when a rule refused it; the form then carries the error next to its field.
    """
    coordinator = current_user._get_current_object()
    return submit(
        form,
        lambda: signups.sign_up(
            db.session,
            slot_id=form.slot.data,
            volunteer=person,
            now=g.now,
            by=coordinator,
            override_reason=form.reason.data or "",
        ),
        done=lambda result: _signed_up_message(result, name=person.name),
        then=lambda _r: then,
    )


@bp.post("/signups/<int:signup_id>/move")
@requires(Role.ADMIN)
def move(signup_id: int):
    """Move a volunteer to another role of the same visit, with a reason."""
    signup = db.get_or_404(Signup, signup_id)
    visit_id, name = signup.visit_id, signup.user.name
    back = url_for("volunteers.roster", visit_id=visit_id)
    form = MoveForm()
    form.slot.choices = [SelectChoice(s.id, s.role.label) for s in signup.visit.slots]
    if not form.validate_on_submit():
        flash(_("Choose the role to move %(name)s to and give a reason.", name=name), "error")
        return redirect(back)
    return act(
        lambda: signups.move_signup(
            db.session, signup, to_slot_id=form.slot.data, by=current_user, reason=form.reason.data, now=g.now
        ),
        done=lambda moved: _("%(name)s now has the role %(role)s.", name=name, role=moved.slot.role.label),
        then=back,
    )


@bp.post("/signups/<int:signup_id>/no-show")
@requires(Role.ADMIN)
def no_show(signup_id: int):
    """Record that a confirmed volunteer did not come (once the visit has started)."""
    signup = db.get_or_404(Signup, signup_id)
    visit_id, name = signup.visit_id, signup.user.name
    return act(
        lambda: signups.mark_no_show(db.session, signup, by=current_user, now=g.now),
        done=lambda _r: _("%(name)s is recorded as a no-show.", name=name),
        then=url_for("volunteers.roster", visit_id=visit_id),
    )


# ---------------------------------------------------------------- company coordinators


def _my_company() -> Company:
    if current_user.company is None:
        abort(404)
    return current_user.company


@bp.get("/company/")
@requires(Role.COORDINATOR)
def company():
    """A company coordinator's people: their coming signups and hours; the join code to invite more."""
    company = _my_company()
    return render_template(
        "volunteers/company.html",
        company=company,
        team=rosters.company_team(db.session, company, g.now),
        register_link=external_url("volunteers.register", join_code=company.join_code),
    )


def _role_choice(slot: RoleSlot) -> str:
    """A role as the second step offers it: its places left, or that a colleague would wait."""
    if slot.places_left > 0:
        return ngettext(
            "%(role)s: %(num)d place left", "%(role)s: %(num)d places left", slot.places_left, role=slot.role.label
        )
    return _("%(role)s: full, joins the waiting list", role=slot.role.label)


def _chosen_visit(visits: list[Visit]) -> tuple[Visit | None, bool]:
    """The visit the second step is for (`?visit=`, or the visit of `?slot_id=` or of the posted role) if it
    is one of `visits`, and whether one was asked for at all."""
    visit_id = request.values.get("visit", type=int)
    if visit_id is None:
        slot_id = request.args.get("slot_id", type=int) or request.form.get("slot", type=int)
        # Looked up among the open visits' roles, not in the database: any number may come in.
        visit_id = next((s.visit_id for v in visits for s in v.slots if s.id == slot_id), None)
        asked = slot_id is not None
    else:
        asked = True
    return next((v for v in visits if v.id == visit_id), None), asked


@bp.route("/company/signup", methods=["GET", "POST"])
@requires(Role.COORDINATOR)
def company_signup():
    """Sign a colleague up in two steps that read on a phone: the visit, then the role and the colleague."""
    company = _my_company()
    visits = rosters.upcoming_visits(db.session, g.now)
    visit, asked = _chosen_visit(visits)
    if visit is None:
        return render_template(
            "volunteers/company_signup_visit.html", company=company, visits=visits, gone=asked
        ), 422 if request.method == "POST" else 200
    form = CompanySignupForm(visit=visit.id, slot=request.args.get("slot_id", type=int))
    coordinator = current_user._get_current_object()
    taken = rosters.signed_up_ids(db.session, visit)
    people = rosters.colleagues(db.session, company)
    colleagues = {p.id: p for p in people if p.id not in taken and signup_refusal(coordinator, p) is None}
    form.person.choices = [SelectChoice(0, "—")] + [SelectChoice(p.id, p.name) for p in colleagues.values()]
    form.slot.choices = [SelectChoice(s.id, _role_choice(s)) for s in visit.slots]
    if form.validate_on_submit():
        done = _sign_up_someone(form, colleagues[form.person.data], url_for("volunteers.company"))
        if done:
            return done
    return render_template(
        "volunteers/company_signup.html",
        form=form,
        company=company,
        visit=visit,
        already=[p for p in people if p.id in taken],
    ), form_status(form)


@bp.get("/company/join-code")
@requires(Role.COORDINATOR)
def confirm_rotate_code():
    """Ask before replacing the join code, saying that the old one and its link stop working; changes nothing."""
    return render_template(
        "volunteers/rotate_code.html", company=_my_company(), back=_back(url_for("volunteers.company"))
    )


@bp.post("/company/join-code")
@requires(Role.COORDINATOR)
def rotate_code():
    """Replace the company's join code; the old one stops working."""
    company = _my_company()
    return act(
        lambda: accounts.rotate_join_code(db.session, company, g.now),
        done=lambda code: _("The new join code is %(code)s. The old one no longer works.", code=code),
        then=url_for("volunteers.company"),
    )


# ---------------------------------------------------------------- the home page's volunteer part


@bp.app_template_global("volunteer_home")
def volunteer_home(*, open_places: bool = False) -> dict | None:
    """What the home page (of the events package) shows a volunteer: their next visits and, when it is the
    page's list, a page of the open places they can take. None for someone who does not volunteer."""
    person = viewer()
    if person is None or not offers_signup(person):
        return None
    return {
        "next": rosters.next_visits(db.session, person, g.now),
        "open": paginate(rosters.open_places(person, g.now)) if open_places else None,
    }


@bp.app_template_global("own_signups")
def own_signups(visits) -> dict[int, Signup]:
    """visit id -> the viewer's own active signup, so a list of visits marks those they are in."""
    person = viewer()
    if person is None or not offers_signup(person):
        return {}
    return rosters.own_signups(db.session, person, [visit.id for visit in visits])


# ---------------------------------------------------------------- privacy


@bp.get("/profile/data.json")
@requires(SIGNED_IN)
def my_data():
    """Download everything SciVisit keeps about oneself."""
    return json_response(privacy.personal_data(db.session, current_user), "scivisit-my-data.json")


@bp.route("/profile/delete", methods=["GET", "POST"])
@requires(SIGNED_IN)
@limiter.limit(login_limits, methods=["POST"])
def delete_account():
    """Delete one's account after typing the password: future signups end, the rest is anonymised."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()

        def delete():
            accounts.confirm_password(user, form.password.data)
            privacy.delete_account(db.session, user, g.now)
            end_session()

        done = submit(
            form,
            delete,
            done=lambda _r: _("Your account has been deleted. Thank you for volunteering with us."),
            then=lambda _r: url_for("events.home"),
        )
        if done:
            return done
    return render_template("volunteers/delete_account.html", form=form), form_status(form)
