"""The officers' inbox: an institution's cases, nearest deadline first, filtered and counted
from plaintext metadata alone — nothing is decrypted to list a case."""

import html
import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.crypto import envelope
from app.extensions import db
from app.models import Report, ReportStatus, Role
from app.services.accounts.users import create_user, find_user
from app.services.administration.institutions import find_institution
from app.services.casefile import content, sealing
from app.services.casefile.deadlines import DUE_SOON_DAYS, add_months, refresh_deadline, today
from app.services.casework.commands import grant
from app.services.casework.inbox import (
    PER_PAGE,
    InboxFilter,
    counts,
    kept_elsewhere,
    list_cases,
    most_urgent,
)
from app.services.casework.opened_case import open_case
from app.services.demo.network import DEMO_PASSWORD
from app.services.reporting.intake import ReportEntry, submit_report
from tests.helpers import officer_private_key, staff_sign_in, text_of

OFFICER1 = "officer1.utena@demo.example.org"
OFFICER2 = "officer2.utena@demo.example.org"
BIRZAI1 = "officer1.birzai@demo.example.org"
NEWCOMER = "officer3.utena@demo.example.org"


# --- arranging -------------------------------------------------------------------------

def add_reports(app, number: int, slug: str = "utena", category: str = "bribery") -> list[str]:
    """Reports stored through the intake service, oldest first; returns their references."""
    refs = []
    with app.test_request_context("/?lang=en"):
        institution = find_institution(slug)
        for _ in range(number):
            submit_report(institution, ReportEntry(category=category,
                                                   what_happened="Cash for permits."),
                          [], secrets.token_urlsafe(16))
            refs.append(db.session.scalar(select(Report.ref).order_by(Report.id.desc())
                                          .limit(1)))
    return refs


def days(offset: int) -> date:
    return today() + timedelta(days=offset)


def arrange(app, ref: str, *, received: int | None = None, acknowledged: int | None = None,
            feedback: int | None = None, closed: int | None = None,
            status: ReportStatus | None = None, category: str | None = None,
            assignee: str | None = None) -> date | None:
    """Put a case where a test needs it (dates as days from today), recompute its deadline
    as the services do, and return that deadline."""
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.ref == ref))
        if received is not None:
            report.received_on = days(received)
        if acknowledged is not None:
            report.acknowledged_on = days(acknowledged)
            report.status = ReportStatus.ACKNOWLEDGED
        if feedback is not None:
            report.feedback_on = days(feedback)
        if closed is not None:
            report.closed_on, report.status = days(closed), ReportStatus.CLOSED
        if status is not None:
            report.status = status
        if category is not None:
            report.category = category
        if assignee is not None:
            report.assignee = find_user(assignee)
        refresh_deadline(report)
        db.session.commit()
        return report.due_on


@dataclass(frozen=True)
class Listed:
    """One inbox page in plain terms."""

    refs: list[str]
    total: int
    page: int
    pages: int
    counts: dict[str, int]
    overdue: list[str]
    due_soon: list[str]
    more: bool


def listing(app, email: str = OFFICER1, slug: str = "utena", **chosen) -> Listed:
    """What the inbox service lists for an officer."""
    with app.app_context():
        page = list_cases(find_institution(slug), find_user(email), InboxFilter(**chosen))
        return Listed([row.report.ref for row in page.rows], page.total, page.page,
                      page.pages, page.counts,
                      [row.report.ref for row in page.rows if row.overdue],
                      [row.report.ref for row in page.rows if row.due_soon], page.more)


def signed_in(app, email: str = OFFICER1):
    """A browser of a staff member, signed in through the pages, reading English."""
    client = app.test_client()
    staff_sign_in(client, app, email)
    client.get("/staff/overview?lang=en")
    return client


def listed_on_page(page: str, refs: list[str]) -> list[str]:
    """The given cases in the order the page lists them (by their short references)."""
    shown = re.findall(r'href="/staff/cases/([0-9a-f]{32})"', page)
    return [ref for ref in shown if ref in refs]


