"""Volunteer pages: registration, profile, people, companies and invitations, signing up, privacy.

Rosters and the company coordinator's pages are in `volunteers/team_views.py`, on the same blueprint."""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from accounts import services as accounts
from accounts.access import SIGNED_IN, requires, viewer
from accounts.forms import InvitationForm
from accounts.models import Company, Invitation, Role, TrainingStatus, User
from accounts.sessions import account_key, account_limits, end_session, login_limits, start_session
from core.downloads import json_response
from core.errors import DomainError
from core.http import safe_next
from core.i18n import SPOKEN_LANGUAGES, browser_locale, current_locale_code
from core.i18n import gettext as _
from core.web import act, form_status, page_args, paginate, submit, way_back
from events.access import can_see_visit
from events.models import RoleSlot, School, Visit, VisitStatus
from events.queries import VisitCard, schools_for_choice, visit_cards
from extensions import db, limiter
from volunteers import bp, privacy, registration, rosters, signups
from volunteers.access import (
    offers_signup,
    roster_view,
    sees_day_of,
    signs_up_colleagues,
)
from volunteers.forms import (
    CompanyForm,
    DeleteAccountForm,
    PeopleFilterForm,
    PersonEditForm,
    PersonForm,
    ProfileForm,
    RegistrationForm,
)
from volunteers.models import Signup
from volunteers.pages import signed_up_message
from volunteers.waitlist import waitlist_position


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
        done=signed_up_message,
        then=url_for("events.visit", visit_id=visit_id),
    )


@bp.get("/signups/<int:signup_id>/cancel")
@requires(SIGNED_IN)
def confirm_cancel(signup_id: int):
    """Ask before cancelling a signup or leaving a waitlist, saying what would happen; changes nothing."""
    signup = db.get_or_404(Signup, signup_id)
    back = way_back(url_for("events.visit", visit_id=signup.visit_id))
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
    """A volunteer's coming visits (confirmed, or waiting with their place in the queue) and past ones, a page at a
    time (`?page=`: the past ones grow every year)."""
    mine = rosters.coming_visits(db.session, current_user, g.now)
    return render_template(
        "volunteers/my_visits.html",
        mine=mine,
        past=paginate(rosters.past_visits(current_user, g.now)),
        cancellable={s.id for s in mine.upcoming if signups.can_cancel_self(s, g.now)},
        contact=current_app.config["PROGRAMME_CONTACT"],
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
        "open": paginate(visit_cards(rosters.open_places(person, g.now)), item=VisitCard.of) if open_places else None,
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
