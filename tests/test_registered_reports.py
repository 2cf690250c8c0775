"""Reports received another way (issue 16): an officer registers a call, a voicemail, a
meeting, a letter or an e-mail; the receipt is shown once on a hand-over sheet; the reporter
reads the minutes in the mailbox and approves them or asks for corrections; the officer
revises, each version kept; every step is in the case history and the audit log."""

import re
import secrets
from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import select

from app.extensions import db
from app.models import (
    AuditEntry,
    CaseEvent,
    CaseEventKind,
    MinutesState,
    MinutesVersion,
    Report,
    ReportChannel,
)
from app.services.accounts.users import find_user
from app.services.administration.institutions import find_institution
from app.services.casefile.deadlines import today
from app.services.casework.registration import MAX_DAYS_BACK
from app.services.insights.statistics import institution_statistics
from tests.helpers import count, csrf_token, send_report, sign_in, staff_csrf_token, text_of
from tests.test_casework import OFFICER1, columns_containing, post, signed_in
from tests.test_inbox_search import search

REGISTER = "/staff/i/utena/cases/register"
RECEIPT = re.compile(r'<p class="receipt"><strong>(\d{4}(?: \d{4}){6})</strong></p>')
BIRZAI_OFFICER = "officer1.birzai@demo.example.org"
TOKEN = re.compile(r'name="submission_token" type="hidden" value="([^"]+)"')


def register(client, *, channel: str = "telephone", days_ago: int = 3, record: str = "",
             csrf: bool = True, **fields):
    """Post the registration form; the answer is the hand-over page or the form again."""
    form = text_of(client.get(f"{REGISTER}?lang=en"))
    data = {"csrf_token": staff_csrf_token(client)} if csrf else {}
    data["submission_token"] = TOKEN.search(form).group(1)
    data.update(channel=channel, received_on=(today() - timedelta(days=days_ago)).isoformat(),
                language="en", category="bribery", identity_choice="anonymous",
                record=record or f"Minutes of the call. Marker {secrets.token_hex(6)}.")
    data.update(fields)
    return client.post(f"{REGISTER}?lang=en", data=data, content_type="multipart/form-data")


def registered(app) -> Report:
    with app.app_context():
        report = db.session.scalars(select(Report).order_by(Report.id.desc())).first()
        db.session.expunge(report)
        return report


def reports(app) -> int:
    return count(app, Report)


def receipt_on(response) -> str:
    found = RECEIPT.search(text_of(response))
    assert found, text_of(response)[:3000]
    return found.group(1)


def mailbox(reporter) -> str:
    return text_of(reporter.get("/mailbox/?lang=en"))


def answer(reporter, path: str, **fields):
    """Post one of the mailbox's minutes forms (their fields carry a prefix)."""
    prefix = {"approve": "approval", "correct": "correction"}[path]
    return reporter.post(f"/mailbox/minutes/{path}?lang=en", data={
        f"{prefix}-csrf_token": csrf_token(reporter),
        **{f"{prefix}-{name}": value for name, value in fields.items()}})


def audit_actions(app, ref: str) -> list[AuditEntry]:
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.report_ref == ref)
                                     .order_by(AuditEntry.id)).all()
        db.session.expunge_all()
        return entries


@pytest.fixture
def officer(seeded):
    return signed_in(seeded, OFFICER1)


def test_a_phone_report_is_a_case_from_the_day_received_with_a_receipt_shown_once(
        seeded, officer):
    marker = f"Marker {secrets.token_hex(8)}"
    answered = register(officer, days_ago=3, record=f"The caller said: {marker}.",
                        language="nb", urgent="y", when_where="Town hall, in March")

    receipt = receipt_on(answered)
    report = registered(seeded)
    page = text_of(answered)
    assert answered.status_code == 200
    assert answered.headers["Cache-Control"] == "no-store"
    assert report.channel == ReportChannel.TELEPHONE and report.urgent
    assert report.received_on == today() - timedelta(days=3)
    assert report.due_on == report.received_on + timedelta(days=7)  # the Directive's 7 days
    assert report.minutes_state == MinutesState.AWAITING
    assert '<article class="handover-sheet" lang="nb"' in page
    assert "/mailbox/" in page.split("handover-sheet", 1)[1]
    # Stored encrypted like any report, and the receipt nowhere in the database.
    assert columns_containing(seeded, marker) == set()
    assert columns_containing(seeded, receipt) == set()
    assert columns_containing(seeded, receipt.replace(" ", "")) == set()
    # The same receipt is not shown again: the case page has no receipt.
    case = text_of(officer.get(f"/staff/cases/{report.ref}?lang=en"))
    assert RECEIPT.search(case) is None and marker in case
    assert "Telephone" in case and "minutes not yet approved" in case
    assert ("Registered a report received by telephone; Paulius Kazlauskas took the call"
            in case)
    assert [entry.action for entry in audit_actions(seeded, report.ref)][:1] == [
        "report_registered"]
    # The receipt opens the reporter's mailbox, with the minutes to approve.
    reporter = seeded.test_client()
    assert sign_in(reporter, receipt).status_code == 302
    assert marker in mailbox(reporter) and "I approve these minutes" in mailbox(reporter)