def page_counts(page: str) -> dict[str, int | str]:
    """The counts above the inbox list, by the label they are shown with; a capped count
    as its text ("3+")."""
    return {label.strip(): int(number) if number.isdigit() else number
            for number, label in re.findall(r"<strong>(\d+\+?)</strong>\s*([^<]+)</a>", page)}


def next_page_link(page: str) -> str | None:
    """Where the inbox page's "Next page" link leads, if it has one."""
    found = re.search(r'<a href="([^"]+)" rel="next">Next page</a>', page)
    return html.unescape(found.group(1)) if found else None


@pytest.fixture
def small_caps(monkeypatch):
    """Caps small enough to pass with a handful of cases: counts stop at 3, pages hold 2
    cases, and the list is counted 2 pages ahead."""
    monkeypatch.setattr("app.services.casework.inbox.COUNT_CAP", 3)
    monkeypatch.setattr("app.services.casework.inbox.PER_PAGE", 2)
    monkeypatch.setattr("app.services.casework.inbox.COUNTED_PAGES", 2)


# --- order and deadlines -----------------------------------------------------------------

def test_cases_are_listed_by_nearest_deadline_and_cases_without_one_last(seeded):
    later, overdue, feedback, soon, answered, closed = add_reports(seeded, 6)
    due = {
        later: arrange(seeded, later, received=0),
        overdue: arrange(seeded, overdue, received=-10),
        feedback: arrange(seeded, feedback, received=-70, acknowledged=-65),
        soon: arrange(seeded, soon, received=-5),
        answered: arrange(seeded, answered, received=-40, acknowledged=-38, feedback=-10),
        closed: arrange(seeded, closed, received=-40, acknowledged=-38, closed=-1),
    }
    assert due == {later: days(7), overdue: days(-3), feedback: add_months(days(-65), 3),
                   soon: days(2), answered: None, closed: None}

    open_cases = listing(seeded)
    every_case = listing(seeded, status="all")

    assert open_cases.refs == [overdue, soon, later, feedback, answered]
    assert every_case.refs == [overdue, soon, later, feedback, closed, answered]
    page = text_of(signed_in(seeded).get("/staff/i/utena/cases?lang=en"))
    assert listed_on_page(page, every_case.refs) == open_cases.refs


def test_cases_due_the_same_day_and_cases_without_a_deadline_list_the_newest_first(seeded):
    older, newer, answered_earlier, answered_later = add_reports(seeded, 4)
    arrange(seeded, older, received=-2)
    arrange(seeded, newer, received=-2)
    for ref in (answered_earlier, answered_later):
        arrange(seeded, ref, received=-40, acknowledged=-38, feedback=-10)

    expected = [newer, older, answered_later, answered_earlier]
    assert listing(seeded).refs == expected
    assert listing(seeded, status="acknowledged").refs == expected[2:]
    page = text_of(signed_in(seeded).get("/staff/i/utena/cases"))
    assert listed_on_page(page, expected) == expected
    with seeded.app_context():
        assert [r.ref for r in most_urgent(find_institution("utena"), find_user(OFFICER1))
                ] == [newer, older]


def test_due_filters_pick_overdue_and_soon_cases_at_their_boundaries(seeded):
    yesterday, due_today, last_soon, first_later, answered = add_reports(seeded, 5)
    ack_days = 7
    arrange(seeded, yesterday, received=-1 - ack_days)
    arrange(seeded, due_today, received=-ack_days)
    arrange(seeded, last_soon, received=DUE_SOON_DAYS - ack_days)
    arrange(seeded, first_later, received=DUE_SOON_DAYS + 1 - ack_days)
    arrange(seeded, answered, received=-100, acknowledged=-100, feedback=-50)

    overdue, soon, everything = (listing(seeded, due="overdue"), listing(seeded, due="soon"),
                                 listing(seeded))

    assert overdue.refs == [yesterday]
    assert soon.refs == [due_today, last_soon]
    assert everything.overdue == [yesterday]
    assert everything.due_soon == [due_today, last_soon]
    assert (everything.counts["overdue"], everything.counts["soon"]) == (1, 2)
    client = signed_in(seeded)
    overdue_page = text_of(client.get("/staff/i/utena/cases?due=overdue"))
    assert listed_on_page(overdue_page, everything.refs) == [yesterday]
    assert 'class="badge badge-overdue">overdue<' in overdue_page
    soon_page = text_of(client.get("/staff/i/utena/cases?due=soon"))
    assert listed_on_page(soon_page, everything.refs) == [due_today, last_soon]


