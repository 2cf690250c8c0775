"""Statistics from plaintext metadata: counts, medians, deadlines kept, suppression, CSV."""

import csv
import io
import itertools
from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import event, select

from app.extensions import db
from app.models import Outcome, Report, ReportStatus
from app.services import ServiceError
from app.services.administration.institutions import find_institution
from app.services.casefile.deadlines import add_months, refresh_deadline, today
from app.services.insights.export import statistics_csv
from app.services.insights.statistics import (
    SECTIONS,
    Count,
    Statistics,
    institution_statistics,
    labelled_rows,
    network_statistics,
)
from app.services.reporting.intake import ReportEntry, submission_digest, submit_report
from tests.helpers import catalogue_translation

JANUARY = (date(2024, 1, 1), date(2024, 1, 31))
_tokens = itertools.count()


@pytest.fixture
def file_report(seeded):
    """Inside an app context: ``file_report("utena", date(...), **metadata)`` stores reports
    through intake, then sets the casework metadata the test needs."""

    def file(slug: str, received_on: date, *, times: int = 1, category: str = "procurement",
             status: ReportStatus | None = None, **metadata) -> list[Report]:
        reports = []
        for _ in range(times):
            token = f"statistics-{next(_tokens)}"
            submit_report(find_institution(slug), ReportEntry(category="procurement",
                                                              what_happened="x"),
                          uploads=[], submission_token=token)
            report = db.session.scalar(select(Report).where(
                Report.submission_digest == submission_digest(token)))
            report.received_on, report.category = received_on, category
            for name, value in metadata.items():
                setattr(report, name, value)
            report.status = status or _status_of(report)
            refresh_deadline(report)
            reports.append(report)
        db.session.commit()
        return reports

    with seeded.app_context():
        yield file


def _status_of(report: Report) -> ReportStatus:
    if report.closed_on:
        return ReportStatus.CLOSED
    return ReportStatus.ACKNOWLEDGED if report.acknowledged_on else ReportStatus.NEW


def values(rows: list[tuple]) -> dict:
    """Breakdown rows as ``{key: value}``; a suppressed cell's value is None."""
    return {key: count.value for key, count in rows}


def assert_nothing_small_can_be_read(stats: Statistics) -> None:
    """No count from 1 to 4 is visible, and no breakdown has a lone suppressed cell."""
    for section in SECTIONS:
        rows = stats.rows(section)
        assert all(count.value is None or count.value == 0 or count.value >= 5
                   for _key, count in rows), section
        assert sum(count.suppressed for _key, count in rows) != 1, section
    for count in (stats.total, stats.overdue_now):
        assert count.value is None or count.value == 0 or count.value >= 5


def test_institution_counts_reports_by_month_category_status_and_outcome(file_report):
    file_report("utena", date(2024, 1, 10), times=2)
    file_report("utena", date(2024, 3, 5), category="bribery", acknowledged_on=date(2024, 3, 6),
                feedback_on=date(2024, 3, 20), closed_on=date(2024, 3, 28),
                outcome=Outcome.SUBSTANTIATED)
    file_report("birzai", date(2024, 2, 1))  # another institution's

    stats = institution_statistics(find_institution("utena"), date(2024, 1, 1),
                                   date(2024, 3, 31))

    assert stats.total == Count(3)
    assert stats.by_month == [("2024-01", Count(2)), ("2024-02", Count(0)),
                              ("2024-03", Count(1))]
    assert values(stats.by_category)["procurement"] == 2
    assert values(stats.by_category)["bribery"] == 1
    assert values(stats.by_category)["fraud"] == 0
    assert [key for key, _count in stats.by_status] == list(ReportStatus)
    assert values(stats.by_status) == {ReportStatus.NEW: 2, ReportStatus.ACKNOWLEDGED: 0,
                                       ReportStatus.ASSESSMENT: 0,
                                       ReportStatus.INVESTIGATION: 0, ReportStatus.CLOSED: 1}
    assert values(stats.by_outcome)[Outcome.SUBSTANTIATED] == 1
    assert sum(values(stats.by_outcome).values()) == 1
    assert stats.by_institution == []
    assert not stats.suppressed


