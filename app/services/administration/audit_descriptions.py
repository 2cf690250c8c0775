"""Audit entries in words: one translated sentence per entry, built from its metadata.

A sentence never shows a stored code (a status value, a role code, ``True``, a file's
reference): each value is put in words by the labels the rest of Skaidra uses. What the
labels cannot say is left out rather than shown raw.

Why this module is long: it is a table, one short function per audited action (some forty),
kept together so that a new action's sentence is written beside the others and the test
that every action has one reads a single registry.

People and cases inside a sentence stay separate parts, so that the page can link them and
a CSV file can write them as text. Values typed by someone (names, addresses) enter a
translated sentence only through a slot, never through string formatting into markup.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import format_date, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.languages import LANGUAGE_NAMES
from app.models import (
    ActionStatus,
    AuditEntry,
    MessageKind,
    Outcome,
    ReportChannel,
    ReportStatus,
    Role,
)
from app.services import audit
from app.services.administration.members import ROLE_LABELS
from app.services.administration.settings import FIELD_LABELS
from app.services.assessment.labels import ACTION_STATUSES
from app.services.assessment.questionnaires import find_questionnaire, localized
from app.services.casefile.categories import CATEGORY_LABELS
from app.services.casefile.labels import (
    MESSAGE_KIND_LABELS,
    OUTCOME_LABELS,
    STATUS_LABELS,
)

# Marks a slot in a translated sentence; no translation or label contains it.
SLOT = "\x00"
SLOT_NAMES = ("person", "people", "case", "name", "email", "institution", "title")
# Passed to every sentence: each slot name formats to itself, marked.
SLOTS = {name: f"{SLOT}{name}{SLOT}" for name in SLOT_NAMES}


@dataclass(frozen=True)
class Person:
    """Someone an entry names: linked to their member page while they are a member."""

    user_id: int | None
    name: str
    member: bool = False

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class CaseReference:
    """A case an entry names: linked to the case page when the reader may open it."""

    ref: str
    openable: bool = False

    @property
    def short(self) -> str:
        """The first eight characters, as the inbox shows references."""
        return self.ref[:8]

    def __str__(self) -> str:
        return self.short


Part = str | Person | CaseReference


@dataclass(frozen=True)
class Description:
    """A sentence as text pieces, people and cases."""

    parts: tuple[Part, ...]

    def __str__(self) -> str:
        return "".join(str(part) for part in self.parts)


@dataclass
class Lookup:
    """What the sentences of a batch of entries name, fetched once for the batch."""

    names: dict[int, str] = field(default_factory=dict)
    members: set[int] = field(default_factory=set)
    openable: set[str] = field(default_factory=set)
    institutions: dict[int, str] = field(default_factory=dict)
    measures: dict[int, str] = field(default_factory=dict)

    def person(self, user_id) -> Person:
        """The person with this account id (someone unknown when it names none)."""
        if not isinstance(user_id, int) or user_id not in self.names:
            return Person(None, _("an account that no longer exists"))
        return Person(user_id, self.names[user_id], user_id in self.members)

    def case(self, ref: str) -> CaseReference:
        """A case by its reference."""
        return CaseReference(ref, ref in self.openable)

    def institution(self, institution_id) -> str:
        """An institution's name, or words for one that no longer exists."""
        return self.institutions.get(institution_id) or _("another institution")


def fill(text: str, **values) -> Description:
    """A translated sentence with its slots replaced by parts; a list fills a slot with
    several parts, separated by commas."""
    parts: list[Part] = []
    for index, piece in enumerate(text.split(SLOT)):
        if index % 2 == 0:
            if piece:
                parts.append(piece)
            continue
        value = values.get(piece, "")
        for number, item in enumerate(value if isinstance(value, list) else [value]):
            if number:
                parts.append(", ")
            parts.append(item if isinstance(item, Person | CaseReference)
                         else str(item).replace(SLOT, ""))
    return Description(tuple(parts))


