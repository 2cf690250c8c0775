"""Statistics of reports for one institution or the whole network, from plaintext metadata.

Only the columns casework keeps in plaintext are read (institution, category, status,
outcome and day-precision dates); nothing is ever decrypted. Every figure describes the
reports *received* in the period (both ends included), so "overdue now" for last year means
"last year's reports that are overdue today".

Network-wide figures are seen by analysts of every partner, so small numbers are withheld:

- **Primary suppression.** A count from 1 to ``SUPPRESS_BELOW - 1`` becomes a suppressed
  :class:`Count`, shown as "<5" on pages and in CSV alike (its value is ``None``, so no page
  can print it by mistake). Zero is shown: it names nobody.
- **Differencing guard.** A breakdown (by month, category, status, outcome, institution) adds
  up to a total that is shown elsewhere, so a lone suppressed cell could be worked out by
  subtraction. When a breakdown has exactly one suppressed cell, its smallest other cells
  are suppressed too — *all* cells tied at that smallest value, so the rule itself does not
  tell which cell holds the small count. Zero cells are the smallest, so in practice the
  second cell is usually a zero and "<5" stays literally true; when there is none, a cell
  of five or more is shown as "<5" and :data:`SUPPRESSION_NOTE` says so. We chose this over
  suppressing the total because every complete breakdown (months, statuses) adds up to the
  total and would give it away again.
- **Measures.** Medians and shares computed from fewer than ``SUPPRESS_BELOW`` reports are
  withheld (``None``), because a median of one report is that report.

What the guard cannot do: an analyst who asks for two overlapping periods can subtract one
answer from the other. Pages should offer the network view for whole periods (a year, a
quarter), not arbitrary days. An institution's own statistics are seen only by its staff
and the analysts, and are not suppressed.
"""

import statistics as stats_math
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from babel.dates import format_skeleton
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Date, Integer, case, cast, func, literal, select

from app.extensions import db
from app.models import Institution, Outcome, Report, ReportChannel, ReportStatus
from app.services import ServiceError
from app.services.casefile.categories import CATEGORY_LABELS, STANDARD_CATEGORIES
from app.services.casefile.deadlines import feedback_due, today
from app.services.casefile.labels import CHANNEL_LABELS, OUTCOME_LABELS, STATUS_LABELS

SUPPRESS_BELOW = 5
SUPPRESSED_DISPLAY = f"<{SUPPRESS_BELOW}"
SUPPRESSION_NOTE = _l("“<5” means fewer than five reports, or a number hidden so that a "
                      "smaller one cannot be worked out from the total.")
SECTIONS = ("month", "category", "status", "outcome", "channel", "institution")
MEASURE_LABELS = {
    "total": _l("Reports received"),
    "overdue_now": _l("Open cases past their deadline today"),
    "median_days_to_acknowledge": _l("Median days from receipt to acknowledgement"),
    "median_days_to_feedback": _l("Median days from receipt to first feedback"),
    "share_acknowledged_in_time": _l("Acknowledged within the deadline (%)"),
    "share_feedback_in_time": _l("Feedback given within the deadline (%)"),
}


@dataclass(frozen=True)
class Count:
    """A number of reports, or ``value=None`` when it is withheld; print ``display``."""

    value: int | None

    @property
    def suppressed(self) -> bool:
        return self.value is None

    @property
    def display(self) -> str:
        return SUPPRESSED_DISPLAY if self.value is None else str(self.value)

    def __str__(self) -> str:
        return self.display


