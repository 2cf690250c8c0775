"""Case work: what officers do with a report, from acknowledgement to closing, and who can
open a case at each step (DESIGN.md, "Case lifecycle" and "Security model").

Officers act over HTTP as they do in a browser; the outcome is then checked where it
lives: in the database, in the reporter's mailbox and in the audit log.
"""

import io
import json
import re
import secrets
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from babel.dates import format_date
from babel.messages.pofile import read_po
from markupsafe import escape
from PIL import Image
from sqlalchemy import MetaData, select
from werkzeug.http import parse_options_header

from app.crypto.envelope import DecryptionError
from app.extensions import db
from app.models import (
    Attachment,
    AuditEntry,
    Author,
    Institution,
    MessageKind,
    Outcome,
    Report,
    ReportStatus,
    Role,
    SealedKey,
    User,
)
from app.services import ServiceError
from app.services.accounts.users import create_user, find_user
from app.services.administration.institutions import find_institution
from app.services.casefile.attachments import Upload
from app.services.casefile.content import read_content, read_conversation
from app.services.casefile.deadlines import (
    acknowledgement_due,
    add_months,
    feedback_due,
    refresh_deadline,
    today,
)
from app.services.casefile.sealing import recovery_data_key
from app.services.casework.commands import (
    MAX_TEXT,
    NEXT_STATUSES,
    acknowledge,
    assign,
    change_status,
    colleagues_without_access,
    grant,
    reclassify,
    send_officer_message,
    transfer,
    triage,
)
from app.services.casework.opened_case import open_case, readers
from app.services.demo.network import DEMO_PASSWORD, demo_recovery_code
from app.services.reporting.intake import ReportEntry, submit_report
from tests.helpers import (
    TRANSLATIONS,
    mailbox_form,
    officer_private_key,
    receipt_of,
    send_report,
    send_report_in,
    sign_in,
    staff_csrf_token,
    staff_sign_in,
    text_of,
)

OFFICER1 = "officer1.utena@demo.example.org"
OFFICER2 = "officer2.utena@demo.example.org"
ADMIN = "admin.utena@demo.example.org"
BIRZAI1 = "officer1.birzai@demo.example.org"
BIRZAI2 = "officer2.birzai@demo.example.org"
NEWCOMER = "officer3.utena@demo.example.org"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
HOSTILE = f"{SCRIPT} {IMG}"


# --- arranging -------------------------------------------------------------------------

def signed_in(app, email: str):
    """A browser of a staff member, signed in through the pages, reading English."""
    client = app.test_client()
    staff_sign_in(client, app, email)
    client.get("/staff/overview?lang=en")  # remembered for the rest of the visit
    return client


def newest_ref(app) -> str:
    """The reference of the report stored last."""
    with app.app_context():
        return db.session.scalar(select(Report.ref).order_by(Report.id.desc()).limit(1))


def new_report(app, reporter=None, slug: str = "utena", files=(), **answers) -> tuple[str, str]:
    """A report sent through the public form; returns its case reference and receipt."""
    response = send_report(reporter or app.test_client(), slug, files=files, **answers)
    assert response.status_code == 200, text_of(response)
    return newest_ref(app), receipt_of(response)


def stored_report(app, slug: str = "utena", excluded: tuple[str, ...] = (),
                  files: tuple[tuple[str, bytes], ...] = (), **entry) -> str:
    """A report stored through the intake service (cheaper than the form, and exactly the
    file names given); returns its case reference."""
    with app.test_request_context("/?lang=en"):
        institution = find_institution(slug)
        submit_report(institution, ReportEntry(**{
            "category": institution.categories[0],
            "what_happened": "The head of permits takes cash for faster decisions.",
            "excluded_officers": tuple(find_user(email).id for email in excluded),
            **entry}), [Upload(name, data) for name, data in files],
            secrets.token_urlsafe(16))
    return newest_ref(app)


def add_officer(app, email: str = NEWCOMER, slug: str = "utena") -> int:
    """A new officer of the institution (who therefore holds no key to older reports)."""
    with app.app_context():
        user = create_user(email, "Integrity officer 3 (new)", DEMO_PASSWORD,
                           role_in=(find_institution(slug), Role.OFFICER))
        return user.id


def user_id(app, email: str) -> int:
    with app.app_context():
        return find_user(email).id


def post(client, ref: str, action: str, files=(), csrf: bool = True, **fields):
    """Submit one of the case page's forms."""
    data = {"csrf_token": staff_csrf_token(client)} if csrf else {}
    data.update(fields)
    if action == "reply":
        data.setdefault("kind", "feedback")
        data["attachments"] = [(io.BytesIO(content), name) for name, content in files]
        return client.post(f"/staff/cases/{ref}/{action}", data=data,
                           content_type="multipart/form-data")
    return client.post(f"/staff/cases/{ref}/{action}", data=data)


def case_page(client, ref: str):
    return client.get(f"/staff/cases/{ref}")


@contextmanager
def opened(app, ref: str, email: str = OFFICER1):
    """The case opened by an officer with their own key, for calling services directly."""
    with app.test_request_context("/?lang=en"):
        user, private_key = officer_private_key(email)
        report = db.session.scalar(select(Report).where(Report.ref == ref))
        access = open_case(report, user, private_key, record=False)
        assert access is not None, f"{email} holds no key for the case"
        yield access


def reporter_writes(reporter, text: str):
    """The reporter, signed in to the mailbox, answers the officers."""
    return reporter.post("/mailbox/message?lang=en",
                         data={**mailbox_form(reporter), "text": text,
                               "attachments": []},
                         content_type="multipart/form-data")


