"""Nothing typed is lost and nothing sent is stored twice: one message per mailbox form,
the officers' files downloadable, a database that cannot write answered with the page
again, everything typed, 503 and Retry-After, and an officer's text kept through an
expired form or session."""

import html
import io
import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import Author, Message, Report
from app.services.casefile.attachments import Upload, clean_uploads
from app.services.casefile.content import add_message
from app.services.casework.opened_case import open_case
from tests.helpers import (
    CSRF,
    SUBMISSION,
    check_report,
    mailbox_form,
    officer_private_key,
    receipt_of,
    send_report,
    sign_in,
    staff_csrf_token,
    staff_sign_in,
    text_of,
)

OFFICER = "officer1.utena@demo.example.org"
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


@pytest.fixture
def reporter(seeded):
    """A reporter signed in to the mailbox of a new report."""
    client = seeded.test_client()
    with send_report(client, what_happened="Rigged tender",
                     files=[("my-notes.txt", b"the reporter's own notes")]) as response:
        receipt = receipt_of(response)
    with sign_in(client, receipt):
        pass
    return client


def messages(app, author: Author = Author.REPORTER) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Message)
                                 .where(Message.author == author))


def reports(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Report))


@contextmanager
def read_only_database(app):
    """The database refuses every write, as a full disk or a read-only volume does: each
    connection is switched to read-only by the database itself."""
    with app.app_context():
        engine = db.engine
    sqlite = engine.dialect.name == "sqlite"

    def refuse_writes(connection, _record, _proxy):
        cursor = connection.cursor()
        cursor.execute("PRAGMA query_only = ON" if sqlite
                       else "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        cursor.close()
        if not sqlite:
            connection.commit()

    event.listen(engine, "checkout", refuse_writes)
    try:
        yield
    finally:
        event.remove(engine, "checkout", refuse_writes)
        engine.dispose()  # no connection keeps the setting


# --- one message per form ------------------------------------------------------------------
def test_a_double_click_on_send_stores_one_message(seeded, reporter):
    data = {**mailbox_form(reporter), "text": "Tender 2026/14, clicked twice."}
    for _click in range(2):
        with reporter.post("/mailbox/message?lang=en", data=data) as response:
            assert response.status_code == 302
    assert messages(seeded) == 1
    with reporter.get("/mailbox/?lang=en") as response:
        page = text_of(response)
    assert page.count("Tender 2026/14, clicked twice.") == 1


def test_each_new_form_sends_its_own_message(seeded, reporter):
    for text in ("First detail.", "Second detail."):
        with reporter.post("/mailbox/message?lang=en",
                           data={**mailbox_form(reporter), "text": text}) as response:
            assert response.status_code == 302
    assert messages(seeded) == 2


@pytest.mark.parametrize("token", ["", "forged.token", None])
def test_a_message_without_this_sessions_token_is_kept_and_not_sent(seeded, reporter, token):
    data = {**mailbox_form(reporter), "text": "Kept, not sent."}
    if token is None:
        del data["submission_token"]
    else:
        data["submission_token"] = token
    with reporter.post("/mailbox/message?lang=en", data=data) as response:
        page = text_of(response)
    assert response.status_code == 400
    assert "this form had to be renewed" in page and "Kept, not sent." in page
    assert SUBMISSION.search(page)  # a fresh token to send it with
    assert messages(seeded) == 0


# --- the officers' files ---------------------------------------------------------------
def officer_sends_file(app, name: str, data: bytes) -> str:
    """An officer's message with a file, as the reply command stores it; its file ref."""
    with app.app_context():
        report = db.session.scalars(select(Report)).one()
        officer, private_key = officer_private_key(OFFICER)
        case = open_case(report, officer, private_key, record=False)
        files = clean_uploads([Upload(name, data)])
        message = add_message(report, case.data_key, Author.OFFICER, "See the form attached.",
                              files, officer)
        db.session.commit()
        return message.attachments[0].ref


def test_the_reporter_downloads_a_file_an_officer_sent(seeded, reporter):
    file_ref = officer_sends_file(seeded, "form-to-fill.txt", b"Please fill in this form.")
    with reporter.get("/mailbox/?lang=en") as response:
        page = text_of(response)
    link = f'href="/mailbox/files/{file_ref}"'
    assert link in page and "form-to-fill.txt" in page
    with reporter.get(f"/mailbox/files/{file_ref}") as response:
        assert response.status_code == 200
        assert response.data == b"Please fill in this form."
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert "form-to-fill.txt" in response.headers["Content-Disposition"]
        assert response.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_only_the_officers_files_of_ones_own_report_are_served(seeded, reporter):
    file_ref = officer_sends_file(seeded, "reply.txt", b"officer file")
    with seeded.app_context():
        report = db.session.scalars(select(Report)).one()
        reporters_file = next(a.ref for a in report.attachments if a.message_id is None)
    with reporter.get(f"/mailbox/files/{reporters_file}") as response:
        assert response.status_code == 404
    with reporter.get("/mailbox/files/not-a-file") as response:
        assert response.status_code == 404
    stranger = seeded.test_client()
    with stranger.get(f"/mailbox/files/{file_ref}") as response:
        assert response.status_code == 404
        assert b"officer file" not in response.data
    with send_report(stranger, what_happened="Another report") as response:
        other_receipt = receipt_of(response)
    with sign_in(stranger, other_receipt):
        pass
    with stranger.get(f"/mailbox/files/{file_ref}") as response:
        assert response.status_code == 404


# --- a database that cannot write --------------------------------------------------------
def test_a_report_the_database_cannot_store_shows_the_check_page_again(seeded):
    client = seeded.test_client()
    answers = {"what_happened": "Kept through a full disk <script>alert(1)</script>",
               "people_involved": "The head of procurement"}
    with check_report(client, **answers) as checked:
        page = text_of(checked)
    data = {"csrf_token": CSRF.search(page).group(1),
            "submission_token": SUBMISSION.search(page).group(1)}
    carried = {name: value for name, value in _hidden_fields(page).items()
               if name not in data}
    with read_only_database(seeded), client.post("/i/utena/report/send?lang=en",
                     data={**data, **carried, "attachments": [(io.BytesIO(b"x"), "a.txt")]},
                     content_type="multipart/form-data") as response:
        again = text_of(response)
        assert response.status_code == 503
        assert response.headers["Retry-After"].isdigit()
    assert "Nothing was sent" in again and "try again in a moment" in again
    assert "Check your report" in again
    assert "Kept through a full disk &lt;script&gt;" in again and "<script>alert" not in again
    assert "The head of procurement" in again
    assert "choose them again" in again
    assert reports(seeded) == 0
    # Sent again once the database writes: stored once, with the same token.
    with client.post("/i/utena/report/send?lang=en",
                     data={**data, **_hidden_fields(again),
                           "submission_token": SUBMISSION.search(again).group(1)},
                     content_type="multipart/form-data") as response:
        assert response.status_code == 200
        assert receipt_of(response)
    assert reports(seeded) == 1


def test_a_message_the_database_cannot_store_is_kept_in_the_mailbox(seeded, reporter):
    data = {**mailbox_form(reporter), "text": "Kept while the database is read-only."}
    with read_only_database(seeded), reporter.post("/mailbox/message?lang=en",
                                                    data=data) as response:
        page = text_of(response)
        assert response.status_code == 503
        assert response.headers["Retry-After"].isdigit()
    assert "Nothing was sent" in page
    assert "Kept while the database is read-only." in page
    assert messages(seeded) == 0
    with reporter.post("/mailbox/message?lang=en", data=data) as response:
        assert response.status_code == 302
    assert messages(seeded) == 1


def test_a_sign_in_the_database_cannot_store_keeps_the_message(seeded, reporter):
    with send_report(seeded.test_client()) as response:
        receipt = receipt_of(response)
    client = seeded.test_client()
    with client.get("/mailbox/?lang=en") as response:
        token = CSRF.search(text_of(response)).group(1)
    with read_only_database(seeded), client.post("/mailbox/?lang=en", data={
            "csrf_token": token, "receipt": receipt,
            "pending_message": "A message written before the session ended"}) as response:
        page = text_of(response)
        assert response.status_code == 503
    assert "could not be opened just now" in page
    assert 'value="A message written before the session ended"' in page
    assert receipt not in page


def _hidden_fields(page: str) -> dict[str, str]:
    """The report's answers a check page carries as hidden fields."""
    return {name: html.unescape(value) for name, value in HIDDEN.findall(page)}


# --- an officer's text outlives an expired form or session -----------------------------
def officer_client(app):
    client = app.test_client()
    staff_sign_in(client, app, OFFICER)
    client.get("/staff/overview?lang=en")
    return client


def stored_ref(app) -> str:
    with app.app_context():
        return db.session.scalar(select(Report.ref).order_by(Report.id.desc()).limit(1))


@pytest.mark.parametrize(("action", "field", "extra"), [
    ("reply", "text", {}),
    ("note", "text", {}),
    ("status", "reason", {"status": "closed", "outcome": "not_substantiated"}),
    ("recuse", "reason", {}),
])
def test_text_sent_after_the_session_ended_is_kept_and_shown_again_unsent(
        seeded, reporter, action, field, extra):
    ref = stored_ref(seeded)
    officer = officer_client(seeded)
    token = staff_csrf_token(officer)
    with officer.post(f"/staff/cases/{ref}/acknowledge", data={"csrf_token": token}) as done:
        assert done.status_code == 302  # so that every form is on the case page
    typed = f"Typed for {action} <b>while the session ran out</b>"
    officer.post("/staff/logout", data={"csrf_token": token})  # the session ends meanwhile
    with officer.post(f"/staff/cases/{ref}/{action}?lang=en",
                      data={"csrf_token": token, field: typed, **extra}) as response:
        page = text_of(response)
        assert response.status_code == 401
    assert "You were signed out" in page and "Nothing was sent" in page
    assert "&lt;b&gt;while the session ran out&lt;/b&gt;" in page and "<b>while" not in page
    assert f'action="/staff/cases/{ref}/{action}"' in page
    before = case_rows(seeded, ref)

    staff_sign_in(officer, seeded, OFFICER)
    kept = _hidden_fields(page)
    with officer.post(f"/staff/cases/{ref}/{action}?lang=en",
                      data={**kept, "csrf_token": staff_csrf_token(officer)}) as response:
        shown = text_of(response)
        assert response.status_code == 200
    assert "It is kept here, unsent" in shown
    assert "&lt;b&gt;while the session ran out&lt;/b&gt;" in shown
    assert case_rows(seeded, ref) == before  # nothing was sent, noted or changed


def test_text_sent_with_an_expired_form_token_is_kept_and_not_sent(seeded, reporter):
    ref = stored_ref(seeded)
    officer = officer_client(seeded)
    before = case_rows(seeded, ref)
    with officer.post(f"/staff/cases/{ref}/note?lang=en",
                      data={"csrf_token": "expired-token", "text": "A careful note"}) as response:
        page = text_of(response)
        assert response.status_code == 400
    assert "this form had to be renewed" in page and "A careful note" in page
    assert case_rows(seeded, ref) == before
    with officer.post(f"/staff/cases/{ref}/note?lang=en",
                      data={"text": "A careful note"}) as response:
        assert response.status_code == 400
        assert "A careful note" in text_of(response)
    assert case_rows(seeded, ref) == before


def test_a_signed_out_post_to_a_form_that_keeps_nothing_still_goes_to_sign_in(seeded):
    """Only case forms hold typed text for a signed-out officer: any other form, even with
    a valid token and a text field, goes to the sign-in page as before."""
    client = seeded.test_client()
    token = staff_csrf_token_of_sign_in_page(client)
    with client.post("/staff/i/utena/admin/settings",
                     data={"csrf_token": token, "reason": "Not kept"}) as response:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/staff/login")
    ref = stored_ref(seeded)
    with client.post(f"/staff/cases/{ref}/note",
                     data={"csrf_token": token, "text": ""}) as response:  # nothing typed
        assert response.status_code == 302


def staff_csrf_token_of_sign_in_page(client) -> str:
    with client.get("/staff/login") as response:
        return CSRF.search(text_of(response)).group(1)


def case_rows(app, ref: str) -> tuple:
    """How many messages, notes and events the case has, and its status."""
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.ref == ref))
        return (len(report.messages), len(report.notes), len(report.events),
                report.status, len(report.sealed_keys))


def test_a_report_refused_by_another_constraint_is_not_called_sent_already(seeded,
                                                                          monkeypatch):
    """Only the report's own confirmation token, stored by a first click, means "sent
    already"; any other conflict must not tell the reporter their report is stored."""
    with send_report(seeded.test_client()) as response:
        assert response.status_code == 200
    taken = stored_ref(seeded)
    monkeypatch.setattr("app.services.reporting.intake.new_ref", lambda: taken)
    client = seeded.test_client()
    with send_report(client, what_happened="Collides") as response:
        page = text_of(response)
        assert response.status_code == 503
    assert "has been sent already" not in page
    assert "Nothing was sent" in page and "Collides" in page
    assert reports(seeded) == 1
    monkeypatch.undo()
    with client.post("/i/utena/report/send?lang=en",
                     data={**_hidden_fields(page), "csrf_token": CSRF.search(page).group(1),
                           "submission_token": SUBMISSION.search(page).group(1)},
                     content_type="multipart/form-data") as response:
        assert response.status_code == 200
        assert receipt_of(response), "sent again, it is stored"
    assert reports(seeded) == 2
