"""What officers do with a case: open it, acknowledge, reply, note, triage, assign, change its
status, recuse, grant access and transfer it. Every step writes a case event and an audit
entry in the same transaction.

An officer works on a case through a :class:`CaseAccess`: the report with its data key,
opened from the officer's own sealed copy. Without a copy there is nothing to open
(:func:`open_case` returns None), whatever the permission checks said.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from app.extensions import db
from app.models import (
    Attachment,
    Author,
    CaseEvent,
    CaseNote,
    Institution,
    Message,
    Outcome,
    Report,
    ReportStatus,
    SealedKey,
    User,
)
from app.services import ServiceError, audit
from app.services.casefile.attachments import Upload, clean_uploads
from app.services.casefile.categories import CATEGORY_LABELS
from app.services.casefile.content import (
    add_message,
    file_bytes,
    file_view,
    new_ref,
    open_json,
    read_content,
    read_conversation,
    report_files,
    seal_json,
    stored_file_bytes,
)
from app.services.casefile.deadlines import feedback_due, refresh_deadline, today
from app.services.casefile.outcomes import OUTCOME_LABELS
from app.services.casefile.sealing import (
    entitled_officers,
    holds_key,
    officer_data_key,
    reseal_recovery_key,
    seal_to_officer,
)

STATUS_LABELS = {
    ReportStatus.NEW: _l("Received, waiting to be acknowledged"),
    ReportStatus.ACKNOWLEDGED: _l("Acknowledged"),
    ReportStatus.ASSESSMENT: _l("Being assessed"),
    ReportStatus.INVESTIGATION: _l("Under investigation"),
    ReportStatus.CLOSED: _l("Closed"),
}
# The lifecycle runs forward (DESIGN.md, "Case lifecycle"); acknowledging is its own step,
# because it also answers the reporter.
NEXT_STATUSES = {
    ReportStatus.NEW: (),
    ReportStatus.ACKNOWLEDGED: (ReportStatus.ASSESSMENT, ReportStatus.INVESTIGATION,
                                ReportStatus.CLOSED),
    ReportStatus.ASSESSMENT: (ReportStatus.INVESTIGATION, ReportStatus.CLOSED),
    ReportStatus.INVESTIGATION: (ReportStatus.CLOSED,),
    ReportStatus.CLOSED: (),
}
MAX_TEXT = 20_000
TRIAGE_SCALE = range(1, 6)


@dataclass(frozen=True)
class CaseAccess:
    """An officer working on an opened case, for one request."""

    report: Report
    officer: User
    data_key: bytes


def open_case(report: Report, officer: User, private_key, *, record: bool = True
              ) -> CaseAccess | None:
    """Open the case with the officer's own sealed copy of its key; None without one.

    :param record: write the "case_viewed" audit entry (and commit); actions that open the
        case only to change it record their own entry instead.
    """
    data_key = officer_data_key(report, officer, private_key)
    if data_key is None:
        return None
    if record:
        audit.record("case_viewed", actor=officer, institution=report.institution,
                     report_ref=report.ref)
        db.session.commit()
    return CaseAccess(report, officer, data_key)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _event(access: CaseAccess, kind: str, reason: str = "", **change) -> CaseEvent:
    event = CaseEvent(ref=new_ref(), officer=access.officer, happened_at=_now(), kind=kind,
                      change=change)
    if reason:
        event.reason = seal_json(access.data_key, {"text": reason}, access.report.ref,
                                 "event", event.ref)
    access.report.events.append(event)
    return event


def _text(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ServiceError(message)
    if len(text) > MAX_TEXT:
        raise ServiceError(_("The text is too long."))
    return text


def event_reason(access: CaseAccess, event: CaseEvent) -> str:
    """The reason an officer gave for a step, decrypted ("" when none)."""
    if event.reason is None:
        return ""
    return open_json(access.data_key, event.reason, access.report.ref, "event",
                     event.ref)["text"]


def note_text(access: CaseAccess, note: CaseNote) -> str:
    """An internal note, decrypted."""
    return open_json(access.data_key, note.body, access.report.ref, "note", note.ref)["text"]


def excluded_officers(access: CaseAccess) -> list[int]:
    """Officers the reporter asked to keep out of this case."""
    content, _identity = read_content(access.report, access.data_key)
    return list(content.get("excluded_officers", []))


def acknowledge(access: CaseAccess) -> Message:
    """Acknowledge receipt: the reporter finds a message in their mailbox, in the language
    they wrote in, saying by when they will hear what is being done. Commits."""
    report = access.report
    if report.status != ReportStatus.NEW:
        raise ServiceError(_("This report has been acknowledged already."))
    report.status, report.acknowledged_on = ReportStatus.ACKNOWLEDGED, today()
    refresh_deadline(report)
    content, _identity = read_content(report, access.data_key)
    language = content.get("language") or report.institution.languages[0]
    with force_locale(language):
        text = _("Thank you. Your report has been received and registered by %(institution)s. "
                 "An integrity officer will assess it and tell you here, by %(date)s at the "
                 "latest, what is being done. You can add information or answer questions "
                 "here at any time.", institution=report.institution.name(language),
                 date=format_date(feedback_due(report), "long"))
    message = add_message(report, access.data_key, Author.OFFICER, text, [], access.officer)
    _event(access, "status", old=ReportStatus.NEW.value, new=ReportStatus.ACKNOWLEDGED.value)
    audit.record("status_changed", actor=access.officer, institution=report.institution,
                 report_ref=report.ref, old="new", new="acknowledged")
    db.session.commit()
    return message


def send_officer_message(access: CaseAccess, text: str, uploads: list[Upload] = ()) -> Message:
    """Answer the reporter; they read it after signing in with their receipt. The first
    answer after the acknowledgement counts as the feedback the Directive requires. Commits.

    :raises ServiceError: an empty or too long message, or files that cannot be accepted.
    """
    report = access.report
    text = _text(text, _("Write a message."))
    files = clean_uploads(list(uploads), already_stored=stored_file_bytes(report))
    message = add_message(report, access.data_key, Author.OFFICER, text, files, access.officer)
    if report.acknowledged_on is not None and report.feedback_on is None:
        report.feedback_on = today()
        refresh_deadline(report)
    audit.record("message_sent", actor=access.officer, institution=report.institution,
                 report_ref=report.ref, files=len(files))
    db.session.commit()
    return message


def add_note(access: CaseAccess, text: str) -> CaseNote:
    """An internal note for the officers; the reporter never sees it. Commits."""
    text = _text(text, _("Write a note."))
    note = CaseNote(ref=new_ref(), author=access.officer, written_at=_now())
    note.body = seal_json(access.data_key, {"text": text}, access.report.ref, "note", note.ref)
    access.report.notes.append(note)
    audit.record("note_added", actor=access.officer, institution=access.report.institution,
                 report_ref=access.report.ref)
    db.session.commit()
    return note


def change_status(access: CaseAccess, status: ReportStatus, reason: str,
                  outcome: Outcome | None = None) -> None:
    """Move the case forward with a reason; closing needs an outcome. Commits.

    :raises ServiceError: a step the lifecycle does not allow, no reason, or no outcome.
    """
    report = access.report
    if status not in NEXT_STATUSES[report.status]:
        raise ServiceError(_("A case cannot move from “%(old)s” to “%(new)s”.",
                             old=STATUS_LABELS[report.status], new=STATUS_LABELS[status]))
    reason = _text(reason, _("Give the reason for the change."))
    if status == ReportStatus.CLOSED:
        if outcome is None:
            raise ServiceError(_("Choose the outcome of the case."))
        report.outcome, report.closed_on = outcome, today()
    old, report.status = report.status, status
    refresh_deadline(report)
    change = {"old": old.value, "new": status.value}
    if outcome is not None and status == ReportStatus.CLOSED:
        change["outcome"] = outcome.value
    _event(access, "status", reason, **change)
    audit.record("status_changed", actor=access.officer, institution=report.institution,
                 report_ref=report.ref, **change)
    db.session.commit()


def assign(access: CaseAccess, assignee: User | None) -> None:
    """Make an officer who can read the case responsible for it (or nobody). Commits."""
    report = access.report
    if assignee is not None and not holds_key(report, assignee):
        raise ServiceError(_("Only an officer who has access to the case can be assigned."))
    report.assignee = assignee
    _event(access, "assigned", officer=assignee.id if assignee else None)
    audit.record("assigned", actor=access.officer, institution=report.institution,
                 report_ref=report.ref, user=assignee.id if assignee else None)
    db.session.commit()


def triage(access: CaseAccess, likelihood: int, impact: int) -> None:
    """Rate the case: likelihood × impact, each 1 to 5. Commits."""
    if likelihood not in TRIAGE_SCALE or impact not in TRIAGE_SCALE:
        raise ServiceError(_("Rate likelihood and impact from 1 to 5."))
    report = access.report
    report.likelihood, report.impact = likelihood, impact
    _event(access, "triaged", likelihood=likelihood, impact=impact)
    audit.record("triaged", actor=access.officer, institution=report.institution,
                 report_ref=report.ref, likelihood=likelihood, impact=impact)
    db.session.commit()


def reclassify(access: CaseAccess, category: str) -> None:
    """Put the case in another of the institution's categories. Commits."""
    report = access.report
    if category not in report.institution.categories:
        raise ServiceError(_("Choose one of the institution's categories."))
    old, report.category = report.category, category
    _event(access, "reclassified", old=old, new=category)
    audit.record("reclassified", actor=access.officer, institution=report.institution,
                 report_ref=report.ref, old=old, new=category)
    db.session.commit()