# --- observing -------------------------------------------------------------------------

def state(app, ref: str) -> dict:
    """What the database holds about a case, in plain terms."""
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.ref == ref))
        return {
            "institution": report.institution.slug,
            "status": report.status,
            "outcome": report.outcome,
            "category": report.category,
            "assignee": report.assignee.email if report.assignee else None,
            "likelihood": report.likelihood,
            "impact": report.impact,
            "received_on": report.received_on,
            "acknowledged_on": report.acknowledged_on,
            "feedback_on": report.feedback_on,
            "closed_on": report.closed_on,
            "due_on": report.due_on,
            "notes": len(report.notes),
            "messages": [message.author for message in report.messages],
            "events": [(event.kind, event.change) for event in report.events],
            "readers": sorted(user.email for user in readers(report)),
        }


def audit_trail(app, ref: str) -> list[dict]:
    """The audit entries of one case, oldest first."""
    with app.app_context():
        return [{"action": entry.action,
                 "actor": db.session.get(User, entry.actor_id).email if entry.actor_id
                 else None,
                 "institution": db.session.get(Institution, entry.institution_id).slug,
                 "detail": entry.detail}
                for entry in db.session.scalars(select(AuditEntry).where(
                    AuditEntry.report_ref == ref).order_by(AuditEntry.id))]


def actions(app, ref: str) -> list[str]:
    return [entry["action"] for entry in audit_trail(app, ref)]


def columns_containing(app, needle: str) -> set[str]:
    """Every table.column of the database (as reflected, not as modelled) holding the text,
    whether stored as text, JSON or bytes."""
    raw = needle.encode("utf-8")
    found = set()
    with app.app_context():
        metadata = MetaData()
        metadata.reflect(bind=db.engine)
        for table in metadata.sorted_tables:
            for row in db.session.execute(select(table)):
                for column, value in row._asdict().items():
                    if isinstance(value, memoryview):
                        value = value.tobytes()
                    if not isinstance(value, bytes):
                        value = json.dumps(value, default=str, ensure_ascii=False).encode()
                    if raw in value:
                        found.add(f"{table.name}.{column}")
    return found


def translation_of(message: str, language: str) -> str:
    """A message's translation in a language's catalogue ("" when it has none yet)."""
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        found = read_po(handle).get(message)
    return found.string if found is not None else ""


READERS_OF_UTENA = sorted([OFFICER1, OFFICER2])
READERS_OF_BIRZAI = sorted([BIRZAI1, BIRZAI2])


# --- the lifecycle -----------------------------------------------------------------------

def test_case_runs_from_acknowledgement_to_closing_with_the_reporter_in_the_loop(seeded):
    reporter = seeded.test_client()
    receipt = receipt_of(send_report_in(reporter, "nb",
                                        what_happened="Rådmannen tok imot kontanter."))
    ref = newest_ref(seeded)
    officer = signed_in(seeded, OFFICER1)

    first_look = case_page(officer, ref)
    assert first_look.status_code == 200
    assert "Rådmannen tok imot kontanter." in text_of(first_look)
    assert state(seeded, ref)["due_on"] == today() + timedelta(days=7)

    assert post(officer, ref, "acknowledge").status_code == 302
    acknowledged = state(seeded, ref)
    assert acknowledged["status"] == ReportStatus.ACKNOWLEDGED
    assert acknowledged["acknowledged_on"] == today()
    assert acknowledged["due_on"] == add_months(today(), 3)
    assert acknowledged["messages"] == [Author.OFFICER]

    assert sign_in(reporter, receipt).status_code == 302  # the mailbox itself in English
    mailbox = text_of(reporter.get("/mailbox/"))
    assert mailbox.count("message message-officer") == 1
    assert format_date(add_months(today(), 3), "long", locale="nb") in mailbox

    question = "Hvem var til stede da pengene ble overlevert?"
    assert post(officer, ref, "reply", text=question).status_code == 302
    assert question in text_of(reporter.get("/mailbox/"))
    replied = state(seeded, ref)
    assert (replied["feedback_on"], replied["due_on"]) == (today(), None)

    answer = "Kommunesekretæren og en konsulent fra Vilnius."
    assert reporter_writes(reporter, answer).status_code == 302
    assert answer in text_of(case_page(officer, ref))

    steps = [("assessment", "", "The account is specific enough to assess."),
             ("investigation", "", "Payments match the permit dates."),
             ("closed", "substantiated", "Handed to the police with the evidence.")]
    for status, outcome, reason in steps:
        response = post(officer, ref, "status", status=status, outcome=outcome, reason=reason)
        assert response.status_code == 302, text_of(response)

    closed = state(seeded, ref)
    assert closed["status"] == ReportStatus.CLOSED
    assert closed["outcome"] == Outcome.SUBSTANTIATED
    assert (closed["closed_on"], closed["due_on"]) == (today(), None)
    assert closed["messages"] == [Author.OFFICER, Author.OFFICER, Author.REPORTER]
    assert [change for _kind, change in closed["events"]] == [
        {"old": "new", "new": "acknowledged"},
        {"old": "acknowledged", "new": "assessment"},
        {"old": "assessment", "new": "investigation"},
        {"old": "investigation", "new": "closed", "outcome": "substantiated"}]
    page = text_of(case_page(officer, ref))
    for _status, _outcome, reason in steps:
        assert reason in page
    trail = audit_trail(seeded, ref)
    assert {entry["actor"] for entry in trail} == {OFFICER1}
    assert {entry["institution"] for entry in trail} == {"utena"}
    assert [entry["action"] for entry in trail if entry["action"] != "case_viewed"] == [
        "status_changed", "message_sent", "status_changed", "status_changed",
        "status_changed"]
    assert [entry["detail"] for entry in trail if entry["action"] == "status_changed"][-1] == {
        "old": "investigation", "new": "closed", "outcome": "substantiated"}
    assert actions(seeded, ref).count("case_viewed") == 3  # each GET of the case page