def test_medians_count_whole_days_from_receipt(file_report):
    received = date(2024, 1, 1)
    for days in (2, 4, 9):
        file_report("utena", received, acknowledged_on=received + timedelta(days=days))
    file_report("utena", received, acknowledged_on=received + timedelta(days=1),
                feedback_on=received + timedelta(days=30))
    file_report("utena", received, acknowledged_on=received + timedelta(days=1),
                feedback_on=received + timedelta(days=61))

    stats = institution_statistics(find_institution("utena"))

    assert stats.median_days_to_acknowledge == 2.0  # of 1, 1, 2, 4, 9
    assert stats.median_days_to_feedback == 45.5  # of 30 and 61


def test_acknowledgement_share_counts_reports_acknowledged_or_past_their_deadline(file_report):
    received = date(2024, 1, 1)  # Utena acknowledges within 7 days
    file_report("utena", received, acknowledged_on=received + timedelta(days=7))  # in time
    file_report("utena", received, acknowledged_on=received + timedelta(days=8))  # late
    file_report("utena", received)  # never acknowledged, deadline long past: late
    file_report("utena", today())  # deadline still ahead: not measured yet

    stats = institution_statistics(find_institution("utena"))

    assert stats.share_acknowledged_in_time == pytest.approx(1 / 3)


def test_feedback_share_uses_calendar_months_from_acknowledgement(file_report):
    # Feedback is due three months after the acknowledgement; 30 November + 3 months is
    # 29 February 2024, on both databases.
    file_report("utena", date(2023, 11, 28), acknowledged_on=date(2023, 11, 30),
                feedback_on=date(2024, 2, 29))  # in time, on the last day
    file_report("utena", date(2024, 1, 8), acknowledged_on=date(2024, 1, 10),
                feedback_on=date(2024, 4, 11))  # a day late
    file_report("utena", date(2024, 1, 8), acknowledged_on=date(2024, 1, 10),
                feedback_on=date(2024, 1, 30))  # well in time
    file_report("utena", date(2024, 1, 8), acknowledged_on=date(2024, 1, 10),
                feedback_on=date(2024, 6, 30))  # far too late
    file_report("utena", date(2024, 1, 8), acknowledged_on=date(2024, 1, 10))  # none: late
    file_report("utena", date(2024, 1, 1))  # neither acknowledged nor answered: late
    file_report("utena", today(), acknowledged_on=today())  # deadline ahead: not measured

    stats = institution_statistics(find_institution("utena"))

    assert stats.share_feedback_in_time == pytest.approx(2 / 6)


def test_calendar_months_are_28_to_31_days_as_the_feedback_query_assumes():
    days = [date(2023, 1, 1) + timedelta(days=n) for n in range(3 * 366)]
    for months in range(13):
        lengths = {(add_months(day, months) - day).days for day in days}
        assert 28 * months <= min(lengths) and max(lengths) <= 31 * months


def test_overdue_now_counts_open_cases_whose_deadline_has_passed(file_report):
    file_report("utena", date(2024, 1, 1))  # never acknowledged
    file_report("utena", date(2024, 1, 1), acknowledged_on=date(2024, 1, 2))  # no feedback
    file_report("utena", today())  # acknowledgement still due
    file_report("utena", date(2024, 1, 1), acknowledged_on=date(2024, 1, 2),
                feedback_on=date(2024, 2, 1))  # feedback given: no deadline left
    file_report("utena", date(2024, 1, 1), closed_on=date(2024, 1, 3),
                outcome=Outcome.OUTSIDE_SCOPE)

    stats = institution_statistics(find_institution("utena"))

    assert stats.overdue_now == Count(2)


def test_period_keeps_reports_received_on_both_end_days_and_lists_its_months(file_report):
    for day in (date(2024, 1, 31), date(2024, 2, 1), date(2024, 2, 29), date(2024, 3, 1)):
        file_report("utena", day)

    stats = institution_statistics(find_institution("utena"), date(2024, 2, 1),
                                   date(2024, 2, 29))
    open_ended = institution_statistics(find_institution("utena"), date(2024, 2, 1))

    assert stats.total == Count(2)
    assert stats.by_month == [("2024-02", Count(2))]
    assert open_ended.total == Count(3)
    assert open_ended.by_month[:2] == [("2024-02", Count(2)), ("2024-03", Count(1))]
    assert open_ended.by_month[-1][0] == f"{today():%Y-%m}"


