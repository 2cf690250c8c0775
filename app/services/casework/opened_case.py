"""A case opened by one officer, and what reading it shows.

An officer works on a case through an :class:`OpenedCase`: the report with its data
key, opened from the officer's own sealed copy. Without a copy there is nothing to
open (:func:`open_case` returns None), whatever the permission checks said. Every
step of case work is recorded here (:func:`record_step`): its event in the case
history and its audit entry, in one transaction."""

from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy import select

from app.extensions import db
from app.models import Attachment, CaseEvent, CaseEventKind, CaseNote, Report, SealedKey, User
from app.services import audit
from app.services.casefile.content import (
    Download,
    decrypted_file,
    excluded_by_reporter,
    new_ref,
    open_json,
    read_content,
    read_conversation,
    report_files,
    seal_json,
)
from app.services.casefile.deadlines import today
from app.services.casefile.minutes import MinutesView, read_minutes
from app.services.casefile.sealing import officer_data_key


@dataclass(frozen=True)
class OpenedCase:
    """An officer working on an opened case, for one request."""

    report: Report
    officer: User
    data_key: bytes


def open_case(report: Report, officer: User, private_key, *, record: bool = True
              ) -> OpenedCase | None:
    """Open the case with the officer's own sealed copy of its key; None without one.

    :param record: write the "case_viewed" audit entry (and commit); actions that open the
        case only to change it record their own entry instead.
    """
    data_key = officer_data_key(report, officer, private_key)
    if data_key is None:
        return None
    case = OpenedCase(report, officer, data_key)
    if record:
        report.reporter_wrote_on = None  # an officer has now seen what the reporter wrote
        record_step(case, "case_viewed")
    return case


def now() -> datetime:
    """The time of a case step, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


def add_event(case: OpenedCase, kind: CaseEventKind, reason: str = "", **change) -> CaseEvent:
    """Add a step to the case history (not committed); a reason is sealed under the case's
    data key, the change holds metadata only."""
    event = CaseEvent(ref=new_ref(), officer=case.officer, happened_at=now(), kind=kind,
                      change=change)
    if reason:
        event.reason = seal_json(case.data_key, {"text": reason}, case.report.ref,
                                 "event", event.ref)
    case.report.events.append(event)
    case.report.last_activity_on = event.happened_at.date()
    return event


def record_reporter_step(report: Report, kind: CaseEventKind, action: str, **change) -> None:
    """Record something the reporter did in the case history and the audit log, keeping
    only its day, as a reporter's message does (not committed)."""
    day = datetime.combine(today(), time.min, tzinfo=UTC)
    report.events.append(CaseEvent(ref=new_ref(), officer=None, happened_at=day, kind=kind,
                                   change={**change, "day_only": True}))
    report.last_activity_on = today()
    audit.record(action, institution=report.institution, report_ref=report.ref,
                 day_only=True, **change)


def record_step(case: OpenedCase, action: str, kind: CaseEventKind | None = None,
                reason: str = "", change: dict | None = None, **detail) -> None:
    """Record one step of case work and commit: its event in the case history (when it has
    a kind) and its audit entry, in one transaction.

    :param detail: the audit entry's metadata.
    """
    if kind is not None:
        add_event(case, kind, reason, **(change or {}))
    audit.record(action, actor=case.officer, institution=case.report.institution,
                 report_ref=case.report.ref, **detail)
    db.session.commit()


def event_reason(case: OpenedCase, event: CaseEvent) -> str:
    """The reason an officer gave for a step, decrypted ("" when none)."""
    if event.reason is None:
        return ""
    return open_json(case.data_key, event.reason, case.report.ref, "event",
                     event.ref)["text"]


def note_text(case: OpenedCase, note: CaseNote) -> str:
    """An internal note, decrypted."""
    return open_json(case.data_key, note.body, case.report.ref, "note", note.ref)["text"]


def excluded_officers(case: OpenedCase) -> list[int]:
    """Officers the reporter asked to keep out of this case."""
    return sorted(excluded_by_reporter(case.report, case.data_key))


def readers(report: Report) -> list[User]:
    """Everyone who holds a key for the case."""
    return list(db.session.scalars(select(User).join(SealedKey).where(
        SealedKey.report_id == report.id).order_by(User.display_name)))


def download(case: OpenedCase, file_ref: str) -> Download | None:
    """Decrypt one attachment of the case for download (audited); None when unknown."""
    attachment = db.session.scalar(select(Attachment).where(
        Attachment.ref == file_ref, Attachment.report_id == case.report.id))
    if attachment is None:
        return None
    found = decrypted_file(case.report, case.data_key, attachment)
    record_step(case, "file_downloaded", file=attachment.ref)
    return found


@dataclass(frozen=True)
class HistoryItem:
    """One step of the case history as shown to officers."""

    event: CaseEvent
    reason: str


@dataclass(frozen=True)
class NoteItem:
    """One internal note as shown to officers."""

    note: CaseNote
    text: str


@dataclass(frozen=True)
class CaseView:
    """Everything the case page shows, decrypted for one officer."""

    report: Report
    content: dict
    identity: dict | None
    files: list
    messages: list
    notes: list[NoteItem]
    history: list[HistoryItem]
    readers: list[User]
    excluded: list[User]
    minutes: list[MinutesView]  # the record of a report an officer registered, oldest first


def case_view(case: OpenedCase) -> CaseView:
    """Decrypt the whole case for the case page."""
    report, key = case.report, case.data_key
    content, identity = read_content(report, key)
    excluded_ids = content.get("excluded_officers", [])
    excluded = list(db.session.scalars(select(User).where(User.id.in_(excluded_ids)))) \
        if excluded_ids else []
    return CaseView(
        report=report, content=content, identity=identity,
        files=report_files(report, key), messages=read_conversation(report, key),
        notes=[NoteItem(note, note_text(case, note)) for note in report.notes],
        history=[HistoryItem(event, event_reason(case, event)) for event in report.events],
        readers=readers(report), excluded=excluded, minutes=read_minutes(report, key))
