"""The inbox's search and sort orders: metadata filters (reference, received dates), full
text over the cases the officer can open (decrypted for the request only, nothing kept), its
limit, and the list sorted by received day or last activity from an index, never in memory."""

import logging
import re
import secrets

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.models import AuditEntry, MessageKind, Report, ReportStatus, SealedKey
from app.services.accounts.users import find_user
from app.services.administration.institutions import find_institution
from app.services.casework import inbox
from app.services.casework.commands import add_note, send_officer_message
from app.services.casework.inbox import InboxFilter
from app.services.casework.opened_case import open_case
from app.services.casework.search import MAX_QUERY_LENGTH, folded, search_words
from app.services.reporting.intake import ReportEntry, submit_report
from tests.helpers import officer_private_key, staff_csrf_token, text_of
from tests.test_inbox import (
    OFFICER1,
    OFFICER2,
    add_reports,
    arrange,
    days,
    listed_on_page,
    listing,
    signed_in,
)

SEARCH = "/staff/i/utena/cases/search"


# --- arranging -------------------------------------------------------------------------

def report_saying(app, what_happened: str, **entry) -> str:
    """A report to Utena with this text; its reference."""
    with app.test_request_context("/?lang=en"):
        submit_report(find_institution("utena"),
                      ReportEntry(category=entry.pop("category", "bribery"),
                                  what_happened=what_happened, **entry),
                      [], secrets.token_urlsafe(16))
        return db.session.scalar(select(Report.ref).order_by(Report.id.desc()).limit(1))


def officer_writes(app, ref: str, *, message: str = "", note: str = "") -> None:
    """Officer 1 sends the reporter a message and/or adds an internal note."""
    with app.test_request_context("/?lang=en"):
        user, private_key = officer_private_key(OFFICER1)
        report = db.session.scalar(select(Report).where(Report.ref == ref))
        case = open_case(report, user, private_key, record=False)
        if message:
            send_officer_message(case, message, MessageKind.QUESTION, [])
        if note:
            add_note(case, note)


def search(client, words: str, **filters):
    """Post the inbox bar with these words and filters."""
    return client.post(f"{SEARCH}?lang=en", data={
        "csrf_token": staff_csrf_token(client), "search": words, **filters})


def found(response) -> set[str]:
    """The cases a search result page lists."""
    return set(re.findall(r'href="/staff/cases/([0-9a-f]{32})"', text_of(response)))


# --- full text -----------------------------------------------------------------------

def test_search_finds_words_in_the_report_a_message_and_a_note(seeded):
    in_report = report_saying(seeded, "The mayor's cousin won the road tender QX17.")
    in_message = report_saying(seeded, "Something about permits.")
    in_note = report_saying(seeded, "Something about inspections.")
    elsewhere = report_saying(seeded, "Nothing to see here.")
    officer_writes(seeded, in_message, message="Was tender QX17 signed before May?")
    officer_writes(seeded, in_note, note="Compare with qx17 minutes.")
    officer_writes(seeded, elsewhere, note="Unrelated note.")
    client = signed_in(seeded)

    response = search(client, "qx17")

    assert response.status_code == 200
    assert found(response) == {in_report, in_message, in_note}
    assert "3 cases contain these words." in text_of(response)
    assert found(search(client, "tender QX17 cousin")) == {in_report}  # every word
    assert found(search(client, "permits")) == {in_message}
    assert found(search(client, "zebra")) == set()


def test_search_ignores_case_and_accents():
    assert folded("ŠIUKŠLĖS Tromsø ÆRE Straße") == "siuksles tromsø ære strasse"
    assert search_words("  Šiukšlės  siukšles ") == ("siuksles",)


def test_search_matches_lithuanian_text_without_diacritics_and_in_capitals(seeded):
    ref = report_saying(seeded, "Šiukšlių išvežimo konkursą laimėjo giminaitis.")
    client = signed_in(seeded)

    assert found(search(client, "SIUKSLIU isvezimo")) == {ref}
    assert found(search(client, "laimejo GIMINAITIS")) == {ref}


def test_search_never_finds_a_case_the_officer_cannot_open(seeded):
    with seeded.app_context():
        find_institution("utena").allow_exclusions = True
        db.session.commit()
        officer2 = find_user(OFFICER2).id
    hidden = report_saying(seeded, "Marker MX44 about officer 2.",
                           excluded_officers=(officer2,))
    visible = report_saying(seeded, "Marker MX44 for everyone.")

    assert found(search(signed_in(seeded, OFFICER2), "MX44")) == {visible}
    assert found(search(signed_in(seeded, OFFICER1), "MX44")) == {hidden, visible}


def test_a_case_that_does_not_open_is_skipped_and_counted(seeded):
    broken = report_saying(seeded, "Marker BR09 in a broken case.")
    fine = report_saying(seeded, "Marker BR09 in a fine case.")
    with seeded.app_context():
        report = db.session.scalar(select(Report).where(Report.ref == broken))
        key = db.session.scalar(select(SealedKey).where(
            SealedKey.report_id == report.id, SealedKey.user_id == find_user(OFFICER1).id))
        key.sealed = bytes(len(key.sealed))  # a copy that no longer opens
        db.session.commit()

    response = search(signed_in(seeded), "BR09")

    assert response.status_code == 200
    assert found(response) == {fine}
    assert "1 case could not be opened with your key and was not searched." in text_of(
        response)


