"""Closed cases are deleted, keys first, once their institution's retention period ends."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from app.extensions import db
from app.models import (
    Attachment,
    AuditEntry,
    CaseEvent,
    CaseNote,
    Message,
    Outcome,
    Report,
    ReportStatus,
    SealedKey,
)
from app.services import audit
from app.services.attachments import Upload
from app.services.casefile import new_ref
from app.services.casework import acknowledge, add_note, change_status, open_case
from app.services.deadlines import today as current_day
from app.services.institutions import find_institution
from app.services.intake import ReportEntry, submit_report
from app.services.mailbox import MailboxAccess, send_reporter_message
from app.services.retention import due_for_deletion, purge_expired
from tests.helpers import officer_private_key

TODAY = date(2026, 6, 15)
RETENTION = 100  # days, set on Utena for these tests


@pytest.fixture
def utena(seeded):
    """The seeded app, with Utena keeping closed cases RETENTION days."""
    with seeded.app_context():
        find_institution("utena").retention_days = RETENTION
        db.session.commit()
    return seeded


def file_report(app, closed_on: date | None = None, slug: str = "utena") -> str:
    """A report with files, a conversation, a note and events, as casework leaves it; closed
    on the given day when one is given. Returns its reference."""
    with app.app_context():
        institution = find_institution(slug)
        submit_report(institution, ReportEntry(category=institution.categories[0],
                                               what_happened="Retention test report"),
                      uploads=[Upload("evidence.txt", b"a ledger page")],
                      submission_token=new_ref())
        report = db.session.scalars(select(Report).order_by(Report.id.desc()).limit(1)).one()
        officer, private_key = officer_private_key(f"officer1.{slug}@demo.example.org")
        case = open_case(report, officer, private_key, record=False)
        acknowledge(case)
        send_reporter_message(MailboxAccess(report, case.data_key), "More details.",
                              [Upload("minutes.txt", b"minutes of the meeting")])
        add_note(case, "Check the ledger.")
        if closed_on is not None:
            change_status(case, ReportStatus.CLOSED, "Referred to the police.",
                          Outcome.REFERRED)
            report.closed_on = closed_on
            db.session.commit()
        return report.ref


def rows_of(app, ref: str) -> dict[str, int]:
    """How many rows of each kind hang off the report with this reference."""
    with app.app_context():
        report_id = db.session.scalar(select(Report.id).where(Report.ref == ref))
        return {model.__name__: db.session.scalar(
                    select(func.count()).select_from(model).where(model.report_id == report_id))
                for model in (SealedKey, Message, Attachment, CaseNote, CaseEvent)} | {
                "Report": int(report_id is not None)}


def purge(app, today: date = TODAY) -> int:
    with app.app_context():
        return purge_expired(today)


def test_purge_deletes_an_expired_case_with_its_keys_and_every_row(utena):
    ref = file_report(utena, closed_on=TODAY - timedelta(days=RETENTION + 1))
    assert all(rows_of(utena, ref).values())
    assert purge(utena) == 1
    assert rows_of(utena, ref) == {"SealedKey": 0, "Message": 0, "Attachment": 0,
                                   "CaseNote": 0, "CaseEvent": 0, "Report": 0}


def test_purge_keeps_open_cases_and_cases_still_within_retention(utena):
    still_open = file_report(utena)
    kept = file_report(utena, closed_on=TODAY - timedelta(days=RETENTION - 1))
    expired = file_report(utena, closed_on=TODAY - timedelta(days=RETENTION + 30))
    assert purge(utena) == 1
    assert rows_of(utena, expired)["Report"] == 0
    for ref in (still_open, kept):
        assert all(rows_of(utena, ref).values())


def test_a_case_is_deleted_on_the_day_its_retention_period_ends(utena):
    ref = file_report(utena, closed_on=TODAY - timedelta(days=RETENTION))
    assert purge(utena, TODAY - timedelta(days=1)) == 0
    assert purge(utena, TODAY) == 1
    assert rows_of(utena, ref)["Report"] == 0


def test_each_institution_counts_its_own_retention_period(utena):
    closed_on = TODAY - timedelta(days=RETENTION + 1)
    at_utena = file_report(utena, closed_on=closed_on)
    at_birzai = file_report(utena, closed_on=closed_on, slug="birzai")  # five years
    assert purge(utena) == 1
    assert rows_of(utena, at_utena)["Report"] == 0
    assert rows_of(utena, at_birzai)["Report"] == 1


def test_purge_writes_one_content_free_audit_entry_per_case(utena):
    refs = {file_report(utena, closed_on=TODAY - timedelta(days=RETENTION + n))
            for n in (1, 2)}
    purge(utena)
    with utena.app_context():
        utena_id = find_institution("utena").id
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "case_deleted")).all()
        assert {entry.report_ref for entry in entries} == refs
        assert all(entry.institution_id == utena_id and entry.actor_id is None
                   and entry.detail == {} for entry in entries)
        assert audit.verify_chain().broken is None


# The file of an embedded database is what a disk image would show; PostgreSQL keeps dead
# rows until VACUUM (docs/security.md), so this runs on SQLite only.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_purge_leaves_no_key_or_ciphertext_in_the_sqlite_file(utena, database_url):
    ref = file_report(utena, closed_on=TODAY - timedelta(days=RETENTION + 1))
    with utena.app_context():
        report = db.session.scalar(select(Report).where(Report.ref == ref))
        secrets = [report.reporter_key, report.recovery_key, report.content,
                   *(key.sealed for key in report.sealed_keys),
                   *(message.body for message in report.messages)]
        assert all(secrets)
    purge(utena)
    with utena.app_context():
        db.engine.dispose()
    stored = Path(make_url(database_url).database).read_bytes()
    assert not [secret for secret in secrets if secret[-64:] in stored]


def test_due_for_deletion_lists_closed_cases_ending_within_the_window(utena):
    soon = file_report(utena, closed_on=TODAY - timedelta(days=RETENTION - 10))
    overdue = file_report(utena, closed_on=TODAY - timedelta(days=RETENTION + 1))
    file_report(utena, closed_on=TODAY - timedelta(days=RETENTION - 31))  # beyond 30 days
    file_report(utena)  # open
    file_report(utena, closed_on=TODAY - timedelta(days=RETENTION + 1), slug="birzai")
    with utena.app_context():
        listed = due_for_deletion(find_institution("utena"), within_days=30, today=TODAY)
        assert [(report.ref, day) for report, day in listed] == [
            (overdue, TODAY - timedelta(days=1)),
            (soon, TODAY + timedelta(days=10)),
        ]


def test_purge_command_deletes_expired_cases_and_says_how_many(utena):
    file_report(utena, closed_on=current_day() - timedelta(days=RETENTION + 1))
    file_report(utena)
    result = utena.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 case(s)" in result.output
    with utena.app_context():
        assert db.session.scalar(select(func.count()).select_from(Report)) == 1
