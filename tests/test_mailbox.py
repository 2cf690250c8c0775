"""The reporter's mailbox: receipt sign-in, conversation, idle expiry, sign-out."""

import pytest
from sqlalchemy import func, select

from app.crypto import receipts as receipt_crypto
from app.extensions import db
from app.models import Message, MessageKind, Report, ReporterSession
from app.services.casework.commands import send_officer_message
from app.services.casework.opened_case import open_case
from app.services.reporting import mailbox
from tests.helpers import (
    csrf_token,
    mailbox_form,
    officer_private_key,
    receipt_of,
    seed,
    send_report,
    sign_in,
    text_of,
)

WRONG = "This receipt does not open a report."


@pytest.fixture
def receipt(seeded) -> str:
    with send_report(seeded.test_client(), what_happened="Rigged tender") as response:
        return receipt_of(response)


def officer_replies(app, text: str) -> None:
    with app.app_context():
        report = db.session.scalars(select(Report)).one()
        officer, private_key = officer_private_key("officer1.utena@demo.example.org")
        send_officer_message(open_case(report, officer, private_key), text,
                             MessageKind.QUESTION)


def mailbox_page(client) -> str:
    with client.get("/mailbox/?lang=en") as response:
        return text_of(response)


@pytest.mark.parametrize("typed", ["{r}", "{bare}", " {bare}\n", "{dashed}"])
def test_receipt_opens_the_mailbox_however_it_is_typed(seeded, receipt, typed):
    bare = receipt.replace(" ", "")
    client = seeded.test_client()
    text = typed.format(r=receipt, bare=bare, dashed=receipt.replace(" ", "-"))
    with sign_in(client, text) as response:
        assert response.status_code == 302
    page = mailbox_page(client)
    assert "Rigged tender" in page
    assert "Received, waiting to be acknowledged" in page
    assert "Acknowledgement due by" in page and "Feedback due by" in page


def test_wrong_receipt_gets_one_message_whether_or_not_any_report_exists(seeded):
    client = seeded.test_client()
    with sign_in(client, "1234 5678 9012 3456") as no_reports_yet:
        first = text_of(no_reports_yet)
    with send_report(seeded.test_client()):
        pass
    with sign_in(client, "1234 5678 9012 3457") as with_a_report:
        second = text_of(with_a_report)
    assert no_reports_yet.status_code == with_a_report.status_code == 400
    assert WRONG in first and WRONG in second
    assert "1234 5678 9012" not in first + second  # the typed receipt is not echoed


def test_wrong_and_right_receipts_cost_the_same_derivations(seeded, receipt, monkeypatch):
    calls = []
    real = receipt_crypto.derive_key

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(receipt_crypto, "derive_key", counting)
    client = seeded.test_client()
    with sign_in(client, "0000 0000 0000 0000"):
        wrong = len(calls)
    with sign_in(client, receipt):
        right = len(calls) - wrong
    assert wrong == right == 1


