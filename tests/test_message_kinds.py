"""Deadlines mean what the law means: only a message sent as feedback (Directive Art.
9(1)(f)) meets the feedback deadline; a closed case can be reopened; a transfer is told
to the reporter in their language."""

import re
from datetime import timedelta

import pytest
from babel.dates import format_date
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import (
    AuditEntry,
    CaseEventKind,
    Institution,
    Message,
    MessageKind,
    Report,
    ReportStatus,
)
from app.services.casefile.deadlines import (
    acknowledgement_due,
    add_months,
    feedback_due,
    today,
)
from app.services.insights.statistics import institution_statistics
from app.staff.case_forms import ReplyForm
from config import TestConfig
from tests.helpers import (
    catalogue_translation,
    receipt_of,
    send_report_in,
    sign_in,
    staff_csrf_token,
    text_of,
)
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


def next_deadline(page: str) -> str:
    """What the case page says under "Next deadline"."""
    return re.search(r"Next deadline</dt><dd>(.*?)</dd>", page).group(1)


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
    assert next_deadline(page).startswith(format_date(due, "long", locale="en"))
    assert feedback_figures(seeded) is None  # a question is not counted as feedback

    assert post(officer, ref, "reply", kind="update",
                text="We are collecting the documents.").status_code == 302
    assert state(seeded, ref)["due_on"] == due

    assert post(officer, ref, "reply", kind="feedback",
                text="We audited the tender and referred it to the police.").status_code == 302
    assert (state(seeded, ref)["feedback_on"], state(seeded, ref)["due_on"]) == (today(), None)
    assert next_deadline(text_of(case_page(officer, ref))) == "—"
    assert feedback_figures(seeded) == 0  # feedback today, 0 days after receipt

    mailbox = mailbox_of(seeded, receipt)
    assert "A question for you" in mailbox and "An update" in mailbox
    assert "Feedback on your report: what is done and why" in mailbox
    with seeded.app_context():
        audit = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "message_sent")).all()
        assert [entry.detail["sent_as"] for entry in audit] == ["question", "update",
                                                               "feedback"]


@pytest.mark.parametrize("kind", [None, "", "acknowledgement", "transfer", "anything"])
def test_the_reply_form_refuses_any_other_kind_with_our_translated_message(kind):
    app = create_app(TestConfig)
    data = {"text": "Typed with care"} | ({} if kind is None else {"kind": kind})
    with app.test_request_context(method="POST", data=data,
                                  headers={"Accept-Language": "lt"}):
        form = ReplyForm(meta={"csrf": False})
        assert not form.validate()
        assert [str(error) for error in form.kind.errors] == [catalogue_translation(
            "Choose what the message is: a question, an update or the feedback.", "lt")]


def test_a_reply_without_a_kind_keeps_the_text_and_sends_nothing(seeded):
    ref, _receipt, officer = acknowledged_case(seeded)
    response = officer.post(f"/staff/cases/{ref}/reply?lang=en",
                            data={"csrf_token": staff_csrf_token(officer),
                                  "text": "Typed with care"},
                            content_type="multipart/form-data")
    assert response.status_code == 400
    page = text_of(response)
    assert "Typed with care" in page and "Choose what the message is" in page
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


def test_a_closed_case_is_reopened_with_a_reason_and_owes_feedback_again(seeded):
    ref, _receipt, officer = acknowledged_case(seeded)
    assert post(officer, ref, "reply", kind="feedback", text="Done.").status_code == 302
    assert "Reopen the case" not in text_of(case_page(officer, ref))  # closed cases only
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
    assert next_deadline(page).startswith(format_date(add_months(today(), 3), "long",
                                                      locale="en"))
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


def test_a_transfer_before_acknowledgement_tells_both_deadlines_of_the_new_institution(
        seeded):
    ref, receipt = new_report(seeded)
    with seeded.app_context():
        birzai = db.session.scalar(select(Institution).where(Institution.slug == "birzai"))
        birzai.acknowledgement_days, birzai.feedback_months = 5, 2  # stricter national rules
        db.session.commit()
    officer = signed_in(seeded, OFFICER1)
    assert post(officer, ref, "transfer", institution="birzai",
                reason="Wrong municipality").status_code == 302
    with seeded.app_context():
        report = db.session.scalar(select(Report).where(Report.ref == ref))
        acknowledge_by, feedback_by = acknowledgement_due(report), feedback_due(report)
    assert acknowledge_by == report.received_on + timedelta(days=5)
    assert feedback_by == add_months(acknowledge_by, 2)
    notice = mailbox_of(seeded, receipt).split("message-kind-transfer", 1)[1]
    notice = notice.split("</li>", 1)[0]
    assert f"acknowledged by {format_date(acknowledge_by, 'long', locale='en')}" in notice
    assert f"by {format_date(feedback_by, 'long', locale='en')} at the latest" in notice
    assert "Wrong municipality" not in notice


def test_a_transfer_of_a_closed_case_promises_no_date(seeded):
    ref, receipt, officer = acknowledged_case(seeded)
    post(officer, ref, "status", status="closed", outcome="outside_scope", reason="Not ours.")
    assert post(officer, ref, "transfer", institution="birzai",
                reason="Theirs after all").status_code == 302
    notice = mailbox_of(seeded, receipt).split("message-kind-transfer", 1)[1]
    notice = notice.split("</li>", 1)[0]
    assert "passed on to" in notice and "at the latest" not in notice


def test_statistics_count_a_question_past_the_deadline_as_feedback_not_given(seeded):
    ref, _receipt, officer = acknowledged_case(seeded)
    with seeded.app_context():
        report = db.session.scalar(select(Report).where(Report.ref == ref))
        report.received_on = report.acknowledged_on = today() - timedelta(days=200)
        db.session.commit()
    assert post(officer, ref, "reply", kind="question", text="Which year?").status_code == 302
    with seeded.test_request_context("/?lang=en"):
        report = db.session.scalar(select(Report).where(Report.ref == ref))
        figures = institution_statistics(report.institution)
    assert figures.median_days_to_feedback is None
    assert figures.share_feedback_in_time == 0.0  # measured, and not in time
