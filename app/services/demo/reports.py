"""Demo reports for `make run`: the cases of :mod:`app.services.demo.case_texts`, sent and
worked on through the same services as real ones, so every text, file and message is
encrypted and sealed exactly like a real report's.

The services date what they do today; each step is then moved back to the day the demo
says it happened, and the deadline is recomputed by the domain's own rule
(:func:`~app.services.casefile.deadlines.refresh_deadline`). The audit log is not
rewritten: its entries show when the demo was loaded.
"""

import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from app.crypto.kdf import KdfCost
from app.crypto.staff_keys import StaffKeyMaterial, unlock_staff_key
from app.extensions import db
from app.models import Institution, Report, ReportChannel, ReportStatus, User
from app.services.accounts.users import find_user
from app.services.administration.institutions import find_institution
from app.services.casefile.attachments import Upload
from app.services.casefile.deadlines import refresh_deadline, today
from app.services.casework import commands
from app.services.casework.minutes import revise_minutes
from app.services.casework.opened_case import open_case
from app.services.casework.registration import RegisteredEntry, register_report
from app.services.demo.case_texts import DEMO_CASES, DemoCase, Step
from app.services.demo.network import DEMO_DOMAIN, DEMO_PASSWORD
from app.services.reporting import mailbox
from app.services.reporting.intake import ReportEntry, submit_report

DEMO_SLUGS = tuple(dict.fromkeys(case.slug for case in DEMO_CASES))
REPORT_DATES = ("received_on", "acknowledged_on", "feedback_on", "closed_on", "reopened_on",
                "last_activity_on", "reporter_wrote_on", "awaiting_answer_since",
                "meeting_requested_on")


@dataclass(frozen=True)
class DemoReports:
    """What seeding added: cases per institution and status, and one reporter's receipt."""

    by_institution: dict[str, Counter]
    receipt: str | None

    @property
    def total(self) -> int:
        """All demo reports added."""
        return sum(sum(counts.values()) for counts in self.by_institution.values())


def seed_demo_reports() -> DemoReports | None:
    """Add the demo reports unless a demo institution holds reports already; None then.

    Run after :func:`~app.services.demo.network.seed_demo_network`.
    """
    institutions = [find_institution(slug) for slug in DEMO_SLUGS]
    if None in institutions or db.session.scalar(
            select(func.count()).select_from(Report)
            .where(Report.institution_id.in_([i.id for i in institutions]))):
        return None
    keys: dict[str, tuple[User, object]] = {}
    added: dict[str, Counter] = {slug: Counter() for slug in DEMO_SLUGS}
    receipt = None
    for demo in DEMO_CASES:
        report, demo_receipt = _replay(demo, keys)
        added[demo.slug][report.status] += 1
        if receipt is None and any(step.action == "reporter" for step in demo.steps) \
                and report.status != ReportStatus.CLOSED:
            receipt = demo_receipt
    return DemoReports(added, receipt)


def demo_case_counts() -> dict[str, int]:
    """How many reports each demo institution holds now (slug -> count)."""
    rows = db.session.execute(
        select(Institution.slug, func.count(Report.id)).join(Report)
        .where(Institution.slug.in_(DEMO_SLUGS)).group_by(Institution.slug)).all()
    return dict(rows)


def _officer(slug: str, number: int, keys: dict) -> tuple[User, object]:
    """A demo officer and their private key, unlocked once with the demo password."""
    email = f"officer{number}.{slug}@{DEMO_DOMAIN}"
    if email not in keys:
        user = find_user(email)
        material = StaffKeyMaterial(user.kdf_salt, KdfCost.from_dict(user.kdf_params),
                                    user.public_key, user.wrapped_private_key)
        keys[email] = (user, unlock_staff_key(material, DEMO_PASSWORD))
    return keys[email]


