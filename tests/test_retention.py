"""Closed cases are deleted, keys first, once their institution's retention period ends."""

from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url

from app.extensions import db
from app.models import AuditEntry, Outcome, Report, ReportStatus
from app.services import audit
from app.services.administration.institutions import find_institution
from app.services.casefile.attachments import Upload
from app.services.casefile.content import new_ref
from app.services.casefile.deadlines import today as current_day
from app.services.casefile.minutes import add_version
from app.services.casefile.retention import due_for_deletion, purge_expired
from app.services.casework.commands import acknowledge, add_note, change_status
from app.services.casework.opened_case import now, open_case
from app.services.reporting.intake import ReportEntry, submit_report
from app.services.reporting.mailbox import ReporterSignIn, send_reporter_message
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


class Filed(NamedTuple):
    """A report as the tests name it: its reference, and its row id (which outlives it)."""

    ref: str
    id: int


def file_report(app, closed_on: date | None = None, slug: str = "utena") -> Filed:
    """A report with files, a conversation, a note and events, as casework leaves it; closed
    on the given day when one is given."""
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
        send_reporter_message(ReporterSignIn(report, case.data_key), "More details.",
                              [Upload("minutes.txt", b"minutes of the meeting")], new_ref())
        # A record in versions, as a report an officer registered keeps it.
        add_version(report, case.data_key, "Minutes of the call.", "", officer, now())
        add_note(case, "Check the ledger.")
        if closed_on is not None:
            change_status(case, ReportStatus.CLOSED, "Referred to the police.",
                          Outcome.REFERRED)
            report.closed_on = closed_on
            db.session.commit()
        return Filed(report.ref, report.id)


def rows_of(app, filed: Filed) -> dict[str, int]:
    """How many rows the report has, and how many rows of every table that refers to it
    (by the report's id, which is still known once the report is deleted)."""
    with app.app_context():
        counts = {"report": db.session.scalar(select(func.count()).select_from(Report).where(
            Report.id == filed.id))}
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                if any(key.column is Report.__table__.c.id for key in column.foreign_keys):
                    counts[f"{table.name}.{column.name}"] = db.session.scalar(
                        select(func.count()).select_from(table).where(column == filed.id))
        return counts


def purge(app, today: date = TODAY) -> int:
    with app.app_context():
        return purge_expired(today)


def test_purge_deletes_an_expired_case_with_its_keys_and_every_row(utena):
    filed = file_report(utena, closed_on=TODAY - timedelta(days=RETENTION + 1))
    before = rows_of(utena, filed)
    assert {"report", "sealed_key.report_id", "message.report_id", "attachment.report_id",
            "case_note.report_id", "case_event.report_id"} <= before.keys()
    assert all(before.values())
    assert purge(utena) == 1
    assert rows_of(utena, filed) == dict.fromkeys(before, 0)


def test_purge_keeps_open_cases_and_cases_still_within_retention(utena):
    still_open = file_report(utena)
    kept = file_report(utena, closed_on=TODAY - timedelta(days=RETENTION - 1))
    expired = file_report(utena, closed_on=TODAY - timedelta(days=RETENTION + 30))
    assert purge(utena) == 1
    assert not any(rows_of(utena, expired).values())
    for filed in (still_open, kept):
        assert all(rows_of(utena, filed).values())


def test_a_case_is_deleted_on_the_day_its_retention_period_ends(utena):
    filed = file_report(utena, closed_on=TODAY - timedelta(days=RETENTION))
    assert purge(utena, TODAY - timedelta(days=1)) == 0
    assert purge(utena, TODAY) == 1
    assert rows_of(utena, filed)["report"] == 0


def test_each_institution_counts_its_own_retention_period(utena):
    closed_on = TODAY - timedelta(days=RETENTION + 1)
    at_utena = file_report(utena, closed_on=closed_on)
    at_birzai = file_report(utena, closed_on=closed_on, slug="birzai")  # five years
    assert purge(utena) == 1
    assert rows_of(utena, at_utena)["report"] == 0
    assert rows_of(utena, at_birzai)["report"] == 1


def test_purge_writes_one_content_free_audit_entry_per_case(utena):
    refs = {file_report(utena, closed_on=TODAY - timedelta(days=RETENTION + n)).ref
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


def sqlite_built_without_secure_delete(app) -> None:
    """Make the app's new SQLite connections start with secure_delete off, as SQLite's own
    default is (Debian's build turns it on), before the app's own setting runs. Inside an
    app context; pooled connections are closed so every later one is new."""
    def off(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA secure_delete = OFF")

    event.listen(db.engine, "connect", off, insert=True)
    db.engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_sqlite_delete_of_the_purge_runs_with_secure_delete_on(utena, database_url):
    filed = file_report(utena, closed_on=TODAY - timedelta(days=RETENTION + 1))
    seen: list[tuple[str, int]] = []

    def observe(_connection, cursor, statement, *_args):
        if statement.lstrip().upper().startswith("DELETE"):
            check = cursor.connection.execute("PRAGMA secure_delete")
            seen.append((statement.split()[2], check.fetchone()[0]))

    with utena.app_context():
        sqlite_built_without_secure_delete(utena)
        with db.engine.connect() as connection:  # a new connection: the app turned it on
            assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
        event.listen(db.engine, "before_cursor_execute", observe)
        assert purge_expired(TODAY) == 1
    assert ("report", 1) in seen
    assert {setting for _table, setting in seen} == {1}
    assert rows_of(utena, filed)["report"] == 0


# The file of an embedded database is what a disk image would show; PostgreSQL keeps dead
# rows until VACUUM (docs/security.md), so this runs on SQLite only.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_purge_leaves_no_key_or_ciphertext_in_the_sqlite_file(utena, database_url):
    filed = file_report(utena, closed_on=TODAY - timedelta(days=RETENTION + 1))
    with utena.app_context():
        report = db.session.get(Report, filed.id)
        secrets = [report.reporter_key, report.recovery_key, report.content,
                   *(key.sealed for key in report.sealed_keys),
                   *(message.body for message in report.messages)]
        assert all(secrets)
        sqlite_built_without_secure_delete(utena)
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
            (overdue.ref, TODAY - timedelta(days=1)),
            (soon.ref, TODAY + timedelta(days=10)),
        ]


def test_purge_command_deletes_expired_cases_and_says_how_many(utena):
    file_report(utena, closed_on=current_day() - timedelta(days=RETENTION + 1))
    file_report(utena)
    result = utena.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 case(s)" in result.output
    with utena.app_context():
        assert db.session.scalar(select(func.count()).select_from(Report)) == 1