def test_report_remembers_the_language_it_was_written_in(seeded):
    send_report_in(seeded.test_client(), "nb")
    with opened(seeded, newest_ref(seeded)) as access:
        content, _identity = read_content(access.report, access.data_key)
    assert content["language"] == "nb"


@pytest.mark.parametrize("language", ["lt", "en", "nb"])
def test_acknowledgement_reaches_the_reporter_in_the_language_they_wrote_in(seeded, language):
    reporter = seeded.test_client()
    receipt = receipt_of(send_report_in(reporter, language))
    ref = newest_ref(seeded)
    officer = signed_in(seeded, OFFICER1)

    assert post(officer, ref, "acknowledge").status_code == 302

    with opened(seeded, ref) as access:
        (message,) = read_conversation(access.report, access.data_key)
        institution_name = access.report.institution.name(language)
    assert message.author == Author.OFFICER
    assert format_date(add_months(today(), 3), "long", locale=language) in message.text
    assert institution_name in message.text
    english = ("Thank you. Your report has been received and registered by %(institution)s. "
               "An integrity officer will assess it and tell you here, by %(date)s at the "
               "latest, what is being done. You can add information or answer questions "
               "here at any time.")
    translated = english if language == "en" else translation_of(english, language)
    if translated:  # a missing translation is the translation test's finding, not ours
        assert message.text.startswith(translated.split("%(")[0])
    sign_in(reporter, receipt)
    assert str(escape(message.text)) in text_of(reporter.get("/mailbox/"))


def test_the_lifecycle_only_runs_forward(seeded):
    ref = stored_report(seeded)
    with opened(seeded, ref) as access:
        for old in ReportStatus:
            for new in ReportStatus:
                if new in NEXT_STATUSES[old]:
                    continue
                access.report.status = old
                with pytest.raises(ServiceError, match="cannot move"):
                    change_status(access, new, "A reason.", Outcome.REFERRED)
                assert access.report.status == old
        db.session.rollback()
    assert state(seeded, ref)["status"] == ReportStatus.NEW
    assert state(seeded, ref)["events"] == []
    assert "status_changed" not in actions(seeded, ref)


def test_status_form_refuses_steps_the_lifecycle_forbids(seeded):
    ref = stored_report(seeded)
    officer = signed_in(seeded, OFFICER1)

    skipping = post(officer, ref, "status", status="assessment", reason="Skip ahead.")
    assert skipping.status_code == 400
    assert state(seeded, ref)["status"] == ReportStatus.NEW

    assert post(officer, ref, "acknowledge").status_code == 302
    assert post(officer, ref, "status", status="investigation",
                reason="Straight to investigation.").status_code == 302
    for backwards in ("assessment", "acknowledged", "new"):
        response = post(officer, ref, "status", status=backwards, reason="Go back.")
        assert response.status_code == 400
        assert state(seeded, ref)["status"] == ReportStatus.INVESTIGATION

    assert post(officer, ref, "status", status="closed", outcome="referred",
                reason="Referred to the STT.").status_code == 302
    reopening = post(officer, ref, "status", status="investigation", reason="Reopen.")
    assert reopening.status_code == 400
    final = state(seeded, ref)
    assert (final["status"], final["outcome"]) == (ReportStatus.CLOSED, Outcome.REFERRED)
    assert [change["new"] for _kind, change in final["events"]] == [
        "acknowledged", "investigation", "closed"]


def test_acknowledging_twice_explains_why_and_changes_nothing(seeded):
    ref = stored_report(seeded)
    officer, colleague = signed_in(seeded, OFFICER1), signed_in(seeded, OFFICER2)
    assert post(officer, ref, "acknowledge").status_code == 302
    acknowledged = state(seeded, ref)

    again = post(colleague, ref, "acknowledge")  # e.g. both had the page open

    assert again.status_code == 400
    assert "This report has been acknowledged already." in text_of(again)
    assert state(seeded, ref) == acknowledged
    assert acknowledged["messages"] == [Author.OFFICER]


def test_closing_without_an_outcome_is_refused_and_keeps_the_reason(seeded):
    ref = stored_report(seeded)
    officer = signed_in(seeded, OFFICER1)
    post(officer, ref, "acknowledge")

    response = post(officer, ref, "status", status="closed", outcome="",
                    reason="Nothing more can be found out.")

    assert response.status_code == 400
    page = text_of(response)
    assert "Choose the outcome of the case." in page
    assert "Nothing more can be found out." in page
    after = state(seeded, ref)
    assert (after["status"], after["outcome"], after["closed_on"]) == (
        ReportStatus.ACKNOWLEDGED, None, None)


@pytest.mark.parametrize("reason", ["", "   \n  "])
def test_status_change_without_a_reason_is_refused(seeded, reason):
    ref = stored_report(seeded)
    officer = signed_in(seeded, OFFICER1)
    post(officer, ref, "acknowledge")

    response = post(officer, ref, "status", status="assessment", reason=reason)

    assert response.status_code == 400
    assert "Give the reason for the change." in text_of(response)
    assert state(seeded, ref)["status"] == ReportStatus.ACKNOWLEDGED
    with opened(seeded, ref) as access, pytest.raises(ServiceError, match="reason"):
        change_status(access, ReportStatus.ASSESSMENT, reason)


