"""The reporter's mailbox: sign in with the receipt, read and answer, sign out.

A signed-in reporter holds a random session id and session key in their cookie. The
database row for the session is named by a digest of the id and holds the report reference
and data key encrypted under the session key, so the row alone says nothing about which
report is being read, and the database alone cannot open it.
"""

import base64
import json
import time
from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.crypto.envelope import DecryptionError, decrypt, encrypt
from app.crypto.session_tokens import new_token, parse_token
from app.extensions import db
from app.models import (
    ORAL_CHANNELS,
    Attachment,
    Author,
    CaseEventKind,
    Institution,
    Message,
    MessageKind,
    MinutesState,
    Report,
    ReportChannel,
    ReporterSession,
    ReportStatus,
)
from app.services import ServiceError
from app.services.casefile import minutes
from app.services.casefile.attachments import CleanedFile, Upload, clean_uploads
from app.services.casefile.content import (
    Download,
    FileView,
    MessageView,
    add_message,
    decrypted_file,
    read_content,
    read_conversation,
    report_files,
    stored_file_bytes,
)
from app.services.casefile.deadlines import acknowledgement_due, feedback_due, today
from app.services.casefile.minutes import MinutesView, read_minutes
from app.services.casework.opened_case import record_reporter_step
from app.services.reporting.intake import submission_digest
from app.services.reporting.receipts import find_by_receipt, read_receipt

MAX_MESSAGE = 20_000


@dataclass(frozen=True)
class ReporterSignIn:
    """A signed-in reporter: their report and its data key, for this request only."""

    report: Report
    data_key: bytes


@dataclass(frozen=True)
class MailboxView:
    """Everything the reporter sees after signing in."""

    institution: Institution
    category: str
    status: ReportStatus
    received_on: date
    acknowledgement_due: date
    feedback_due: date
    content: dict
    identity: dict | None
    files: list[FileView]
    messages: list[MessageView]
    channel: ReportChannel
    minutes: list[MinutesView]  # the record of a report an officer registered
    minutes_state: MinutesState | None
    meeting_requested_on: date | None

    @property
    def oral(self) -> bool:
        """A report made orally, whose minutes the reporter approves."""
        return self.channel in ORAL_CHANNELS

    @property
    def current_minutes(self) -> MinutesView | None:
        """The version the reporter may approve or ask to correct."""
        return self.minutes[-1] if self.minutes else None


def wrong_receipt() -> ServiceError:
    """One message for every receipt that opens nothing, whether or not it ever existed."""
    return ServiceError(_("This receipt does not open a report. Check the digits and try "
                          "again."))


def sign_in(receipt_text: str) -> str:
    """Open a mailbox session for a receipt; returns the token for the reporter's cookie.

    :raises ServiceError: the text is not a receipt, has a typing mistake (both found
        before any derivation), or the receipt opens nothing.
    """
    receipt = read_receipt(receipt_text)
    found = find_by_receipt(receipt)
    if found is None:
        raise wrong_receipt()
    report, data_key = found
    return _start_session(report, data_key)


def _now() -> int:
    return int(time.time())


def _round_up_to_hour(moment: int) -> int:
    return moment - moment % 3600 + 3600


def _seal_payload(session_key: bytes, row_id: str, payload: dict) -> bytes:
    return encrypt(session_key, json.dumps(payload).encode(), "reporter-session", row_id)


def _start_session(report: Report, data_key: bytes) -> str:
    config = current_app.config
    token, parsed = new_token()
    row_id, session_key, now = parsed.row_id, parsed.key, _now()
    # The exact limits live in the encrypted payload; the row's own expiry, which the
    # database can see, is only the hour after which the row is purged.
    until = now + 60 * config["MAILBOX_ABSOLUTE_MINUTES"]
    payload = {"report": report.ref, "data_key": base64.b64encode(data_key).decode(),
               "until": until, "idle_until": now + 60 * config["MAILBOX_IDLE_MINUTES"]}
    db.session.execute(delete(ReporterSession).where(ReporterSession.expires_at < now))
    db.session.add(ReporterSession(id=row_id, payload=_seal_payload(session_key, row_id, payload),
                                   expires_at=_round_up_to_hour(until)))
    db.session.commit()
    return token


def resume(token: str | None, *, extend: bool = True) -> ReporterSignIn | None:
    """The mailbox behind a session token, extending its idle time; None when expired.

    :param extend: write the extended idle time (and purge expired rows); without it the
        session is only read, for a page shown while the database cannot write.
    """
    parsed = parse_token(token)
    if parsed is None:
        return None
    row_id, now = parsed.row_id, _now()
    if extend:
        # Committed at once: the early returns below would otherwise roll the purge back.
        db.session.execute(delete(ReporterSession).where(ReporterSession.expires_at < now))
        db.session.commit()
    row = db.session.get(ReporterSession, row_id)
    if row is None or row.expires_at < now:
        return None
    try:
        payload = json.loads(decrypt(parsed.key, row.payload, "reporter-session", row_id))
    except DecryptionError:
        return None
    report = db.session.scalar(select(Report).where(Report.ref == payload["report"]))
    if report is None or min(payload["until"], payload["idle_until"]) < now:
        if extend:
            end_session(token)
        return None
    if extend:
        payload["idle_until"] = now + 60 * current_app.config["MAILBOX_IDLE_MINUTES"]
        row.payload = _seal_payload(parsed.key, row_id, payload)
        db.session.commit()
    return ReporterSignIn(report, base64.b64decode(payload["data_key"]))


