"""Reports received another way: an officer registers what came by telephone, voicemail,
in a meeting, by letter or by e-mail (Directive Art. 9(2)).

The report is stored like one from the web form: encrypted under its own data key, sealed
to the institution's readers, with a receipt that opens the reporter's mailbox. Its
deadlines run from the day it was received, not the day it was registered. The record (the
minutes or transcript of an oral report, the text of a letter or e-mail) is the first
version of :mod:`app.services.casefile.minutes`, which the reporter of an oral report can
approve or ask to correct in the mailbox. The receipt is shown to the officer once, on the
hand-over sheet, and kept nowhere.
"""

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from app.crypto.receipts import format_receipt
from app.extensions import db
from app.languages import LANGUAGES
from app.models import CaseEventKind, Institution, Report, ReportChannel, User
from app.services import ServiceError
from app.services.casefile.attachments import CleanedFile, Upload, clean_uploads
from app.services.casefile.deadlines import acknowledgement_due, feedback_due, today
from app.services.casefile.minutes import add_version, record_text
from app.services.casefile.sealing import entitled_officers
from app.services.casework.opened_case import OpenedCase, now, record_step
from app.services.reporting.intake import (
    IDENTITY_CHOICES,
    MAX_SHORT_TEXT,
    MAX_TEXT,
    URGENCIES,
    ReportAlreadySent,
    identity_section,
    store_report,
    submission_digest,
)

REGISTERED_CHANNELS = tuple(channel for channel in ReportChannel
                            if channel != ReportChannel.WEB)
# How long after it was received a report may still be registered: long enough for a
# letter found late, short enough that a typo in the year is caught.
MAX_DAYS_BACK = 366


@dataclass(frozen=True)
class RegisteredEntry:
    """What the officer took down, as the registration form collected it."""

    channel: ReportChannel
    received_on: date
    category: str
    record: str  # minutes or transcript, or the letter's or e-mail's text
    language: str  # the reporter's: the hand-over sheet and Skaidra's messages use it
    urgency: str = "normal"
    when_where: str = ""
    people_involved: str = ""
    identity_choice: str = "anonymous"
    name: str = ""
    contact: str = ""
    taken_by: int | None = None  # the officer who took the call or met the reporter


@dataclass(frozen=True)
class RegisteredReport:
    """What the officer hands over once: the receipt, with what the sheet says."""

    ref: str
    receipt: str
    channel: ReportChannel
    language: str
    received_on: date
    acknowledgement_due: date
    feedback_due: date
    files: list[CleanedFile]


def register_report(institution: Institution, officer: User, entry: RegisteredEntry,
                    uploads: list[Upload], submission_token: str | None = None
                    ) -> RegisteredReport:
    """Store a report an officer received another way, with its record as version 1, and
    issue its receipt; the registration is in the case history and the audit log. Commits.

    :param submission_token: the form's one-time token: the same form sent again (a reload
        of the hand-over page, a double click) registers nothing the second time.
    :raises ReportAlreadySent: this form registered its report already.
    :raises ServiceError: an invalid entry, or a file that cannot be accepted.
    """
    _check(institution, entry)
    digest = (submission_digest(submission_token) if submission_token
              else secrets.token_bytes(32))
    if db.session.scalar(select(Report.id).where(Report.submission_digest == digest)):
        raise already_registered()
    files = clean_uploads(uploads)
    content = {"what_happened": entry.record.strip(), "when_where": entry.when_where.strip(),
               "people_involved": entry.people_involved.strip(), "how_known": "",
               "reported_elsewhere": "no", "elsewhere_details": "", "urgency": entry.urgency,
               "language": entry.language, "excluded_officers": []}
    identity = identity_section(entry.identity_choice, entry.name, entry.contact, False)
    report, receipt, data_key = store_report(
        institution, category=entry.category, received_on=entry.received_on,
        urgent=entry.urgency == "urgent", content=content, identity=identity, files=files,
        submission_digest=digest, channel=entry.channel)
    case = OpenedCase(report, officer, data_key)
    add_version(report, data_key, entry.record, "", officer, now())
    change = {"channel": entry.channel.value, "received_on": entry.received_on.isoformat(),
              "taken_by": entry.taken_by or officer.id}
    record_step(case, "report_registered", CaseEventKind.REGISTERED, change=change,
                channel=entry.channel.value)
    return RegisteredReport(report.ref, format_receipt(receipt), entry.channel,
                            entry.language, report.received_on, acknowledgement_due(report),
                            feedback_due(report), files)


def already_registered() -> ReportAlreadySent:
    """The answer to a registration form sent a second time."""
    return ReportAlreadySent(_("This report has been registered already. Its receipt was "
                               "shown once, on the hand-over sheet, and cannot be shown "
                               "again: find the case in the inbox."))


def _check(institution: Institution, entry: RegisteredEntry) -> None:
    """The service's own guard; the form shows the same rules next to its fields."""
    if entry.channel not in REGISTERED_CHANNELS:
        raise ServiceError(_("Choose how the report was received."))
    if not today() - timedelta(days=MAX_DAYS_BACK) <= entry.received_on <= today():
        raise ServiceError(_("The day received must be today or within the past year."))
    if entry.category not in institution.categories:
        raise ServiceError(_("Choose what the report is about."))
    if entry.taken_by is not None and entry.taken_by not in {
            member.id for member in entitled_officers(institution)}:
        raise ServiceError(_("Choose the officer who received the report from the list."))
    record_text(entry.record)
    if (any(len(text) > MAX_TEXT for text in (entry.when_where, entry.people_involved))
            or any(len(text) > MAX_SHORT_TEXT for text in (entry.name, entry.contact))):
        raise ServiceError(_("One of the answers is too long."))
    if (entry.urgency not in URGENCIES or entry.identity_choice not in IDENTITY_CHOICES
            or entry.language not in LANGUAGES):
        raise ServiceError(_("Choose one of the offered answers."))
    if entry.identity_choice == "confidential" and not entry.name.strip():
        raise ServiceError(_("Give the reporter's name, or register the report as "
                             "anonymous."))