def joined(*descriptions: Description | None) -> Description:
    """Clauses of one entry, separated by semicolons."""
    parts: list[Part] = []
    for description in (d for d in descriptions if d is not None):
        if parts:
            parts.append("; ")
        parts.extend(description.parts)
    return Description(tuple(parts))


def _label(labels: dict, enum_class, value) -> str | None:
    try:
        return str(labels[enum_class(value)])
    except (ValueError, KeyError):
        return None


def _role(value) -> str:
    return _label(ROLE_LABELS, Role, value) or _("a role")


def _roles(values) -> str:
    return ", ".join(_role(value) for value in values or [])


def _status(value) -> str:
    return _label(STATUS_LABELS, ReportStatus, value) or _("another status")


def _outcome(value) -> str:
    return _label(OUTCOME_LABELS, Outcome, value) or _("another outcome")


def _category(code) -> str:
    return str(CATEGORY_LABELS.get(code) or _("another category"))


def _questionnaire(detail: dict) -> str:
    questionnaire = find_questionnaire(detail.get("questionnaire", ""), detail.get("version", 0))
    return localized(questionnaire.title, str(get_locale())) if questionnaire else ""


# -- one function per action: (entry, its case, lookup) -> Description -------------------------

Describer = Callable[[AuditEntry, CaseReference | None, Lookup], Description]


def _password_changed(entry, case, lookup):
    user = entry.detail.get("user")
    if user is None or user == entry.actor_id:
        return fill(_("Changed their own password"))
    return fill(_("Changed the password of %(person)s", **SLOTS), person=lookup.person(user))


def _language_changed(entry, case, lookup):
    old, new = entry.detail.get("old"), entry.detail.get("new")
    if old in LANGUAGE_NAMES and new in LANGUAGE_NAMES:
        return fill(_("Changed the language of the workspace and e-mails from %(old)s to "
                      "%(new)s", old=LANGUAGE_NAMES[old], new=LANGUAGE_NAMES[new]))
    return fill(_("Changed the language of the workspace and e-mails"))


def _account_recovered(entry, case, lookup):
    return fill(ngettext("Recovered the account of %(person)s with the recovery code; it "
                         "opens %(num)d case of the institution again",
                         "Recovered the account of %(person)s with the recovery code; it "
                         "opens %(num)d cases of the institution again",
                         entry.detail.get("cases", 0), **SLOTS),
                person=lookup.person(entry.detail.get("user")))


def _invitation(entry, case, lookup):
    detail = entry.detail
    if entry.action == "invitation_sent":
        text = (_("Invited %(name)s (%(email)s) as %(role)s", role=_role(detail.get("role")),
                  **SLOTS) if detail.get("name")
                else _("Invited %(email)s as %(role)s", role=_role(detail.get("role")),
                       **SLOTS))
    else:
        text = (_("Withdrew the invitation of %(name)s (%(email)s)", **SLOTS)
                if detail.get("name") else _("Withdrew the invitation of %(email)s", **SLOTS))
    return fill(text, name=detail.get("name") or "", email=detail.get("email") or "")


def _membership_offered(entry, case, lookup):
    return fill(_("Offered %(person)s the role %(role)s", role=_role(entry.detail.get("role")),
                  **SLOTS), person=lookup.person(entry.detail.get("user")))


def _membership_accepted(entry, case, lookup):
    return fill(_("Accepted the role %(role)s in %(institution)s",
                  role=_role(entry.detail.get("role")), **SLOTS),
                institution=lookup.institution(entry.detail.get("joined")))


def _membership_declined(entry, case, lookup):
    return fill(_("Declined the role %(role)s", role=_role(entry.detail.get("role"))))


def _account_deactivated(entry, case, lookup):
    left = entry.detail.get("left_unreadable") or 0
    return joined(
        fill(_("Deactivated the account of %(person)s", **SLOTS),
             person=lookup.person(entry.detail.get("user"))),
        fill(ngettext("%(num)d case can be opened only with the recovery code until someone "
                      "is granted access", "%(num)d cases can be opened only with the "
                      "recovery code until someone is granted access", left)) if left else None)