def test_the_reporter_asks_for_a_correction_the_officer_revises_and_the_reporter_approves(
        seeded, officer):
    receipt = receipt_on(register(officer, record="He asked for 500 euros."))
    ref = registered(seeded).ref
    reporter = seeded.test_client()
    sign_in(reporter, receipt)

    asked = answer(reporter, "correct", version="1", text="It was 5 000 euros, not 500.")
    case = text_of(officer.get(f"/staff/cases/{ref}?lang=en"))
    revised = post(officer, ref, "minutes", text="He asked for 5 000 euros.",
                   change="Corrected the amount, as the reporter asked.")
    stale = answer(reporter, "approve", version="1")
    approved = answer(reporter, "approve", version="2")
    again = answer(reporter, "approve", version="2")

    assert asked.status_code == 302
    assert "The reporter asked for corrections" in case and "5 000 euros, not 500" in case
    assert revised.status_code == 302
    assert stale.status_code == 400
    assert "The minutes have been revised since you opened the page" in text_of(stale)
    assert approved.status_code == 302
    assert "These minutes have been approved already." in text_of(again)
    page = mailbox(reporter)
    assert "He asked for 5 000 euros." in page and "Corrected the amount" in page
    assert "You approved these minutes on" in page and "I approve these minutes" not in page
    assert "d.." not in text_of(reporter.get("/mailbox/?lang=lt"))  # "4 d." ends the date
    with seeded.app_context():
        report = db.session.scalar(select(Report).where(Report.ref == ref))
        versions = db.session.scalars(select(MinutesVersion).where(
            MinutesVersion.report_id == report.id).order_by(MinutesVersion.number)).all()
        assert [v.number for v in versions] == [1, 2]
        assert versions[0].correction_on == today() and versions[0].approved_on is None
        assert versions[1].approved_on == today() and versions[1].approved_by == "mailbox"
        assert report.minutes_state == MinutesState.APPROVED
        assert report.reporter_wrote_on == today()  # the inbox marks it for the officers
        kinds = [event.kind for event in db.session.scalars(select(CaseEvent).where(
            CaseEvent.report_id == report.id).order_by(CaseEvent.id))]
        assert kinds == [CaseEventKind.REGISTERED, CaseEventKind.MINUTES_CORRECTION,
                         CaseEventKind.MINUTES_REVISED, CaseEventKind.MINUTES_APPROVED]
    entries = [entry for entry in audit_actions(seeded, ref) if entry.action != "case_viewed"]
    assert [entry.action for entry in entries] == [
        "report_registered", "minutes_correction_requested", "minutes_revised",
        "minutes_approved"]
    # What the reporter did keeps only its day, in the log as in the history.
    by_reporter = [entry for entry in entries if entry.actor_id is None]
    assert len(by_reporter) == 2
    assert all((e.recorded_at.hour, e.recorded_at.minute, e.recorded_at.second) == (0, 0, 0)
               and e.detail["day_only"] for e in by_reporter)
    history = text_of(officer.get(f"/staff/cases/{ref}?lang=en"))
    assert "Approved version 2 of the minutes in the mailbox" in history
    assert "Minutes revised: version 2" in history


def test_a_signature_on_paper_is_recorded_by_the_officer(seeded, officer):
    receipt = receipt_on(register(officer, channel="meeting"))
    ref = registered(seeded).ref

    signed = post(officer, ref, "minutes/signed", version="1")

    reporter = seeded.test_client()
    sign_in(reporter, receipt)
    assert signed.status_code == 302
    assert registered(seeded).minutes_state == MinutesState.APPROVED
    assert "You approved these minutes by signing them on paper." in mailbox(reporter)
    assert "the reporter signed version 1 of the minutes on paper" in text_of(
        officer.get(f"/staff/cases/{ref}?lang=en"))