def test_empty_database_still_pays_the_derivation(seeded, monkeypatch):
    calls = []
    real = receipt_crypto.derive_key
    monkeypatch.setattr(receipt_crypto, "derive_key",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    with sign_in(seeded.test_client(), "1111 2222 3333 4444") as response:
        assert WRONG in text_of(response)
    assert calls == [1]


@pytest.mark.parametrize("typed", ["12345", "1234 5678 9012 345x", "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦",
                                   "1234 5678 9012 3456 7"])
def test_malformed_receipt_is_explained(seeded, typed):
    with sign_in(seeded.test_client(), typed) as response:
        assert response.status_code == 400
        assert "A receipt has 28 digits in seven groups of four" in text_of(response)


def test_sign_in_without_csrf_token_is_refused_and_opens_nothing(seeded, receipt):
    client = seeded.test_client()
    with client.post("/mailbox/?lang=en", data={"receipt": receipt}) as response:
        assert response.status_code == 400
        assert "this form had to be renewed" in text_of(response)
    assert 'name="receipt"' in mailbox_page(client)


def test_officer_reply_is_read_only_after_signing_in_and_can_be_answered(seeded, receipt):
    officer_replies(seeded, "Could you name the tender?")
    client = seeded.test_client()
    assert "Could you name the tender?" not in mailbox_page(client)
    with sign_in(client, receipt):
        pass
    page = mailbox_page(client)
    assert "Could you name the tender?" in page and "Integrity officer" in page
    data = {**mailbox_form(client), "text": "Tender 2026/14 for road repairs."}
    with client.post("/mailbox/message?lang=en", data=data) as response:
        assert response.status_code == 302
    page = mailbox_page(client)
    assert "Tender 2026/14 for road repairs." in page
    assert "Your message has been sent." in page


def test_message_without_csrf_token_is_refused_and_nothing_is_stored(seeded, receipt):
    client = seeded.test_client()
    with sign_in(client, receipt):
        pass
    with client.post("/mailbox/message?lang=en", data={"text": "hello"}) as response:
        assert response.status_code == 400
        assert "hello" in text_of(response)  # kept in the form
    with seeded.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == 0


def test_empty_message_is_refused(seeded, receipt):
    client = seeded.test_client()
    with sign_in(client, receipt):
        pass
    data = {**mailbox_form(client), "text": "   "}
    with client.post("/mailbox/message?lang=en", data=data) as response:
        assert response.status_code == 400
        assert "Write a message or add a file." in text_of(response)


def test_idle_session_expires_and_a_message_in_progress_is_kept(seeded, receipt, monkeypatch):
    client = seeded.test_client()
    with sign_in(client, receipt):
        pass
    start = mailbox._now()
    monkeypatch.setattr(mailbox, "_now", lambda: start + 17 * 60)
    data = {"csrf_token": csrf_token(client), "text": "My long answer"}
    with client.post("/mailbox/message?lang=en", data=data) as response:
        page = text_of(response)
    assert response.status_code == 401
    assert "inactive for a while" in page
    assert 'name="pending_message" type="hidden" value="My long answer"' in page
    data = {"csrf_token": csrf_token(client), "receipt": receipt,
            "pending_message": "My long answer"}
    with client.post("/mailbox/?lang=en", data=data) as response:
        page = text_of(response)
    assert response.status_code == 200
    assert "My long answer</textarea>" in page  # shown again, not sent
    with seeded.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == 0


def test_activity_keeps_the_session_but_the_absolute_limit_ends_it(seeded, receipt,
                                                                   monkeypatch):
    client = seeded.test_client()
    with sign_in(client, receipt):
        pass
    start = mailbox._now()
    for minutes in range(10, 60, 10):
        monkeypatch.setattr(mailbox, "_now", lambda m=minutes: start + m * 60)
        assert "sign-out" in mailbox_page(client)
    monkeypatch.setattr(mailbox, "_now", lambda: start + 61 * 60)
    assert 'name="receipt"' in mailbox_page(client)
    with seeded.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReporterSession)) == 0


def test_a_session_past_its_purge_hour_is_deleted_by_the_next_request(seeded, receipt,
                                                                     monkeypatch):
    client = seeded.test_client()
    with sign_in(client, receipt):
        pass
    with seeded.app_context():
        purge_hour = db.session.scalars(select(ReporterSession)).one().expires_at
    monkeypatch.setattr(mailbox, "_now", lambda: purge_hour + 1)
    assert 'name="receipt"' in mailbox_page(client)
    with seeded.app_context():  # a new database session: only what was committed
        assert db.session.scalar(select(func.count()).select_from(ReporterSession)) == 0


def test_sign_out_ends_the_session_on_the_server(seeded, receipt):
    client = seeded.test_client()
    with sign_in(client, receipt):
        pass
    with client.session_transaction() as session:
        token = session["mailbox"]
    with client.post("/mailbox/sign-out?lang=en", data={"csrf_token": csrf_token(client)}):
        pass
    assert "You have signed out." in mailbox_page(client)
    with seeded.app_context():
        assert mailbox.resume(token) is None  # a copied cookie opens nothing
        assert db.session.scalar(select(func.count()).select_from(ReporterSession)) == 0


def test_session_row_names_no_report(seeded, receipt):
    client = seeded.test_client()
    with sign_in(client, receipt):
        pass
    with seeded.app_context():
        row = db.session.scalars(select(ReporterSession)).one()
        report = db.session.scalars(select(Report)).one()
        assert report.ref.encode() not in row.payload
        assert row.expires_at % 3600 == 0  # only the purge hour is visible


def test_receipt_sign_ins_are_rate_limited_per_browser_session(make_app):
    app = make_app(RECEIPT_SESSION_RATE_LIMIT="2 per minute")
    seed(app)
    client = app.test_client()
    for _ in range(2):
        with sign_in(client, "1234 5678 9012 3456") as response:
            assert response.status_code == 400
    with sign_in(client, "1234 5678 9012 3456") as response:
        assert response.status_code == 429
        assert "Too many requests" in text_of(response)
