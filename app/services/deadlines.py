"""Deadlines the institution commits to (Directive 2019/1937 Art. 9(1)(b) and (f))."""

from datetime import UTC, date, datetime, timedelta

from app.models import Report


def today() -> date:
    """The current day in UTC: the only clock reporter-side records get."""
    return datetime.now(UTC).date()


def acknowledgement_due(report: Report) -> date:
    """The day by which receipt of the report must be acknowledged."""
    return report.received_on + timedelta(days=report.institution.acknowledgement_days)


def feedback_due(report: Report) -> date:
    """The day by which the reporter must hear what is being done.

    Counted from the acknowledgement, or from the end of the acknowledgement period when
    none was sent.
    """
    start = report.acknowledged_on or acknowledgement_due(report)
    return start + timedelta(days=report.institution.feedback_days)
