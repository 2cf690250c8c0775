"""Receiving a report: validate, clean files, encrypt, seal, issue the receipt."""

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.crypto.envelope import new_data_key
from app.crypto.kdf import expand_key
from app.crypto.receipts import format_receipt, wrap_for_reporter
from app.extensions import db
from app.models import Institution, Report, ReportChannel, ReportStatus
from app.services import ServiceError
from app.services.casefile.attachments import CleanedFile, Upload, clean_uploads
from app.services.casefile.content import add_files, new_ref, write_content
from app.services.casefile.deadlines import acknowledgement_due, refresh_deadline, today
from app.services.casefile.sealing import entitled_officers, seal_for_readers
from app.services.reporting.receipts import issue_receipt

# Field limits in characters, shared with the form.
MAX_LONG_TEXT = 20_000
MAX_TEXT = 5_000
MAX_SHORT_TEXT = 300
URGENCIES = ("normal", "urgent")
ELSEWHERE = ("no", "yes")
IDENTITY_CHOICES = ("anonymous", "confidential")


class ReportAlreadySent(ServiceError):
    """The confirmation page was sent a second time (reload, double click, back button)."""

    title = _l("This report has been sent already")


@dataclass(frozen=True)
class ReportEntry:
    """What the reporter wrote, as the form collected it."""

    category: str
    what_happened: str
    when_where: str = ""
    people_involved: str = ""
    how_known: str = ""
    reported_elsewhere: str = "no"
    elsewhere_details: str = ""
    urgency: str = "normal"
    identity_choice: str = "anonymous"
    name: str = ""
    contact: str = ""
    seeks_status: bool = False
    # The language the reporter wrote in: the officers' automatic messages use it.
    language: str = "lt"
    # Officers the reporter does not want to see the report (when the institution allows it).
    excluded_officers: tuple[int, ...] = ()
    # The reporter asks for a meeting or a call (Art. 9(2)), saying when and how in their
    # own words; no contact detail is required of an anonymous reporter.
    meeting_wanted: bool = False
    meeting_request: str = ""


@dataclass(frozen=True)
class SubmittedReport:
    """What the reporter sees once: the receipt, and what was done to each file."""

    receipt: str
    files: list[CleanedFile]
    acknowledgement_due: date


def submission_digest(token: str) -> bytes:
    """Digest of the confirmation page's one-time token (a random value, not a secret)."""
    return hashlib.sha256(token.encode("utf-8")).digest()


def new_submission_token(session_secret: str) -> str:
    """The check page's one-time token: a random value signed for this browser session, so
    the send step can tell a real round trip through the form from a forged request.

    :param session_secret: the browser session's random CSRF secret.
    """
    nonce = secrets.token_urlsafe(32)
    return f"{nonce}.{_token_signature(nonce, session_secret)}"


def is_submission_token(token: str | None, session_secret: str | None) -> bool:
    """Whether a token is one that :func:`new_submission_token` made for this session."""
    nonce, _dot, signature = (token or "").partition(".")
    if not (nonce and session_secret):
        return False
    return hmac.compare_digest(signature.encode("utf-8"),
                               _token_signature(nonce, session_secret).encode("utf-8"))


def _token_signature(nonce: str, session_secret: str) -> str:
    key = expand_key(current_app.config["SECRET_KEY"].encode("utf-8"),
                     b"skaidra/submission-token/v1")
    message = f"{nonce}\0{session_secret}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def submit_report(institution: Institution, entry: ReportEntry, uploads: list[Upload],
                  submission_token: str,
                  flood_check: Callable[[], bool] | None = None,
                  voice: CleanedFile | None = None) -> SubmittedReport:
    """Store a report encrypted, sealed to the institution's readers, and issue its receipt.

    Nothing is written unless everything succeeds.

    :param flood_check: called once the entry is valid, the confirmation page new and the
        files accepted, before any key is derived, so a replayed page or a refused file
        counts nothing; returns whether to mark the report as a possible flood.
    :param voice: the reporter's voice message, disguised already
        (:mod:`app.services.reporting.voice_messages`).
    :raises ServiceError: invalid entry, a file that cannot be accepted, or a confirmation
        page sent twice.
    """
    _check(institution, entry, spoken=voice is not None)
    digest = submission_digest(submission_token)
    if db.session.scalar(select(Report.id).where(Report.submission_digest == digest)):
        raise _already_sent()
    files = clean_uploads(uploads) + ([voice] if voice else [])
    # Counted only once the files are accepted: a refused file costs the reporter nothing.
    possible_flood = flood_check() if flood_check else False

    report, receipt, _data_key = store_report(
        institution, category=entry.category, received_on=today(),
        urgent=entry.urgency == "urgent", content=_content(entry), identity=_identity(entry),
        files=files, submission_digest=digest, excluded=set(entry.excluded_officers),
        possible_flood=possible_flood)
    if entry.meeting_wanted:
        report.meeting_requested_on = report.received_on
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if db.session.scalar(select(Report.id).where(Report.submission_digest == digest)):
            # The same confirmation page sent twice at once: the other request stored it.
            raise _already_sent() from None
        raise  # anything else must not tell the reporter their report was stored
    return SubmittedReport(format_receipt(receipt), files, acknowledgement_due(report))


