"""Direction controls in free text: shown to officers as visible marks, never obeyed, and
each value isolated from the page around it (docs/security.md, "Output encoding")."""

import re

from sqlalchemy import select

from app.extensions import db
from app.models import Report
from tests.helpers import (
    mailbox_form,
    receipt_of,
    send_report,
    sign_in,
    staff_csrf_token,
    staff_sign_in,
    text_of,
)

OFFICER = "officer1.utena@demo.example.org"
# Every Unicode Bidi_Control character, written as escapes so that this file cannot
# itself be misread.
CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
ANY_CONTROL = re.compile(f"[{CONTROLS}]")
SPOOFED = "Paid invoice \u202e1pdf.exe\u202c to \u2067Jonas\u2069 and \u200f\u200e\u061c"
LITHUANIAN = "Ąžuolas čia ėmė kyšį, o Ørjan i Tromsø så på, på åpen gate"


def case_of(app) -> str:
    with app.app_context():
        return db.session.scalar(select(Report.ref).order_by(Report.id.desc()).limit(1))


def officer_of(app):
    client = app.test_client()
    staff_sign_in(client, app, OFFICER)
    return client


def mark(control: str) -> str:
    return f"[U+{ord(control):04X}]</span>"


def test_bidi_controls_in_report_and_message_are_visible_marks_on_the_case_page(seeded):
    reporter = seeded.test_client()
    receipt = receipt_of(send_report(
        reporter, what_happened=SPOOFED, people_involved="\u202aA\u202b B\u202d C\u2068 D",
        identity_choice="confidential", name="\u202eSanakalaP", contact="\u2066+370\u2069"))
    sign_in(reporter, receipt)
    reporter.post("/mailbox/message?lang=en",
                  data={**mailbox_form(reporter), "text": f"Also: {SPOOFED}",
                        "attachments": []}, content_type="multipart/form-data")

    page = text_of(officer_of(seeded).get(f"/staff/cases/{case_of(seeded)}?lang=en"))

    assert ANY_CONTROL.search(page) is None
    for control in CONTROLS:
        assert mark(control) in page
    assert '<bdi>Paid invoice <span class="bidi-mark"' in page
    assert '<bdi>Also: Paid invoice <span class="bidi-mark"' in page
    assert "SanakalaP" in page and "+370" in page


def test_officer_note_and_reply_are_isolated_and_marked_in_case_and_mailbox(seeded):
    reporter = seeded.test_client()
    receipt = receipt_of(send_report(reporter))
    officer = officer_of(seeded)
    ref = case_of(seeded)
    for action in ("note", "reply"):
        officer.post(f"/staff/cases/{ref}/{action}",
                     data={"csrf_token": staff_csrf_token(officer), "text": SPOOFED,
                           "kind": "update", "attachments": []},
                     content_type="multipart/form-data")

    case = text_of(officer.get(f"/staff/cases/{ref}?lang=en"))
    sign_in(reporter, receipt)
    mailbox = text_of(reporter.get("/mailbox/?lang=en"))

    for page, copies in ((case, 2), (mailbox, 1)):
        assert ANY_CONTROL.search(page) is None
        assert page.count("<bdi>Paid invoice <span") == copies
        assert page.count(mark("\u202e")) == copies


def test_lithuanian_and_norwegian_letters_are_shown_unchanged(seeded):
    reporter = seeded.test_client()
    send_report(reporter, what_happened=LITHUANIAN)

    page = text_of(officer_of(seeded).get(f"/staff/cases/{case_of(seeded)}?lang=en"))

    assert f"<bdi>{LITHUANIAN}</bdi>" in page
    assert "bidi-mark" not in page
