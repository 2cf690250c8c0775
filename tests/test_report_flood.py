"""A flood cannot close an institution's reporting channel.

Forged requests to the send step (no session, no CSRF token, no check-page token of the
session) count towards nothing. Reports past the institution's REPORT_RATE_LIMIT are still
accepted, with the same receipt page, and marked as a possible flood for the officers; only
one browser session sending past REPORT_SESSION_RATE_LIMIT is refused.
"""

import html
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Report
from tests.helpers import (
    ANSWERS,
    catalogue_translation,
    check_report,
    count,
    csrf_token,
    receipt_of,
    seed,
    send_report,
    staff_sign_in,
    text_of,
)
from tests.support.reporter import CSRF, RECEIPT, SUBMISSION

OFFICER = "officer1.utena@demo.example.org"
SEND = "/i/utena/report/send?lang=en"
RENEWED_MESSAGE = ("For your security this form had to be renewed. Everything you wrote is "
                   "still here: check it and send it again.")
RENEWED = RENEWED_MESSAGE.split(".")[0]
CASE_LINK = re.compile(r'href="/staff/cases/([0-9a-f]+)"')


@pytest.fixture
def flooded_app(make_app):
    """An app whose limits a test reaches in a few requests."""
    app = make_app(REPORT_RATE_LIMIT="3 per hour", REPORT_SESSION_RATE_LIMIT="2 per hour")
    seed(app)
    return app


def flags(app) -> list[bool]:
    """Each stored report's possible-flood mark, in the order they arrived."""
    with app.app_context():
        return list(db.session.scalars(select(Report.possible_flood).order_by(Report.id)))


def checked_page(client) -> str:
    """The check page of a valid report, in this client's session."""
    with check_report(client) as response:
        return text_of(response)


def forged_sends(client, kind: str) -> dict:
    """The form data of one forged request to the send step."""
    if kind == "no session":
        return {"x": "y"}
    if kind == "no CSRF token":
        client.get("/i/utena/report")
        return {**ANSWERS, "submission_token": "abc"}
    token = csrf_token(client, "/i/utena/report")
    if kind == "no check-page token":
        return {"csrf_token": token, **ANSWERS}
    if kind == "made-up check-page token":
        return {"csrf_token": token, **ANSWERS, "submission_token": "abc.def"}
    # A genuine check page, but of another browser session.
    page = checked_page(client.application.test_client())
    return {"csrf_token": token, **ANSWERS,
            "submission_token": SUBMISSION.search(page).group(1)}


FORGERIES = ["no session", "no CSRF token", "no check-page token",
             "made-up check-page token", "another session's check-page token"]


def assert_renewed_and_nothing_stored(app, response, *, answers_kept: bool = True) -> None:
    """The report form again, with the "form renewed" notice, and no report stored."""
    page = text_of(response)
    assert response.status_code == 200
    assert RENEWED in page
    assert "Make a report" in page and RECEIPT.search(page) is None
    if answers_kept:
        assert ANSWERS["what_happened"] in page
    assert count(app, Report) == 0


def test_junk_posts_past_every_limit_count_nothing_and_a_genuine_report_gets_a_receipt(
        flooded_app):
    anonymous = flooded_app.test_client()
    for _ in range(20):  # curl -X POST -d x=y …/report/send, well past both limits
        with anonymous.post(SEND, data={"x": "y"}) as response:
            assert_renewed_and_nothing_stored(flooded_app, response, answers_kept=False)
    for kind in FORGERIES[1:]:
        client = flooded_app.test_client()
        data = forged_sends(client, kind)
        for _ in range(5):
            with client.post(SEND, data=data) as response:
                assert_renewed_and_nothing_stored(flooded_app, response)

    with send_report(flooded_app.test_client()) as genuine:
        assert genuine.status_code == 200
        assert re.fullmatch(r"[\d ]+", receipt_of(genuine))
    assert flags(flooded_app) == [False]


@pytest.mark.parametrize("kind", FORGERIES[2:])
def test_a_send_without_this_sessions_check_page_token_renews_the_form_and_stores_nothing(
        flooded_app, kind):
    client = flooded_app.test_client()
    data = forged_sends(client, kind)
    with client.post(SEND, data=data) as response:
        assert_renewed_and_nothing_stored(flooded_app, response)


def test_the_renewed_form_is_in_the_reporters_language(flooded_app):
    client = flooded_app.test_client()
    data = forged_sends(client, "made-up check-page token")
    with client.post("/i/utena/report/send?lang=nb", data=data) as response:
        page = html.unescape(text_of(response))
    assert catalogue_translation(RENEWED_MESSAGE, "nb") in page
    assert count(flooded_app, Report) == 0


