"""What officers do with an opened case (:mod:`app.services.casework.opened_case`):
acknowledge, reply, note, triage, assign, change its status, recuse, grant a colleague its
key and transfer it. Every step writes a case event and an audit entry in one transaction
(:func:`~app.services.casework.opened_case.record_step`) and commits."""

from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import delete

from app.extensions import db
from app.models import (
    Author,
    CaseEventKind,
    CaseNote,
    Institution,
    Message,
    MessageKind,
    Outcome,
    ReportStatus,
    SealedKey,
    User,
)
from app.services import ServiceError, audit
from app.services.casefile.attachments import Upload, clean_uploads
from app.services.casefile.content import (
    add_message,
    new_ref,
    read_content,
    seal_json,
    stored_file_bytes,
)
from app.services.casefile.deadlines import (
    acknowledgement_due,
    feedback_due,
    refresh_deadline,
    today,
)
from app.services.casefile.labels import STATUS_LABELS
from app.services.casefile.sealing import (
    entitled_officers,
    holds_key,
    reseal_recovery_key,
    seal_to_officer,
)
from app.services.casework.opened_case import (
    OpenedCase,
    add_event,
    excluded_officers,
    now,
    readers,
    record_step,
)

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


def _text(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ServiceError(message)
    if len(text) > MAX_TEXT:
        raise ServiceError(_("The text is too long."))
    return text


def acknowledge(case: OpenedCase) -> Message:
    """Acknowledge receipt: the reporter finds a message in their mailbox, in the language
    they wrote in, saying by when they will hear what is being done. Commits."""
    report = case.report
    if report.status != ReportStatus.NEW:
        raise ServiceError(_("This report has been acknowledged already."))
    report.status, report.acknowledged_on = ReportStatus.ACKNOWLEDGED, today()
    refresh_deadline(report)
    content, _identity = read_content(report, case.data_key)
    language = content.get("language") or report.institution.languages[0]
    with force_locale(language):
        text = _("Thank you. Your report has been received and registered by %(institution)s. "
                 "An integrity officer will assess it and tell you here, by %(date)s at the "
                 "latest, what is being done. You can add information or answer questions "
                 "here at any time.", institution=report.institution.name(language),
                 date=format_date(feedback_due(report), "long"))
    message = add_message(report, case.data_key, Author.OFFICER, text, [], case.officer,
                          MessageKind.ACKNOWLEDGEMENT)
    change = {"old": ReportStatus.NEW.value, "new": ReportStatus.ACKNOWLEDGED.value}
    record_step(case, "status_changed", CaseEventKind.STATUS, change=change, **change)
    return message


# What an officer chooses to send; acknowledgements and transfer notices are Skaidra's own.
CHOSEN_KINDS = (MessageKind.QUESTION, MessageKind.UPDATE, MessageKind.FEEDBACK)


def send_officer_message(case: OpenedCase, text: str, kind: MessageKind,
                         uploads: list[Upload] = ()) -> Message:
    """Write to the reporter; they read it after signing in with their receipt.

    Only a message sent as :attr:`MessageKind.FEEDBACK` (what was done or is planned, and
    why: Directive Art. 9(1)(f)) meets the feedback deadline: a question or an update leaves
    the clock running. Commits.

    :raises ServiceError: no valid kind, an empty or too long message, or files that cannot
        be accepted.
    """
    report = case.report
    if kind not in CHOSEN_KINDS:
        raise ServiceError(_("Choose what the message is: a question, an update or the "
                             "feedback."))
    text = _text(text, _("Write a message."))
    files = clean_uploads(list(uploads), already_stored=stored_file_bytes(report))
    message = add_message(report, case.data_key, Author.OFFICER, text, files, case.officer,
                          kind)
    if kind == MessageKind.FEEDBACK and report.feedback_on is None:
        report.feedback_on = today()
        refresh_deadline(report)
    record_step(case, "message_sent", files=len(files), sent_as=kind.value)
    return message


def add_note(case: OpenedCase, text: str) -> CaseNote:
    """An internal note for the officers; the reporter never sees it. Commits."""
    text = _text(text, _("Write a note."))
    note = CaseNote(ref=new_ref(), author=case.officer, written_at=now())
    note.body = seal_json(case.data_key, {"text": text}, case.report.ref, "note", note.ref)
    case.report.notes.append(note)
    case.report.last_activity_on = today()
    record_step(case, "note_added")
    return note


def change_status(case: OpenedCase, status: ReportStatus, reason: str,
                  outcome: Outcome | None = None) -> None:
    """Move the case forward with a reason; closing needs an outcome. Commits.

    :raises ServiceError: a step the lifecycle does not allow, no reason, or no outcome.
    """
    report = case.report
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
    record_step(case, "status_changed", CaseEventKind.STATUS, reason, change, **change)


def reopen(case: OpenedCase, reason: str) -> None:
    """Reopen a closed case with a reason: it is assessed again, and the reporter is owed
    feedback again, within the institution's feedback period from today. The old outcome
    stays in the case history. It returns to assessment, never to "acknowledged": a case
    reaches "closed" only through the acknowledgement (:data:`NEXT_STATUSES`), so a closed
    case has always been acknowledged. Commits.

    :raises ServiceError: the case is not closed, or no reason was given.
    """
    report = case.report
    if report.status != ReportStatus.CLOSED:
        raise ServiceError(_("Only a closed case can be reopened."))
    reason = _text(reason, _("Give the reason for reopening the case."))
    old_outcome = report.outcome.value if report.outcome else None
    report.status, report.outcome, report.closed_on = ReportStatus.ASSESSMENT, None, None
    report.reopened_on, report.feedback_on = today(), None
    refresh_deadline(report)
    record_step(case, "case_reopened", CaseEventKind.REOPENED, reason,
                {"outcome": old_outcome}, outcome=old_outcome)


def assign(case: OpenedCase, assignee: User | None) -> None:
    """Make an officer who can read the case responsible for it (or nobody). Commits."""
    report = case.report
    if assignee is not None and not holds_key(report, assignee):
        raise ServiceError(_("Only an officer who has access to the case can be assigned."))
    report.assignee = assignee
    officer = assignee.id if assignee else None
    record_step(case, "assigned", CaseEventKind.ASSIGNED, change={"officer": officer},
                user=officer)


def triage(case: OpenedCase, likelihood: int, impact: int) -> None:
    """Rate the case: likelihood × impact, each 1 to 5. Commits."""
    if likelihood not in TRIAGE_SCALE or impact not in TRIAGE_SCALE:
        raise ServiceError(_("Rate likelihood and impact from 1 to 5."))
    report = case.report
    report.likelihood, report.impact = likelihood, impact
    change = {"likelihood": likelihood, "impact": impact}
    record_step(case, "triaged", CaseEventKind.TRIAGED, change=change, **change)


def reclassify(case: OpenedCase, category: str) -> None:
    """Put the case in another of the institution's categories. Commits."""
    report = case.report
    if category not in report.institution.categories:
        raise ServiceError(_("Choose one of the institution's categories."))
    old, report.category = report.category, category
    change = {"old": old, "new": category}
    record_step(case, "reclassified", CaseEventKind.RECLASSIFIED, change=change, **change)


def colleagues_without_access(case: OpenedCase) -> list[User]:
    """Active officers of the institution who hold no key for the case and whom the
    reporter did not exclude: the people access can be granted to."""
    skip = set(excluded_officers(case)) | {user.id for user in readers(case.report)}
    return [officer for officer in entitled_officers(case.report.institution)
            if officer.id not in skip]


def grant(case: OpenedCase, colleague: User) -> None:
    """Seal the case key to a colleague of the institution (e.g. an officer who joined
    after the report arrived). Commits.

    :raises ServiceError: not an active officer of the institution, excluded by the
        reporter, or already has case.
    """
    report = case.report
    if colleague not in colleagues_without_access(case):
        raise ServiceError(_("Access can be granted only to an officer of the institution "
                             "who has none yet and whom the reporter did not exclude."))
    seal_to_officer(report, case.data_key, colleague)
    record_step(case, "access_granted", CaseEventKind.GRANTED,
                change={"officer": colleague.id}, user=colleague.id)


def recuse(case: OpenedCase, reason: str) -> None:
    """Step away from the case for a conflict of interest: the officer's own key copy is
    destroyed, so they cannot open it again unless a colleague grants it. Commits."""
    report = case.report
    reason = _text(reason, _("Give the reason for stepping away."))
    add_event(case, CaseEventKind.RECUSED, reason, officer=case.officer.id)
    db.session.execute(delete(SealedKey).where(SealedKey.report_id == report.id,
                                               SealedKey.user_id == case.officer.id))
    if report.assignee_id == case.officer.id:
        report.assignee = None
    record_step(case, "recused")


def _tell_of_transfer(case: OpenedCase, target: Institution) -> None:
    """The mailbox notice of a transfer, in the reporter's language: to whom, and by when
    they will hear (the deadlines keep counting from the day the report was sent, in the
    receiving institution's periods). The officer's reason is internal and is not repeated.
    Called after :func:`refresh_deadline`: a case without a deadline (closed, or feedback
    already given) promises no date."""
    report = case.report
    content, _identity = read_content(report, case.data_key)
    language = content.get("language") or target.languages[0]
    with force_locale(language):
        text = _("Your report has been passed on to %(institution)s, which is competent to "
                 "follow it up. Its integrity officers can read it and will answer you here; "
                 "your receipt keeps working.", institution=target.name(language))
        if report.due_on is not None and report.acknowledged_on is None:
            text += " " + _("The time limits still count from the day you sent the report: "
                            "its receipt will be acknowledged by %(acknowledgement)s, and you "
                            "will hear what is being done by %(date)s at the latest.",
                            acknowledgement=format_date(acknowledgement_due(report), "long"),
                            date=format_date(feedback_due(report), "long"))
        elif report.due_on is not None:
            text += " " + _("The time limits still count from the day you sent the report: "
                            "you will hear what is being done by %(date)s at the latest.",
                            date=format_date(feedback_due(report), "long"))
    add_message(report, case.data_key, Author.OFFICER, text, [], case.officer,
                MessageKind.TRANSFER)


def transfer(case: OpenedCase, target: Institution, reason: str, keep_access: bool) -> None:
    """Hand the case to another institution of the network (e.g. a report sent to the wrong
    municipality). Its officers and recovery key get the data key; the sending institution's
    copies are destroyed, except the transferring officer's when they choose to keep it.
    The reporter's receipt keeps working: their copy of the key is untouched. Commits.
    """
    report, source = case.report, case.report.institution
    if target.id == source.id:
        raise ServiceError(_("Choose another institution."))
    reason = _text(reason, _("Give the reason for the transfer."))
    if report.category not in target.categories:
        report.category = target.categories[0]
    keep = {case.officer.id} if keep_access else set()
    db.session.execute(delete(SealedKey).where(SealedKey.report_id == report.id,
                                               SealedKey.user_id.not_in(keep)))
    db.session.expire(report, ["sealed_keys"])
    report.institution, report.assignee = target, None
    db.session.flush()
    # The reporter's exclusions travel with the report: they name people, not institutions.
    skip = {officer.id for officer in readers(report)} | set(excluded_officers(case))
    for officer in entitled_officers(target):
        if officer.id not in skip:
            seal_to_officer(report, case.data_key, officer)
    reseal_recovery_key(report, case.data_key)
    refresh_deadline(report)
    _tell_of_transfer(case, target)
    audit.record("transferred_out", actor=case.officer, institution=source,
                 report_ref=report.ref, target=target.id, kept_access=keep_access)
    record_step(case, "transferred_in", CaseEventKind.TRANSFERRED, reason,
                {"source": source.id, "target": target.id}, source=source.id)


def mark_meeting_handled(case: OpenedCase) -> None:
    """The reporter's request for a meeting or a call has been dealt with (arranged in the
    mailbox, held, or declined with a reason given there); the mark leaves the case.
    Commits.

    :raises ServiceError: no request waiting.
    """
    report = case.report
    if report.meeting_requested_on is None:
        raise ServiceError(_("No request for a meeting or a call is waiting."))
    asked_on, report.meeting_requested_on = report.meeting_requested_on, None
    record_step(case, "meeting_request_handled", CaseEventKind.MEETING_HANDLED,
                change={"asked_on": asked_on.isoformat()})
