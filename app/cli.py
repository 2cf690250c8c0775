"""Operator commands: ``flask --app wsgi <command>``.

``notify`` is meant to run hourly, ``purge``, ``remind`` and ``audit-verify`` daily, from cron
or a systemd timer.
"""

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.gunicorn_conf import listen_url
from app.models import InstitutionKind, Jurisdiction, Role
from app.services import ServiceError, audit
from app.services.accounts import account_links
from app.services.accounts.users import create_user
from app.services.administration.institutions import (
    InstitutionSpec,
    create_institution,
    find_institution,
)
from app.services.casefile import retention
from app.services.casefile.categories import STANDARD_CATEGORIES
from app.services.casework import notifications
from app.services.demo.assessments import seed_demo_assessments
from app.services.demo.network import (
    DEMO_DOMAIN,
    DEMO_PASSWORD,
    DemoLogin,
    demo_recovery_code,
    seed_demo_network,
)
from app.services.demo.reports import (
    DEMO_SLUGS,
    DemoReports,
    demo_case_counts,
    seed_demo_reports,
)


@click.command("seed-demo")
@with_appcontext
@click.option("--with-reports", is_flag=True,
              help="Also cases in several states for Utena, Biržai and the Norwegian partner "
                   "(what `make run` shows). Without: empty inboxes, as the tests want them.")
def seed_demo_command(with_reports: bool) -> None:
    """Load the demo network of the 13 partner institutions and its self-assessments (and,
    when asked, demo reports); print the logins, recovery codes and where to look."""
    if not current_app.config.get("SKAIDRA_ALLOW_DEMO"):
        raise click.ClickException(
            "The demo network has publicly known passwords and is refused in this "
            "configuration; use SKAIDRA_CONFIG=development."
        )
    logins = seed_demo_network()
    reports = seed_demo_reports() if with_reports else None
    if reports is not None:
        click.echo(f"Demo reports added: {reports.total} in {', '.join(DEMO_SLUGS)}.")
    if seed_demo_assessments():
        click.echo("Demo self-assessments added (4 institutions; a staff survey for Utena).")
    _echo_logins(logins)
    _echo_where_to_look(current_app.config.get("PUBLIC_BASE_URL") or listen_url(),
                        staff_base_url(), reports)


def _echo_logins(logins: list[DemoLogin]) -> None:
    click.echo(f"Demo logins (password for every account: {DEMO_PASSWORD})")
    shown = None
    for login in logins:
        if login.institution_slug and login.institution_slug != shown:
            shown = login.institution_slug
            click.echo(f"  [{shown}]  recovery code: {demo_recovery_code(shown)}")
        indent = "    " if login.institution_slug else "  "
        click.echo(f"{indent}{login.role:<18} {login.email:<56} {login.name}")
    click.echo("The recovery codes are as public as the password: they open every report of "
               "their institution (Administration: ... > Recovery code).")
    click.echo("Staff sign in at /staff/login. The first sign-in of each account sets up "
               "two-factor: scan the QR code with an authenticator app, or use the key shown "
               "(e.g. oathtool --totp -b KEY).")


def _echo_where_to_look(public: str, base: str, reports: DemoReports | None) -> None:
    counts = demo_case_counts()
    slug = DEMO_SLUGS[0]
    click.echo("")
    click.echo(f"Skaidra listens on {listen_url()} (SKAIDRA_BIND). Where to look:")
    click.echo(f"  Reporting page:    {public}/i/{slug}/")
    for each in DEMO_SLUGS:
        click.echo(f"  Inbox, {counts.get(each, 0):>2} cases:  {base}/staff/i/{each}/cases"
                   f"  as officer1.{each}@{DEMO_DOMAIN}")
    click.echo(f"  Deadlines:         {base}/staff/overview  as officer1.{slug}@{DEMO_DOMAIN}")
    click.echo(f"  Statistics:        {base}/staff/i/{slug}/statistics  (network: "
               f"{base}/staff/statistics/network as analyst@{DEMO_DOMAIN})")
    click.echo(f"  Self-assessment:   {base}/staff/i/{slug}/assessments  as "
               f"admin.{slug}@{DEMO_DOMAIN}")
    if reports is not None and reports.receipt:
        click.echo(f"  Reporter mailbox:  {public}/mailbox/  with the receipt {reports.receipt} "
                   "(shown this once, like a real receipt)")


@click.command("create-institution")
@with_appcontext
@click.option("--slug", required=True, help="Address part: /i/<slug>/")
@click.option("--name-lt", required=True)
@click.option("--name-en", required=True)
@click.option("--name-nb", required=True)
@click.option("--kind", type=click.Choice([kind.value for kind in InstitutionKind]),
              required=True)
@click.option("--jurisdiction", type=click.Choice([j.value for j in Jurisdiction]),
              required=True)
@click.option("--category", "categories", multiple=True,
              type=click.Choice(STANDARD_CATEGORIES),
              help="Report category (repeat); all standard ones when omitted.")