def test_period_ending_before_it_starts_is_refused(file_report):
    with pytest.raises(ServiceError):
        network_statistics(date(2024, 2, 1), date(2024, 1, 31))


def test_empty_database_gives_zeros_and_no_measures(app):
    with app.app_context():
        stats = network_statistics()
        text = statistics_csv(stats, "en")

    assert stats.total == Count(0)
    assert stats.by_month == [] and stats.by_institution == []
    assert all(count == Count(0) for _key, count in stats.by_category + stats.by_status)
    assert stats.median_days_to_acknowledge is None and stats.median_days_to_feedback is None
    assert stats.share_acknowledged_in_time is None and stats.share_feedback_in_time is None
    assert stats.overdue_now == Count(0)
    assert not stats.suppressed
    assert ["measure", "total", "Reports received", "0"] in list(csv.reader(io.StringIO(text)))


def test_network_shows_counts_from_one_to_four_as_less_than_five(file_report):
    file_report("utena", date(2024, 1, 10), times=3, category="bribery")
    file_report("birzai", date(2024, 1, 10), times=10)

    stats = network_statistics(*JANUARY)

    assert values(stats.by_category)["bribery"] is None
    assert dict(stats.by_category)["bribery"].display == "<5"
    assert values(stats.by_category)["procurement"] == 10
    assert values(stats.by_category)["fraud"] is None  # a zero, hidden beside bribery
    assert values(stats.by_institution)["utena"] is None
    assert values(stats.by_institution)["birzai"] == 10
    assert stats.total == Count(13)
    assert stats.suppressed
    assert_nothing_small_can_be_read(stats)


@pytest.mark.parametrize(("reports", "shown"), [(4, False), (5, True)])
def test_network_hides_four_reports_and_shows_five(file_report, reports, shown):
    file_report("utena", date(2024, 1, 10), times=reports, category="bribery",
                acknowledged_on=date(2024, 1, 12))

    stats = network_statistics(*JANUARY)

    count = Count(reports) if shown else Count(None)
    assert stats.total == count
    assert dict(stats.by_category)["bribery"] == count
    assert dict(stats.by_institution)["utena"] == count
    assert dict(stats.by_month)["2024-01"] == count
    assert stats.median_days_to_acknowledge == (2.0 if shown else None)
    assert stats.share_acknowledged_in_time == (1.0 if shown else None)
    assert stats.suppressed is not shown


def test_network_lone_small_count_cannot_be_worked_out_from_the_total(file_report):
    # Two months, two institutions, two statuses, no zero cell to hide behind: subtracting
    # the visible cells from the total must not give the small one.
    file_report("utena", date(2024, 1, 10), times=2)
    file_report("birzai", date(2024, 2, 10), times=6)
    file_report("birzai", date(2024, 2, 12), times=7, acknowledged_on=date(2024, 2, 13))

    stats = network_statistics(date(2024, 1, 1), date(2024, 2, 29))

    assert stats.total == Count(15)
    assert stats.by_month == [("2024-01", Count(None)), ("2024-02", Count(None))]
    assert values(stats.by_status)[ReportStatus.NEW] == 8
    assert values(stats.by_status)[ReportStatus.ACKNOWLEDGED] == 7
    assert_nothing_small_can_be_read(stats)


def test_network_hides_every_cell_tied_for_the_second_suppression(file_report):
    file_report("utena", date(2024, 1, 10), times=3)
    file_report("birzai", date(2024, 2, 10), times=6)
    file_report("birzai", date(2024, 3, 10), times=6)
    file_report("prienai", date(2024, 4, 10), times=9)

    stats = network_statistics(date(2024, 1, 1), date(2024, 4, 30))

    # Hiding only February would tell that January is 24 - 6 - 9.
    assert stats.by_month == [("2024-01", Count(None)), ("2024-02", Count(None)),
                              ("2024-03", Count(None)), ("2024-04", Count(9))]
    assert_nothing_small_can_be_read(stats)


