"""The officers' inbox and overview: lists and counts from plaintext metadata only.

An officer sees only the cases they hold a key for. An officer the reporter excluded, one who
stepped away, or one who joined after a report arrived does not even learn that the case
exists (its category and dates could point at the reporter) until a colleague grants access.

Nothing here decrypts: the inbox sorts and filters on status, category, assignee, the start
of the case reference, the received days and the stored next deadline (``Report.due_on``).
The full-text search (app/services/casework/search.py) decrypts, for one request, only the
cases ``selected_ids`` picks here: the most recent the same filters select, up to its limit.

A page costs the same with a hundred cases or a hundred thousand (bench/inbox.py measures it),
because nothing reads a number of rows that grows with the cases:

- The list is never sorted: the database walks an index in the list's order and stops. The
  order (nearest deadline first, ties urgent first, then newest first; then the cases
  without a deadline, urgent first, then newest first) is that of ``ix_report_inbox_order``
  (institution, due_on, urgent DESC, id DESC, status) split where due_on turns NULL, so the
  list is read in two halves: ``due_on IS NOT NULL ORDER BY due_on, urgent DESC, id DESC``,
  then ``due_on IS NULL ORDER BY due_on, urgent DESC, id DESC``, each one range of the
  index (the second orders by due_on, NULL throughout, because PostgreSQL walks an index
  past an ``IS NULL`` column only when the order names it). The open-cases filter is
  ``status != 'closed'``, checked against the index's last column on the way; ``status IN``
  (the open ones) would let PostgreSQL read four ranges of ``ix_report_inbox`` and sort
  them, a plan it picks because it underestimates how many open cases have a deadline. One
  status is a range of ``ix_report_inbox`` (institution, status, due_on, urgent DESC,
  id DESC), walked the same way.
- Why two halves and no expression index or sort column: SQLite puts NULL dates first,
  PostgreSQL last, so neither ``ORDER BY due_on IS NULL`` nor ``NULLS LAST`` is an index order
  on both. An expression index (on ``due_on IS NULL``) SQLite cannot reflect: Alembic skips
  it there with a warning, so the migration check would not cover it. A stored sort column
  would have to be kept right by every writer of due_on, bulk loads included. Plain columns,
  one descending, work everywhere: both databases walk them, and Alembic compares them
  (PostgreSQL reflects the descending order; SQLite reports none, so no false difference).
- The other orders (``SORTS``: received or last activity, newest or oldest first) are
  index orders too: ``ix_report_received`` (institution, received_on, id, status) for open
  or all cases, the status checked on the way, and ``ix_report_status_received``
  (institution, status, received_on, id) for one status; ``ix_report_activity`` and
  ``ix_report_status_activity`` likewise for last_activity_on. Newest first walks them
  backwards (``received_on DESC, id DESC``), which both databases do with plain ascending
  columns. Last activity may be NULL on old rows, so that order is read in two halves, as
  the deadline order is. tests/test_inbox_search.py asks both databases for each order's
  plan and finds no sort in it. A deadline filter with these orders walks the index past the
  cases without that deadline (a row lookup each), as a category filter does.
- Counts stop at a cap: each count (per status, overdue, due soon) reads at most
  COUNT_CAP + 1 index entries, so it is exact up to COUNT_CAP and shown as "99+" above it
  (``count_label``). Only open cases have a deadline (refresh_deadline clears it on feedback
  and on closing), so overdue and due soon are ranges of the order index, status checked.
- The list is counted only as deep as it is shown: COUNTED_PAGES pages, or to the requested
  page when that lies deeper, read as ids from the index in the same walk that finds the
  page; then the page's own rows are read by id. Page numbers go up to there, and a "next
  page" link leads on while more cases exist.

Every case read is checked against the officer's key (one lookup in sealed_key's unique
index), which is what the caps bound. What still grows: a filter on category or assignee
that matches few cases walks the index past the ones it skips (a row lookup each), up to
the whole institution when nothing matches (the possible-flood and waiting-for-our-answer
filters likewise); and page n reads n pages of ids. The "waiting" count and the overview's
list of cases a reporter wrote to (``reporter_replied``) are ranges of their own indexes,
``ix_report_awaiting`` (institution, awaiting_answer_since) and ``ix_report_reporter_wrote``
(institution, reporter_wrote_on, id), read up to their caps.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext
from sqlalchemy import Select, func, literal_column, select
from sqlalchemy.orm import load_only

from app.extensions import db
from app.models import Institution, Report, ReportStatus, SealedKey, User
from app.services.casefile.deadlines import DUE_SOON_DAYS, today

PER_PAGE = 25
# Counts stop here: a larger number is shown as "99+" and costs no more to find. Each of the
# eight counts reads up to COUNT_CAP + 1 index entries, checking the officer's key for each.
COUNT_CAP = 99
# The list is counted this many pages ahead (or to the requested page, if deeper): page
# numbers up to there, then a "next page" link while more cases exist.
COUNTED_PAGES = 10
# No page beyond this is looked for (it keeps the row limits within the databases' integers).
MAX_PAGE = 100_000
# The list's orders: the deadline order (the default), and received or last activity,
# newest or oldest first; each is an index order (ix_report_received, ix_report_activity and
# their per-status twins), walked forwards or backwards.
DEADLINE = "deadline"
SORTS = (DEADLINE, "received_desc", "received_asc", "activity_desc", "activity_asc")
OPEN = "open"
ALL = "all"
STATUS_FILTERS = (OPEN, ALL, *(status.value for status in ReportStatus))
DUE_FILTERS = ("", "overdue", "soon")
LISTED_COLUMNS = (Report.ref, Report.institution_id, Report.category, Report.status,
                  Report.received_on, Report.acknowledged_on, Report.feedback_on,
                  Report.closed_on, Report.due_on, Report.assignee_id, Report.likelihood,
                  Report.impact, Report.outcome, Report.possible_flood, Report.urgent,
                  Report.reporter_wrote_on, Report.awaiting_answer_since,
                  Report.last_activity_on, Report.channel, Report.minutes_state,
                  Report.meeting_requested_on)


@dataclass(frozen=True)
class InboxFilter:
    """What the officer chose to see."""

    status: str = OPEN
    category: str = ""
    assignee: str = ""  # "", "me", "none" or a user id
    due: str = ""  # "", "overdue" or "soon"
    page: int = 1
    flood: str = ""  # "", "flagged" or "unflagged" (Report.possible_flood)
    waiting: str = ""  # "" or "yes": a reporter message no officer message answered yet
    ref: str = ""  # the start of a case reference (lower-case hex), "" for any
    received_from: date | None = None
    received_to: date | None = None
    sort: str = DEADLINE  # one of SORTS


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
    total: int  # the cases the filter selects; when ``more``, only a lower bound
    page: int
    pages: int  # pages known to exist (all full when ``more``)
    counts: dict[str, int]  # per status, plus "overdue" and "soon"; COUNT_CAP + 1: more
    more: bool = False  # more cases than ``total`` exist, on pages after ``pages``

    @property
    def next_page(self) -> int | None:
        """The page after this one, if there is one."""
        return self.page + 1 if self.page < self.pages or self.more else None


def count_label(number: int) -> str:
    """A count as shown: the number, or "99+" once it passed COUNT_CAP."""
    if number > COUNT_CAP:
        return gettext("%(num)d+", num=COUNT_CAP)
    return str(number)


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
    if chosen.waiting == "yes":
        query = query.where(Report.awaiting_answer_since.is_not(None))
    if chosen.ref and chosen.ref.isascii() and chosen.ref.isalnum():
        # Hex only (the form checks it), so the pattern holds no LIKE wildcard.
        query = query.where(Report.ref.like(f"{chosen.ref.lower()}%"))
    if chosen.received_from is not None:
        query = query.where(Report.received_on >= chosen.received_from)
    if chosen.received_to is not None:
        query = query.where(Report.received_on <= chosen.received_to)
    if chosen.flood == "flagged":
        query = query.where(Report.possible_flood)
    elif chosen.flood == "unflagged":
        query = query.where(~Report.possible_flood)
    return query


def _dated(query: Select) -> Select:
    """The first part of the list: cases with a deadline, nearest first, ties urgent first,
    then newest first."""
    return query.where(Report.due_on.is_not(None)).order_by(
        Report.due_on, Report.urgent.desc(), Report.id.desc())


def _undated(query: Select) -> Select:
    """The rest of the list: cases without a deadline, urgent first, then newest first.

    It orders by due_on too, NULL throughout: PostgreSQL takes ``due_on IS NULL`` for a
    range of the index but not for a constant, so without it it sorts the whole half."""
    return query.where(Report.due_on.is_(None)).order_by(
        Report.due_on, Report.urgent.desc(), Report.id.desc())


def _ordered(query: Select, chosen: InboxFilter) -> list[Select]:
    """The list in the chosen order, as the parts read one after the other, each one range of
    an index walked in its order (forwards, or backwards for the newest first).

    Received is never NULL: one part. Last activity may be (rows older than its column), so
    it is split where it turns NULL, as the deadline order is, and the undated rest follows.
    """
    if chosen.sort not in SORTS[1:]:
        if chosen.due in ("overdue", "soon"):  # a deadline filter selects dated cases only
            return [_dated(query)]
        return [_dated(query), _undated(query)]
    column = Report.received_on if chosen.sort.startswith("received") else \
        Report.last_activity_on
    order = ((column.desc(), Report.id.desc()) if chosen.sort.endswith("_desc")
             else (column, Report.id))
    if column is Report.received_on:
        return [query.order_by(*order)]
    return [query.where(column.is_not(None)).order_by(*order),
            query.where(column.is_(None)).order_by(*order)]


def _capped(query: Select, limit: int):
    """How many rows ``query`` selects, counting no further than ``limit``: a scalar
    subquery that reads at most ``limit`` index entries."""
    rows = query.with_only_columns(literal_column("1")).order_by(None).limit(limit).subquery()
    return select(func.count()).select_from(rows).scalar_subquery()


def _ids(query: Select, limit: int) -> list[int]:
    """The ids of the first ``limit`` rows of one ordered half of the list, read from the
    index alone (it holds the id)."""
    if limit <= 0:
        return []
    return list(db.session.scalars(query.with_only_columns(Report.id).limit(limit)))


def list_cases(institution: Institution, user: User, chosen: InboxFilter) -> InboxPage:
    """The page of cases the filter selects, nearest deadline first (cases without one
    last, newest first among them).

    One walk of the order index reads the ids of the selected cases for COUNTED_PAGES
    pages, or to the end of the requested page when that lies deeper, and counts them on the
    way; only the page's rows are then read. Beyond the walk it only knows that ``more``
    exist.
    """
    day = today()
    requested = min(max(1, chosen.page), MAX_PAGE)
    counted = max(COUNTED_PAGES, requested) * PER_PAGE
    ids = selected_ids(institution, user, chosen, counted + 1, day)
    more = len(ids) > counted
    total = min(len(ids), counted)
    pages = max(1, -(-total // PER_PAGE))
    page = min(requested, pages)
    rows = listed_rows(ids[(page - 1) * PER_PAGE:page * PER_PAGE], day)
    return InboxPage(rows, total, page, pages, counts(institution, user, day), more)


def selected_ids(institution: Institution, user: User, chosen: InboxFilter, limit: int,
                 day: date | None = None, among: list[int] | None = None) -> list[int]:
    """The ids of the first ``limit`` cases the filter selects, in the chosen order, read
    from the indexes alone; only cases of ``among`` when given (a search's matches)."""
    query = _filtered(institution, user, chosen, day or today())
    if among is not None:
        query = query.where(Report.id.in_(among))
    ids: list[int] = []
    for part in _ordered(query, chosen):
        ids += _ids(part, limit - len(ids))
    return ids


def selected_count(institution: Institution, user: User, chosen: InboxFilter) -> int:
    """How many cases the filter selects, exactly: one index entry read per case (used
    only once a search was cut at its limit, to say of how many)."""
    query = _filtered(institution, user, chosen, today())
    return db.session.scalar(select(func.count()).select_from(
        query.with_only_columns(Report.id).order_by(None).subquery()))


def listed_rows(ids: list[int], day: date) -> list[InboxRow]:
    """The listed columns of these cases, as rows in the given order."""
    by_id = {report.id: report for report in db.session.scalars(
        select(Report).options(load_only(*LISTED_COLUMNS)).where(Report.id.in_(ids)))
    } if ids else {}
    return [InboxRow(report,
                     report.due_on is not None and report.due_on < day,
                     report.due_on is not None
                     and day <= report.due_on <= day + timedelta(days=DUE_SOON_DAYS))
            for report in (by_id[report_id] for report_id in ids if report_id in by_id)]


def counts(institution: Institution, user: User, day: date | None = None) -> dict[str, int]:
    """The user's cases per status, open ones overdue or due within DUE_SOON_DAYS, and
    those waiting for an officer's answer to the reporter ("waiting").

    Each count stops at COUNT_CAP + 1 (shown as "99+"): all eight are answered in one
    statement, each from a range of an index, whatever the number of cases.
    """
    day = day or today()
    readable = _readable(user, institution)
    upcoming = readable.where(Report.status != ReportStatus.CLOSED)
    queries = {status.value: readable.where(Report.status == status)
               for status in ReportStatus}
    queries["overdue"] = upcoming.where(Report.due_on < day)
    queries["soon"] = upcoming.where(Report.due_on >= day,
                                     Report.due_on <= day + timedelta(days=DUE_SOON_DAYS))
    queries["waiting"] = readable.where(Report.awaiting_answer_since.is_not(None))
    numbers = db.session.execute(select(*(_capped(query, COUNT_CAP + 1)
                                          for query in queries.values()))).one()
    return dict(zip(queries, numbers, strict=True))


def most_urgent(institution: Institution, user: User, limit: int = 10) -> list[Report]:
    """The user's open cases with the nearest deadlines, for the overview: the start of the
    inbox's list (only open cases have a deadline)."""
    return list(db.session.scalars(
        _dated(_readable(user, institution)).options(load_only(*LISTED_COLUMNS))
        .limit(limit)))


def reporter_replied(institution: Institution, user: User, limit: int = 10) -> list[Report]:
    """The user's cases with a reporter message no officer has opened the case since, the
    oldest first, for the overview."""
    return list(db.session.scalars(
        _readable(user, institution).options(load_only(*LISTED_COLUMNS))
        .where(Report.reporter_wrote_on.is_not(None))
        .order_by(Report.reporter_wrote_on, Report.id).limit(limit)))


def kept_elsewhere(user: User) -> list[Report]:
    """Cases of other institutions the officer can still read (kept after a transfer)."""
    own = [m.institution_id for m in user.memberships]
    return list(db.session.scalars(
        select(Report).options(load_only(*LISTED_COLUMNS)).join(SealedKey)
        .where(SealedKey.user_id == user.id, Report.institution_id.not_in(own))
        .order_by(Report.id.desc()).limit(50)))