def create_institution_command(
    slug: str, name_lt: str, name_en: str, name_nb: str, kind: str, jurisdiction: str,
    categories: tuple[str, ...],
) -> None:
    """Add an institution to the network."""
    spec = InstitutionSpec(
        slug=slug, name_lt=name_lt, name_en=name_en, name_nb=name_nb,
        kind=InstitutionKind(kind), jurisdiction=Jurisdiction(jurisdiction),
    )
    if categories:
        spec.categories = list(categories)
    try:
        institution, recovery_code = create_institution(spec)
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created institution {institution.slug}: /i/{institution.slug}/")
    click.echo(
        "Recovery code (shown once, stored nowhere; print it and give it to the institution "
        f"admin, who keeps it locked away):\n\n    {recovery_code}\n"
    )


@click.command("create-user")
@with_appcontext
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted for when omitted (keeps it out of the shell history).")
@click.option("--institution", "institution_slug", help="Slug of the institution to join.")
@click.option("--role", type=click.Choice([role.value for role in Role]))
@click.option("--platform-admin", is_flag=True, help="Manages institutions; reads no reports.")
@click.option("--analyst", is_flag=True, help="Sees network statistics; reads no reports.")
def create_user_command(
    email: str, display_name: str, password: str, institution_slug: str | None,
    role: str | None, platform_admin: bool, analyst: bool,
) -> None:
    """Create a staff account with its key pair, optionally with a role in an institution."""
    if bool(institution_slug) != bool(role):
        raise click.ClickException("--institution and --role go together.")
    institution = None
    if institution_slug:
        institution = find_institution(institution_slug)
        if institution is None:
            raise click.ClickException(f"No institution has the slug {institution_slug!r}.")
    role_in = (institution, Role(role)) if institution is not None and role else None
    try:
        user = create_user(email, display_name, password, is_platform_admin=platform_admin,
                           is_analyst=analyst, role_in=role_in)
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created account {user.email}.")


def staff_base_url() -> str:
    """Where the staff workspace is reached: STAFF_BASE_URL, PUBLIC_BASE_URL, or the address
    gunicorn listens on (SKAIDRA_BIND), as `make run` serves it."""
    config = current_app.config
    return config.get("STAFF_BASE_URL") or config.get("PUBLIC_BASE_URL") or listen_url()


# What a break's reason means, for the operator reading the output.
CHAIN_BREAKS = {
    "link": "it does not follow the entry before it (an entry was deleted, inserted or moved)",
    "content": "its recorded fields were changed after it was written",
}


@click.command("invite")
@with_appcontext
@click.option("--institution", "institution_slug", required=True,
              help="Slug of the institution to join.")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--role", type=click.Choice([role.value for role in Role]), default="officer",
              show_default=True)
def invite_command(institution_slug: str, email: str, display_name: str, role: str) -> None:
    """Invite a staff member and print their one-time link (valid ACCOUNT_LINK_DAYS days)."""
    institution = find_institution(institution_slug)
    if institution is None:
        raise click.ClickException(f"No institution with the slug {institution_slug!r}.")
    try:
        token = account_links.invite(institution, email, display_name, Role(role), by=None)
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    if token is None:
        click.echo(f"{email} is a member of {institution_slug} already and now holds the "
                   f"role {role}.")
        return
    click.echo("Send this one-time link to the person, by a channel only they read:")
    click.echo(f"{staff_base_url()}/staff/link/{token}")


@click.command("audit-verify")
@with_appcontext
def audit_verify_command() -> None:
    """Check the audit log's hash chain; exit status 1 when it is broken.

    Record the printed head somewhere the database's operators cannot change: deleting the
    newest entries leaves a valid but shorter chain, which only an older head reveals.
    """
    report = audit.verify_chain()
    if report.broken is not None:
        click.echo(f"Checked {report.checked} audit entries before the first break.")
        click.echo(f"BROKEN at entry {report.broken.entry_id}: "
                   f"{CHAIN_BREAKS.get(report.broken.reason, report.broken.reason)}.")
        click.echo(f"Hash of the last intact entry: {report.head_hash}")
        raise SystemExit(1)
    click.echo(f"Checked {report.checked} audit entries: the chain is intact.")
    if report.head_id is None:
        click.echo("Head: none (the log is empty).")
    else:
        click.echo(f"Head: entry {report.head_id}, hash {report.head_hash}")


@click.command("purge")
@with_appcontext
def purge_command() -> None:
    """Delete closed cases whose institution's retention period has ended.

    Run it once a day from cron or a systemd timer, on one node only.
    """
    deleted = retention.purge_expired()
    click.echo(f"Deleted {deleted} case(s) after their retention period.")


@click.command("notify")
@with_appcontext
def notify_command() -> None:
    """E-mail officers about new reports and reporters' replies since the last run.

    Run it from a timer (hourly, say) on one node: notices are batched so that an e-mail's
    time does not tell when a reporter acted.
    """
    sent = notifications.send_pending_notices()
    click.echo(f"Sent {sent} notice e-mail(s).")


@click.command("remind")
@with_appcontext
def remind_command() -> None:
    """E-mail officers about cases whose deadline is near or has passed.

    Run it once a day from cron or a systemd timer on one node; each run sends again.
    """
    sent = notifications.send_daily_reminders()
    click.echo(f"Sent {sent} reminder e-mail(s).")


def init_app(app: Flask) -> None:
    """Register the commands."""
    for command in (seed_demo_command, create_institution_command, create_user_command,
                    invite_command, audit_verify_command, purge_command, notify_command,
                    remind_command):
        app.cli.add_command(command)