def test_well_formed_reports_past_the_institution_limit_are_accepted_and_marked(
        flooded_app):
    pages = []
    for _ in range(6):  # each from a fresh browser session, as a flooding script would
        with send_report(flooded_app.test_client()) as response:
            assert response.status_code == 200
            pages.append(text_of(response))
    with send_report(flooded_app.test_client()) as genuine:
        assert genuine.status_code == 200
        genuine_page = text_of(genuine)
    with send_report(flooded_app.test_client(), "birzai") as elsewhere:
        assert elsewhere.status_code == 200

    assert RECEIPT.search(genuine_page)
    assert flags(flooded_app) == [False] * 3 + [True] * 4 + [False]
    # The reporter is told nothing different: the pages differ only by their receipt.
    assert (RECEIPT.sub("", pages[0]) == RECEIPT.sub("", pages[-1])
            == RECEIPT.sub("", genuine_page))


def test_reports_marked_as_possible_flood_queue_their_own_notice(flooded_app):
    for _ in range(5):
        with send_report(flooded_app.test_client()) as response:
            assert response.status_code == 200

    with flooded_app.app_context():
        notices = list(db.session.execute(select(Report.possible_flood, Report.pending_notice)
                                          .order_by(Report.id)))
    assert notices == [(False, "new_report")] * 3 + [(True, "possible_flood")] * 2


def test_one_browser_session_past_its_limit_is_refused_and_others_are_not(flooded_app):
    client = flooded_app.test_client()
    for _ in range(2):
        with send_report(client) as response:
            assert response.status_code == 200
    with send_report(client) as refused:
        assert refused.status_code == 429
        assert "Too many requests" in text_of(refused)
    with send_report(flooded_app.test_client()) as other:
        assert other.status_code == 200
    assert count(flooded_app, Report) == 3


def test_a_refused_file_uses_up_nothing_of_the_session_limit(flooded_app):
    client = flooded_app.test_client()
    for _ in range(3):  # more than the session's limit of 2
        with send_report(client, files=[("photo.jpg", b"\xff\xd8\xff\xe0broken")]) as refused:
            assert "We could not read “photo.jpg”" in text_of(refused)
            assert not RECEIPT.search(text_of(refused))

    with send_report(client) as accepted:
        assert accepted.status_code == 200
    assert flags(flooded_app) == [False]


def test_a_replayed_check_page_counts_nothing(flooded_app):
    client = flooded_app.test_client()
    page = checked_page(client)
    data = {"csrf_token": CSRF.search(page).group(1), **ANSWERS,
            "submission_token": SUBMISSION.search(page).group(1)}
    with client.post(SEND, data=data) as first:
        assert first.status_code == 200
    for _ in range(10):
        with client.post(SEND, data=data) as replayed:
            assert replayed.status_code == 409
    with send_report(client) as second:  # the same session: its own limit is 2
        assert second.status_code == 200
    with send_report(flooded_app.test_client()) as third:
        assert third.status_code == 200
    assert flags(flooded_app) == [False, False, False]


def test_officers_see_and_filter_reports_marked_as_possible_flood(flooded_app):
    for _ in range(5):
        with send_report(flooded_app.test_client()):
            pass
    with flooded_app.app_context():
        marked = set(db.session.scalars(select(Report.ref).where(Report.possible_flood)))
        unmarked = set(db.session.scalars(select(Report.ref).where(~Report.possible_flood)))
    assert len(marked) == 2 and len(unmarked) == 3

    officer = flooded_app.test_client()
    staff_sign_in(officer, flooded_app, OFFICER)

    def listed(query: str) -> tuple[set[str], str]:
        with officer.get(f"/staff/i/utena/cases?lang=en{query}") as response:
            assert response.status_code == 200
            page = text_of(response)
        return set(CASE_LINK.findall(page)), page

    everything, page = listed("")
    assert everything == marked | unmarked
    assert page.count("possible flood</strong>") == 2
    flagged, page = listed("&flood=flagged")
    assert flagged == marked
    assert page.count("possible flood</strong>") == 2
    unflagged, page = listed("&flood=unflagged")
    assert unflagged == unmarked
    assert "possible flood</strong>" not in page

    with officer.get(f"/staff/cases/{next(iter(marked))}?lang=en") as case:
        assert "possible flood</strong>" in text_of(case)
    with officer.get(f"/staff/cases/{next(iter(unmarked))}?lang=en") as case:
        assert "possible flood</strong>" not in text_of(case)