@dataclass(frozen=True)
class Statistics:
    """Figures for the reports received in a period, by one institution or the network.

    Rows are ``(key, Count)`` in a fixed order: months ``"YYYY-MM"`` (every month of the
    period, zeros included), category codes in taxonomy order, statuses in lifecycle order,
    outcomes, and institution slugs (network only). Shares are fractions from 0 to 1.
    """

    institution_id: int | None  # None: the whole network
    period_start: date | None
    period_end: date | None
    total: Count
    by_month: list[tuple[str, Count]]
    by_category: list[tuple[str, Count]]
    by_status: list[tuple[ReportStatus, Count]]
    by_outcome: list[tuple[Outcome, Count]]
    by_channel: list[tuple[ReportChannel, Count]]  # how reports arrived (Art. 9(2))
    by_institution: list[tuple[str, Count]]
    # Days from receipt; None when nothing was measured (or too little, network-wide).
    median_days_to_acknowledge: float | None
    median_days_to_feedback: float | None
    # Of the reports acknowledged, or whose acknowledgement deadline has passed, the share
    # acknowledged on or before the deadline; the same for feedback.
    share_acknowledged_in_time: float | None
    share_feedback_in_time: float | None
    overdue_now: Count  # not closed, and the current deadline (due_on) is before today
    suppressed: bool  # something was withheld: show SUPPRESSION_NOTE

    def rows(self, section: str) -> list[tuple[str, Count]]:
        """The rows of one of :data:`SECTIONS`."""
        return getattr(self, f"by_{section}")


def institution_statistics(institution: Institution, period_start: date | None = None,
                           period_end: date | None = None) -> Statistics:
    """Unsuppressed statistics of one institution's reports (for its staff and analysts).

    :raises ServiceError: the period ends before it starts.
    """
    return _Gathering(institution.id, period_start, period_end).statistics()


def network_statistics(period_start: date | None = None,
                       period_end: date | None = None) -> Statistics:
    """Statistics of every institution's reports, with small counts suppressed.

    :raises ServiceError: the period ends before it starts.
    """
    return _Gathering(None, period_start, period_end).statistics()


def labelled_rows(stats: Statistics, section: str) -> list[tuple[str, Count]]:
    """A section's rows with labels in the current language, for a chart and its table."""
    return [(label, count) for _key, label, count in keyed_rows(stats, section)]


class _Deadlines(NamedTuple):
    """The institution settings deadlines.py reads, without loading whole rows."""

    acknowledgement_days: int
    feedback_months: int


class _Dates(NamedTuple):
    """The report dates deadlines.py reads: its formulas stay the only ones."""

    received_on: date
    acknowledged_on: date | None
    reopened_on: date | None
    institution: _Deadlines


