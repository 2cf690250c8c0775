"""The record of a report an officer registered, in versions that are never changed.

For a report made orally (telephone, voicemail, meeting) the record is the officer's minutes
or a transcript, which the reporter may check, rectify and agree (Directive Art. 18(2)–(4));
for a letter or an e-mail it is its text. A revision adds the next version, so the version a
reporter agreed, or asked to correct, stays as it was. Texts are ciphertext under the
report's data key; the reporter's answers keep only their day.
"""

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _

from app.models import ORAL_CHANNELS, MinutesState, MinutesVersion, Report, User
from app.services import ServiceError
from app.services.casefile.content import new_ref, open_json, seal_json
from app.services.casefile.deadlines import today

MAX_RECORD = 20_000  # characters, as a report's description
APPROVED_IN_MAILBOX, SIGNED_ON_PAPER = "mailbox", "paper"


@dataclass(frozen=True)
class MinutesView:
    """One version as officers and the reporter read it."""

    number: int
    text: str
    change: str  # what the officer changed from the previous version
    author: User | None
    written_at: datetime
    approved_on: date | None
    approved_by: str | None  # APPROVED_IN_MAILBOX or SIGNED_ON_PAPER
    correction: str | None  # what the reporter asked to correct
    correction_on: date | None


def record_text(text: str) -> str:
    """A record's text, checked.

    :raises ServiceError: empty or too long.
    """
    if not text.strip():
        raise ServiceError(_("Write the minutes, the transcript or the text received."))
    if len(text) > MAX_RECORD:
        raise ServiceError(_("The record is too long: at most %(num)d characters.",
                             num=MAX_RECORD))
    return text.strip()


def add_version(report: Report, data_key: bytes, text: str, change: str,
                author: User, written_at: datetime) -> MinutesVersion:
    """Add the next version of the record (not committed); an oral report's record then
    waits for the reporter's answer again."""
    number = len(report.minutes) + 1
    version = MinutesVersion(ref=new_ref(), number=number, author=author,
                             written_at=written_at)
    version.body = seal_json(data_key, {"text": record_text(text), "change": change.strip()},
                             report.ref, "minutes", version.ref)
    report.minutes.append(version)
    if report.channel in ORAL_CHANNELS:
        report.minutes_state = MinutesState.AWAITING
    return version


def current_version(report: Report) -> MinutesVersion | None:
    """The newest version of the record, if the report has one."""
    return report.minutes[-1] if report.minutes else None


def read_minutes(report: Report, data_key: bytes) -> list[MinutesView]:
    """Every version, oldest first, decrypted."""
    views = []
    for version in report.minutes:
        body = open_json(data_key, version.body, report.ref, "minutes", version.ref)
        correction = (open_json(data_key, version.correction, report.ref, "correction",
                                version.ref)["text"] if version.correction else None)
        views.append(MinutesView(version.number, body["text"], body.get("change", ""),
                                 version.author, version.written_at, version.approved_on,
                                 version.approved_by, correction, version.correction_on))
    return views


def _answerable(report: Report, number: int) -> MinutesVersion:
    """The current version, if ``number`` names it and it waits for the reporter's answer.

    :raises ServiceError: no record to answer, a version that is no longer the current one,
        or one answered already.
    """
    version = current_version(report)
    if version is None or report.channel not in ORAL_CHANNELS:
        raise ServiceError(_("This report has no minutes to approve."))
    if version.number != number:
        raise ServiceError(_("The minutes have been revised since you opened the page: "
                             "read the new version below."))
    if report.minutes_state == MinutesState.APPROVED:
        raise ServiceError(_("These minutes have been approved already."))
    return version


def approve(report: Report, number: int, approved_by: str) -> MinutesVersion:
    """Record that the reporter agreed version ``number`` (not committed).

    :raises ServiceError: see :func:`_answerable`.
    """
    version = _answerable(report, number)
    version.approved_on, version.approved_by = today(), approved_by
    report.minutes_state = MinutesState.APPROVED
    return version


def ask_for_correction(report: Report, data_key: bytes, number: int,
                       text: str) -> MinutesVersion:
    """Record the reporter's request to correct version ``number`` (not committed); a
    second request on the same version replaces the first.

    :raises ServiceError: an empty or too long request, or see :func:`_answerable`.
    """
    version = _answerable(report, number)
    if not text.strip():
        raise ServiceError(_("Write what should be corrected."))
    if len(text) > MAX_RECORD:
        raise ServiceError(_("The request is too long: at most %(num)d characters.",
                             num=MAX_RECORD))
    version.correction = seal_json(data_key, {"text": text.strip()}, report.ref,
                                   "correction", version.ref)
    version.correction_on = today()
    report.minutes_state = MinutesState.CORRECTION
    return version
