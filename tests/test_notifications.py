"""Content-free e-mails to officers, delivered to a real SMTP server on loopback."""

import email
import email.policy
import logging
import socket
import time
from datetime import date, timedelta
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.extensions import db
from app.models import Report, ReportStatus, Role
from app.services.accounts.users import find_user, grant_role
from app.services.administration.institutions import find_institution
from app.services.casefile.content import new_ref
from app.services.casefile.deadlines import DUE_SOON_DAYS
from app.services.casefile.deadlines import today as current_day
from app.services.casework.notifications import (
    notify_new_report,
    send_daily_reminders,
    send_pending_notices,
)
from app.services.reporting.intake import ReportEntry, submit_report
from tests.helpers import mailbox_form, receipt_of, seed, send_report, sign_in, text_of
from tests.support.postgres import free_port

STAFF = "https://staff.example.lt"
SENDER = "skaidra@demo.example.org"
OFFICER1, OFFICER2, ADMIN = (f"{who}.utena@demo.example.org"
                             for who in ("officer1", "officer2", "admin"))
MARKER = "Marker-9d2e"
TODAY = date(2026, 3, 10)


class Inbox:
    """An SMTP handler that keeps every message it accepts, and refuses chosen addresses."""

    def __init__(self) -> None:
        self.envelopes = []
        self.refused: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"

    def recipients(self) -> list[str]:
        return sorted(address for envelope in self.envelopes for address in envelope.rcpt_tos)

    def raw(self) -> list[bytes]:
        return [envelope.original_content for envelope in self.envelopes]

    def messages(self) -> list[EmailMessage]:
        return [email.message_from_bytes(raw, policy=email.policy.default) for raw in self.raw()]

    def to(self, address: str) -> EmailMessage:
        (message,) = [m for m in self.messages() if m["To"] == address]
        return message

    def clear(self) -> None:
        self.envelopes.clear()


@pytest.fixture
def inbox():
    """A running SMTP server on 127.0.0.1; stopped after the test."""
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()


def mail_settings(port: int, **overrides) -> dict:
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_USE_TLS": False,
            "MAIL_DEFAULT_SENDER": SENDER, "STAFF_BASE_URL": STAFF, **overrides}


@pytest.fixture
def mailing(make_app, inbox):
    """The demo network on an app that sends mail to the inbox; officers read English."""
    app = make_app(**mail_settings(inbox.port))
    seed(app)
    set_language(app, "en", OFFICER1, OFFICER2, "officer1.birzai@demo.example.org",
                 "officer2.birzai@demo.example.org")
    return app


def set_language(app, language: str, *emails: str) -> None:
    with app.app_context():
        for address in emails:
            find_user(address).language = language
        db.session.commit()


def body(message: EmailMessage) -> str:
    return message.get_content()


def subject(message: EmailMessage) -> str:
    """The subject as a reader sees it (long ones are folded onto several lines)."""
    return " ".join(message["Subject"].split())


def newest_ref(app) -> str:
    with app.app_context():
        return db.session.scalar(select(Report.ref).order_by(Report.id.desc()).limit(1))


def notify(app) -> int:
    """What the `flask notify` timer does: send the queued notices."""
    with app.app_context():
        return send_pending_notices()


def file_report(app, slug: str = "utena", **entry) -> str:
    """A report submitted through the service; returns its reference."""
    with app.app_context():
        institution = find_institution(slug)
        submit_report(institution, ReportEntry(**{"category": institution.categories[0],
                                                  "what_happened": MARKER, **entry}),
                      uploads=[], submission_token=new_ref())
    return newest_ref(app)


def test_a_new_report_emails_exactly_the_entitled_officers_of_its_institution(mailing, inbox):
    with send_report(mailing.test_client(), "utena") as response:
        assert response.status_code == 200
    assert inbox.envelopes == []  # nothing while the reporter waits
    assert notify(mailing) == 2
    assert inbox.recipients() == [OFFICER1, OFFICER2]
    assert notify(mailing) == 0  # each notice goes out once
    message = inbox.to(OFFICER1)
    assert message["From"] == SENDER
    assert subject(message) == "New report for Administration of Utena District Municipality"
    assert f"{STAFF}/staff/cases/{newest_ref(mailing)}" in body(message)


