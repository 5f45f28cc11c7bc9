"""Flask CLI commands: create-user, backup, seed-demo, send-mail, send-reminders, verify-ledger."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from accounts.models import Company, Role
from accounts.services import create_user, set_roles
from core import timeutil
from core.db import begin_write
from core.errors import DomainError
from extensions import db


def register_cli(app: Flask) -> None:
    app.cli.add_command(create_user_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(send_mail_command)
    app.cli.add_command(send_reminders_command)
    app.cli.add_command(verify_ledger_command)


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([r.value for r in Role]),
    help="Repeat for several.",
)
@click.option("--company", default=None, help="Company name (created when missing).")
@click.option("--password", default=None, help="Prompted for when not given.")
@with_appcontext
def create_user_command(email, name, roles, company, password):
    """Create an account, for example the first admin."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    now = timeutil.now()
    begin_write(db.session)  # the app may be serving: hold SQLite's write lock from the first read
    company_row = None
    if company:
        from accounts.services import create_company

        company_row = db.session.scalar(select(Company).where(Company.name == company))
        company_row = company_row or create_company(db.session, company, now)
    try:
        user = create_user(
            db.session,
            email=email,
            name=name,
            password=password,
            roles={Role(r) for r in roles},
            company=company_row,
            now=now,
        )
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(f"{error.code}: {error.message}") from error
    set_roles(user, {Role(r) for r in roles})
    db.session.commit()
    click.echo(f"Created {user.email} ({', '.join(sorted(roles))}).")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@with_appcontext
def backup_command(path, force):
    """Copy the SQLite database to PATH while the app keeps serving (PostgreSQL: use pg_dump)."""
    from core.backup import BackupError, backup_database

    try:
        backup_database(db.engine.url, path, force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backed up the database to {path}.")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Load the bilingual demo data when the database is empty, and show its logins every time."""
    from core.urls import external_url
    from demo import demo_in_use, seed_demo

    begin_write(db.session)  # the app may be serving: hold SQLite's write lock from the first read
    created = seed_demo(db.session, timeutil.now())
    db.session.commit()
    demo = created or demo_in_use(db.session)
    if demo is None:
        click.echo(
            "The database holds other data, so the demo was not loaded. "
            "To start over with only the demo on the default SQLite database: make demo-reset"
        )
        return
    password = demo["password"] if created else demo["password"] + ", unless changed since"
    click.echo(f"{'Demo data loaded' if created else 'Demo data in use'}. Logins (password for all: {password}):")
    for email, role in demo["logins"]:
        click.echo(f"  {role:<22} {email}")
    for name, code in demo["join_codes"]:
        click.echo(f"  join code {code} registers volunteers of {name}")
    click.echo(f"Log in at {external_url('accounts.login')}")


@click.command("send-mail")
@click.option("--loop", is_flag=True, help="Keep running, delivering every --interval seconds.")
@click.option("--interval", default=15, show_default=True)
@with_appcontext
def send_mail_command(loop, interval):
    """Deliver due messages from the outbox (run from cron, or with --loop); failures go to stderr."""
    from flask import current_app

    from mail.services import deliver_due, transport_for

    transport = transport_for(current_app.config["MAIL_BACKEND"])
    while True:
        report = deliver_due(db.session, timeutil.now(), transport)
        if report.sent or report.failed or not loop:
            click.echo(f"sent {report.sent}, failed {report.failed}")
        # A message that fails is the message's problem, kept on its row and retried: the run still
        # worked (exit 0), but cron's mail and the logs should show it.
        for message_id, error in report.failures:
            click.echo(f"message {message_id} failed: {error}", err=True)
        if not loop:
            return
        time.sleep(interval)


@click.command("send-reminders")
@with_appcontext
def send_reminders_command():
    """Queue reminders for confirmed volunteers (REMINDER_HOURS before each visit), each exactly once."""
    from volunteers.notices import send_reminders

    begin_write(db.session)  # read who is due and mark them reminded in one locked transaction
    queued = send_reminders(db.session, timeutil.now())
    db.session.commit()
    click.echo(f"queued {queued} reminder(s)")


#: what each problem verify_ledger finds means, for people reading the command's output
LEDGER_PROBLEMS = {
    "edited": "its content no longer gives its hash (edited)",
    "broken": "it does not follow the movement before it (a movement was deleted or inserted)",
    "head": "the chain does not end where the ledger head says (movements deleted or added at the end)",
}


@click.command("verify-ledger")
@with_appcontext
def verify_ledger_command():
    """Check the stock ledger's hash chain and counters, streaming; exit code 1 when something no longer matches."""
    from kits.ledger import remember_verification, verify_ledger

    result = verify_ledger(db.session)
    remember_verification(db.session, result, now=timeutil.now())
    db.session.commit()
    click.echo(f"checked {result.checked} movement(s)")
    click.echo(f"head {result.head} ({result.head_count} movement(s))")
    if result.ok:
        click.echo("ok: every movement matches its hash and the counters match the ledger")
        return
    if result.problem == "counters":
        places = ", ".join(f"hub {hub} kit type {kit}" for hub, kit in result.mismatched_stock)
        click.echo(f"FAILED: stock counters differ from the ledger's sums at {places}", err=True)
    else:
        click.echo(f"FAILED: first bad movement {result.first_bad_id}: {LEDGER_PROBLEMS[result.problem]}", err=True)
    raise SystemExit(1)
