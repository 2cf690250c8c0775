"""The officers' inbox and overview: lists and counts from plaintext metadata only.

An officer sees only the cases they hold a key for. An officer the reporter excluded, one who
stepped away, or one who joined after a report arrived does not even learn that the case
exists (its category and dates could point at the reporter) until a colleague grants access.

Nothing here decrypts: the inbox sorts and filters on status, category, assignee and the
stored next deadline (``Report.due_on``). The cost still grows with the number of cases: the
page query sorts every matching row, and the counts scan them (bench/inbox.py measures it;
the closing note of issue 4 says what would make it flat).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import load_only

from app.extensions import db
from app.models import Institution, Report, ReportStatus, SealedKey, User
from app.services.deadlines import DUE_SOON_DAYS, today

PER_PAGE = 25
OPEN = "open"
ALL = "all"
STATUS_FILTERS = (OPEN, ALL, *(status.value for status in ReportStatus))
DUE_FILTERS = ("", "overdue", "soon")
LISTED_COLUMNS = (Report.ref, Report.institution_id, Report.category, Report.status,
                  Report.received_on, Report.acknowledged_on, Report.feedback_on,
                  Report.closed_on, Report.due_on, Report.assignee_id, Report.likelihood,
                  Report.impact, Report.outcome)


@dataclass(frozen=True)
class InboxFilter:
    """What the officer chose to see."""

    status: str = OPEN
    category: str = ""
    assignee: str = ""  # "", "me", "none" or a user id
    due: str = ""  # "", "overdue" or "soon"
    page: int = 1


@dataclass(frozen=True)
class InboxRow:
    """One case as listed."""

    report: Report
    overdue: bool
    due_soon: bool


@dataclass(frozen=True)
class InboxPage:
    """One page of the inbox with the counts beside it."""

    rows: list[InboxRow]
    total: int
    page: int
    pages: int
    counts: dict[str, int]  # per status, plus "overdue" and "soon"


def _readable(user: User, institution: Institution) -> Select:
    """The institution's reports the user holds a key for."""
    return select(Report).join(SealedKey, (SealedKey.report_id == Report.id)
                               & (SealedKey.user_id == user.id)).where(
        Report.institution_id == institution.id)


def _filtered(institution: Institution, user: User, chosen: InboxFilter, day: date) -> Select:
    query = _readable(user, institution)
    if chosen.status == OPEN:
        query = query.where(Report.status != ReportStatus.CLOSED)
    elif chosen.status != ALL:
        query = query.where(Report.status == ReportStatus(chosen.status))
    if chosen.category:
        query = query.where(Report.category == chosen.category)
    if chosen.assignee == "me":
        query = query.where(Report.assignee_id == user.id)
    elif chosen.assignee == "none":
        query = query.where(Report.assignee_id.is_(None))
    elif chosen.assignee.isascii() and chosen.assignee.isdigit():
        query = query.where(Report.assignee_id == int(chosen.assignee))
    if chosen.due == "overdue":
        query = query.where(Report.due_on < day)
    elif chosen.due == "soon":
        query = query.where(Report.due_on >= day,
                            Report.due_on <= day + timedelta(days=DUE_SOON_DAYS))
    return query


def inbox(institution: Institution, user: User, chosen: InboxFilter) -> InboxPage:
    """The page of cases the filter selects, nearest deadline first (cases without one
    last, newest first among them)."""
    day = today()
    query = _filtered(institution, user, chosen, day)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, chosen.page), pages)
    reports = db.session.scalars(
        query.options(load_only(*LISTED_COLUMNS))
        .order_by(Report.due_on.is_(None), Report.due_on, Report.id.desc())
        .offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    rows = [InboxRow(report,
                     report.due_on is not None and report.due_on < day,
                     report.due_on is not None
                     and day <= report.due_on <= day + timedelta(days=DUE_SOON_DAYS))
            for report in reports]
    return InboxPage(rows, total, page, pages, counts(institution, user, day))


def counts(institution: Institution, user: User, day: date | None = None) -> dict[str, int]:
    """The user's cases per status, and open ones overdue or due within DUE_SOON_DAYS."""
    day = day or today()
    readable = _readable(user, institution).subquery()
    result = {status.value: 0 for status in ReportStatus}
    for status, number in db.session.execute(
            select(readable.c.status, func.count()).group_by(readable.c.status)):
        result[ReportStatus(status).value] = number
    base = select(func.count()).select_from(readable)
    result["overdue"] = db.session.scalar(base.where(readable.c.due_on < day)) or 0
    result["soon"] = db.session.scalar(base.where(
        readable.c.due_on >= day,
        readable.c.due_on <= day + timedelta(days=DUE_SOON_DAYS))) or 0
    return result


def most_urgent(institution: Institution, user: User, limit: int = 10) -> list[Report]:
    """The user's open cases with the nearest deadlines, for the overview."""
    return list(db.session.scalars(
        _readable(user, institution).options(load_only(*LISTED_COLUMNS))
        .where(Report.due_on.is_not(None))
        .order_by(Report.due_on, Report.id).limit(limit)))


def kept_elsewhere(user: User) -> list[Report]:
    """Cases of other institutions the officer can still read (kept after a transfer)."""
    own = [m.institution_id for m in user.memberships]
    return list(db.session.scalars(
        select(Report).options(load_only(*LISTED_COLUMNS)).join(SealedKey)
        .where(SealedKey.user_id == user.id, Report.institution_id.not_in(own))
        .order_by(Report.id.desc()).limit(50)))