def test_a_flood_is_announced_once_per_institution_and_run(make_app, inbox):
    app = make_app(REPORT_RATE_LIMIT="2 per hour", **mail_settings(inbox.port))
    seed(app)
    for _ in range(5):  # two within the limit, three marked as a possible flood
        with send_report(app.test_client(), "utena") as response:
            assert response.status_code == 200

    assert notify(app) == 2 * 3  # both officers: two reports, and one for the flood
    assert notify(app) == 0
    with send_report(app.test_client(), "utena") as response:  # a later run is told again
        assert response.status_code == 200
    assert notify(app) == 2


def test_notices_carry_no_report_content_not_even_in_headers(mailing, inbox):
    client = mailing.test_client()
    with send_report(client, "utena", what_happened=f"{MARKER} cash in an envelope",
                     people_involved=f"{MARKER}-person", when_where=f"{MARKER}-place",
                     identity_choice="confidential", name=f"{MARKER}-name",
                     contact=f"{MARKER}@example.org") as response:
        receipt = receipt_of(response)
    with sign_in(client, receipt):
        pass
    data = {**mailbox_form(client), "text": f"{MARKER} a reply"}
    notify(mailing)
    with client.post("/mailbox/message?lang=en", data=data) as response:
        assert response.status_code == 302
    notify(mailing)
    assert len(inbox.envelopes) == 4
    for raw, message in zip(inbox.raw(), inbox.messages(), strict=True):
        decoded = str(message.items()) + body(message)
        for text in (raw.decode("utf-8", "replace"), decoded):
            assert MARKER not in text and "envelope" not in text
            assert "bribery" not in text.lower()  # the category, as code or English label
            assert receipt.replace(" ", "") not in text.replace(" ", "")


def test_officer_excluded_by_the_reporter_gets_no_notice(mailing, inbox):
    with mailing.app_context():
        find_institution("utena").allow_exclusions = True
        excluded = find_user(OFFICER2).id
        db.session.commit()
    file_report(mailing, excluded_officers=(excluded,))
    notify(mailing)
    assert inbox.recipients() == [OFFICER1]


def test_a_reporter_reply_notifies_the_officers_who_still_serve(mailing, inbox):
    client = mailing.test_client()
    with send_report(client, "utena") as response:
        receipt = receipt_of(response)
    with mailing.app_context():
        find_user(OFFICER2).is_active = False
        db.session.commit()
    notify(mailing)
    inbox.clear()
    with sign_in(client, receipt):
        pass
    data = {**mailbox_form(client), "text": "One more detail."}
    with client.post("/mailbox/message?lang=en", data=data) as response:
        assert response.status_code == 302
    notify(mailing)
    assert inbox.recipients() == [OFFICER1]
    message = inbox.to(OFFICER1)
    assert subject(message) == ("New message from a reporter to Administration of Utena "
                                  "District Municipality")
    assert f"{STAFF}/staff/cases/{newest_ref(mailing)}" in body(message)


def test_each_officer_is_written_to_in_their_own_language(mailing, inbox):
    set_language(mailing, "nb", OFFICER1)
    set_language(mailing, "lt", OFFICER2)
    file_report(mailing)
    notify(mailing)
    norwegian, lithuanian = inbox.to(OFFICER1), inbox.to(OFFICER2)
    assert norwegian["Content-Language"] == "nb"
    assert "Administrasjonen i Utena distriktskommune" in subject(norwegian)
    assert lithuanian["Content-Language"] == "lt"
    assert "Utenos rajono savivaldybės administracija" in subject(lithuanian)


def test_a_refused_address_does_not_keep_the_other_officers_uninformed(mailing, inbox):
    inbox.refused.add(OFFICER1)
    file_report(mailing)
    notify(mailing)
    assert inbox.recipients() == [OFFICER2]


def set_due(app, ref: str, due_on: date, status: ReportStatus = ReportStatus.ACKNOWLEDGED
            ) -> None:
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.ref == ref))
        report.status, report.due_on = status, due_on
        db.session.commit()