def test_an_answered_case_is_not_overdue_however_old(seeded):
    (answered,) = add_reports(seeded, 1)
    arrange(seeded, answered, received=-400, acknowledged=-399, feedback=-300)

    assert listing(seeded, due="overdue").refs == []
    assert listing(seeded).counts["overdue"] == 0


# --- filters -----------------------------------------------------------------------------

def test_status_filter_shows_open_cases_by_default_and_any_one_status_on_request(seeded):
    new, acknowledged, assessed, closed = add_reports(seeded, 4)
    arrange(seeded, acknowledged, acknowledged=0)
    arrange(seeded, assessed, acknowledged=0, status=ReportStatus.ASSESSMENT)
    arrange(seeded, closed, acknowledged=0, closed=0)

    assert set(listing(seeded).refs) == {new, acknowledged, assessed}
    assert set(listing(seeded, status="all").refs) == {new, acknowledged, assessed, closed}
    assert listing(seeded, status="new").refs == [new]
    assert listing(seeded, status="assessment").refs == [assessed]
    assert listing(seeded, status="closed").refs == [closed]
    assert listing(seeded, status="investigation").refs == []
    page = text_of(signed_in(seeded).get("/staff/i/utena/cases?status=closed"))
    assert listed_on_page(page, [new, acknowledged, assessed, closed]) == [closed]


def test_category_filter_shows_only_that_category(seeded):
    bribery = add_reports(seeded, 2)
    fraud = add_reports(seeded, 1, category="fraud")

    assert listing(seeded, category="fraud").refs == fraud
    assert set(listing(seeded, category="bribery").refs) == set(bribery)
    page = text_of(signed_in(seeded).get("/staff/i/utena/cases?category=fraud"))
    assert listed_on_page(page, bribery + fraud) == fraud


def test_assignee_filter_shows_my_cases_unassigned_cases_or_a_colleagues(seeded):
    mine, theirs, nobodys = add_reports(seeded, 3)
    arrange(seeded, mine, assignee=OFFICER1)
    arrange(seeded, theirs, assignee=OFFICER2)
    with seeded.app_context():
        colleague = str(find_user(OFFICER2).id)

    assert listing(seeded, assignee="me").refs == [mine]
    assert listing(seeded, OFFICER2, assignee="me").refs == [theirs]
    assert listing(seeded, assignee="none").refs == [nobodys]
    assert listing(seeded, assignee=colleague).refs == [theirs]
    client = signed_in(seeded)
    everything = [mine, theirs, nobodys]
    for query, expected in (("me", [mine]), ("none", [nobodys])):
        page = text_of(client.get(f"/staff/i/utena/cases?assignee={query}"))
        assert listed_on_page(page, everything) == expected, query


def test_assignee_filter_by_colleague_works_over_http(seeded):
    mine, theirs = add_reports(seeded, 2)
    arrange(seeded, mine, assignee=OFFICER1)
    arrange(seeded, theirs, assignee=OFFICER2)
    with seeded.app_context():
        colleague = find_user(OFFICER2).id

    page = text_of(signed_in(seeded).get(f"/staff/i/utena/cases?assignee={colleague}"))

    assert listed_on_page(page, [mine, theirs]) == [theirs]


@pytest.mark.parametrize("query", [
    "status=bogus", "status=", "status[]=closed", "category=bogus", "category=fraud%00",
    "assignee=bogus", "assignee=-1", "due=bogus", "due=",
])
def test_unknown_filter_values_fall_back_to_the_defaults(seeded, query):
    closed, *open_cases = add_reports(seeded, 3)
    arrange(seeded, closed, acknowledged=0, closed=0)
    arrange(seeded, open_cases[0], received=-9)  # overdue: "due" must not filter it out

    response = signed_in(seeded).get(f"/staff/i/utena/cases?{query}")

    assert response.status_code == 200
    assert listed_on_page(text_of(response), [closed, *open_cases]) == listing(seeded).refs
    assert sorted(listing(seeded).refs) == sorted(open_cases)