def test_network_withholds_measures_from_fewer_than_five_reports(file_report):
    file_report("utena", date(2024, 1, 1), times=3, acknowledged_on=date(2024, 1, 3))

    network = network_statistics()
    own = institution_statistics(find_institution("utena"))

    assert network.median_days_to_acknowledge is None
    assert network.share_acknowledged_in_time is None
    assert network.total == Count(None) and network.suppressed
    assert own.median_days_to_acknowledge == 2.0
    assert own.share_acknowledged_in_time == 1.0


def test_institution_statistics_show_small_counts(file_report):
    file_report("utena", date(2024, 1, 10), times=3, category="bribery")
    file_report("utena", date(2024, 1, 10), times=10)

    stats = institution_statistics(find_institution("utena"), *JANUARY)

    assert values(stats.by_category)["bribery"] == 3
    assert values(stats.by_category)["fraud"] == 0
    assert stats.overdue_now == Count(13)
    assert not stats.suppressed


def test_statistics_read_no_ciphertext(file_report):
    file_report("utena", date(2024, 1, 10), times=2, acknowledged_on=date(2024, 1, 11))
    utena = find_institution("utena")
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement.lower())

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        network_statistics()
        institution_statistics(utena)
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert statements
    secret = ("content", "identity", "reporter_key", "recovery_key", "reporter_locator",
              "sealed_key", "message", "attachment", "case_note", "case_event")
    assert not [s for s in statements if any(word in s for word in secret)]


def test_csv_lists_every_section_with_translated_labels_and_suppressed_cells(file_report):
    file_report("utena", date(2024, 1, 10), times=3, category="bribery")
    file_report("birzai", date(2024, 1, 10), times=10, acknowledged_on=date(2024, 1, 12))
    stats = network_statistics(*JANUARY)

    english = list(csv.reader(io.StringIO(statistics_csv(stats, "en"))))
    lithuanian = list(csv.reader(io.StringIO(statistics_csv(stats, "lt"))))

    assert english[0] == ["Section", "Code", "Label", "Value"]
    assert ["period", "start", "Period start", "2024-01-01"] in english
    assert ["month", "2024-01", "January 2024", "13"] in english
    assert ["category", "bribery", "Bribery", "<5"] in english
    assert ["category", "procurement", "Procurement irregularity", "10"] in english
    assert ["status", "acknowledged", "Acknowledged", "10"] in english
    assert ["measure", "median_days_to_acknowledge",
            "Median days from receipt to acknowledgement", "2"] in english
    assert ["measure", "share_acknowledged_in_time",
            "Acknowledged within the deadline (%)", "76.9"] in english  # 10 of 13
    assert {row[0] for row in english[1:]} == {"period", *SECTIONS, "measure"}
    assert ["category", "bribery", catalogue_translation("Bribery", "lt"), "<5"] in lithuanian
    assert ["month", "2024-01", "2024 m. sausis", "13"] in lithuanian
    assert not any(row[3] in {"1", "2", "3", "4"} for row in english[1:]
                   if row[0] not in {"period", "measure"})


def test_csv_neutralises_cells_a_spreadsheet_would_run_as_formulas(file_report):
    file_report("utena", date(2024, 1, 10), times=5, category="=1+1")
    file_report("utena", date(2024, 1, 10), times=5)
    find_institution("utena").name_en = "@SUM(A1:A9)"
    find_institution("birzai").name_en = "-2+3"
    db.session.commit()

    rows = list(csv.reader(io.StringIO(statistics_csv(network_statistics(*JANUARY), "en"))))

    assert ["category", "'=1+1", "'=1+1", "5"] in rows
    assert ["institution", "utena", "'@SUM(A1:A9)", "10"] in rows
    assert ["institution", "birzai", "'-2+3", "0"] in rows
    assert not [cell for row in rows for cell in row if cell[:1] in {"=", "+", "-", "@"}]


def test_labelled_rows_are_ready_for_a_chart_and_its_table(file_report):
    file_report("utena", date(2024, 1, 10), times=2, closed_on=date(2024, 1, 20),
                outcome=Outcome.REFERRED)
    stats = institution_statistics(find_institution("utena"), *JANUARY)

    with force_locale("en"):
        outcomes = labelled_rows(stats, "outcome")
        months = labelled_rows(stats, "month")

    assert ("Referred to a competent authority", Count(2)) in outcomes
    assert months == [("January 2024", Count(2))]
