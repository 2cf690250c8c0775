"""Officers see what needs them: a reporter's reply until an officer opens the case, cases
waiting for an answer, the last activity, and urgent cases first among equal deadlines."""

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Message, Report
from app.services.casefile.deadlines import today
from tests.helpers import sign_in, text_of
from tests.test_casework import (
    OFFICER1,
    case_page,
    new_report,
    post,
    reporter_writes,
    signed_in,
    stored_report,
)


def inbox(client, **query) -> str:
    with client.get("/staff/i/utena/cases", query_string={"lang": "en", **query}) as response:
        return text_of(response)


def overview(client) -> str:
    with client.get("/staff/overview?lang=en") as response:
        return text_of(response)


def listed_refs(page: str) -> list[str]:
    return [line.split("/staff/cases/", 1)[1][:8] for line in page.split("\n")
            if 'href="/staff/cases/' in line]


def test_a_reporter_reply_is_marked_until_an_officer_opens_the_case(seeded):
    reporter = seeded.test_client()
    ref, receipt = new_report(seeded, reporter)
    officer = signed_in(seeded, OFFICER1)
    assert post(officer, ref, "acknowledge").status_code == 302
    assert "reporter replied" not in inbox(officer)
    assert sign_in(reporter, receipt).status_code == 302
    assert reporter_writes(reporter, "The tender number is 2026/14.").status_code == 302

    assert "reporter replied today" in inbox(officer)  # an inbox view does not clear it
    page = overview(officer)
    assert "New messages from reporters" in page and ref[:8] in page
    assert "reporter replied today" in inbox(officer)

    assert case_page(officer, ref).status_code == 200
    assert "reporter replied" not in inbox(officer)
    assert "New messages from reporters" not in overview(officer)


def test_how_long_ago_the_reporter_replied_is_shown_in_days(seeded):
    ref = stored_report(seeded)
    with seeded.app_context():
        report = db.session.scalar(select(Report).where(Report.ref == ref))
        report.reporter_wrote_on = today() - timedelta(days=3)
        db.session.commit()
    officer = signed_in(seeded, OFFICER1)
    assert "reporter replied 3 days ago" in inbox(officer)
    with seeded.app_context():
        db.session.scalar(select(Report).where(Report.ref == ref)).reporter_wrote_on = \
            today() - timedelta(days=1)
        db.session.commit()
    assert "reporter replied yesterday" in inbox(officer)


def test_waiting_for_our_answer_lists_cases_until_an_officer_answers(seeded):
    reporter = seeded.test_client()
    ref, receipt = new_report(seeded, reporter)
    other = stored_report(seeded)
    officer = signed_in(seeded, OFFICER1)
    assert post(officer, ref, "acknowledge").status_code == 302
    assert ref[:8] not in inbox(officer, waiting="yes")
    sign_in(reporter, receipt)
    reporter_writes(reporter, "Any news?")
    waiting = inbox(officer, waiting="yes")
    assert ref[:8] in waiting and other[:8] not in waiting
    assert ref[:8] in inbox(officer) and other[:8] in inbox(officer)
    assert "<strong>1</strong> waiting for our answer" in overview(officer)

    assert post(officer, ref, "reply", kind="update", text="We are on it.").status_code == 302
    assert ref[:8] not in inbox(officer, waiting="yes")


def test_the_inbox_shows_the_last_activity_day(seeded):
    ref = stored_report(seeded)
    with seeded.app_context():
        report = db.session.scalar(select(Report).where(Report.ref == ref))
        assert report.last_activity_on == today()
        report.last_activity_on = today() - timedelta(days=40)
        db.session.commit()
    officer = signed_in(seeded, OFFICER1)
    page = inbox(officer)
    assert "Last activity" in page
    day = today() - timedelta(days=40)
    assert f"{day:%b} {day.day}, {day.year}" in page
    assert post(officer, ref, "note", text="Looked at it.").status_code == 302
    with seeded.app_context():
        assert db.session.scalar(select(Report.last_activity_on)
                                 .where(Report.ref == ref)) == today()


def test_urgent_reports_are_marked_and_come_first_among_equal_deadlines(seeded):
    calm = stored_report(seeded, urgency="normal")
    urgent = stored_report(seeded, urgency="urgent")
    newest = stored_report(seeded, urgency="normal")
    earlier = stored_report(seeded, urgency="normal")
    with seeded.app_context():
        assert db.session.scalar(select(Report.urgent).where(Report.ref == urgent))
        assert not db.session.scalar(select(Report.urgent).where(Report.ref == calm))
        report = db.session.scalar(select(Report).where(Report.ref == earlier))
        report.due_on = today() + timedelta(days=1)  # an earlier deadline still comes first
        db.session.commit()
    officer = signed_in(seeded, OFFICER1)
    page = inbox(officer)
    order = [ref for ref in listed_refs(page) if ref in {r[:8] for r in
                                                         (calm, urgent, newest, earlier)}]
    assert order == [earlier[:8], urgent[:8], newest[:8], calm[:8]]
    assert page.count("badge-urgent") == 1
    assert "badge-urgent" in overview(officer)


def test_reporter_messages_keep_only_their_day_and_officer_messages_their_minute(seeded):
    reporter = seeded.test_client()
    ref, receipt = new_report(seeded, reporter)
    officer = signed_in(seeded, OFFICER1)
    post(officer, ref, "acknowledge")
    sign_in(reporter, receipt)
    reporter_writes(reporter, "A detail.")
    with seeded.app_context():
        messages = db.session.scalars(select(Message).order_by(Message.id)).all()
        assert [m.written_at is None for m in messages] == [False, True]
    page = text_of(case_page(officer, ref))
    reporter_line = page.split("message message-reporter", 1)[1].split("</p>", 1)[0]
    officer_line = page.split("message message-officer", 1)[1].split("</p>", 1)[0]
    assert ":" not in reporter_line.split("·", 1)[1]
    assert ":" in officer_line.rsplit("·", 1)[1]