# --- deadlines ---------------------------------------------------------------------------

def test_feedback_date_is_set_by_the_first_message_sent_as_feedback_only(seeded):
    ref = stored_report(seeded)
    with opened(seeded, ref) as access:
        report = access.report

        send_officer_message(access, "Before acknowledging: which office?",
                             MessageKind.QUESTION)
        assert report.feedback_on is None
        assert report.due_on == today() + timedelta(days=7)

        acknowledge(access)  # a message too, but not the feedback
        assert report.feedback_on is None
        assert report.due_on == add_months(today(), 3)

        for kind in (MessageKind.QUESTION, MessageKind.UPDATE):
            send_officer_message(access, "Which tender? We have started.", kind)
            assert (report.feedback_on, report.due_on) == (None, add_months(today(), 3))

        send_officer_message(access, "We audited the tender and referred it.",
                             MessageKind.FEEDBACK)
        assert (report.feedback_on, report.due_on) == (today(), None)

        earlier = today() - timedelta(days=30)
        report.feedback_on = earlier
        db.session.commit()
        send_officer_message(access, "More feedback.", MessageKind.FEEDBACK)
        assert report.feedback_on == earlier
    assert state(seeded, ref)["feedback_on"] == earlier


def test_next_deadline_follows_the_institutions_own_periods(seeded):
    with seeded.app_context():
        utena = find_institution("utena")
        utena.acknowledgement_days, utena.feedback_months = 2, 1
        db.session.commit()
    ref = stored_report(seeded)
    assert state(seeded, ref)["due_on"] == today() + timedelta(days=2)

    with opened(seeded, ref) as access:
        acknowledge(access)
    assert state(seeded, ref)["due_on"] == add_months(today(), 1)

    with opened(seeded, ref) as access:
        change_status(access, ReportStatus.CLOSED, "Outside our remit.",
                               Outcome.OUTSIDE_SCOPE)
    closed = state(seeded, ref)
    assert (closed["closed_on"], closed["due_on"], closed["feedback_on"]) == (
        today(), None, None)


@pytest.mark.parametrize(("start", "months", "expected"), [
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2023, 1, 31), 1, date(2023, 2, 28)),
    (date(2024, 3, 31), 1, date(2024, 4, 30)),
    (date(2024, 11, 30), 3, date(2025, 2, 28)),
    (date(2024, 10, 31), 4, date(2025, 2, 28)),
    (date(2024, 12, 15), 1, date(2025, 1, 15)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2024, 5, 31), 12, date(2025, 5, 31)),
    (date(2024, 1, 15), 0, date(2024, 1, 15)),
])
def test_months_are_counted_as_calendar_months_ending_on_the_last_day(start, months,
                                                                      expected):
    assert add_months(start, months) == expected


def unsaved_report(received: date, acknowledged: date | None = None, *, ack_days: int = 7,
                   feedback_months: int = 3) -> Report:
    return Report(received_on=received, acknowledged_on=acknowledged,
                  institution=Institution(acknowledgement_days=ack_days,
                                          feedback_months=feedback_months))


def test_feedback_is_due_months_after_the_acknowledgement():
    report = unsaved_report(date(2024, 1, 24), acknowledged=date(2024, 1, 26))
    assert acknowledgement_due(report) == date(2024, 1, 31)
    assert feedback_due(report) == date(2024, 4, 26)


def test_feedback_without_acknowledgement_counts_from_the_end_of_its_period():
    report = unsaved_report(date(2024, 1, 24))
    assert feedback_due(report) == date(2024, 4, 30)  # 31 January + 3 months, clamped
    stricter = unsaved_report(date(2024, 1, 24), ack_days=3, feedback_months=1)
    assert feedback_due(stricter) == date(2024, 2, 27)


def test_refresh_deadline_names_the_deadline_the_case_works_towards():
    report = unsaved_report(date(2024, 1, 24))
    refresh_deadline(report)
    assert report.due_on == date(2024, 1, 31)
    report.acknowledged_on = date(2024, 1, 25)
    refresh_deadline(report)
    assert report.due_on == date(2024, 4, 25)
    report.feedback_on = date(2024, 3, 1)
    refresh_deadline(report)
    assert report.due_on is None
    report.feedback_on, report.closed_on = None, date(2024, 3, 2)
    refresh_deadline(report)
    assert report.due_on is None


# --- other steps -------------------------------------------------------------------------

def test_triage_category_and_assignment_are_recorded(seeded):
    ref = stored_report(seeded)
    officer = signed_in(seeded, OFFICER1)
    officer2 = user_id(seeded, OFFICER2)

    assert post(officer, ref, "triage", likelihood="4", impact="5").status_code == 302
    assert post(officer, ref, "category", category="conflict_of_interest").status_code == 302
    assert post(officer, ref, "assign", assignee=str(officer2)).status_code == 302

    after = state(seeded, ref)
    assert (after["likelihood"], after["impact"]) == (4, 5)
    assert after["category"] == "conflict_of_interest"
    assert after["assignee"] == OFFICER2
    assert [kind for kind, _change in after["events"]] == ["triaged", "reclassified",
                                                           "assigned"]
    assert actions(seeded, ref) == ["triaged", "reclassified", "assigned"]
    page = text_of(case_page(officer, ref))
    assert "likelihood 4 × impact 5 = 20" in page
    assert "Conflict of interest" in page

    assert post(officer, ref, "assign", assignee="").status_code == 302
    assert state(seeded, ref)["assignee"] is None