def test_a_letter_has_its_text_but_nothing_to_approve(seeded, officer):
    receipt = receipt_on(register(officer, channel="letter", record="Dear officers, ..."))
    reporter = seeded.test_client()
    sign_in(reporter, receipt)

    page = mailbox(reporter)

    assert registered(seeded).minutes_state is None
    assert "Your report as it was received" in page and "Dear officers, ..." in page
    assert "I approve these minutes" not in page
    refused = answer(reporter, "approve", version="1")
    assert refused.status_code == 400
    assert "This report has no minutes to approve." in text_of(refused)
    assert registered(seeded).minutes_state is None


@pytest.mark.parametrize(("fields", "message"), [
    ({"taken_by": "999999"}, "Choose the officer who received the report from the list."),
    ({"taken_by": "x"}, "Choose the officer who received the report from the list."),
    ({"channel": "web"}, "Choose how the report was received."),
    ({"channel": "pigeon"}, "Choose how the report was received."),
    ({"days_ago": -1}, "The day received must be today or within the past year."),
    ({"days_ago": MAX_DAYS_BACK + 1},
     "The day received must be today or within the past year."),
    ({"record": " "}, "Write the minutes, the transcript or the text received."),
    ({"identity_choice": "confidential", "name": ""},
     "Give the reporter's name, or register the report as anonymous."),
])
def test_a_wrong_entry_is_explained_and_stores_nothing(seeded, officer, fields, message):
    kept = "Kept text of the minutes"
    fields = dict(fields)  # the parameters are shared by both databases' runs
    record = fields.pop("record", kept)

    answered = register(officer, record=record, **fields)

    assert answered.status_code == 400
    assert str(escape(message)) in text_of(answered)
    assert reports(seeded) == 0
    if record == kept:
        assert kept in text_of(answered)  # what the officer typed is still there


def test_html_in_every_field_is_shown_as_text(seeded, officer):
    hostile = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    receipt = receipt_on(register(officer, record=hostile, when_where=hostile,
                                  people_involved=hostile, identity_choice="confidential",
                                  name=hostile, contact=hostile))
    ref = registered(seeded).ref
    reporter = seeded.test_client()
    sign_in(reporter, receipt)
    answer(reporter, "correct", version="1", text=hostile)
    post(officer, ref, "minutes", text=hostile, change=hostile)

    for page in (text_of(officer.get(f"/staff/cases/{ref}?lang=en")), mailbox(reporter)):
        assert "<script>alert(1)" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_without_a_valid_token_nothing_is_registered(seeded, officer):
    answered = register(officer, csrf=False)

    assert answered.status_code == 400
    assert reports(seeded) == 0


def test_only_the_institutions_officers_may_register(seeded):
    outsider = signed_in(seeded, BIRZAI_OFFICER)

    assert outsider.get(f"{REGISTER}?lang=en").status_code == 404
    assert outsider.post(f"{REGISTER}?lang=en", data={
        "csrf_token": staff_csrf_token(outsider), "channel": "telephone"}).status_code == 404


def test_sending_the_same_form_again_registers_nothing_twice(seeded, officer):
    form = text_of(officer.get(f"{REGISTER}?lang=en"))
    data = {"csrf_token": staff_csrf_token(officer), "channel": "telephone",
            "submission_token": TOKEN.search(form).group(1), "language": "en",
            "received_on": today().isoformat(), "category": "bribery",
            "identity_choice": "anonymous", "record": "Minutes of one call."}

    first = officer.post(f"{REGISTER}?lang=en", data=data)
    again = officer.post(f"{REGISTER}?lang=en", data=data)  # a reload of the sheet
    forged = officer.post(f"{REGISTER}?lang=en", data={**data, "submission_token": "x.y"})

    assert first.status_code == 200 and RECEIPT.search(text_of(first))
    assert again.status_code == 409 and RECEIPT.search(text_of(again)) is None
    assert "This report has been registered already." in text_of(again)
    assert forged.status_code == 400 and "Minutes of one call." in text_of(forged)
    assert reports(seeded) == 1


def test_the_search_finds_the_words_of_the_revised_minutes(seeded, officer):
    register(officer, record="First version without the word.")
    ref = registered(seeded).ref
    post(officer, ref, "minutes", text="Second version: the tender was rigged by Gintaras.",
         change="Added the name.")

    found = text_of(search(officer, "gintaras rigged"))

    assert ref in found


