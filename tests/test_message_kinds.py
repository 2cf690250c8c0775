"""Deadlines mean what the law means: only a message sent as feedback (Directive Art.
9(1)(f)) meets the feedback deadline; a closed case can be reopened; a transfer is told
to the reporter in their language."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, CaseEventKind, Message, MessageKind, Report, ReportStatus
from app.services.casefile.deadlines import add_months, today
from app.services.insights.statistics import institution_statistics
from tests.helpers import receipt_of, send_report_in, sign_in, text_of
from tests.test_casework import (
    OFFICER1,
    actions,
    case_page,
    new_report,
    post,
    signed_in,
    state,
)


def acknowledged_case(app):
    ref, receipt = new_report(app)
    officer = signed_in(app, OFFICER1)
    assert post(officer, ref, "acknowledge").status_code == 302
    return ref, receipt, officer


def mailbox_of(app, receipt: str) -> str:
    reporter = app.test_client()
    assert sign_in(reporter, receipt).status_code == 302
    with reporter.get("/mailbox/?lang=en") as response:
        return text_of(response)


def feedback_figures(app):
    with app.test_request_context("/?lang=en"):
        report = db.session.scalars(select(Report)).one()
        return institution_statistics(report.institution).median_days_to_feedback


def test_a_question_keeps_the_feedback_deadline_and_feedback_meets_it(seeded):
    ref, receipt, officer = acknowledged_case(seeded)
    due = add_months(today(), 3)
    assert post(officer, ref, "reply", kind="question",
                text="Which tender do you mean?").status_code == 302
    assert (state(seeded, ref)["feedback_on"], state(seeded, ref)["due_on"]) == (None, due)
    page = text_of(case_page(officer, ref))
    assert "Question or request for information" in page
    assert feedback_figures(seeded) is None  # a question is not counted as feedback

    assert post(officer, ref, "reply", kind="update",
                text="We are collecting the documents.").status_code == 302
    assert state(seeded, ref)["due_on"] == due

    assert post(officer, ref, "reply", kind="feedback",
                text="We audited the tender and referred it to the police.").status_code == 302
    assert (state(seeded, ref)["feedback_on"], state(seeded, ref)["due_on"]) == (today(), None)
    assert feedback_figures(seeded) == 0  # feedback today, 0 days after receipt

    mailbox = mailbox_of(seeded, receipt)
    assert "A question for you" in mailbox and "An update" in mailbox
    assert "Feedback on your report: what is done and why" in mailbox
    with seeded.app_context():
        audit = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "message_sent")).all()
        assert [entry.detail["sent_as"] for entry in audit] == ["question", "update",
                                                               "feedback"]


@pytest.mark.parametrize("kind", ["", "acknowledgement", "transfer", "anything"])
def test_a_reply_must_say_what_it_is_and_the_text_is_kept(seeded, kind):
    ref, _receipt, officer = acknowledged_case(seeded)
    response = post(officer, ref, "reply", kind=kind, text="Typed with care")
    assert response.status_code == 400
    page = text_of(response)
    assert "Typed with care" in page
    assert "Choose what the message is" in page or "Not a valid choice" in page
    assert state(seeded, ref)["messages"] == ["officer"]  # only the acknowledgement


def test_the_mailbox_shows_the_kind_sealed_with_the_message_not_the_column(seeded):
    ref, receipt, officer = acknowledged_case(seeded)
    assert post(officer, ref, "reply", kind="question", text="Where?").status_code == 302
    with seeded.app_context():
        question = db.session.scalars(select(Message).order_by(Message.id.desc())).first()
        question.kind = MessageKind.FEEDBACK  # a database writer relabels it
        db.session.commit()
    mailbox = mailbox_of(seeded, receipt)
    assert "A question for you" in mailbox
    assert "Feedback on your report" not in mailbox


def test_officer_messages_show_their_minute_and_reporter_messages_only_their_day(seeded):
    _ref, receipt, _officer = acknowledged_case(seeded)
    with seeded.app_context():
        messages = db.session.scalars(select(Message)).all()
        assert all(m.written_at is not None for m in messages if m.author == "officer")
    mailbox = mailbox_of(seeded, receipt)
    assert ":" in mailbox.split("Integrity officer", 2)[1].split("</p>", 1)[0]


def test_a_closed_case_is_reopened_with_a_reason_and_owes_feedback_again(seeded):
    ref, _receipt, officer = acknowledged_case(seeded)
    assert post(officer, ref, "reply", kind="feedback", text="Done.").status_code == 302
    assert post(officer, ref, "status", status="closed", outcome="not_substantiated",
                reason="Nothing found.").status_code == 302
    assert "Reopen the case" in text_of(case_page(officer, ref))

    refused = post(officer, ref, "reopen", reason="  ")
    assert refused.status_code == 400
    assert state(seeded, ref)["status"] == ReportStatus.CLOSED

    assert post(officer, ref, "reopen", reason="New documents arrived.").status_code == 302
    after = state(seeded, ref)
    assert after["status"] == ReportStatus.ASSESSMENT
    assert (after["closed_on"], after["outcome"], after["feedback_on"]) == (None, None, None)
    assert after["due_on"] == add_months(today(), 3)
    assert "case_reopened" in actions(seeded, ref)
    page = text_of(case_page(officer, ref))
    assert "Reopened (it had been closed as: Not substantiated)" in page
    assert "New documents arrived." in page  # the reason, decrypted for officers
    with seeded.app_context():
        report = db.session.scalar(select(Report).where(Report.ref == ref))
        event = report.events[-1]
        assert event.kind == CaseEventKind.REOPENED
        assert b"New documents" not in event.reason  # sealed

    again = post(officer, ref, "reopen", reason="Twice.")
    assert again.status_code == 400 and "Only a closed case" in text_of(again)


def test_reopened_feedback_is_due_from_the_day_of_reopening(seeded):
    ref, _receipt, officer = acknowledged_case(seeded)
    post(officer, ref, "reply", kind="feedback", text="Done.")
    post(officer, ref, "status", status="closed", outcome="referred", reason="Police.")
    with seeded.app_context():
        report = db.session.scalar(select(Report).where(Report.ref == ref))
        report.acknowledged_on = today() - timedelta(days=200)  # long ago
        db.session.commit()
    post(officer, ref, "reopen", reason="The police sent it back.")
    assert state(seeded, ref)["due_on"] == add_months(today(), 3)


@pytest.mark.parametrize(("language", "passed_on", "name"), [
    ("lt", "perduotas", "Biržų rajono savivaldybė"),
    ("nb", "sendt videre", "Biržai distriktskommune"),
])
def test_a_transfer_is_told_to_the_reporter_in_their_language(seeded, language, passed_on,
                                                            name):
    reporter = seeded.test_client()
    with send_report_in(reporter, language) as response:
        receipt = receipt_of(response)
    with seeded.app_context():
        ref = db.session.scalar(select(Report.ref).order_by(Report.id.desc()).limit(1))
    officer = signed_in(seeded, OFFICER1)
    assert post(officer, ref, "acknowledge").status_code == 302
    assert post(officer, ref, "transfer", institution="birzai",
                reason="Secret internal reason").status_code == 302
    with reporter.get(f"/mailbox/?lang={language}") as response:
        assert sign_in(reporter, receipt).status_code == 302
    with reporter.get(f"/mailbox/?lang={language}") as response:
        mailbox = text_of(response)
    notice = mailbox.split('message-kind-transfer', 1)[1].split("</li>", 1)[0]
    assert passed_on in notice and name in notice
    assert "Secret internal reason" not in mailbox