def test_invalid_rating_category_or_assignee_is_refused_and_changes_nothing(seeded):
    ref = stored_report(seeded)
    newcomer = add_officer(seeded)
    officer = signed_in(seeded, OFFICER1)
    before = state(seeded, ref)

    attempts = [("triage", {"likelihood": "9", "impact": "1"}),
                ("triage", {"likelihood": "two", "impact": "1"}),
                ("category", {"category": "witchcraft"}),
                ("assign", {"assignee": str(user_id(seeded, BIRZAI1))}),
                ("assign", {"assignee": str(newcomer)}),  # holds no key
                ("assign", {"assignee": "abc"})]
    for action, fields in attempts:
        assert post(officer, ref, action, **fields).status_code == 400, (action, fields)

    assert state(seeded, ref) == before
    with opened(seeded, ref) as access:
        with pytest.raises(ServiceError):
            assign(access, find_user(NEWCOMER))
        with pytest.raises(ServiceError):
            triage(access, 0, 6)
        with pytest.raises(ServiceError):
            reclassify(access, "witchcraft")


def test_notes_reasons_and_messages_are_stored_only_as_ciphertext(seeded):
    ref = stored_report(seeded)
    officer = signed_in(seeded, OFFICER1)
    colleague = signed_in(seeded, OFFICER2)
    marker = f"Marker{secrets.token_hex(6)}"
    written = {field: f"{marker}-{field} the deputy took an envelope" for field in
               ("note", "reply", "status", "recuse", "transfer")}

    post(officer, ref, "acknowledge")
    assert post(officer, ref, "note", text=written["note"]).status_code == 302
    assert post(officer, ref, "reply", text=written["reply"]).status_code == 302
    assert post(officer, ref, "status", status="assessment",
                reason=written["status"]).status_code == 302
    assert post(colleague, ref, "recuse", reason=written["recuse"]).status_code == 302
    assert post(officer, ref, "transfer", institution="birzai", reason=written["transfer"],
                keep_access="y").status_code == 302

    assert columns_containing(seeded, marker) == set()
    assert "report.ref" in columns_containing(seeded, ref)  # the search does find things
    page = text_of(case_page(officer, ref))  # kept access: the officer reads it all
    for text in written.values():
        assert text in page


def test_internal_note_is_shown_to_officers_and_never_to_the_reporter(seeded):
    reporter = seeded.test_client()
    ref, receipt = new_report(seeded, reporter)
    officer = signed_in(seeded, OFFICER1)

    assert post(officer, ref, "note", text="Check the permit register first.").status_code == 302

    assert "Check the permit register first." in text_of(case_page(officer, ref))
    sign_in(reporter, receipt)
    assert "Check the permit register first." not in text_of(reporter.get("/mailbox/"))
    assert actions(seeded, ref).count("note_added") == 1


# --- who holds a key ---------------------------------------------------------------------

def test_new_officer_opens_an_older_case_only_after_a_colleague_grants_access(seeded):
    ref, _receipt = new_report(seeded, what_happened="Procurement of snow clearing was rigged.")
    newcomer_id = add_officer(seeded)
    newcomer = signed_in(seeded, NEWCOMER)

    locked = case_page(newcomer, ref)
    assert locked.status_code == 403
    assert "No access to this case" in text_of(locked)
    assert "snow clearing" not in text_of(locked)

    officer = signed_in(seeded, OFFICER1)
    assert post(officer, ref, "grant", colleague=str(newcomer_id)).status_code == 302

    unlocked = case_page(newcomer, ref)
    assert unlocked.status_code == 200
    assert "Procurement of snow clearing was rigged." in text_of(unlocked)
    assert state(seeded, ref)["readers"] == sorted([*READERS_OF_UTENA, NEWCOMER])
    granted = [e for e in audit_trail(seeded, ref) if e["action"] == "access_granted"]
    assert granted == [{"action": "access_granted", "actor": OFFICER1,
                        "institution": "utena", "detail": {"user": newcomer_id}}]
    assert ("granted", {"officer": newcomer_id}) in state(seeded, ref)["events"]


def test_access_is_granted_only_to_officers_of_the_institution_who_hold_no_key(seeded):
    ref = stored_report(seeded)
    officer = signed_in(seeded, OFFICER1)
    refused = {OFFICER2: "already holds a key", ADMIN: "not an officer",
               BIRZAI1: "officer of another institution"}

    for email, why in refused.items():
        response = post(officer, ref, "grant", colleague=str(user_id(seeded, email)))
        assert response.status_code == 400, why
    with opened(seeded, ref) as access:
        for email in refused:
            with pytest.raises(ServiceError, match="Access can be granted only"):
                grant(access, find_user(email))

    assert state(seeded, ref)["readers"] == READERS_OF_UTENA
    assert "access_granted" not in actions(seeded, ref)