# --- counts ------------------------------------------------------------------------------

def test_counts_give_cases_per_status_and_deadline_of_this_institution_only(seeded):
    cases = add_reports(seeded, 7)
    add_reports(seeded, 2, slug="birzai")
    arrange(seeded, cases[0], received=-10)  # new, overdue
    arrange(seeded, cases[1], received=-6)  # new, due soon
    arrange(seeded, cases[2], acknowledged=0)
    arrange(seeded, cases[3], acknowledged=-1, status=ReportStatus.ASSESSMENT)
    arrange(seeded, cases[4], acknowledged=-1, status=ReportStatus.INVESTIGATION)
    arrange(seeded, cases[5], acknowledged=-1, closed=0)
    # cases[6]: new, due in 7 days

    with seeded.app_context():
        counted = counts(find_institution("utena"), find_user(OFFICER1))

    assert counted == {"new": 3, "acknowledged": 1, "assessment": 1, "investigation": 1,
                       "closed": 1, "overdue": 1, "soon": 1, "waiting": 0}
    assert listing(seeded).counts == counted
    assert listing(seeded, status="closed", due="soon").counts == counted  # never filtered


def test_counts_are_exact_up_to_the_cap_and_shown_as_cap_plus_above_it(seeded, small_caps):
    cases = add_reports(seeded, 5)
    for ref in cases[:3]:
        arrange(seeded, ref, received=-10)  # new and overdue: exactly the cap
    # cases[3:]: new, due in 7 days, so 5 new: one more than the cap

    with seeded.app_context():
        counted = counts(find_institution("utena"), find_user(OFFICER1))

    assert counted == {"new": 4, "acknowledged": 0, "assessment": 0, "investigation": 0,
                       "closed": 0, "overdue": 3, "soon": 0, "waiting": 0}
    client = signed_in(seeded)
    shown = page_counts(text_of(client.get("/staff/i/utena/cases")))
    assert (shown["Received, waiting to be acknowledged"], shown["overdue"]) == ("3+", 3)
    overview = page_counts(text_of(client.get("/staff/overview")))
    assert (overview["waiting to be acknowledged"], overview["overdue"]) == ("3+", 3)


def test_overdue_and_soon_counts_consider_open_cases_only(seeded):
    overdue, closed = add_reports(seeded, 2)
    arrange(seeded, overdue, received=-10)
    arrange(seeded, closed, received=-10, acknowledged=-9, closed=-1)
    with seeded.app_context():  # a deadline left on a closed case, as no service leaves one
        db.session.scalar(select(Report).where(Report.ref == closed)).due_on = days(-1)
        db.session.commit()

    counted = listing(seeded).counts

    assert (counted["overdue"], counted["soon"], counted["closed"]) == (1, 0, 1)


def test_inbox_page_shows_the_counts(seeded):
    cases = add_reports(seeded, 4)
    arrange(seeded, cases[0], received=-10)
    arrange(seeded, cases[1], acknowledged=0)
    arrange(seeded, cases[2], acknowledged=-1, closed=0)

    page = text_of(signed_in(seeded).get("/staff/i/utena/cases"))

    assert page_counts(page) == {"Received, waiting to be acknowledged": 2,
                                 "Acknowledged": 1, "Being assessed": 0,
                                 "Under investigation": 0, "Closed": 1, "overdue": 1,
                                 "due within 3 days": 0, "waiting for our answer": 0}
    assert "3 cases" in page  # open ones, the default