def test_the_inbox_marks_registered_reports_and_minutes_waiting(seeded, officer):
    register(officer, channel="voicemail")
    ref = registered(seeded).ref

    inbox = text_of(officer.get("/staff/i/utena/cases?lang=en"))
    row = inbox[inbox.index(ref):][:2000]

    assert "Voicemail" in row and "minutes not yet approved" in row
    assert "Register a report received another way" in inbox


# --- asking for a meeting or a call ------------------------------------------------------

def test_a_web_report_can_ask_for_a_meeting_shown_until_an_officer_handles_it(seeded,
                                                                            officer):
    reporter = seeded.test_client()
    with send_report(reporter, "utena", meeting_wanted="y",
                     meeting_request="Weekday mornings, away from the office.") as sent:
        assert sent.status_code == 200
    report = registered(seeded)

    inbox = text_of(officer.get("/staff/i/utena/cases?lang=en"))
    case = text_of(officer.get(f"/staff/cases/{report.ref}?lang=en"))
    handled = post(officer, report.ref, "meeting-handled")
    again = post(officer, report.ref, "meeting-handled")

    assert report.meeting_requested_on == today()
    assert "meeting or call requested" in inbox[inbox.index(report.ref):][:2000]
    assert "The reporter asked for a meeting or a call on" in case
    assert "Weekday mornings, away from the office." in case
    assert columns_containing(seeded, "Weekday mornings") == set()
    assert handled.status_code == 302 and registered(seeded).meeting_requested_on is None
    assert again.status_code == 400
    assert "No request for a meeting or a call is waiting." in text_of(again)
    assert "The request for a meeting or a call was handled" in text_of(
        officer.get(f"/staff/cases/{report.ref}?lang=en"))
    assert "meeting_request_handled" in [e.action for e in audit_actions(seeded, report.ref)]


def test_the_mailbox_asks_for_a_meeting_without_any_contact_detail(seeded, officer):
    receipt = receipt_on(register(officer, channel="letter"))
    reporter = seeded.test_client()
    sign_in(reporter, receipt)

    asked = reporter.post("/mailbox/meeting?lang=en", data={
        "meeting-csrf_token": csrf_token(reporter), "meeting-text": "A call after 17:00, please."})
    page = mailbox(reporter)
    report = registered(seeded)
    case = text_of(officer.get(f"/staff/cases/{report.ref}?lang=en"))

    assert asked.status_code == 302
    assert report.meeting_requested_on == today() and report.reporter_wrote_on == today()
    assert "You asked for a meeting or a call on" in page
    assert "A call after 17:00, please." in page and "Ask for a meeting or a call" not in page
    assert "Asks for a meeting or a call" in case and "A call after 17:00, please." in case
    assert columns_containing(seeded, "after 17:00") == set()


def test_a_meeting_request_without_a_session_keeps_the_text_for_after_sign_in(seeded):
    client = seeded.test_client()
    client.get("/mailbox/?lang=en")

    answered = client.post("/mailbox/meeting?lang=en", data={
        "meeting-csrf_token": csrf_token(client), "meeting-text": "Kept: a call on Friday."})

    assert answered.status_code == 401
    assert "Kept: a call on Friday." in text_of(answered)


def test_statistics_count_reports_by_how_they_were_received(seeded, officer):
    register(officer, channel="telephone")
    register(officer, channel="letter")
    with send_report(seeded.test_client(), "utena") as sent:
        assert sent.status_code == 200

    with seeded.app_context():
        stats = institution_statistics(find_institution("utena"))
        by_channel = {str(channel): count.value for channel, count in stats.by_channel}
    page = text_of(officer.get("/staff/i/utena/statistics?lang=en"))

    assert by_channel["web"] == by_channel["telephone"] == by_channel["letter"] == 1
    assert by_channel["meeting"] == 0
    assert "Reports by how they were received" in page
    assert re.search(r"<th scope=\"row\">Telephone</th><td>1</td>", page)


def test_the_officer_who_took_the_call_may_be_another_than_who_registers_it(seeded,
                                                                         officer):
    with seeded.app_context():
        colleague = find_user("officer2.utena@demo.example.org").id

    register(officer, taken_by=str(colleague))

    case = text_of(officer.get(f"/staff/cases/{registered(seeded).ref}?lang=en"))
    assert ("Registered a report received by telephone; Eglė Jankauskaitė took the call"
            in case)
