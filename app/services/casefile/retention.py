"""Deleting closed cases once their institution's retention period has passed.

A closed case is kept ``institution.retention_days`` days after the day it closed and is
deleted on the day that period ends (or at the first purge after it). Deleting destroys
every copy of the report's data key (the officers' sealed copies, the reporter's and the
recovery key's), then the report row with its messages, files, notes and history. What
stays is one audit entry naming the case reference.

Copies of the database made before the purge (backups, replicas, dead PostgreSQL tuples
until VACUUM) still hold the keys and ciphertexts: keep backups no longer than the shortest
retention period that matters to you.
"""

from datetime import date, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Institution, Report, ReportStatus
from app.services import audit
from app.services.casefile.deadlines import today as current_day


def deletion_date(report: Report) -> date:
    """The day a closed report is deleted."""
    return report.closed_on + timedelta(days=report.institution.retention_days)


def purge_expired(today: date | None = None) -> int:
    """Delete every closed case whose retention period has ended; returns how many.

    Run daily by ``flask purge`` (cron or a systemd timer). Each case is deleted and audited
    in its own transaction, so an interrupted purge keeps what it finished and the next run
    does the rest.

    :param today: the day to count from; the current day when omitted.
    """
    day = today or current_day()
    deleted = 0
    for institution in db.session.scalars(select(Institution).order_by(Institution.id)).all():
        for report_id in _expired_report_ids(institution, day):
            _delete_case(db.session.get(Report, report_id))
            deleted += 1
    return deleted


def due_for_deletion(institution: Institution, within_days: int = 30,
                     today: date | None = None) -> list[tuple[Report, date]]:
    """Closed cases of the institution deleted within the next ``within_days`` days, with
    the day each is deleted, soonest first (for the dashboard's warning).

    Cases whose day has come but which the next purge has yet to delete are included.

    :param today: the day to count from; the current day when omitted.
    """
    last_day = (today or current_day()) + timedelta(days=within_days)
    reports = db.session.scalars(
        _closed_before(institution, last_day - timedelta(days=institution.retention_days))
        .order_by(Report.closed_on, Report.id))
    return [(report, deletion_date(report)) for report in reports]


def _closed_before(institution: Institution, last_closed_on: date):
    """Select the institution's closed reports that closed on or before a day."""
    return select(Report).where(
        Report.institution_id == institution.id,
        Report.status == ReportStatus.CLOSED,
        Report.closed_on.is_not(None),
        Report.closed_on <= last_closed_on,
    )


def _expired_report_ids(institution: Institution, day: date) -> list[int]:
    cutoff = day - timedelta(days=institution.retention_days)
    return list(db.session.scalars(
        _closed_before(institution, cutoff).with_only_columns(Report.id).order_by(Report.id)))


def _delete_case(report: Report) -> None:
    """Destroy the report's keys, then its rows, and audit it; commits."""
    ref, institution_id = report.ref, report.institution_id
    # On SQLite every connection overwrites deleted rows with zeros (secure_delete, set in
    # app.extensions.overwrite_deleted_content), so the keys do not stay in free pages.
    report.sealed_keys.clear()
    # reporter_key is NOT NULL: an empty value destroys it just the same.
    report.reporter_key = b""
    report.recovery_key = None
    db.session.flush()
    db.session.delete(report)
    audit.record("case_deleted", institution=institution_id, report_ref=ref)
    db.session.commit()