class _Gathering:
    """The queries behind one :class:`Statistics`, all scoped the same way.

    Report rows are wide (sealed keys and ciphertext live beside the metadata), so each
    query scans the table once and returns aggregates: five scans per page, whatever the
    number of reports.
    """

    def __init__(self, institution_id: int | None, start: date | None, end: date | None):
        if start and end and end < start:
            raise ServiceError(_("The period must end on or after the day it starts."))
        self.institution_id, self.start, self.end = institution_id, start, end
        self.protect = institution_id is None
        self.today = today()
        self.where = []
        if institution_id is not None:
            self.where.append(Report.institution_id == institution_id)
        if start:
            self.where.append(Report.received_on >= start)
        if end:
            self.where.append(Report.received_on <= end)
        self.withheld = False

    def statistics(self) -> Statistics:
        per_day = self._tally(Report.received_on)
        kinds = self._tally(Report.category, Report.status, Report.outcome, Report.institution_id,
                            Report.channel)
        acknowledged, fed_back = self._days_to_acknowledge_and_feedback()
        deadlines, near_feedback_deadline = self._deadline_counts()
        figures = dict(
            total=self._one(sum(per_day.values())),
            by_month=self._breakdown(self._months(_fold(per_day, 0))),
            by_category=self._breakdown(_ordered(_fold(kinds, 0), STANDARD_CATEGORIES)),
            by_status=self._breakdown(_ordered(_fold(kinds, 1), ReportStatus)),
            by_outcome=self._breakdown(_ordered(_fold(kinds, 2), Outcome)),
            by_channel=self._breakdown(_ordered(_fold(kinds, 4), ReportChannel)),
            by_institution=(self._breakdown(self._per_institution(_fold(kinds, 3)))
                            if self.protect else []),
            median_days_to_acknowledge=self._median(acknowledged),
            median_days_to_feedback=self._median(fed_back),
            share_acknowledged_in_time=self._share(deadlines["acknowledged_in_time"],
                                                   deadlines["acknowledgement_measured"]),
            share_feedback_in_time=self._share_feedback_in_time(deadlines,
                                                                near_feedback_deadline),
            overdue_now=self._one(deadlines["overdue"]),
        )
        # Gathered first: each step above records in self.withheld whether it hid anything.
        return Statistics(institution_id=self.institution_id, period_start=self.start,
                          period_end=self.end, suppressed=self.withheld, **figures)

    def _tally(self, *columns) -> Counter:
        """Reports per combination of the columns' values (GROUP BY)."""
        query = select(*columns, func.count()).where(*self.where).group_by(*columns)
        return Counter({tuple(row[:-1]): row[-1] for row in db.session.execute(query)})

    def _months(self, per_day: Counter) -> list[tuple[str, int]]:
        """Every month of the period; an open end stops at this month or the latest report."""
        first = self.start or min(per_day, default=None)
        if first is None:
            return []
        last = self.end or max([first, self.today, *per_day])
        per_month = Counter()
        for day, number in per_day.items():
            per_month[f"{day:%Y-%m}"] += number
        months, year, month = [], first.year, first.month
        while (year, month) <= (last.year, last.month):
            key = f"{year:04d}-{month:02d}"
            months.append((key, per_month[key]))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months

    def _per_institution(self, counts: Counter) -> list[tuple[str, int]]:
        slugs = db.session.execute(select(Institution.id, Institution.slug)
                                   .order_by(Institution.slug))
        return [(slug, counts[institution_id]) for institution_id, slug in slugs]

    def _days_to_acknowledge_and_feedback(self) -> tuple[Counter, Counter]:
        """How many reports took how many days from receipt to each step."""
        to_acknowledge = _days_between(Report.acknowledged_on, Report.received_on)
        to_feedback = _days_between(Report.feedback_on, Report.received_on)
        query = (select(to_acknowledge, to_feedback, func.count())
                 .where(*self.where, Report.acknowledged_on.is_not(None)
                        | Report.feedback_on.is_not(None))
                 .group_by(to_acknowledge, to_feedback))
        acknowledged, fed_back = Counter(), Counter()
        for acknowledge_days, feedback_days, number in db.session.execute(query):
            if acknowledge_days is not None:
                acknowledged[acknowledge_days] += number
            if feedback_days is not None:
                fed_back[feedback_days] += number
        return acknowledged, fed_back

    def _deadline_counts(self) -> tuple[dict[str, int], ColumnElement[bool]]:
        """Reports counted against their deadlines in one scan, and the condition that
        picks the reports whose feedback SQL cannot settle.

        acknowledgement_due() is receipt + the institution's days, easy in SQL. Feedback is
        due calendar months later, which SQLite and PostgreSQL add differently (31 January
        + 1 month), but a month is 28 to 31 days: SQL settles every report outside that
        band and :meth:`_share_feedback_in_time` asks deadlines.feedback_due() about the rest.
        """
        allowed = Institution.acknowledgement_days
        months = Institution.feedback_months
        acknowledged = Report.acknowledged_on.is_not(None)
        day = literal(self.today, Date)
        # Days from the start of the feedback period (reopening, acknowledgement, or the end of
        # the acknowledgement period) to the feedback, or to today.
        started = Report.reopened_on.is_not(None) | acknowledged
        elapsed = (_days_between(func.coalesce(Report.feedback_on, day),
                                 func.coalesce(Report.reopened_on, Report.acknowledged_on,
                                               Report.received_on))
                   - case((started, 0), else_=allowed))
        conditions = {
            "acknowledgement_measured": acknowledged | (
                _days_between(day, Report.received_on) > allowed),
            "acknowledged_in_time": acknowledged & (
                _days_between(Report.acknowledged_on, Report.received_on) <= allowed),
            "feedback_surely_in_time": Report.feedback_on.is_not(None)
                                       & (elapsed <= 28 * months),
            "feedback_surely_late": elapsed > 31 * months,
            "overdue": (Report.status != ReportStatus.CLOSED) & (Report.due_on < day),
        }
        query = (select(*(func.count(case((condition, 1))) for condition in conditions.values()))
                 .join(Institution, Report.institution_id == Institution.id)
                 .where(*self.where))
        counts = dict(zip(conditions, db.session.execute(query).one(), strict=True))
        return counts, (elapsed > 28 * months) & (elapsed <= 31 * months)

    def _share_feedback_in_time(self, counts: dict[str, int],
                                near_deadline: ColumnElement[bool]) -> float | None:
        query = (select(Report.received_on, Report.acknowledged_on, Report.reopened_on,
                        Report.feedback_on, Institution.acknowledgement_days,
                        Institution.feedback_months)
                 .join(Institution, Report.institution_id == Institution.id)
                 .where(*self.where, near_deadline))
        in_time = counts["feedback_surely_in_time"]
        measured = in_time + counts["feedback_surely_late"]
        for received, acknowledged, reopened, feedback, days, months in db.session.execute(
                query):
            due = feedback_due(_Dates(received, acknowledged, reopened,
                                      _Deadlines(days, months)))
            if feedback is not None or due < self.today:
                measured += 1
                in_time += feedback is not None and feedback <= due
        return self._share(in_time, measured)

    def _one(self, number: int) -> Count:
        if self.protect and 0 < number < SUPPRESS_BELOW:
            self.withheld = True
            return Count(None)
        return Count(number)

    def _breakdown(self, rows: list[tuple]) -> list[tuple]:
        """Counts of one breakdown, with the module's two suppression rules network-wide."""
        if not self.protect:
            return [(key, Count(number)) for key, number in rows]
        hidden = {i for i, (_key, number) in enumerate(rows) if 0 < number < SUPPRESS_BELOW}
        if len(hidden) == 1:
            rest = [number for i, (_key, number) in enumerate(rows) if i not in hidden]
            if rest:
                hidden |= {i for i, (_key, number) in enumerate(rows) if number == min(rest)}
        self.withheld = self.withheld or bool(hidden)
        return [(key, Count(None) if i in hidden else Count(number))
                for i, (key, number) in enumerate(rows)]

    def _enough(self, measured: int) -> bool:
        """Whether a measure over ``measured`` reports may be shown."""
        if self.protect and 0 < measured < SUPPRESS_BELOW:
            self.withheld = True
            return False
        return measured > 0

    def _median(self, histogram: Counter) -> float | None:
        """The median of ``{days: reports}``."""
        measured = sum(histogram.values())
        if not self._enough(measured):
            return None
        days = sorted(histogram.elements())
        return float(stats_math.median(days))

    def _share(self, part: int, measured: int) -> float | None:
        return part / measured if self._enough(measured) else None