def _replay(demo: DemoCase, keys: dict) -> tuple[Report, str]:
    """Send the demo report and take its steps; returns it and its receipt."""
    institution = find_institution(demo.slug)
    category = demo.category if demo.category in institution.categories \
        else institution.categories[0]
    received = today() - timedelta(days=demo.received_days_ago)
    if demo.channel == ReportChannel.WEB:
        receipt = submit_report(institution, ReportEntry(
            category=category, what_happened=demo.what_happened, when_where=demo.when_where,
            people_involved=demo.people_involved, how_known=demo.how_known,
            urgency=demo.urgency, language=demo.language,
            meeting_wanted=bool(demo.meeting_request),
            meeting_request=demo.meeting_request), [], secrets.token_urlsafe(16)).receipt
    else:
        receipt = register_report(institution, _officer(demo.slug, 1, keys)[0],
                                  RegisteredEntry(
            channel=demo.channel, received_on=received, category=category,
            record=demo.what_happened, language=demo.language, urgency=demo.urgency,
            when_where=demo.when_where, people_involved=demo.people_involved), []).receipt
    report = db.session.scalar(select(Report).order_by(Report.id.desc()).limit(1))
    # Demo addresses are reserved (RFC 2606): nobody is to be told of these reports.
    report.pending_notice = None
    _move_to(report, received)
    for step in demo.steps:
        _take(report, step, receipt, keys)
        _move_to(report, received + timedelta(days=step.day))
    return report, receipt


def _take(report: Report, step: Step, receipt: str, keys: dict) -> None:
    if step.action == "approve":
        token = mailbox.sign_in(receipt)
        mailbox.approve_minutes(mailbox.resume(token), len(report.minutes))
        mailbox.end_session(token)
        report.pending_notice = None
        return
    if step.action == "reporter":
        token = mailbox.sign_in(receipt)
        reporter = mailbox.resume(token)
        mailbox.send_reporter_message(reporter, step.text,
                                      [Upload(name, data) for name, data in step.files],
                                      secrets.token_urlsafe(16))
        mailbox.end_session(token)
        report.pending_notice = None
        return
    user, private_key = _officer(report.institution.slug, 1, keys)
    case = open_case(report, user, private_key)
    _OFFICER_STEPS[step.action](case, step, keys)


_OFFICER_STEPS = {
    "acknowledge": lambda case, step, keys: commands.acknowledge(case),
    "officer": lambda case, step, keys: commands.send_officer_message(case, step.text,
                                                                      step.kind),
    "note": lambda case, step, keys: commands.add_note(case, step.text),
    "triage": lambda case, step, keys: commands.triage(case, *step.rating),
    "assign": lambda case, step, keys: commands.assign(
        case, _officer(case.report.institution.slug, step.officer, keys)[0]),
    "status": lambda case, step, keys: commands.change_status(case, step.status, step.text,
                                                              step.outcome),
    "revise": lambda case, step, keys: revise_minutes(case, step.text, step.change),
}


def _move_to(report: Report, day: date) -> None:
    """Date what the last step did today on ``day`` instead, and recompute the deadline.

    Only plain dates move: the ciphertexts bind report, field and row, not a date.
    """
    now = today()
    if day == now:
        return
    for name in REPORT_DATES:
        if getattr(report, name) == now:
            setattr(report, name, day)
    for message in report.messages:
        if message.sent_on == now:
            message.sent_on = day
        message.written_at = _moved(message.written_at, now, day)
    for event in report.events:
        event.happened_at = _moved(event.happened_at, now, day)
    for note in report.notes:
        note.written_at = _moved(note.written_at, now, day)
    for version in report.minutes:
        version.written_at = _moved(version.written_at, now, day)
        for name in ("approved_on", "correction_on"):
            if getattr(version, name) == now:
                setattr(version, name, day)
    refresh_deadline(report)
    db.session.commit()


def _moved(moment: datetime | None, now: date, day: date) -> datetime | None:
    if moment is None or moment.date() != now:
        return moment
    return moment - timedelta(days=(now - day).days)
