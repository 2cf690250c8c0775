"""Officers see what needs them: a reporter's reply until an officer opens the case, cases
waiting for an answer, the last activity, and urgent cases first among equal deadlines."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select, update

from app.extensions import db
from app.models import CaseEvent, Message, Report
from app.services.accounts.users import find_user
from app.services.administration.institutions import find_institution
from app.services.casefile.deadlines import today
from app.services.casework.inbox import InboxFilter, list_cases, most_urgent
from tests.helpers import sign_in, text_of
from tests.test_casework import (
    OFFICER1,
    audit_trail,
    case_page,
    file_refs,
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


def test_only_the_case_page_clears_the_mark_with_its_audit_entry(seeded):
    ref = stored_report(seeded, files=(("tender.txt", b"Tender 2026/14"),))
    (file_ref,) = file_refs(seeded, ref)
    with seeded.app_context():
        db.session.scalar(select(Report).where(Report.ref == ref)).reporter_wrote_on = today()
        db.session.commit()
    officer = signed_in(seeded, OFFICER1)

    assert officer.get(f"/staff/cases/{ref}/files/{file_ref}").status_code == 200
    assert post(officer, ref, "note", text="Asked the archive.").status_code == 302
    assert post(officer, ref, "note", text="").status_code == 400  # the page, shown again
    assert "reporter replied today" in inbox(officer)
    assert "case_viewed" not in [entry["action"] for entry in audit_trail(seeded, ref)]

    assert case_page(officer, ref).status_code == 200
    assert "reporter replied" not in inbox(officer)
    assert [entry["action"] for entry in audit_trail(seeded, ref)][-1] == "case_viewed"


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
    assert "<strong>1</strong> waiting for our answer" in waiting

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


def plans_of_ordered_reads(app, read) -> list[str]:
    """The query plan of each ordered statement ``read`` runs, with sorting made a last
    resort on PostgreSQL (its tiny test tables would otherwise be sorted rather than walked)."""
    statements = []

    def keep(_connection, _cursor, statement, parameters, _context, _many):
        if "ORDER BY" in statement:
            statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        read()
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    connection = db.session.connection()
    postgresql = db.engine.dialect.name == "postgresql"
    if postgresql:
        connection.exec_driver_sql("SET LOCAL enable_sort = off")
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    explain = "EXPLAIN " if postgresql else "EXPLAIN QUERY PLAN "
    return ["\n".join(str(row[-1]) for row in connection.exec_driver_sql(
        explain + statement, parameters)) for statement, parameters in statements]


def test_the_inbox_walks_its_index_in_the_urgent_first_order_without_sorting(seeded):
    stored_report(seeded, urgency="urgent")
    stored_report(seeded, urgency="normal")
    with seeded.app_context():
        institution, user = find_institution("utena"), find_user(OFFICER1)

        def read():
            for chosen in (InboxFilter(), InboxFilter(status="new"), InboxFilter(status="all"),
                           InboxFilter(status="closed")):
                list_cases(institution, user, chosen)
            most_urgent(institution, user)

        plans = plans_of_ordered_reads(seeded, read)
    assert len(plans) == 9  # two halves per list, and the overview's nearest deadlines
    for plan in plans:
        assert "ix_report_inbox" in plan, plan
        assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan


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
    officer_time = messages[0].written_at
    for page in (text_of(case_page(officer, ref)), text_of(reporter.get("/mailbox/?lang=en"))):
        reporter_line = page.split("message message-reporter", 1)[1].split("</li>", 1)[0]
        officer_line = page.split("message message-officer", 1)[1].split("</li>", 1)[0]
        reporter_meta = reporter_line.split('class="meta">', 1)[1].split("</p>", 1)[0]
        officer_meta = officer_line.split('class="meta">', 1)[1].split("</p>", 1)[0]
        assert ":" not in reporter_meta.split("·", 1)[1]  # the day only
        assert re.search(r"\d{1,2}:\d{2}", officer_meta.rsplit("·", 1)[1])  # to the minute
        assert f"{officer_time.minute:02d}" in officer_meta.rsplit("·", 1)[1]


@pytest.mark.parametrize(("slug", "officer", "shown"), [
    ("utena", OFFICER1, "2026-01-15 12:05"),  # Vilnius: UTC+2 in winter
    ("fleksibel-utdanning", "officer1.fleksibel-utdanning@demo.example.org",
     "2026-01-15 11:05"),  # Oslo: UTC+1
])
def test_history_and_officer_messages_show_the_institutions_clock(seeded, slug, officer,
                                                                   shown):
    reporter = seeded.test_client()
    ref, receipt = new_report(seeded, reporter, slug=slug)
    client = signed_in(seeded, officer)
    post(client, ref, "acknowledge")
    winter = datetime(2026, 1, 15, 10, 5, tzinfo=UTC)
    with seeded.app_context():
        report = db.session.scalar(select(Report).where(Report.ref == ref))
        db.session.execute(update(CaseEvent).where(CaseEvent.report_id == report.id)
                           .values(happened_at=winter))
        db.session.execute(update(Message).where(Message.report_id == report.id)
                           .values(written_at=winter))
        db.session.commit()
    sign_in(reporter, receipt)

    case = text_of(client.get(f"/staff/cases/{ref}?lang=lt"))
    history = case.split('class="history"', 1)[1].split("</ol>", 1)[0]
    officer_line = case.split("message message-officer", 1)[1].split("</li>", 1)[0]
    mailbox = text_of(reporter.get("/mailbox/?lang=lt"))
    assert shown in history
    assert shown in officer_line
    assert shown in mailbox.split("message message-officer", 1)[1].split("</li>", 1)[0]