def _fold(tally: Counter, index: int) -> Counter:
    """One column's totals out of a multi-column tally; no value (None) is left out."""
    folded = Counter()
    for key, number in tally.items():
        if key[index] is not None:
            folded[key[index]] += number
    return folded


def _ordered(counts: Counter, keys) -> list[tuple]:
    """Every known key in its order, then any unknown ones (a retired category)."""
    known = list(keys)
    return [(key, counts[key]) for key in known] + sorted(
        (key, number) for key, number in counts.items() if key not in known)


def _days_between(later, earlier):
    """Whole days from ``earlier`` to ``later`` as an SQL expression, on either database."""
    if db.session.get_bind().dialect.name == "sqlite":
        return cast(func.julianday(later) - func.julianday(earlier), Integer)
    return later - earlier  # PostgreSQL: date - date is an integer number of days


def keyed_rows(stats: Statistics, section: str) -> list[tuple[str, str, Count]]:
    """``(key, label, count)`` for a section, labels in the current language."""
    if section == "institution":
        names = {institution.slug: institution.name(str(get_locale()))
                 for institution in db.session.scalars(select(Institution))}
        label = names.get
    elif section == "month":
        def label(key: str) -> str:
            year, month = map(int, key.split("-"))
            return format_skeleton("yMMMM", date(year, month, 1), locale=get_locale())
    else:
        labels = {"category": CATEGORY_LABELS, "status": STATUS_LABELS,
                  "outcome": OUTCOME_LABELS, "channel": CHANNEL_LABELS}[section]
        label = labels.get
    return [(str(key), str(label(key) or key), count) for key, count in stats.rows(section)]
