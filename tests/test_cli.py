"""Operator commands: seed-demo, create-institution, create-user, invite."""

import re
from datetime import timedelta

from sqlalchemy import select

from app.crypto.recovery import recovery_public_key
from app.extensions import db
from app.models import (
    Attachment,
    Author,
    Institution,
    Membership,
    Message,
    MinutesState,
    Outcome,
    Report,
    ReportChannel,
    ReportStatus,
    Role,
    User,
)
from app.services.accounts.users import find_user, password_unlocks
from app.services.casefile.deadlines import DUE_SOON_DAYS, today
from app.services.demo.network import DEMO_PASSWORD, demo_recovery_code
from tests.helpers import count, sign_in, text_of


def test_seed_demo_creates_the_network_and_prints_logins(app, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert count(app, Institution) == 13
    assert count(app, User) == 2 + 13 * 3
    assert count(app, Membership) == 13 * 3
    assert DEMO_PASSWORD in result.output
    assert "admin.birzai@demo.example.org" in result.output
    assert "platform-admin@demo.example.org" in result.output
    assert re.search(r"officer1\.utena@demo\.example\.org +Paulius Kazlauskas", result.output)


def test_demo_staff_have_personal_names_the_same_in_every_language(seeded):
    with seeded.app_context():
        names = {user.email: user.display_name for user in db.session.scalars(select(User))}

    assert len(set(names.values())) == len(names)  # one person per account
    assert names["officer1.utena@demo.example.org"] == "Paulius Kazlauskas"
    assert names["officer1.fleksibel-utdanning@demo.example.org"] == "Ola Johansen"
    # No role or institution in English inside a name that pages in lt and nb show.
    assert not [name for name in names.values()
                if re.search(r"officer|admin|analyst|\(", name, re.IGNORECASE)]


def test_seed_demo_is_idempotent(app, runner):
    runner.invoke(args=["seed-demo"])
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert count(app, Institution) == 13
    assert count(app, User) == 41
    assert count(app, Membership) == 39


def test_demo_passwords_really_unlock_the_demo_accounts(app, runner):
    runner.invoke(args=["seed-demo"])
    with app.app_context():
        officer = find_user("officer1.utena@demo.example.org")
        assert password_unlocks(officer, DEMO_PASSWORD)
        assert not password_unlocks(officer, DEMO_PASSWORD + "x")
        roles = {(m.institution.slug, m.role) for m in officer.memberships}
        assert roles == {("utena", Role.OFFICER)}
        assert find_user("platform-admin@demo.example.org").is_platform_admin


def test_seed_demo_is_refused_where_demo_data_is_not_allowed(make_app):
    app = make_app(SKAIDRA_ALLOW_DEMO=False)
    result = app.test_cli_runner().invoke(args=["seed-demo", "--with-reports"])
    assert result.exit_code != 0
    assert "refused" in result.output
    assert count(app, User) == 0
    assert count(app, Report) == 0


def test_only_development_and_tests_allow_the_demo():
    from config import CONFIGS

    assert {name for name, config in CONFIGS.items() if config.SKAIDRA_ALLOW_DEMO} == {
        "development", "test"}


def demo_cases(app) -> list[Report]:
    with app.app_context():
        reports = db.session.scalars(select(Report).order_by(Report.id)).all()
        for report in reports:
            report.slug = report.institution.slug
            report.authors = {message.author for message in report.messages}
        db.session.expunge_all()
        return reports


def test_seed_demo_with_reports_fills_inboxes_with_cases_in_every_state(app, runner):
    result = runner.invoke(args=["seed-demo", "--with-reports"])

    assert result.exit_code == 0, result.output
    reports = demo_cases(app)
    assert 10 <= len(reports) <= 20
    assert {report.slug for report in reports} == {"utena", "birzai", "fleksibel-utdanning"}
    assert {report.status for report in reports} == set(ReportStatus)
    assert {report.outcome for report in reports if report.outcome} == set(Outcome)
    assert len({report.category for report in reports}) >= 6
    day = today()
    open_cases = [report for report in reports if report.status != ReportStatus.CLOSED]
    assert any(report.due_on < day for report in open_cases if report.due_on)  # overdue
    assert any(day <= report.due_on <= day + timedelta(days=DUE_SOON_DAYS)
               for report in open_cases if report.due_on)
    assert all(report.received_on < day for report in reports)
    assert any(report.authors == {Author.OFFICER, Author.REPORTER} for report in reports)
    assert count(app, Attachment) == 1
    assert f"Demo reports added: {len(reports)}" in result.output
    # Reports received another way, with minutes waiting and approved, and a meeting asked.
    assert {report.channel for report in reports} >= {
        ReportChannel.WEB, ReportChannel.TELEPHONE, ReportChannel.MEETING}
    assert {report.minutes_state for report in reports} >= {
        MinutesState.AWAITING, MinutesState.APPROVED}
    assert any(report.meeting_requested_on for report in reports)
    assert all(report.meeting_requested_on is None or report.meeting_requested_on < day
               for report in reports)


def test_demo_reports_are_stored_encrypted_like_real_ones(app, runner):
    runner.invoke(args=["seed-demo", "--with-reports"])

    with app.app_context():
        stored = b"".join(db.session.scalars(select(Report.content)).all()
                          + db.session.scalars(select(Message.body)).all()
                          + db.session.scalars(select(Attachment.content)).all())
    for plaintext in ("tarnybinis automobilis", "konsulentoppdrag", "tender committee",
                      "LRS 412"):
        assert plaintext.encode() not in stored


def test_seed_demo_with_reports_twice_adds_nothing_the_second_time(app, runner):
    runner.invoke(args=["seed-demo", "--with-reports"])
    reports, messages = count(app, Report), count(app, Message)

    second = runner.invoke(args=["seed-demo", "--with-reports"])

    assert second.exit_code == 0, second.output
    assert (count(app, Report), count(app, Message)) == (reports, messages)
    assert "Demo reports added" not in second.output


def test_seed_demo_prints_recovery_codes_and_the_bound_address(app, runner, monkeypatch):
    monkeypatch.setenv("SKAIDRA_BIND", "0.0.0.0:8123")

    output = runner.invoke(args=["seed-demo", "--with-reports"]).output

    assert f"[utena]  recovery code: {demo_recovery_code('utena')}" in output
    assert demo_recovery_code("fleksibel-utdanning") in output
    assert "Skaidra listens on http://127.0.0.1:8123" in output
    assert re.search(r"Inbox,  7 cases:  http://127\.0\.0\.1:8123/staff/i/utena/cases  as "
                     r"officer1\.utena@demo\.example\.org", output)
    assert "8000" not in output


def test_the_printed_receipt_opens_a_demo_reporters_mailbox(app, runner):
    output = runner.invoke(args=["seed-demo", "--with-reports"]).output
    receipt = re.search(r"with the receipt ([\d ]+) \(", output).group(1)
    client = app.test_client()

    assert sign_in(client, receipt).status_code == 302
    mailbox = text_of(client.get("/mailbox/?lang=en"))
    assert "Pridedu užrašus" in mailbox and "automobilio_stebejimas.txt" in mailbox


def test_listen_url_names_what_a_browser_opens():
    from app.gunicorn_conf import listen_url

    assert listen_url("127.0.0.1:8000") == "http://127.0.0.1:8000"
    assert listen_url("0.0.0.0:8080") == "http://127.0.0.1:8080"
    assert listen_url("[::]:9000") == "http://[::1]:9000"
    assert listen_url("localhost") == "http://localhost:8000"
    assert listen_url("unix:/run/skaidra.sock") == "unix:/run/skaidra.sock"


def test_create_institution(app, runner):
    result = runner.invoke(args=[
        "create-institution", "--slug", "kaunas", "--name-lt", "Kauno miesto savivaldybė",
        "--name-en", "Kaunas City Municipality", "--name-nb", "Kaunas bykommune",
        "--kind", "municipality", "--jurisdiction", "LT",
        "--category", "bribery", "--category", "procurement",
    ])
    assert result.exit_code == 0, result.output
    code = re.search(r"((?:[A-Z2-7]{4}-){11}[A-Z2-7]{4})", result.output).group(1)
    with app.app_context():
        kaunas = db.session.scalar(select(Institution).where(Institution.slug == "kaunas"))
        assert kaunas.recovery_public_key == recovery_public_key(code)
        assert code.encode() not in repr(kaunas.__dict__).encode()
        assert kaunas.categories == ["bribery", "procurement"]
        assert kaunas.acknowledgement_days == 7
        assert kaunas.feedback_months == 3


def test_create_institution_rejects_a_bad_slug_and_writes_nothing(app, runner):
    result = runner.invoke(args=[
        "create-institution", "--slug", "Bad Slug!", "--name-lt", "a", "--name-en", "b",
        "--name-nb", "c", "--kind", "municipality", "--jurisdiction", "LT",
    ])
    assert result.exit_code != 0
    assert "lower-case" in result.output or "raidės" in result.output
    assert count(app, Institution) == 0


def test_create_user_with_role(app, runner):
    runner.invoke(args=["seed-demo"])
    result = runner.invoke(args=[
        "create-user", "--email", "New.Officer@Example.org", "--name", "New Officer",
        "--institution", "prienai", "--role", "officer",
    ], input="a-long-enough-password\na-long-enough-password\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = find_user("new.officer@example.org")
        assert user is not None
        assert password_unlocks(user, "a-long-enough-password")
        assert [m.institution.slug for m in user.memberships] == ["prienai"]


def test_create_user_rejects_short_password_and_unknown_institution(app, runner):
    short = runner.invoke(args=["create-user", "--email", "a@example.org", "--name", "A",
                                "--password", "short"])
    assert short.exit_code != 0
    unknown = runner.invoke(args=["create-user", "--email", "b@example.org", "--name", "B",
                                  "--password", "long-enough-password",
                                  "--institution", "atlantis", "--role", "officer"])
    assert unknown.exit_code != 0
    assert "atlantis" in unknown.output
    assert count(app, User) == 0


def test_invite_prints_a_one_time_link_that_opens_the_set_up_page(seeded):
    result = seeded.test_cli_runner().invoke(args=[
        "invite", "--institution", "utena", "--email", "new.officer@example.org",
        "--name", "New Officer"])

    assert result.exit_code == 0, result.output
    link = result.output.strip().splitlines()[-1]
    assert link.startswith("http://127.0.0.1:8000/staff/link/")
    page = seeded.test_client().get(link.removeprefix("http://127.0.0.1:8000"))
    assert page.status_code == 200
    assert "new.officer@example.org" in page.get_data(as_text=True)


def test_invite_link_uses_the_address_gunicorn_listens_on(seeded, monkeypatch):
    monkeypatch.setenv("SKAIDRA_BIND", "0.0.0.0:9001")

    result = seeded.test_cli_runner().invoke(args=[
        "invite", "--institution", "utena", "--email", "new.officer@example.org",
        "--name", "New Officer"])

    assert result.output.strip().splitlines()[-1].startswith(
        "http://127.0.0.1:9001/staff/link/")


def test_invite_refuses_an_unknown_institution(seeded):
    result = seeded.test_cli_runner().invoke(args=[
        "invite", "--institution", "nowhere", "--email", "a@example.org", "--name", "A"])

    assert result.exit_code != 0
    assert "No institution" in result.output