def colleagues_without_access(access: CaseAccess) -> list[User]:
    """Active officers of the institution who hold no key for the case and whom the
    reporter did not exclude: the people access can be granted to."""
    skip = set(excluded_officers(access)) | {user.id for user in readers(access.report)}
    return [officer for officer in entitled_officers(access.report.institution)
            if officer.id not in skip]


def readers(report: Report) -> list[User]:
    """Everyone who holds a key for the case."""
    return list(db.session.scalars(select(User).join(SealedKey).where(
        SealedKey.report_id == report.id).order_by(User.display_name)))


def grant(access: CaseAccess, colleague: User) -> None:
    """Seal the case key to a colleague of the institution (e.g. an officer who joined
    after the report arrived). Commits.

    :raises ServiceError: not an active officer of the institution, excluded by the
        reporter, or already has access.
    """
    report = access.report
    if colleague not in colleagues_without_access(access):
        raise ServiceError(_("Access can be granted only to an officer of the institution "
                             "who has none yet and whom the reporter did not exclude."))
    seal_to_officer(report, access.data_key, colleague)
    _event(access, "granted", officer=colleague.id)
    audit.record("access_granted", actor=access.officer, institution=report.institution,
                 report_ref=report.ref, user=colleague.id)
    db.session.commit()


def recuse(access: CaseAccess, reason: str) -> None:
    """Step away from the case for a conflict of interest: the officer's own key copy is
    destroyed, so they cannot open it again unless a colleague grants it. Commits."""
    report = access.report
    reason = _text(reason, _("Give the reason for stepping away."))
    _event(access, "recused", reason, officer=access.officer.id)
    db.session.execute(delete(SealedKey).where(SealedKey.report_id == report.id,
                                               SealedKey.user_id == access.officer.id))
    if report.assignee_id == access.officer.id:
        report.assignee = None
    audit.record("recused", actor=access.officer, institution=report.institution,
                 report_ref=report.ref)
    db.session.commit()