def test_overview_shows_counts_and_the_nearest_deadlines(seeded):
    overdue, fresh, closed = add_reports(seeded, 3)
    arrange(seeded, overdue, received=-9)
    arrange(seeded, closed, acknowledged=-1, closed=0)

    page = text_of(signed_in(seeded).get("/staff/overview"))

    counted = page_counts(page)
    assert counted["waiting to be acknowledged"] == 2
    assert counted["overdue"] == 1
    assert page.index(overdue[:8]) < page.index(fresh[:8])
    assert closed[:8] not in page
    with seeded.app_context():
        assert [r.ref for r in most_urgent(find_institution("utena"), find_user(OFFICER1))
                ] == [overdue, fresh]


# --- pages -------------------------------------------------------------------------------

def test_pages_hold_25_cases_each_and_together_all_of_them(seeded):
    cases = add_reports(seeded, PER_PAGE + 5)

    first, second = listing(seeded, page=1), listing(seeded, page=2)

    assert (first.total, first.pages, len(first.refs)) == (30, 2, PER_PAGE)
    assert (second.page, len(second.refs)) == (2, 5)
    assert set(first.refs).isdisjoint(second.refs)
    assert set(first.refs) | set(second.refs) == set(cases)
    client = signed_in(seeded)
    page = text_of(client.get("/staff/i/utena/cases?status=all&page=2"))
    assert listed_on_page(page, cases) == second.refs
    assert re.search(r'href="[^"]*page=2[^"]*"[^>]*aria-current="page"', page)
    page_links = re.findall(r'href="(/staff/i/utena/cases\?[^"]*page=\d[^"]*)"', page)
    assert page_links and all("status=all" in link for link in page_links)


def test_pages_beyond_the_counted_ones_follow_by_next_links_in_the_lists_order(
        seeded, small_caps):
    cases = add_reports(seeded, 7)
    arrange(seeded, cases[0], received=-1)  # due in 6 days
    arrange(seeded, cases[1], received=-9)  # overdue
    arrange(seeded, cases[2], received=-5)  # due in 2 days
    for ref in cases[3:]:
        arrange(seeded, ref, received=-40, acknowledged=-38, feedback=-10)  # no deadline
    expected = [cases[1], cases[2], cases[0], cases[6], cases[5], cases[4], cases[3]]

    first, third, last = (listing(seeded, page=1), listing(seeded, page=3),
                          listing(seeded, page=4))
    beyond = listing(seeded, page=9)

    # Two pages counted ahead: page numbers up to there, and more known to exist.
    assert (first.refs, first.total, first.pages, first.more) == (expected[:2], 4, 2, True)
    assert (third.refs, third.total, third.pages, third.more) == (expected[4:6], 6, 3, True)
    assert (last.refs, last.total, last.pages, last.more) == (expected[6:], 7, 4, False)
    assert (beyond.page, beyond.refs) == (4, expected[6:])
    client = signed_in(seeded)
    shown, url, texts = [], "/staff/i/utena/cases", []
    while url:
        page = text_of(client.get(url))
        shown.append(listed_on_page(page, cases))
        texts.append(page)
        url = next_page_link(page)
    assert shown == [expected[0:2], expected[2:4], expected[4:6], expected[6:]]
    assert "More than 4 cases" in texts[0] and "7 cases" in texts[-1]
    assert re.findall(r'page=(\d+)"[^>]*>\d+<', texts[0]) == ["1", "2"]


@pytest.mark.parametrize(("value", "shown"), [
    ("abc", 1), ("-5", 1), ("0", 1), ("", 1), ("1.5", 1), ("999999", 2),
    ("99999999999999999999999999", 2), ("²", 1),
])
def test_any_page_number_shows_a_page_of_cases(seeded, value, shown):
    cases = add_reports(seeded, PER_PAGE + 5)
    expected = listing(seeded, page=shown).refs

    response = signed_in(seeded).get("/staff/i/utena/cases", query_string={"page": value})

    assert response.status_code == 200
    assert listed_on_page(text_of(response), cases) == expected


# --- no decryption -----------------------------------------------------------------------

def _refuse(*_args, **_kwargs):
    raise AssertionError("the inbox decrypted something")


@pytest.fixture
def decryption_forbidden(monkeypatch):
    """Every way a report's key or content can be opened fails loudly from here on."""
    def forbid():
        for module, name in ((envelope, "decrypt"), (envelope, "unseal"),
                             (content, "decrypt"), (sealing, "unseal")):
            monkeypatch.setattr(module, name, _refuse)
    return forbid