def test_search_reads_only_the_most_recent_cases_up_to_the_limit_and_says_so(seeded):
    oldest, middle, newest = (report_saying(seeded, f"Marker LM{n} here.") for n in range(3))
    arrange(seeded, oldest, received=-30)
    arrange(seeded, middle, received=-20)
    arrange(seeded, newest, received=-10)
    seeded.config["SEARCH_CASE_LIMIT"] = 2
    client = signed_in(seeded)

    cut = search(client, "marker")
    narrowed = search(client, "marker", received_to=days(-25).isoformat())

    assert found(cut) == {middle, newest}
    assert "Searched the 2 most recent cases of 3." in text_of(cut)
    assert found(narrowed) == {oldest}
    assert "most recent cases of" not in text_of(narrowed)


def test_matches_are_listed_in_the_chosen_order_and_the_cap_keeps_its_first(seeded,
                                                                           monkeypatch):
    first, second, third = (report_saying(seeded, f"Marker SO{n}.") for n in range(3))
    for ref, received in ((first, -30), (second, -20), (third, -10)):
        arrange(seeded, ref, received=received)
    client = signed_in(seeded)

    orders = {sort: listed_on_page(text_of(search(client, "marker", sort=sort)),
                                   [first, second, third])
              for sort in ("received_asc", "received_desc")}
    monkeypatch.setattr("app.services.casework.search.SHOWN", 2)
    capped = text_of(search(client, "marker", sort="received_asc"))

    assert orders == {"received_asc": [first, second, third],
                      "received_desc": [third, second, first]}
    assert listed_on_page(capped, [first, second, third]) == [first, second]
    assert "3 cases contain these words. The first 2 in the chosen order are listed." in capped


# --- search by each filter -----------------------------------------------------------

def test_search_keeps_to_the_status_category_and_assignee_filters(seeded):
    new = report_saying(seeded, "Marker FL1.")
    closed = report_saying(seeded, "Marker FL1.")
    fraud = report_saying(seeded, "Marker FL1.", category="fraud")
    theirs = report_saying(seeded, "Marker FL1.")
    arrange(seeded, closed, acknowledged=-2, closed=-1)
    arrange(seeded, theirs, assignee=OFFICER2)
    with seeded.app_context():
        colleague = str(find_user(OFFICER2).id)
    client = signed_in(seeded)

    assert found(search(client, "FL1")) == {new, fraud, theirs}  # open cases by default
    assert found(search(client, "FL1", status="all")) == {new, closed, fraud, theirs}
    assert found(search(client, "FL1", status="closed")) == {closed}
    assert found(search(client, "FL1", category="fraud")) == {fraud}
    assert found(search(client, "FL1", assignee=colleague)) == {theirs}
    assert found(search(client, "FL1", assignee="none")) == {new, fraud}


def test_reference_and_received_filters_select_cases_in_the_list_and_the_search(seeded):
    early, late = add_reports(seeded, 2)
    arrange(seeded, early, received=-40)
    arrange(seeded, late, received=-5)
    client = signed_in(seeded)

    def listed(**query) -> list[str]:
        return listed_on_page(text_of(client.get("/staff/i/utena/cases", query_string=query)),
                              [early, late])

    assert listing(seeded, ref=late[:6]).refs == [late]
    assert listed(ref=late[:6].upper()) == [late]
    assert listed(ref=early) == [early]
    assert listed(received_from=days(-10).isoformat()) == [late]
    assert listed(received_to=days(-10).isoformat()) == [early]
    assert listed(received_from=days(-41).isoformat(), received_to=days(-39).isoformat()) \
        == [early]
    assert found(search(client, "permits", ref=early[:8])) == {early}
    assert found(search(client, "permits", received_from=days(-10).isoformat())) == {late}


@pytest.mark.parametrize(("query", "message"), [
    ({"ref": "zz%_"}, "A case reference has only the digits 0–9 and the letters a–f."),
    ({"received_from": "31.12.2026"}, "Enter a day as year-month-day"),
    ({"received_from": days(0).isoformat(), "received_to": days(-1).isoformat()},
     "The last day comes before the first day."),
])
def test_an_invalid_reference_or_day_is_explained_and_left_out(seeded, query, message):
    cases = add_reports(seeded, 2)

    response = signed_in(seeded).get("/staff/i/utena/cases", query_string=query)

    assert response.status_code == 200
    assert message in text_of(response)
    assert sorted(listed_on_page(text_of(response), cases)) == sorted(cases)


# --- what a search keeps and shows ---------------------------------------------------