def transfer(access: CaseAccess, target: Institution, reason: str, keep_access: bool) -> None:
    """Hand the case to another institution of the network (e.g. a report sent to the wrong
    municipality). Its officers and recovery key get the data key; the sending institution's
    copies are destroyed, except the transferring officer's when they choose to keep it.
    The reporter's receipt keeps working: their copy of the key is untouched. Commits.
    """
    report, source = access.report, access.report.institution
    if target.id == source.id:
        raise ServiceError(_("Choose another institution."))
    reason = _text(reason, _("Give the reason for the transfer."))
    if report.category not in target.categories:
        report.category = target.categories[0]
    keep = {access.officer.id} if keep_access else set()
    db.session.execute(delete(SealedKey).where(SealedKey.report_id == report.id,
                                               SealedKey.user_id.not_in(keep)))
    db.session.expire(report, ["sealed_keys"])
    report.institution, report.assignee = target, None
    db.session.flush()
    # The reporter's exclusions travel with the report: they name people, not institutions.
    skip = {officer.id for officer in readers(report)} | set(excluded_officers(access))
    for officer in entitled_officers(target):
        if officer.id not in skip:
            seal_to_officer(report, access.data_key, officer)
    reseal_recovery_key(report, access.data_key)
    refresh_deadline(report)
    _event(access, "transferred", reason, source=source.id, target=target.id)
    audit.record("transferred_out", actor=access.officer, institution=source,
                 report_ref=report.ref, target=target.id, kept_access=keep_access)
    audit.record("transferred_in", actor=access.officer, institution=target,
                 report_ref=report.ref, source=source.id)
    db.session.commit()


