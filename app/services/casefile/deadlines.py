"""Deadlines the institution commits to (Directive 2019/1937 Art. 9(1)(b) and (f))."""

import calendar
from datetime import UTC, date, datetime, timedelta

from app.models import Report

# How many days before a deadline a case counts as "due soon".
DUE_SOON_DAYS = 3


def today() -> date:
    """The current day in UTC: the only clock reporter-side records get."""
    return datetime.now(UTC).date()


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later, or the month's last day when it is
    shorter (31 January + 1 month = 28 or 29 February), as periods in months are counted."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def acknowledgement_due(report: Report) -> date:
    """The day by which receipt of the report must be acknowledged."""
    return report.received_on + timedelta(days=report.institution.acknowledgement_days)


def feedback_due(report: Report) -> date:
    """The day by which the reporter must hear what is being done.

    Counted from the acknowledgement, or from the end of the acknowledgement period when
    none was sent; for a case reopened after closing, from the day it was reopened.
    """
    start = report.reopened_on or report.acknowledged_on or acknowledgement_due(report)
    return add_months(start, report.institution.feedback_months)


def refresh_deadline(report: Report) -> None:
    """Set ``report.due_on`` to the deadline the case works towards now: acknowledgement,
    then feedback; none once feedback was given or the case is closed. Every service that
    changes those dates (or an institution's periods) calls this."""
    if report.closed_on is not None or report.feedback_on is not None:
        report.due_on = None
    elif report.acknowledged_on is None:
        report.due_on = acknowledgement_due(report)
    else:
        report.due_on = feedback_due(report)