def end_session(token: str | None) -> None:
    """Sign out: the session row is deleted, so the cookie opens nothing any more."""
    parsed = parse_token(token)
    if parsed is not None:
        db.session.execute(delete(ReporterSession).where(ReporterSession.id == parsed.row_id))
        db.session.commit()


def mailbox_view(reporter: ReporterSignIn) -> MailboxView:
    """Decrypt what the reporter may see of their report."""
    report, data_key = reporter.report, reporter.data_key
    content, identity = read_content(report, data_key)
    return MailboxView(
        institution=report.institution,
        category=report.category,
        status=report.status,
        received_on=report.received_on,
        acknowledgement_due=acknowledgement_due(report),
        feedback_due=feedback_due(report),
        content=content,
        identity=identity,
        files=report_files(report, data_key),
        messages=read_conversation(report, data_key),
        channel=report.channel,
        minutes=read_minutes(report, data_key),
        minutes_state=report.minutes_state,
        meeting_requested_on=report.meeting_requested_on,
    )


class MessageAlreadySent(ServiceError):
    """The mailbox form was sent a second time (double click, reload): stored once."""


def send_reporter_message(reporter: ReporterSignIn, text: str, uploads: list[Upload],
                          submission_token: str, voice: CleanedFile | None = None) -> None:
    """Add the reporter's message (and files) to the conversation, once per form.

    :param submission_token: the form's one-time token (:func:`new_submission_token`); a
        second request with the same token stores nothing.
    :param voice: a voice message, disguised already
        (:mod:`app.services.reporting.voice_messages`).
    :raises MessageAlreadySent: this form's message is stored already.
    :raises ServiceError: empty or too long, or files that cannot be accepted.
    """
    if not text.strip() and not any(upload.data for upload in uploads) and voice is None:
        raise ServiceError(_("Write a message or add a file."))
    if len(text) > MAX_MESSAGE:
        raise ServiceError(_("The message is too long."))
    digest = submission_digest(submission_token)
    if db.session.scalar(select(Message.id).where(Message.submission_digest == digest)):
        raise MessageAlreadySent(_("Your message has been sent."))
    files = clean_uploads(uploads, already_stored=stored_file_bytes(reporter.report))
    files += [voice] if voice else []
    message = add_message(reporter.report, reporter.data_key, Author.REPORTER, text.strip(),
                          files)
    message.submission_digest = digest
    reporter.report.pending_notice = reporter.report.pending_notice or "reporter_replied"
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if db.session.scalar(select(Message.id).where(Message.submission_digest == digest)):
            # The same form sent twice at once: the other request stored it.
            raise MessageAlreadySent(_("Your message has been sent.")) from None
        raise  # anything else must not say the message was sent


def request_meeting(reporter: ReporterSignIn, text: str) -> None:
    """The reporter asks for a meeting or a call, saying when and how in their own words (no
    contact detail needed: the officers answer in the mailbox). The case is marked until an
    officer has handled the request. Commits.

    :raises ServiceError: too long a text.
    """
    if len(text) > MAX_MESSAGE:
        raise ServiceError(_("The message is too long."))
    report = reporter.report
    add_message(report, reporter.data_key, Author.REPORTER, text.strip(),
                kind=MessageKind.MEETING_REQUEST)
    report.meeting_requested_on = report.meeting_requested_on or today()
    _tell_officers(report)
    db.session.commit()


def approve_minutes(reporter: ReporterSignIn, number: int) -> None:
    """The reporter agrees version ``number`` of their oral report's minutes; the officers
    are told at the next notice run. Commits.

    :raises ServiceError: not the current version, or approved already.
    """
    report = reporter.report
    version = minutes.approve(report, number, minutes.APPROVED_IN_MAILBOX)
    record_reporter_step(report, CaseEventKind.MINUTES_APPROVED, "minutes_approved",
                         version=version.number, by=minutes.APPROVED_IN_MAILBOX)
    _tell_officers(report)
    db.session.commit()


def ask_for_correction(reporter: ReporterSignIn, number: int, text: str) -> None:
    """The reporter asks for version ``number`` of the minutes to be corrected, in their
    own words; the officers revise it. Commits.

    :raises ServiceError: an empty or too long request, not the current version, or one
        approved already.
    """
    report = reporter.report
    version = minutes.ask_for_correction(report, reporter.data_key, number, text)
    record_reporter_step(report, CaseEventKind.MINUTES_CORRECTION,
                         "minutes_correction_requested", version=version.number,
                         by="reporter")
    _tell_officers(report)
    db.session.commit()


def _tell_officers(report: Report) -> None:
    """Mark the case as the reporter's message marks it: "reporter replied" in the inbox,
    and a notice at the next run."""
    report.reporter_wrote_on = report.reporter_wrote_on or report.last_activity_on
    report.pending_notice = report.pending_notice or "reporter_replied"


def officer_file(reporter: ReporterSignIn, file_ref: str) -> Download | None:
    """A file an officer sent the reporter with a message, decrypted; None for any other
    reference (the reporter's own uploads are not served back)."""
    attachment = db.session.scalar(
        select(Attachment).join(Message, Attachment.message_id == Message.id).where(
            Attachment.ref == file_ref, Attachment.report_id == reporter.report.id,
            Message.author == Author.OFFICER))
    if attachment is None:
        return None
    return decrypted_file(reporter.report, reporter.data_key, attachment)