def _account_reactivated(entry, case, lookup):
    return fill(_("Reactivated the account of %(person)s", **SLOTS),
                person=lookup.person(entry.detail.get("user")))


def _role_changed(entry, case, lookup):
    detail = entry.detail
    added, removed = _roles(detail.get("added")), _roles(detail.get("removed"))
    person = lookup.person(detail.get("user"))
    if added and removed:
        text = _("Gave %(person)s the role %(added)s instead of %(removed)s", added=added,
                 removed=removed, **SLOTS)
    elif added:
        text = _("Gave %(person)s the role %(added)s", added=added, **SLOTS)
    elif removed:
        text = _("Took the role %(removed)s from %(person)s", removed=removed, **SLOTS)
    else:
        text = _("Left the roles of %(person)s as they were", **SLOTS)
    keys = detail.get("keys_removed") or 0
    return joined(fill(text, person=person),
                  fill(ngettext("their access to %(num)d case was removed",
                                "their access to %(num)d cases was removed", keys))
                  if keys else None)


def _case_sentence(text) -> Describer:
    """A sentence that names only the entry's case (``text`` is lazily translated)."""
    return lambda entry, case, lookup: fill(str(text) % SLOTS, case=case)


def _cases_searched(entry, case, lookup):
    return fill(ngettext("Searched the texts of %(num)d case; %(matched)d contained the words",
                         "Searched the texts of %(num)d cases; %(matched)d contained the words",
                         entry.detail.get("searched", 0),
                         matched=entry.detail.get("matched", 0)))


def _message_sent(entry, case, lookup):
    kind = _label(MESSAGE_KIND_LABELS, MessageKind, entry.detail.get("sent_as"))
    files = entry.detail.get("files") or 0
    text = (_("Sent the reporter of case %(case)s a message marked “%(kind)s”", kind=kind,
              **SLOTS)
            if kind else _("Sent the reporter of case %(case)s a message", **SLOTS))
    return joined(fill(text, case=case),
                  fill(ngettext("%(num)d file attached", "%(num)d files attached", files))
                  if files else None)


REGISTERED_SENTENCES = {
    ReportChannel.TELEPHONE: _l("Registered case %(case)s, a report received by telephone"),
    ReportChannel.VOICEMAIL: _l("Registered case %(case)s, a report left as a voicemail"),
    ReportChannel.MEETING: _l("Registered case %(case)s, a report made in a meeting"),
    ReportChannel.LETTER: _l("Registered case %(case)s, a report received by letter"),
    ReportChannel.EMAIL: _l("Registered case %(case)s, a report received by e-mail"),
}


def _report_registered(entry, case, lookup):
    return fill(str(REGISTERED_SENTENCES[ReportChannel(entry.detail["channel"])]) % SLOTS,
                case=case)


def _minutes(entry, case, lookup):
    number = int(entry.detail["version"])
    if entry.action == "minutes_revised":
        text = _("Wrote version %(num)d of the minutes of case %(case)s", num=number, **SLOTS)
    elif entry.action == "minutes_correction_requested":
        text = _("The reporter asked to correct version %(num)d of the minutes of case "
                 "%(case)s", num=number, **SLOTS)
    elif entry.detail.get("by") == "paper":
        text = _("Recorded that the reporter signed version %(num)d of the minutes of case "
                 "%(case)s on paper", num=number, **SLOTS)
    else:
        text = _("The reporter approved version %(num)d of the minutes of case %(case)s in "
                 "the mailbox", num=number, **SLOTS)
    return fill(text, case=case)


def _status_changed(entry, case, lookup):
    detail = entry.detail
    outcome = detail.get("outcome")
    return joined(
        fill(_("Moved case %(case)s from “%(old)s” to “%(new)s”", old=_status(detail.get("old")),
               new=_status(detail.get("new")), **SLOTS), case=case),
        fill(_("the outcome is “%(outcome)s”", outcome=_outcome(outcome))) if outcome else None)