def test_recusing_destroys_the_officers_key_and_unassigns_them(seeded):
    ref = stored_report(seeded)
    officer = signed_in(seeded, OFFICER1)
    colleague = signed_in(seeded, OFFICER2)
    colleague_id = user_id(seeded, OFFICER2)
    post(officer, ref, "assign", assignee=str(colleague_id))
    assert state(seeded, ref)["assignee"] == OFFICER2

    response = post(colleague, ref, "recuse", reason="My brother-in-law runs the firm.")

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/staff/i/utena/cases")
    assert case_page(colleague, ref).status_code == 403
    after = state(seeded, ref)
    assert after["assignee"] is None
    assert after["readers"] == [OFFICER1]
    with seeded.app_context():
        assert db.session.scalar(select(SealedKey).where(
            SealedKey.user_id == colleague_id)) is None
    recused = [e for e in audit_trail(seeded, ref) if e["action"] == "recused"]
    assert [(e["actor"], e["institution"]) for e in recused] == [(OFFICER2, "utena")]
    page = text_of(case_page(officer, ref))
    assert "stepped away from the case" in page
    assert "My brother-in-law runs the firm." in page

    # Stepping away is not a ban: a colleague may let them back in.
    assert post(officer, ref, "grant", colleague=str(colleague_id)).status_code == 302
    assert case_page(colleague, ref).status_code == 200


def test_recusing_without_a_reason_is_refused_and_keeps_the_key(seeded):
    ref = stored_report(seeded)
    colleague = signed_in(seeded, OFFICER2)

    response = post(colleague, ref, "recuse", reason="  ")

    assert response.status_code == 400
    assert "Give the reason for stepping away." in text_of(response)
    assert state(seeded, ref)["readers"] == READERS_OF_UTENA
    assert case_page(colleague, ref).status_code == 200


def allow_exclusions(app, slug: str = "utena") -> None:
    with app.app_context():
        find_institution(slug).allow_exclusions = True
        db.session.commit()


def test_officer_excluded_by_the_reporter_gets_no_key_and_cannot_be_granted_one(seeded):
    allow_exclusions(seeded)
    ref = stored_report(seeded, excluded=(OFFICER2,))
    officer = signed_in(seeded, OFFICER1)
    excluded = signed_in(seeded, OFFICER2)

    assert state(seeded, ref)["readers"] == [OFFICER1]
    assert case_page(excluded, ref).status_code == 403
    page = text_of(case_page(officer, ref))
    assert "Excluded by the reporter" in page
    with seeded.app_context():
        assert find_user(OFFICER2).display_name in page

    response = post(officer, ref, "grant", colleague=str(user_id(seeded, OFFICER2)))
    assert response.status_code == 400
    with opened(seeded, ref) as access:
        assert colleagues_without_access(access) == []
        with pytest.raises(ServiceError):
            grant(access, find_user(OFFICER2))
    assert state(seeded, ref)["readers"] == [OFFICER1]
    assert case_page(excluded, ref).status_code == 403


@pytest.mark.parametrize(("allowed", "excluded"), [
    (False, OFFICER2),  # the institution does not let reporters exclude anyone
    (True, BIRZAI1),  # not an officer of this institution
    (True, ADMIN),  # not an officer at all
])
def test_exclusion_is_refused_unless_allowed_and_naming_an_officer_there(seeded, allowed,
                                                                         excluded):
    if allowed:
        allow_exclusions(seeded)
    with seeded.test_request_context("/?lang=en"):
        utena = find_institution("utena")
        entry = ReportEntry(category=utena.categories[0], what_happened="Something happened.",
                            excluded_officers=(find_user(excluded).id,))
        with pytest.raises(ServiceError, match="Choose officers from the list"):
            submit_report(utena, entry, [], "exclusion-refused")
        db.session.rollback()
        assert db.session.scalar(select(Report.id)) is None


# --- transfer ----------------------------------------------------------------------------

def test_transferred_case_is_read_by_the_receiving_institution_only(seeded):
    reporter = seeded.test_client()
    ref, receipt = new_report(seeded, reporter, files=[("ledger.txt", b"cash 5000 EUR")],
                              what_happened="The permit was for a farm in Biržai district.")
    utena1, utena2 = signed_in(seeded, OFFICER1), signed_in(seeded, OFFICER2)
    post(utena1, ref, "acknowledge")

    response = post(utena1, ref, "transfer", institution="birzai",
                    reason="The farm and the office are in Biržai.")

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/staff/i/utena/cases")
    after = state(seeded, ref)
    assert after["institution"] == "birzai"
    assert after["readers"] == READERS_OF_BIRZAI
    assert after["assignee"] is None

    for sender in (utena1, utena2):
        assert case_page(sender, ref).status_code == 404
        assert post(sender, ref, "note", text="Still here?").status_code == 404
    assert ref[:8] not in text_of(utena1.get("/staff/i/utena/cases?status=all"))

    birzai = signed_in(seeded, BIRZAI1)
    page = text_of(case_page(birzai, ref))
    assert "The permit was for a farm in Biržai district." in page
    assert "Transferred from utena to birzai" in page
    assert "The farm and the office are in Biržai." in page
    assert ref[:8] in text_of(birzai.get("/staff/i/birzai/cases"))
    with seeded.app_context():
        file_ref = db.session.scalar(select(Attachment.ref))
    assert birzai.get(f"/staff/cases/{ref}/files/{file_ref}").data == b"cash 5000 EUR"

    with seeded.app_context():
        report = db.session.scalar(select(Report).where(Report.ref == ref))
        data_key = recovery_data_key(report, demo_recovery_code("birzai"))
        content, _identity = read_content(report, data_key)
        assert content["what_happened"] == "The permit was for a farm in Biržai district."
        with pytest.raises(DecryptionError):
            recovery_data_key(report, demo_recovery_code("utena"))

    assert sign_in(reporter, receipt).status_code == 302
    mailbox = text_of(reporter.get("/mailbox/"))
    # The acknowledgement still opens, and the reporter is told where the report went.
    assert mailbox.count("message message-officer") == 2
    assert "Your report was passed on" in mailbox
    assert reporter_writes(reporter, "The farm is on Vytauto street.").status_code == 302
    assert "The farm is on Vytauto street." in text_of(case_page(birzai, ref))

    moved = [(e["action"], e["institution"], e["actor"]) for e in audit_trail(seeded, ref)
             if e["action"].startswith("transferred")]
    assert moved == [("transferred_out", "utena", OFFICER1),
                     ("transferred_in", "birzai", OFFICER1)]