def test_search_words_stay_out_of_urls_logs_and_the_audit_log(seeded, caplog):
    ref = report_saying(seeded, "Marker SECRETWORD99 in the text.")
    client = signed_in(seeded)
    caplog.set_level(logging.DEBUG)

    response = search(client, "secretword99", status="all")
    empty = search(client, "   ", status="all", category="fraud")

    assert found(response) == {ref}
    assert "secretword99" not in caplog.text.lower()
    assert (empty.status_code, empty.headers["Location"]) == (
        302, "/staff/i/utena/cases?status=all&category=fraud")
    with seeded.app_context():
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "cases_searched")).one()
        assert entry.detail == {"searched": 1, "matched": 1}
        assert "secretword99" not in repr(entry.detail).lower()
    # Words in a URL are not searched at all: the list is shown, the box left empty.
    listed = text_of(client.get("/staff/i/utena/cases?search=secretword99"))
    assert re.search(r'<input[^>]*name="search"[^>]*value=""', listed)
    assert "contain these words" not in listed


def test_html_in_the_search_box_is_shown_as_text(seeded):
    report_saying(seeded, "Something harmless.")

    response = search(signed_in(seeded), '<script>alert("x")</script>')

    assert response.status_code == 200
    assert '<script>alert("x")' not in text_of(response)
    assert "&lt;script&gt;alert(" in text_of(response)


def test_an_over_long_search_is_refused_with_a_message(seeded):
    report_saying(seeded, "Something harmless.")

    response = search(signed_in(seeded), "x" * (MAX_QUERY_LENGTH + 1))

    assert response.status_code == 400
    assert f"Search for at most {MAX_QUERY_LENGTH} characters." in text_of(response)


def test_search_without_a_valid_token_is_refused(seeded):
    report_saying(seeded, "Marker TK1.")
    client = signed_in(seeded)

    response = client.post(f"{SEARCH}?lang=en", data={"search": "TK1"})

    assert response.status_code == 400
    assert "TK1" not in text_of(response)


# --- sort orders ---------------------------------------------------------------------

def test_sort_by_received_and_by_last_activity_in_both_directions(seeded):
    first, second, third = add_reports(seeded, 3)
    arrange(seeded, first, received=-30)
    arrange(seeded, second, received=-20)
    arrange(seeded, third, received=-10)
    with seeded.app_context():
        for ref, active in ((first, -1), (second, -15), (third, -5)):
            db.session.scalar(select(Report).where(Report.ref == ref)).last_activity_on = \
                days(active)
        db.session.commit()
    client = signed_in(seeded)

    expected = {"received_desc": [third, second, first], "received_asc": [first, second, third],
                "activity_desc": [first, third, second], "activity_asc": [second, third, first]}
    for sort, order in expected.items():
        assert listing(seeded, sort=sort).refs == order, sort
        assert listing(seeded, sort=sort, status="new").refs == order, sort
        page = text_of(client.get("/staff/i/utena/cases", query_string={"sort": sort}))
        assert listed_on_page(page, order) == order, sort
        direction = "descending" if sort.endswith("_desc") else "ascending"
        assert re.search(rf'<th scope="col" aria-sort="{direction}"><a href="[^"]*"', page)
        assert page.count("aria-sort=") == 1


def test_a_sorted_list_links_its_heading_to_the_other_direction_keeping_the_filters(seeded):
    add_reports(seeded, 1)

    page = text_of(signed_in(seeded).get(
        "/staff/i/utena/cases?sort=received_desc&category=bribery"))

    heading = re.search(r'aria-sort="descending"><a href="([^"]+)"', page).group(1)
    assert "sort=received_asc" in heading and "category=bribery" in heading


def _plan(statement) -> str:
    """The database's plan for a statement, on a session that may not sort (PostgreSQL) or
    as SQLite chooses it."""
    compiled = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if db.engine.dialect.name == "sqlite":
        rows = db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
        return "\n".join(str(row[-1]) for row in rows)
    db.session.execute(text("SET LOCAL enable_sort = off"))
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    return "\n".join(row[0] for row in db.session.execute(text(f"EXPLAIN {compiled}")))


@pytest.mark.parametrize("sort", inbox.SORTS)
@pytest.mark.parametrize("status", ["open", "all", "new", "closed"])
def test_every_sort_order_is_read_from_an_index_without_sorting(seeded, sort, status):
    add_reports(seeded, 2)
    with seeded.app_context():
        chosen = InboxFilter(status=status, sort=sort)
        query = inbox._filtered(find_institution("utena"), find_user(OFFICER1), chosen,
                                days(0))
        for part in inbox._ordered(query, chosen):
            plan = _plan(part.with_only_columns(Report.id).limit(25))
            assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan
        db.session.rollback()


def test_status_values_of_the_list_are_those_of_the_model():
    assert {status.value for status in ReportStatus} <= set(inbox.STATUS_FILTERS)


@pytest.mark.parametrize("email", ["officer1.birzai@demo.example.org",
                                   "admin.utena@demo.example.org"])
def test_only_the_institutions_officers_may_search_its_cases(seeded, email):
    report_saying(seeded, "Marker AC5.")
    client = signed_in(seeded, email)

    response = search(client, "AC5")

    assert response.status_code == 404
    assert "AC5" not in text_of(response)
