"""The case history in words, for the case page (metadata only)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import (
    CaseEvent,
    CaseEventKind,
    Institution,
    Outcome,
    ReportChannel,
    ReportStatus,
    User,
)
from app.services.casefile.categories import CATEGORY_LABELS
from app.services.casefile.labels import OUTCOME_LABELS, STATUS_LABELS

# How a registered report came in, and who received it (``name``).
REGISTERED = {
    ReportChannel.TELEPHONE: _l("Registered a report received by telephone; %(name)s took "
                                "the call"),
    ReportChannel.VOICEMAIL: _l("Registered a report left as a voicemail; %(name)s received "
                                "it"),
    ReportChannel.MEETING: _l("Registered a report made in a meeting with %(name)s"),
    ReportChannel.LETTER: _l("Registered a report received by letter; %(name)s received it"),
    ReportChannel.EMAIL: _l("Registered a report received by e-mail; %(name)s received it"),
}


def describe_event(event: CaseEvent) -> str:
    """A step of the case history in words (metadata only)."""
    change = event.change or {}

    def name_of(user_id) -> str:
        user = db.session.get(User, user_id) if user_id else None
        return user.display_name if user else _("nobody")

    if event.kind == CaseEventKind.STATUS:
        text = _("Status: %(old)s → %(new)s", old=STATUS_LABELS[ReportStatus(change["old"])],
                 new=STATUS_LABELS[ReportStatus(change["new"])])
        if change.get("outcome"):
            text += " (" + str(OUTCOME_LABELS[Outcome(change["outcome"])]) + ")"
        return text
    if event.kind == CaseEventKind.ASSIGNED:
        return _("Responsible officer: %(name)s", name=name_of(change.get("officer")))
    if event.kind == CaseEventKind.TRIAGED:
        return _("Rated: likelihood %(l)s × impact %(i)s", l=change["likelihood"],
                 i=change["impact"])
    if event.kind == CaseEventKind.RECLASSIFIED:
        return _("Category: %(old)s → %(new)s",
                 old=CATEGORY_LABELS.get(change["old"], change["old"]),
                 new=CATEGORY_LABELS.get(change["new"], change["new"]))
    if event.kind == CaseEventKind.GRANTED:
        return _("Access granted to %(name)s", name=name_of(change.get("officer")))
    if event.kind == CaseEventKind.RECUSED:
        return _("%(name)s stepped away from the case", name=name_of(change.get("officer")))
    if event.kind == CaseEventKind.TRANSFERRED:
        source = db.session.get(Institution, change.get("source"))
        target = db.session.get(Institution, change.get("target"))
        return _("Transferred from %(source)s to %(target)s",
                 source=source.slug if source else "—", target=target.slug if target else "—")
    if event.kind == CaseEventKind.REOPENED:
        if change.get("outcome"):
            return _("Reopened (it had been closed as: %(outcome)s)",
                     outcome=OUTCOME_LABELS[Outcome(change["outcome"])])
        return _("Reopened")
    if event.kind == CaseEventKind.REGISTERED:
        sentence = REGISTERED.get(change.get("channel"))
        if sentence is None:
            return _("Registered a report received another way")
        return str(sentence) % {"name": name_of(change.get("taken_by"))}
    if event.kind == CaseEventKind.MINUTES_REVISED:
        return _("Minutes revised: version %(num)d", num=change["version"])
    # The reporter's own steps: the line names the reporter already.
    if event.kind == CaseEventKind.MINUTES_CORRECTION:
        return _("Asked to correct version %(num)d of the minutes", num=change["version"])
    if event.kind == CaseEventKind.MINUTES_APPROVED:
        if change.get("by") == "paper":
            return _("Recorded that the reporter signed version %(num)d of the minutes on "
                     "paper", num=change["version"])
        return _("Approved version %(num)d of the minutes in the mailbox",
                 num=change["version"])
    if event.kind == CaseEventKind.MEETING_HANDLED:
        return _("The request for a meeting or a call was handled")
    if event.kind == CaseEventKind.RECOVERY_GRANT:
        return _("Access granted to %(name)s with the recovery code",
                 name=name_of(change.get("officer")))
    return event.kind