def test_listing_and_counting_decrypt_nothing(seeded, decryption_forbidden):
    cases = add_reports(seeded, 3)
    arrange(seeded, cases[0], assignee=OFFICER1)
    decryption_forbidden()

    with seeded.app_context():
        utena, officer = find_institution("utena"), find_user(OFFICER1)
        page = list_cases(utena, officer, InboxFilter(status="all"))
        assert sorted(row.report.ref for row in page.rows) == sorted(cases)
        # The ciphertext is not even read from the database.
        assert all("content" not in row.report.__dict__ for row in page.rows)
        assert counts(utena, officer)["new"] == 3
        assert len(most_urgent(utena, officer)) == 3
        assert kept_elsewhere(officer) == []


def test_inbox_and_overview_pages_render_without_decrypting(seeded, decryption_forbidden):
    cases = add_reports(seeded, 3)
    arrange(seeded, cases[0], assignee=OFFICER2)
    client = signed_in(seeded)
    decryption_forbidden()

    inbox_page = client.get("/staff/i/utena/cases")
    overview = client.get("/staff/overview")

    assert inbox_page.status_code == 200 and overview.status_code == 200
    assert sorted(listed_on_page(text_of(inbox_page), cases)) == sorted(cases)
    assert "Eglė Jankauskaitė" in text_of(inbox_page)


def test_officer_without_keys_sees_no_trace_of_cases_until_granted_access(seeded):
    cases = add_reports(seeded, 2)
    arrange(seeded, cases[0], received=-10)
    with seeded.app_context():
        create_user(NEWCOMER, "Integrity officer 3 (new)", DEMO_PASSWORD,
                    role_in=(find_institution("utena"), Role.OFFICER))
    newcomer = signed_in(seeded, NEWCOMER)

    inbox_page, overview = (newcomer.get("/staff/i/utena/cases?status=all"),
                            newcomer.get("/staff/overview"))

    assert inbox_page.status_code == 200 and overview.status_code == 200
    for page in (text_of(inbox_page), text_of(overview)):
        assert not any(ref[:8] in page for ref in cases)
    assert "0 cases" in text_of(inbox_page)
    assert set(page_counts(text_of(inbox_page)).values()) == {0}
    assert listing(seeded, NEWCOMER, status="all").refs == []

    with seeded.test_request_context("/?lang=en"):
        user, private_key = officer_private_key(OFFICER1)
        report = db.session.scalar(select(Report).where(Report.ref == cases[0]))
        grant(open_case(report, user, private_key, record=False),
                       find_user(NEWCOMER))

    granted = listing(seeded, NEWCOMER, status="all")
    assert granted.refs == [cases[0]]
    assert (granted.counts["new"], granted.counts["overdue"]) == (1, 1)
    assert listed_on_page(text_of(newcomer.get("/staff/i/utena/cases")), cases) == [cases[0]]


def test_officer_excluded_by_the_reporter_does_not_see_the_case_listed(seeded):
    with seeded.app_context():
        find_institution("utena").allow_exclusions = True
        db.session.commit()
    with seeded.test_request_context("/?lang=en"):
        utena = find_institution("utena")
        submit_report(utena, ReportEntry(category="bribery", what_happened="Not him.",
                                         excluded_officers=(find_user(OFFICER2).id,)),
                      [], secrets.token_urlsafe(16))
        excluded_ref = db.session.scalar(select(Report.ref))

    assert listing(seeded, OFFICER1).refs == [excluded_ref]
    assert listing(seeded, OFFICER2).refs == []
    assert listing(seeded, OFFICER2).counts["new"] == 0
    page = text_of(signed_in(seeded, OFFICER2).get("/staff/i/utena/cases"))
    assert excluded_ref[:8] not in page


def test_officer_of_another_institution_gets_404_on_the_inbox(seeded):
    add_reports(seeded, 1)

    response = signed_in(seeded, BIRZAI1).get("/staff/i/utena/cases")

    assert response.status_code == 404