def _assigned(entry, case, lookup):
    user = entry.detail.get("user")
    if user is None:
        return fill(_("Left case %(case)s without a responsible officer", **SLOTS), case=case)
    return fill(_("Made %(person)s responsible for case %(case)s", **SLOTS),
                person=lookup.person(user), case=case)


def _triaged(entry, case, lookup):
    return fill(_("Rated case %(case)s with likelihood %(likelihood)s and impact %(impact)s",
                  likelihood=int(entry.detail["likelihood"]),
                  impact=int(entry.detail["impact"]), **SLOTS), case=case)


def _reclassified(entry, case, lookup):
    return fill(_("Moved case %(case)s from the category “%(old)s” to “%(new)s”",
                  old=_category(entry.detail.get("old")), new=_category(entry.detail.get("new")),
                  **SLOTS), case=case)


def _access_granted(entry, case, lookup):
    return fill(_("Granted %(person)s access to case %(case)s", **SLOTS),
                person=lookup.person(entry.detail.get("user")), case=case)


def _case_reopened(entry, case, lookup):
    outcome = entry.detail.get("outcome")
    if outcome:
        return fill(_("Reopened case %(case)s, which had been closed as “%(outcome)s”",
                      outcome=_outcome(outcome), **SLOTS), case=case)
    return fill(_("Reopened case %(case)s", **SLOTS), case=case)


def _transferred_out(entry, case, lookup):
    text = (_("Transferred case %(case)s to %(institution)s and kept access to it", **SLOTS)
            if entry.detail.get("kept_access")
            else _("Transferred case %(case)s to %(institution)s", **SLOTS))
    return fill(text, case=case, institution=lookup.institution(entry.detail.get("target")))


def _transferred_in(entry, case, lookup):
    return fill(_("Received case %(case)s from %(institution)s", **SLOTS), case=case,
                institution=lookup.institution(entry.detail.get("source")))


def _exported(entry, case, lookup):
    what = entry.detail.get("what")
    if what == "statistics":
        return fill(_("Downloaded the statistics as a CSV file"))
    if what in ("assessment:csv", "assessment:json"):
        return fill(_("Downloaded a self-assessment as a %(format)s file",
                      format=what.removeprefix("assessment:").upper()))
    return fill(_("Downloaded data of the institution"))


def _audit_exported(entry, case, lookup):
    detail = entry.detail
    clauses = [fill(ngettext("Downloaded %(num)d entry of the audit log as a CSV file",
                             "Downloaded %(num)d entries of the audit log as a CSV file",
                             detail.get("rows", 0)))]
    if detail.get("ref"):
        clauses.append(fill(_("only case %(case)s", **SLOTS), case=case or lookup.case(
            detail["ref"])))
    if detail.get("user") is not None:
        clauses.append(fill(_("only entries naming %(person)s", **SLOTS),
                            person=lookup.person(detail["user"])))
    if detail.get("of_action") in audit.ACTIONS:
        clauses.append(fill(_("only “%(action)s”", action=audit.ACTIONS[detail["of_action"]])))
    if detail.get("date_from"):
        clauses.append(fill(_("from %(day)s", day=_day(detail["date_from"]))))
    if detail.get("date_to"):
        clauses.append(fill(_("until %(day)s", day=_day(detail["date_to"]))))
    return joined(*clauses)


def _day(iso: str) -> str:
    return format_date(date.fromisoformat(iso), "medium")


def _settings_changed(entry, case, lookup):
    fields = [f"“{FIELD_LABELS[name]}”" for name in entry.detail.get("fields") or []
              if name in FIELD_LABELS]
    if not fields:
        return fill(_("Changed the settings"))
    return fill(ngettext("Changed the setting %(fields)s", "Changed the settings %(fields)s",
                         len(fields), fields=", ".join(fields)))


def _institution_created(entry, case, lookup):
    return fill(_("Created the institution with the address %(name)s", **SLOTS),
                name=entry.detail["slug"])


def _recovery_code_regenerated(entry, case, lookup):
    return fill(ngettext("Made a new recovery code; %(num)d case was sealed to it",
                         "Made a new recovery code; %(num)d cases were sealed to it",
                         entry.detail.get("cases", 0)))