def test_transferring_officer_may_keep_their_own_access(seeded):
    ref = stored_report(seeded)
    utena1, utena2 = signed_in(seeded, OFFICER1), signed_in(seeded, OFFICER2)

    response = post(utena1, ref, "transfer", institution="birzai",
                    reason="Wrong municipality.", keep_access="y")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/staff/cases/{ref}")
    assert state(seeded, ref)["readers"] == sorted([*READERS_OF_BIRZAI, OFFICER1])
    assert case_page(utena1, ref).status_code == 200
    assert case_page(utena2, ref).status_code == 404
    overview = text_of(utena1.get("/staff/overview"))
    assert "Cases you transferred and kept access to" in overview
    assert ref[:8] in overview
    (out,) = [e for e in audit_trail(seeded, ref) if e["action"] == "transferred_out"]
    assert out["detail"]["kept_access"] is True


def test_exclusion_still_holds_when_the_case_is_transferred_back(seeded):
    allow_exclusions(seeded)
    ref = stored_report(seeded, excluded=(OFFICER2,))
    assert post(signed_in(seeded, OFFICER1), ref, "transfer", institution="birzai",
                reason="Wrong municipality.").status_code == 302

    back = post(signed_in(seeded, BIRZAI1), ref, "transfer", institution="utena",
                reason="It was Utena's after all.")

    assert back.status_code == 302
    assert state(seeded, ref)["readers"] == [OFFICER1]
    assert case_page(signed_in(seeded, OFFICER2), ref).status_code == 403


def test_transfer_needs_another_known_institution_and_a_reason(seeded):
    ref = stored_report(seeded)
    officer = signed_in(seeded, OFFICER1)

    for fields in ({"institution": "utena", "reason": "Same place."},
                   {"institution": "atlantis", "reason": "Nowhere."},
                   {"institution": "birzai", "reason": ""}):
        assert post(officer, ref, "transfer", **fields).status_code == 400, fields

    assert state(seeded, ref)["institution"] == "utena"
    assert state(seeded, ref)["readers"] == READERS_OF_UTENA
    with opened(seeded, ref) as access, pytest.raises(ServiceError):
        transfer(access, access.report.institution, "Same place.", False)


# --- files -------------------------------------------------------------------------------

def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return buffer.getvalue()


def file_refs(app, ref: str) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Attachment.ref).join(Report)
                                       .where(Report.ref == ref).order_by(Attachment.id)))


def test_attachment_downloads_as_a_sandboxed_file_with_a_harmless_name(seeded):
    html = b"<html><body><script>alert(document.cookie)</script></body></html>"
    # Exactly this name reaches the server (a browser would send the quote as %22).
    ref = stored_report(seeded, files=(('../../evil".html', html),))
    officer = signed_in(seeded, OFFICER1)
    (file_ref,) = file_refs(seeded, ref)

    response = officer.get(f"/staff/cases/{ref}/files/{file_ref}")

    assert response.status_code == 200
    assert response.data == html
    disposition, options = parse_options_header(response.headers["Content-Disposition"])
    assert disposition == "attachment"
    assert options["filename"] == "evil_.html"
    assert "/" not in response.headers["Content-Disposition"]
    # Labelled as the text it is; a download the browser may neither sniff nor render.
    assert response.mimetype == "text/plain"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = [part.strip() for part in response.headers["Content-Security-Policy"].split(";")]
    assert "sandbox" in policy
    downloads = [e for e in audit_trail(seeded, ref) if e["action"] == "file_downloaded"]
    assert downloads == [{"action": "file_downloaded", "actor": OFFICER1,
                          "institution": "utena", "detail": {"file": file_ref}}]


def test_picture_downloads_with_its_own_safe_type(seeded):
    ref, _receipt = new_report(seeded, files=[("photo.png", png_bytes())])
    officer = signed_in(seeded, OFFICER1)
    (file_ref,) = file_refs(seeded, ref)

    response = officer.get(f"/staff/cases/{ref}/files/{file_ref}")

    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert parse_options_header(response.headers["Content-Disposition"]) == (
        "attachment", {"filename": "photo.png"})


def test_officers_reply_with_a_file_reaches_the_reporter(seeded):
    reporter = seeded.test_client()
    ref, receipt = new_report(seeded, reporter)
    officer = signed_in(seeded, OFFICER1)

    response = post(officer, ref, "reply", text="Please fill in this form.",
                    files=[("form.txt", b"Name of the tender:")])

    assert response.status_code == 302
    sign_in(reporter, receipt)
    mailbox = text_of(reporter.get("/mailbox/"))
    assert "Please fill in this form." in mailbox and "form.txt" in mailbox
    (file_ref,) = file_refs(seeded, ref)
    assert officer.get(f"/staff/cases/{ref}/files/{file_ref}").data == b"Name of the tender:"