def test_daily_reminder_counts_overdue_and_due_soon_cases_per_institution(mailing, inbox):
    with mailing.app_context():  # officer1 of Utena also serves Biržai
        grant_role(find_user(OFFICER1), find_institution("birzai"), Role.OFFICER)
        db.session.commit()
    overdue = file_report(mailing)
    due_today = file_report(mailing)
    due_soon = file_report(mailing)
    later = file_report(mailing)
    closed = file_report(mailing)
    at_birzai = file_report(mailing, "birzai")
    set_due(mailing, overdue, TODAY - timedelta(days=1))
    set_due(mailing, due_today, TODAY)
    set_due(mailing, due_soon, TODAY + timedelta(days=DUE_SOON_DAYS))
    set_due(mailing, later, TODAY + timedelta(days=DUE_SOON_DAYS + 1))
    set_due(mailing, closed, TODAY - timedelta(days=5), ReportStatus.CLOSED)
    set_due(mailing, at_birzai, TODAY - timedelta(days=2))
    inbox.clear()

    with mailing.app_context():
        assert send_daily_reminders(TODAY) == 4  # two officers of Utena, two of Biržai

    assert len(inbox.envelopes) == 4
    text = body(inbox.to(OFFICER1))
    utena_part, birzai_part = text.split("Biržai District Municipality")
    assert "Administration of Utena District Municipality" in utena_part
    assert "Overdue: 1" in utena_part
    assert f"Due within {DUE_SOON_DAYS} days: 2" in utena_part
    assert f"{STAFF}/staff/cases/{at_birzai}" in birzai_part and "Overdue: 1" in birzai_part
    for ref in (overdue, due_today, due_soon):
        assert f"{STAFF}/staff/cases/{ref}" in utena_part
    for ref in (later, closed):
        assert ref not in text
    assert "Biržai" not in body(inbox.to(OFFICER2))


def test_officers_with_nothing_due_get_no_reminder(mailing, inbox):
    set_due(mailing, file_report(mailing), TODAY + timedelta(days=DUE_SOON_DAYS + 1))
    inbox.clear()
    with mailing.app_context():
        assert send_daily_reminders(TODAY) == 0
    assert inbox.envelopes == []


def test_remind_command_says_how_many_emails_were_sent(mailing, inbox):
    set_due(mailing, file_report(mailing), current_day())
    inbox.clear()
    result = mailing.test_cli_runner().invoke(args=["remind"])
    assert result.exit_code == 0, result.output
    assert "Sent 2 reminder e-mail(s)." in result.output
    assert inbox.recipients() == [OFFICER1, OFFICER2]


def test_without_a_mail_server_nothing_is_sent(seeded):
    file_report(seeded)
    with seeded.app_context():
        report = db.session.scalar(select(Report))
        assert notify_new_report(report) == 0
        assert send_daily_reminders(TODAY) == 0


def test_a_dead_mail_server_does_not_break_report_submission(make_app, caplog):
    app = make_app(**mail_settings(free_port()))  # nothing listens there
    seed(app)
    with caplog.at_level(logging.WARNING), send_report(app.test_client(), "utena",
                                                       what_happened=MARKER) as response:
        assert response.status_code == 200
        assert "Your report has been sent" in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(Report)) is not None
    assert caplog.records == []  # the reporter's request never touched the mail server
    assert notify(app) == 0
    logged = [record.getMessage() for record in caplog.records]
    assert logged == ["Notification e-mail not sent: ConnectionRefusedError"]


def test_a_silent_mail_server_holds_the_notice_run_only_up_to_the_timeout(make_app, caplog):
    with socket.socket() as silent:  # accepts connections, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        app = make_app(**mail_settings(silent.getsockname()[1], MAIL_TIMEOUT_SECONDS=1))
        seed(app)
        with caplog.at_level(logging.WARNING), send_report(app.test_client(),
                                                           "utena") as response:
            assert response.status_code == 200
        started = time.monotonic()
        notify(app)
        assert time.monotonic() - started < 5
    # smtplib reports the timeout as a lost connection.
    assert [record.getMessage() for record in caplog.records] == [
        "Notification e-mail not sent: SMTPServerDisconnected"]
