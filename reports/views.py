"""Report pages: the programme dashboard, a company's report, a school's, "My hours" with certificates, a
certificate's verification, the public impact page; and every table as CSV and XLSX."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from babel.dates import format_date
from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale

from accounts.access import SIGNED_IN, requires, viewer
from accounts.models import Company, Role
from core.errors import DomainError
from core.formatting import fen
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from core.kept_pages import FIGURES_SECONDS, kept_for_visitors
from core.qr import qr_svg_inline
from core.urls import external_url
from core.web import act
from events.models import School
from extensions import db
from reports import bp, certificates, exports, services
from reports.access import sees_company, sees_school_report
from reports.charts import Point, bar_chart, line_chart
from reports.forms import CertificateForm, RangeForm
from reports.services import Figures, Row, Scope, Table, hours

#: the tables of the dashboard, in its order
PROGRAMME_TABLES = ("company", "region", "school", "month")
COMPANY_TABLES = ("volunteer", "school", "month")
SCHOOL_TABLES = ("month",)
EXPORTS = {"csv": exports.csv_download, "xlsx": exports.xlsx_download}


@dataclass(frozen=True)
class Headline:
    """One headline figure as the page shows it."""

    name: str
    current: object
    previous: object
    #: "+3", "−1.5", "0": the change from the previous period
    change: str


def _change(current: int | Decimal, previous: int | Decimal, shown=str) -> str:
    """The change written by `shown` (money: `fen`)."""
    difference = current - previous
    return f"+{shown(difference)}" if difference > 0 else (f"−{shown(-difference)}" if difference < 0 else "0")


def headlines(row: Row, *, people: bool = True, lessons: bool = False) -> list[Headline]:
    """The headline figures of a row; `people=False` leaves out those that are about people (the public page),
    `lessons=True` adds the lessons given (a school's page)."""
    now, before = row.current, row.previous
    items = [
        (_("Visits completed"), now.visits, before.visits),
        *([(_("Lessons given"), now.lessons, before.lessons)] if lessons else []),
        (_("Schools reached"), now.schools, before.schools),
        (_("Students reached"), now.students, before.students),
        (_("Volunteer hours"), hours(now.volunteer_minutes), hours(before.volunteer_minutes)),
        (_("Active volunteers"), now.volunteers, before.volunteers),
    ]
    if people:
        items.append(
            (
                _("Hours per volunteer"),
                hours(now.minutes_per_volunteer),
                hours(before.minutes_per_volunteer),
            )
        )
    items += [
        (_("Kits delivered"), now.kits_delivered, before.kits_delivered),
        (_("Kits consumed"), now.kits_consumed, before.kits_consumed),
    ]
    figures = [Headline(name, a, b, _change(a, b)) for name, a, b in items]
    for name, value, value_before in [
        (_("Value of kits delivered (at each kit type's value)"), now.kit_value_fen, before.kit_value_fen),
        (
            _("Value of donated kits delivered (at each donation's value)"),
            now.donated_value_fen,
            before.donated_value_fen,
        ),
    ]:
        figures.append(Headline(name, fen(value), fen(value_before), _change(value, value_before, fen)))
    return figures


def _points(table: Table, value) -> list[Point]:
    """A chart's points: hours are drawn in tenths (whole numbers), written as people read them."""

    def drawn(number: int | Decimal) -> int:
        return int(number * 10) if isinstance(number, Decimal) else number

    return [
        Point(
            " ".join(str(cell) for cell in exports.key_cells(table.grouping, row) if cell),
            drawn(value(row.current)),
            drawn(value(row.previous)),
            str(value(row.current)),
        )
        for row in table.rows
    ]


def _legend() -> tuple[str, str]:
    return _("This period"), _("Previous period")


def hours_chart(table: Table, chart_id: str, title: str) -> tuple[str, str]:
    """(title, SVG): bars of each row's volunteer hours; the page shows the title as the figure's caption."""
    points = _points(table, lambda f: hours(f.volunteer_minutes))
    return title, bar_chart(points, title=title, chart_id=chart_id, legend=_legend())


def students_chart(table: Table, chart_id: str, title: str) -> tuple[str, str]:
    points = _points(table, lambda f: f.students)
    return title, bar_chart(points, title=title, chart_id=chart_id, legend=_legend())


def month_chart(table: Table, chart_id: str, title: str) -> tuple[str, str]:
    points = _points(table, lambda f: f.students)
    return title, line_chart(points, title=title, chart_id=chart_id, legend=_legend())


def _range() -> RangeForm:
    form = RangeForm(request.args)
    form.chosen = form.period(g.now)
    return form


def _notes(figures: Figures) -> list[str]:
    notes = []
    if figures.visits_without_checkins:
        notes.append(
            _(
                "Visits without any check-in: %(num)d. Their volunteer hours are not counted: they were not recorded.",
                num=figures.visits_without_checkins,
            )
        )
    if figures.visits_without_student_counts:
        notes.append(
            _(
                "Visits where the students of a lesson or satellite school were not recorded: %(num)d. Only the"
                " recorded numbers are counted.",
                num=figures.visits_without_student_counts,
            )
        )
    return notes


TABLE_TITLES = {
    "company": _l("By company"),
    "region": _l("By region"),
    "province": _l("By province"),
    "school": _l("By school"),
    "month": _l("By month"),
    "volunteer": _l("By volunteer"),
}


#: rows a table of a report page shows: a national programme has thousands of schools and hundreds of companies and
#: regions (at scale 100 the dashboard was 2.5 MB of 2,233 rows, a second to render); a table's "show all" and its
#: downloads have every row
ROWS_SHOWN = 25


@dataclass
class ShownTable(Table):
    """A table as a report page shows it: its first ROWS_SHOWN rows of `total` (`all_url`: the page with all of
    them), or all of them (`all_url` None)."""

    total: int = 0
    all_url: str | None = None


def _shown(table: Table) -> ShownTable:
    """`table` as the page shows it: every row when there are few or the visitor asked for them all (`?all=`)."""
    total = len(table.rows)
    if total <= ROWS_SHOWN or request.args.get("all") == table.grouping:
        return ShownTable(table.grouping, table.period, table.rows, total)
    query = [(key, value) for key, value in request.args.items(multi=True) if key != "all"] + [("all", table.grouping)]
    whole = f"{url_for(request.endpoint, **request.view_args)}?{urlencode(query)}#table-{table.grouping}"
    return ShownTable(table.grouping, table.period, table.rows[:ROWS_SHOWN], total, whole)


def _render_report(
    template: str,
    scope: Scope,
    groupings,
    *,
    charts=None,
    export_endpoint: str | None = None,
    lessons: bool = False,
    **context,
):
    """A report page: the range form, the headline figures with notes, the tables (and charts drawn from them),
    each table with its downloads when `export_endpoint` names them (called with `export_args` too); `lessons`:
    the lessons given among the headline figures (a school's page)."""
    form = _range()
    period = form.chosen
    total, kept = services.kept_report(db.session, period, groupings, scope, now=g.now)
    tables = {grouping: _shown(table) for grouping, table in kept.items()}  # the kept ones are shared: not changed
    export_args = context.pop("export_args", {})

    def export_url(grouping: str, fmt: str) -> str:
        dates = {"from": period.first.isoformat(), "to": period.last.isoformat()}
        return url_for(export_endpoint, grouping=grouping, fmt=fmt, **export_args, **dates)

    return render_template(
        template,
        form=form,
        period=period,
        total=total,
        headlines=headlines(total, lessons=lessons),
        notes=_notes(total.current),
        tables=tables,
        titles=TABLE_TITLES,
        exports=exports,
        hours=hours,
        charts=charts(kept) if charts else {},  # every row: a chart shows the whole table
        export_url=export_url if export_endpoint else None,
        **context,
    )


@bp.app_template_filter("format_day")
def format_day(day: date) -> str:
    """'January 31, 2026' / '2026年1月31日': a day of a report's period."""
    return format_date(day, "long", locale=get_locale())


# ---------------------------------------------------------------- programme


@bp.get("/reports/")
@requires(Role.ADMIN)
def dashboard():
    """The programme's figures for a date range against the previous period, by company, region, school, month."""
    return _render_report(
        "reports/dashboard.html",
        services.EVERYONE,
        (*PROGRAMME_TABLES, "province"),
        charts=lambda tables: {
            "company": hours_chart(tables["company"], "chart-company", _("Volunteer hours per company")),
            "province": students_chart(tables["province"], "chart-province", _("Students reached per province")),
            "month": month_chart(tables["month"], "chart-month", _("Students reached per month")),
        },
        order=PROGRAMME_TABLES,
        export_endpoint="reports.export",
        export_args={},
    )


def _export(grouping: str, fmt: str, groupings, scope: Scope = services.EVERYONE):
    """One of a report page's tables (`groupings`) as CSV or XLSX, for the range asked; 404 for another table or
    format."""
    if grouping not in groupings or fmt not in EXPORTS:
        abort(404)
    return EXPORTS[fmt](services.breakdown(db.session, grouping, _range().chosen, scope))


@bp.get("/reports/export/<grouping>.<fmt>")
@requires(Role.ADMIN)
def export(grouping: str, fmt: str):
    """A dashboard table as CSV or XLSX."""
    return _export(grouping, fmt, (*PROGRAMME_TABLES, "province"))


# ---------------------------------------------------------------- companies


def _company(company_id: int) -> Company:
    company = db.session.get(Company, company_id)
    if company is None or not sees_company(viewer(), company.id):
        abort(404)
    return company


@bp.get("/reports/company")
@requires(Role.COORDINATOR)
def my_company():
    """A company coordinator's own company report."""
    if viewer().company_id is None:
        abort(404)
    return redirect(url_for("reports.company", company_id=viewer().company_id, **request.args))


@bp.get("/reports/companies/<int:company_id>")
@requires(Role.COORDINATOR, Role.ADMIN)
def company(company_id: int):
    """A company's team: hours, visits, schools and students reached, hours per volunteer; one printable page."""
    company = _company(company_id)
    return _render_report(
        "reports/company.html",
        Scope(company_id=company.id),
        COMPANY_TABLES,
        charts=lambda tables: {
            "volunteer": hours_chart(tables["volunteer"], "chart-volunteer", _("Volunteer hours per person")),
            "month": month_chart(tables["month"], "chart-month", _("Students reached per month")),
        },
        company=company,
        order=COMPANY_TABLES,
        export_endpoint="reports.company_export",
        export_args={"company_id": company.id},
    )


@bp.get("/reports/companies/<int:company_id>/export/<grouping>.<fmt>")
@requires(Role.COORDINATOR, Role.ADMIN)
def company_export(company_id: int, grouping: str, fmt: str):
    """A company report's table as CSV or XLSX."""
    return _export(grouping, fmt, COMPANY_TABLES, Scope(company_id=_company(company_id).id))


# ---------------------------------------------------------------- schools


def _school(school_id: int) -> School:
    school = db.session.get(School, school_id)
    if school is None or not sees_school_report(viewer(), school):
        abort(404)
    return school


@bp.get("/reports/schools/<int:school_id>")
@requires(Role.HOST, Role.ADMIN)
def school(school_id: int):
    """What a school received: visits, lessons and their students, volunteers and their hours, kits, by month."""
    school = _school(school_id)
    return _render_report(
        "reports/school.html",
        Scope(school_id=school.id),
        SCHOOL_TABLES,
        school=school,
        order=SCHOOL_TABLES,
        lessons=True,
        export_endpoint="reports.school_export",
        export_args={"school_id": school.id},
    )


@bp.get("/reports/schools/<int:school_id>/export/<grouping>.<fmt>")
@requires(Role.HOST, Role.ADMIN)
def school_export(school_id: int, grouping: str, fmt: str):
    """A school report's table as CSV or XLSX."""
    return _export(grouping, fmt, SCHOOL_TABLES, Scope(school_id=_school(school_id).id))


# ---------------------------------------------------------------- public


@bp.get("/impact")
@kept_for_visitors(longest=FIGURES_SECONDS)
def impact():
    """The programme's headline figures and a table per province, for anyone: no personal data."""
    form = _range()
    period = form.chosen
    total, tables = services.report(db.session, period, ("province",), services.EVERYONE)
    return render_template(
        "reports/impact.html",
        form=form,
        period=period,
        total=total,
        headlines=headlines(total, people=False),
        table=tables["province"],
        chart=students_chart(tables["province"], "chart-province", _("Students reached per province")),
        exports=exports,
        hours=hours,
    )


# ---------------------------------------------------------------- my hours and certificates


@bp.get("/me/hours")
@requires(SIGNED_IN)
def my_hours():
    """A person's attended visits with the hours from check-ins, their certificates, and a new one."""
    person = viewer()
    return render_template(
        "reports/my_hours.html",
        summary=certificates.hours_of(db.session, person),
        issued=certificates.certificates_of(db.session, person),
        form=CertificateForm(),
        hours=hours,
    )


@bp.post("/me/hours/certificates")
@requires(SIGNED_IN)
def issue_certificate():
    """A certificate of the person's hours so far, in the language chosen."""
    form = CertificateForm()
    if not form.validate():
        abort(400)
    made = certificates.issue_certificate(db.session, viewer(), locale=form.locale.data, now=g.now)
    db.session.commit()
    return redirect(url_for("reports.certificate", certificate_id=made.id))


def _own_certificate(certificate_id: int):
    try:
        return certificates.own_certificate(db.session, certificate_id, viewer())
    except DomainError:
        abort(404)


@bp.get("/me/hours/certificates/<int:certificate_id>")
@requires(SIGNED_IN)
def certificate(certificate_id: int):
    """The certificate to print, in its own language: the visits, dates, schools and hours, and how to verify it."""
    made = _own_certificate(certificate_id)
    url = external_url("reports.verify_certificate", token=certificates.token_of(made))
    with force_locale(made.locale):
        return render_template(
            "reports/certificate.html",
            certificate=made,
            summary=certificates.hours_of(db.session, made.user, until=made.issued_at),
            url=url,
            qr=qr_svg_inline(url, _("QR code of the certificate's verification address"), "certificate-qr"),
            hours=hours,
        )


@bp.post("/me/hours/certificates/<int:certificate_id>/revoke")
@requires(SIGNED_IN)
def revoke_certificate(certificate_id: int):
    """From now on the certificate's verification page says it was revoked."""
    made = _own_certificate(certificate_id)
    return act(
        lambda: certificates.revoke_certificate(db.session, made, now=g.now),
        done=lambda _result: _("The certificate is revoked: its verification page now says so."),
        then=url_for("reports.my_hours"),
    )


@bp.get("/certificates/<token>")
def verify_certificate(token: str):
    """Whether a certificate is genuine: the name, hours, visits and date printed on it, and nothing else."""
    found = certificates.find_certificate(db.session, token)
    status = 404 if found is None else (410 if found.revoked_at else 200)
    return render_template("reports/verify.html", certificate=found, hours=hours), status