def test_unknown_file_or_another_cases_file_gives_404_and_is_not_audited(seeded):
    ref, _receipt = new_report(seeded, files=[("a.txt", b"first")])
    other, _receipt = new_report(seeded, files=[("b.txt", b"second")])
    officer = signed_in(seeded, OFFICER1)
    (others_file,) = file_refs(seeded, other)

    assert officer.get(f"/staff/cases/{ref}/files/{secrets.token_hex(16)}").status_code == 404
    assert officer.get(f"/staff/cases/{ref}/files/{others_file}").status_code == 404
    assert officer.get(f"/staff/cases/{secrets.token_hex(16)}").status_code == 404
    assert "file_downloaded" not in actions(seeded, ref) + actions(seeded, other)


def test_officer_of_another_institution_gets_404_on_case_files_and_actions(seeded):
    ref, _receipt = new_report(seeded, files=[("a.txt", b"first")])
    outsider = signed_in(seeded, BIRZAI1)
    (file_ref,) = file_refs(seeded, ref)
    before = state(seeded, ref)

    assert case_page(outsider, ref).status_code == 404
    assert outsider.get(f"/staff/cases/{ref}/files/{file_ref}").status_code == 404
    assert post(outsider, ref, "note", text="Peeking.").status_code == 404
    assert post(outsider, ref, "acknowledge").status_code == 404

    assert state(seeded, ref) == before
    assert audit_trail(seeded, ref) == []


# --- bad input ---------------------------------------------------------------------------

def assert_escaped(page: str, expected_copies: int) -> None:
    """The hostile text shows as text, never as markup."""
    assert SCRIPT not in page
    assert "<img src=x" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= expected_copies
    assert page.count("&lt;img src=x onerror=alert(1)&gt;") >= expected_copies


def test_hostile_text_in_every_field_is_shown_escaped_on_the_case_page(seeded):
    reporter = seeded.test_client()
    ref, receipt = new_report(
        seeded, reporter, files=[(f"{IMG}.txt", b"file")],
        what_happened=HOSTILE, when_where=HOSTILE, people_involved=HOSTILE,
        how_known=HOSTILE, reported_elsewhere="yes", elsewhere_details=HOSTILE,
        identity_choice="confidential", name=HOSTILE, contact=HOSTILE)
    sign_in(reporter, receipt)
    assert reporter_writes(reporter, HOSTILE).status_code == 302
    officer, colleague = signed_in(seeded, OFFICER1), signed_in(seeded, OFFICER2)
    post(officer, ref, "acknowledge")
    for action, fields in [("reply", {"text": HOSTILE}), ("note", {"text": HOSTILE}),
                           ("status", {"status": "assessment", "reason": HOSTILE})]:
        assert post(officer, ref, action, **fields).status_code == 302, action
    assert post(colleague, ref, "recuse", reason=HOSTILE).status_code == 302
    assert post(officer, ref, "transfer", institution="birzai", reason=HOSTILE,
                keep_access="y").status_code == 302

    page = text_of(case_page(officer, ref))

    # 5 answers, name and contact, both messages, a note and three reasons
    assert_escaped(page, expected_copies=13)

    refused = post(officer, ref, "status", status="closed", outcome="", reason=HOSTILE)
    assert refused.status_code == 400
    assert_escaped(text_of(refused), expected_copies=14)  # and the reason as typed


def test_oversize_text_is_refused_with_a_message_and_kept_as_typed(seeded):
    ref = stored_report(seeded)
    officer = signed_in(seeded, OFFICER1)
    post(officer, ref, "acknowledge")
    before = state(seeded, ref)
    typed = "Oversize-4d1e " + "x" * MAX_TEXT

    for action, fields in [("reply", {"text": typed}), ("note", {"text": typed}),
                           ("status", {"status": "assessment", "reason": typed}),
                           ("recuse", {"reason": typed}),
                           ("transfer", {"institution": "birzai", "reason": typed})]:
        response = post(officer, ref, action, **fields)
        assert response.status_code == 400, action
        page = text_of(response)
        assert "The text is too long." in page, action
        assert typed in page, action

    assert state(seeded, ref) == before


def test_every_case_action_without_a_csrf_token_is_refused_and_changes_nothing(seeded):
    ref = stored_report(seeded)
    officer = signed_in(seeded, OFFICER1)
    colleague_id = user_id(seeded, OFFICER2)
    newcomer = add_officer(seeded)
    before = state(seeded, ref)

    attempts = [("acknowledge", {}), ("reply", {"text": "Hello, kept"}),
                ("note", {"text": "A note, kept"}),
                ("status", {"status": "closed", "outcome": "referred",
                            "reason": "A reason, kept"}),
                ("assign", {"assignee": str(colleague_id)}),
                ("triage", {"likelihood": "5", "impact": "5"}),
                ("category", {"category": "fraud"}), ("grant", {"colleague": str(newcomer)}),
                ("recuse", {"reason": "Conflict."}),
                ("transfer", {"institution": "birzai", "reason": "Elsewhere."})]
    for action, fields in attempts:
        response = post(officer, ref, action, csrf=False, **fields)
        assert response.status_code == 400, action
        page = text_of(response)
        assert "this form had to be renewed" in page, action  # the case page again
        typed = fields.get("text") or fields.get("reason")
        assert typed is None or typed in page, action  # kept as typed

    assert state(seeded, ref) == before
    assert audit_trail(seeded, ref) == []


def test_no_download_type_a_browser_would_run_is_passed_through():
    """The allow-list of download types holds no type a browser runs as a page or script."""
    from app.web.downloads import SAFE_TYPES

    runnable = re.compile(r"html|xml|javascript|svg|ecmascript")
    assert not [kind for kind in SAFE_TYPES if runnable.search(kind)]