@dataclass(frozen=True)
class Download:
    """A decrypted attachment on its way to the officer's browser."""

    name: str
    content_type: str
    data: bytes


def download(access: CaseAccess, file_ref: str) -> Download | None:
    """Decrypt one attachment of the case for download (audited); None when unknown."""
    attachment = db.session.scalar(select(Attachment).where(
        Attachment.ref == file_ref, Attachment.report_id == access.report.id))
    if attachment is None:
        return None
    view = file_view(access.report, access.data_key, attachment)
    data = file_bytes(access.report, access.data_key, attachment)
    audit.record("file_downloaded", actor=access.officer, institution=access.report.institution,
                 report_ref=access.report.ref, file=attachment.ref)
    db.session.commit()
    return Download(view.name, view.content_type, data)


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


def case_view(access: CaseAccess) -> CaseView:
    """Decrypt the whole case for the case page."""
    report, key = access.report, access.data_key
    content, identity = read_content(report, key)
    excluded_ids = content.get("excluded_officers", [])
    excluded = list(db.session.scalars(select(User).where(User.id.in_(excluded_ids)))) \
        if excluded_ids else []
    return CaseView(
        report=report, content=content, identity=identity,
        files=report_files(report, key), messages=read_conversation(report, key),
        notes=[NoteItem(note, note_text(access, note)) for note in report.notes],
        history=[HistoryItem(event, event_reason(access, event)) for event in report.events],
        readers=readers(report), excluded=excluded)


def describe_event(event: CaseEvent) -> str:
    """A step of the case history in words (metadata only)."""
    change = event.change or {}

    def name_of(user_id) -> str:
        user = db.session.get(User, user_id) if user_id else None
        return user.display_name if user else _("nobody")

    if event.kind == "status":
        text = _("Status: %(old)s → %(new)s", old=STATUS_LABELS[ReportStatus(change["old"])],
                 new=STATUS_LABELS[ReportStatus(change["new"])])
        if change.get("outcome"):
            text += " (" + str(OUTCOME_LABELS[Outcome(change["outcome"])]) + ")"
        return text
    if event.kind == "assigned":
        return _("Responsible officer: %(name)s", name=name_of(change.get("officer")))
    if event.kind == "triaged":
        return _("Rated: likelihood %(l)s × impact %(i)s", l=change["likelihood"],
                 i=change["impact"])
    if event.kind == "reclassified":
        return _("Category: %(old)s → %(new)s",
                 old=CATEGORY_LABELS.get(change["old"], change["old"]),
                 new=CATEGORY_LABELS.get(change["new"], change["new"]))
    if event.kind == "granted":
        return _("Access granted to %(name)s", name=name_of(change.get("officer")))
    if event.kind == "recused":
        return _("%(name)s stepped away from the case", name=name_of(change.get("officer")))
    if event.kind == "transferred":
        source = db.session.get(Institution, change.get("source"))
        target = db.session.get(Institution, change.get("target"))
        return _("Transferred from %(source)s to %(target)s",
                 source=source.slug if source else "—", target=target.slug if target else "—")
    return event.kind