def _recovery_grant(entry, case, lookup):
    return fill(_("Granted %(people)s access to case %(case)s with the recovery code",
                  **SLOTS), people=[lookup.person(user)
                                    for user in entry.detail.get("officers") or []],
                case=case)


def _assessment(entry, case, lookup):
    title = _questionnaire(entry.detail)
    if entry.action == "assessment_started":
        text = (_("Started a self-assessment with “%(title)s”", **SLOTS) if title
                else _("Started a self-assessment"))
    else:
        text = (_("Finalised the self-assessment with “%(title)s”", **SLOTS) if title
                else _("Finalised a self-assessment"))
    return fill(text, title=title)


def _action_plan_changed(entry, case, lookup):
    status = _label(ACTION_STATUSES, ActionStatus, entry.detail.get("status"))
    title = lookup.measures.get(entry.detail.get("item"))
    if title and status:
        return fill(_("Set the measure “%(title)s” of the action plan to “%(status)s”",
                      status=status, **SLOTS), title=title)
    return fill(_("Changed a measure of the action plan"))


DESCRIBERS: dict[str, Describer] = {
    "password_changed": _password_changed,
    "language_changed": _language_changed,
    "account_recovered": _account_recovered,
    "invitation_sent": _invitation,
    "invitation_withdrawn": _invitation,
    "membership_offered": _membership_offered,
    "membership_accepted": _membership_accepted,
    "membership_declined": _membership_declined,
    "account_deactivated": _account_deactivated,
    "account_reactivated": _account_reactivated,
    "role_changed": _role_changed,
    "case_viewed": _case_sentence(_l("Opened and decrypted case %(case)s")),
    "cases_searched": _cases_searched,
    "file_downloaded": _case_sentence(_l("Downloaded a file of case %(case)s")),
    "message_sent": _message_sent,
    "report_registered": _report_registered,
    "minutes_revised": _minutes,
    "minutes_approved": _minutes,
    "minutes_correction_requested": _minutes,
    "meeting_request_handled": _case_sentence(
        _l("Marked the reporter's request for a meeting or a call in case %(case)s as "
           "handled")),
    "note_added": _case_sentence(_l("Added an internal note to case %(case)s")),
    "status_changed": _status_changed,
    "assigned": _assigned,
    "triaged": _triaged,
    "reclassified": _reclassified,
    "access_granted": _access_granted,
    "recused": _case_sentence(_l("Stepped away from case %(case)s for a conflict of interest")),
    "case_reopened": _case_reopened,
    "transferred_out": _transferred_out,
    "transferred_in": _transferred_in,
    "exported": _exported,
    "audit_exported": _audit_exported,
    "settings_changed": _settings_changed,
    "institution_created": _institution_created,
    "recovery_code_regenerated": _recovery_code_regenerated,
    "recovery_grant": _recovery_grant,
    "case_deleted": _case_sentence(_l("Case %(case)s was deleted after the retention period")),
    "assessment_started": _assessment,
    "assessment_finalised": _assessment,
    "action_plan_changed": _action_plan_changed,
}


def action_label(action: str) -> str:
    """The name of an action, translated; unknown ones get a generic name."""
    label = audit.ACTIONS.get(action)
    return str(label) if label is not None else _("Another recorded event")


def describe(entry: AuditEntry, lookup: Lookup) -> Description:
    """The entry in one translated sentence (metadata only).

    An action without its own sentence is named by its label; a sentence whose metadata
    does not fit (an entry older than its current form) falls back to the label too, so the
    page never shows a stored code or fails on an old entry.
    """
    describer = DESCRIBERS.get(entry.action)
    case = lookup.case(entry.report_ref) if entry.report_ref else None
    if describer is not None:
        try:
            return describer(entry, case, lookup)
        except (KeyError, TypeError, ValueError, AttributeError):
            pass
    label = action_label(entry.action)
    if case is not None:
        return fill(_("%(action)s (case %(case)s)", action=label, **SLOTS), case=case)
    return Description((label,))