def store_report(institution: Institution, *, category: str, received_on: date, urgent: bool,
                 content: dict, identity: dict | None, files: list[CleanedFile],
                 submission_digest: bytes, excluded: set[int] = frozenset(),
                 possible_flood: bool = False,
                 channel: ReportChannel = ReportChannel.WEB) -> tuple[Report, str, bytes]:
    """A new report encrypted under a new data key, sealed to the institution's readers,
    with its receipt issued, added to the session (not committed): the report, the
    receipt's digits and the data key. The web form and the officers' registration of a
    report received another way both store reports through here."""
    data_key = new_data_key()
    report = Report(ref=new_ref(), institution=institution, category=category,
                    status=ReportStatus.NEW, received_on=received_on,
                    submission_digest=submission_digest, possible_flood=possible_flood,
                    urgent=urgent, channel=channel)
    report.last_activity_on = today()
    refresh_deadline(report)
    # A flood must not become a flood of e-mails, nor silence the officers: marked reports
    # are announced once per institution and notice run (notifications.send_pending_notices).
    report.pending_notice = "possible_flood" if possible_flood else "new_report"
    write_content(report, data_key, content, identity)
    receipt, scheme, keys = issue_receipt()
    report.receipt_scheme_id = scheme.id
    report.reporter_locator = keys.locator
    report.reporter_key = wrap_for_reporter(keys, data_key, report.ref)
    add_files(report, data_key, files)
    seal_for_readers(report, data_key, excluded=excluded)
    db.session.add(report)
    return report, receipt, data_key


def identity_section(identity_choice: str, name: str, contact: str,
                     seeks_status: bool) -> dict | None:
    """The identity section, only when the reporter chose to give it."""
    if identity_choice != "confidential":
        return None
    return {"name": name.strip(), "contact": contact.strip(), "seeks_status": seeks_status}


def _already_sent() -> ReportAlreadySent:
    return ReportAlreadySent(_("This report has been sent already. Its receipt was shown once, "
                          "right after sending, and cannot be shown again."))


def _content(entry: ReportEntry) -> dict:
    content = asdict(entry)
    for private in ("category", "identity_choice", "name", "contact", "seeks_status"):
        content.pop(private)
    content["excluded_officers"] = list(entry.excluded_officers)
    content["meeting_request"] = entry.meeting_request.strip() if entry.meeting_wanted else ""
    return content


def _identity(entry: ReportEntry) -> dict | None:
    return identity_section(entry.identity_choice, entry.name, entry.contact,
                            entry.seeks_status)


def _check(institution: Institution, entry: ReportEntry, spoken: bool = False) -> None:
    """The service's own guard; the form shows friendlier messages for the same rules.

    :param spoken: a voice message comes with the report, so it may have no written text.
    """
    if entry.category not in institution.categories:
        raise ServiceError(_("Choose what the report is about."))
    if not entry.what_happened.strip() and not spoken:
        raise ServiceError(_("Describe what happened."))
    long_fields = (entry.what_happened,)
    fields = (entry.when_where, entry.people_involved, entry.how_known,
              entry.elsewhere_details, entry.meeting_request)
    if (any(len(text) > MAX_LONG_TEXT for text in long_fields)
            or any(len(text) > MAX_TEXT for text in fields)
            or any(len(text) > MAX_SHORT_TEXT for text in (entry.name, entry.contact))):
        raise ServiceError(_("One of the answers is too long."))
    if entry.excluded_officers and not (
            institution.allow_exclusions
            and set(entry.excluded_officers) <= {o.id for o in entitled_officers(institution)}):
        raise ServiceError(_("Choose officers from the list."))
    if (entry.urgency not in URGENCIES or entry.reported_elsewhere not in ELSEWHERE
            or entry.identity_choice not in IDENTITY_CHOICES):
        raise ServiceError(_("Choose one of the offered answers."))
    if entry.identity_choice == "confidential" and not (entry.name.strip()
                                                        and entry.contact.strip()):
        raise ServiceError(_("To report confidentially, give your name and a way to "
                             "contact you."))
