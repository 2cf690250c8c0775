"""The officers' case work: the case page and what officers do on it (the overview and the
inbox are in app/staff/inbox.py)."""


from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from app.extensions import db
from app.models import ORAL_CHANNELS, MessageKind, Outcome, Report, ReportStatus, User
from app.services import ServiceError
from app.services.administration.institutions import find_institution, list_institutions
from app.services.casefile.categories import CATEGORY_LABELS
from app.services.casefile.labels import OUTCOME_LABELS, STATUS_LABELS
from app.services.casework.commands import (
    NEXT_STATUSES,
    acknowledge,
    add_note,
    assign,
    change_status,
    colleagues_without_access,
    grant,
    mark_meeting_handled,
    reclassify,
    recuse,
    reopen,
    send_officer_message,
    today,
    transfer,
    triage,
)
from app.services.casework.minutes import record_signed_minutes, revise_minutes
from app.services.casework.opened_case import OpenedCase, case_view, download, open_case, readers
from app.staff import bp
from app.staff.case_forms import (
    AssignForm,
    CategoryForm,
    GrantForm,
    MinutesForm,
    NoteForm,
    RecuseForm,
    ReopenForm,
    ReplyForm,
    SignedForm,
    StatusForm,
    TransferForm,
    TriageForm,
)
from app.staff.history import describe_event
from app.web.downloads import download_response
from app.web.forms import KEPT_FIELD, ButtonForm, keeps_typed_text, options, uploads_of
from app.web.guards import case_officer, current_staff


def _opened(report: Report, *, record: bool = False) -> OpenedCase:
    staff = current_staff()
    opened = open_case(report, staff.user, staff.private_key, record=record)
    if opened is None:
        abort(403)
    return opened


def _status_choices(form, opened: OpenedCase) -> None:
    form.status.choices = options([(s.value, STATUS_LABELS[s])
                                   for s in NEXT_STATUSES[opened.report.status]])
    form.outcome.choices = options([("", _("—"))] + [
        (outcome.value, label) for outcome, label in OUTCOME_LABELS.items()])


def _assign_choices(form, opened: OpenedCase) -> None:
    form.assignee.choices = options([("", _("Nobody"))] + [
        (str(user.id), user.display_name) for user in readers(opened.report)])


def _category_choices(form, opened: OpenedCase) -> None:
    form.category.choices = options([(code, CATEGORY_LABELS[code])
                                     for code in opened.report.institution.categories])


def _grant_choices(form, opened: OpenedCase) -> None:
    form.colleague.choices = options([(str(user.id), user.display_name)
                                      for user in colleagues_without_access(opened)])


def _transfer_choices(form, opened: OpenedCase) -> None:
    language = str(get_locale())
    form.institution.choices = options([
        (other.slug, other.name(language)) for other in list_institutions(language)
        if other.id != opened.report.institution_id])


# Each form of the case page, and how its choices are filled in for a case.
CASE_FORMS = {
    "acknowledge": (ButtonForm, None), "reply": (ReplyForm, None), "note": (NoteForm, None),
    "status": (StatusForm, _status_choices), "assign": (AssignForm, _assign_choices),
    "triage": (TriageForm, None), "category": (CategoryForm, _category_choices),
    "grant": (GrantForm, _grant_choices), "recuse": (RecuseForm, None),
    "transfer": (TransferForm, _transfer_choices), "reopen": (ReopenForm, None),
    "minutes": (MinutesForm, None), "signed": (SignedForm, None),
    "meeting": (ButtonForm, None),
}


def _form(name: str, opened: OpenedCase):
    """One case form bound to this request, with its choices."""
    form_class, fill_choices = CASE_FORMS[name]
    form = form_class()
    if fill_choices is not None:
        fill_choices(form, opened)
    return form


def _forms(opened: OpenedCase, bound: dict) -> dict:
    """The case page's forms; ``bound`` holds a form that failed, as typed. The others show
    the case's current values."""
    forms = {name: bound.get(name) or _form(name, opened) for name in CASE_FORMS}
    report = opened.report
    if "assign" not in bound:
        forms["assign"].assignee.data = str(report.assignee_id or "")
    if "triage" not in bound:
        forms["triage"].likelihood.data = report.likelihood or 1
        forms["triage"].impact.data = report.impact or 1
    if "category" not in bound:
        forms["category"].category.data = report.category
    return forms


def _with_minutes(forms: dict, view, bound: dict) -> dict:
    """The minutes forms start from the current version (a revision edits it)."""
    if view.minutes:
        current = view.minutes[-1]
        if "minutes" not in bound:
            forms["minutes"].text.data = current.text
        forms["signed"].version.data = str(current.number)
    return forms


def report_is_oral(report: Report) -> bool:
    """A report whose record is minutes or a transcript the reporter approves."""
    return report.channel in ORAL_CHANNELS


def _page(opened: OpenedCase, bound: dict | None = None, code: int = 200):
    view = case_view(opened)
    g.page_institution = opened.report.institution.slug  # for the navigation
    forms = _with_minutes(_forms(opened, bound or {}), view, bound or {})
    return render_template("staff/case.html", case=view, report=opened.report,
                           forms=forms, today=today(), oral=report_is_oral(opened.report),
                           outcome_label=OUTCOME_LABELS.get,
                           event_label=describe_event), code


@bp.get("/cases/<ref>")
@case_officer
def case(report):
    """The case, decrypted with the officer's own key (recorded in the audit log)."""
    staff = current_staff()
    opened = open_case(report, staff.user, staff.private_key)
    if opened is None:
        return render_template("staff/case_locked.html", report=report), 403
    return _page(opened)


def _act(report: Report, name: str, action, done: str, then=None):
    """Run one case action: validate its form, call the service, or show the page again
    with the form as typed (status 400).

    :param then: where to go afterwards, from the form (the case page by default).
    """
    opened = _opened(report)
    form = _form(name, opened)
    if request.form.get(KEPT_FIELD):  # text kept while the officer was signed out
        flash(_("You were signed out before this was sent. It is kept here, unsent: check "
                "it and send it again."))
        return _page(opened, {name: form})
    if form.validate_on_submit():
        try:
            action(opened, form)
        except ServiceError as error:
            form.form_errors.append(str(error))
        else:
            flash(done)
            if then is not None:
                return redirect(then(form))
            return redirect(url_for("staff.case", ref=report.ref) + f"#{name}")
    if form.csrf_token.errors:
        flash(_("For your security this form had to be renewed. Everything you wrote is "
                "still here: check it and send it again."))
    return _page(opened, {name: form}, 400)


@bp.post("/cases/<ref>/acknowledge")
@case_officer
@keeps_typed_text
def case_acknowledge(report):
    """Acknowledge receipt (and tell the reporter)."""
    return _act(report, "acknowledge",
                lambda opened, form: acknowledge(opened),
                _("The report is acknowledged; the reporter has been told."))


@bp.post("/cases/<ref>/reply")
@case_officer
@keeps_typed_text
def case_reply(report):
    """Send a message to the reporter."""
    return _act(report, "reply",
                lambda opened, form: send_officer_message(
                    opened, form.text.data, MessageKind(form.kind.data),
                    uploads_of(form.attachments)),
                _("Your message has been sent to the reporter's mailbox."))


@bp.post("/cases/<ref>/minutes")
@case_officer
@keeps_typed_text
def case_minutes(report):
    """Save a new version of the minutes, transcript or text received."""
    return _act(report, "minutes",
                lambda opened, form: revise_minutes(opened, form.text.data, form.change.data),
                _("The new version of the minutes is saved; the reporter can read it in the "
                  "mailbox."))


@bp.post("/cases/<ref>/minutes/signed")
@case_officer
def case_minutes_signed(report):
    """Record that the reporter signed the printed minutes."""
    return _act(report, "signed",
                lambda opened, form: record_signed_minutes(opened, _version(form)),
                _("Recorded: the reporter signed these minutes. Keep the signed sheet with "
                  "the case's papers."))


def _version(form) -> int:
    try:
        return int(form.version.data)
    except (TypeError, ValueError):
        raise ServiceError(_("This report has no minutes to approve.")) from None


@bp.post("/cases/<ref>/meeting-handled")
@case_officer
def case_meeting_handled(report):
    """The reporter's request for a meeting or a call has been dealt with."""
    return _act(report, "meeting", lambda opened, form: mark_meeting_handled(opened),
                _("The request is marked as handled."))


@bp.post("/cases/<ref>/note")
@case_officer
@keeps_typed_text
def case_note(report):
    """Add an internal note."""
    return _act(report, "note",
                lambda opened, form: add_note(opened, form.text.data),
                _("The note has been added."))


@bp.post("/cases/<ref>/status")
@case_officer
@keeps_typed_text
def case_status(report):
    """Move the case forward with a reason (and an outcome when closing)."""
    return _act(report, "status",
                lambda opened, form: change_status(
                    opened, ReportStatus(form.status.data), form.reason.data,
                    Outcome(form.outcome.data) if form.outcome.data else None),
                _("The status has been changed."))


@bp.post("/cases/<ref>/assign")
@case_officer
@keeps_typed_text
def case_assign(report):
    """Make an officer responsible."""
    return _act(report, "assign",
                lambda opened, form: assign(
                    opened, db.session.get(User, int(form.assignee.data))
                    if form.assignee.data else None),
                _("The responsible officer has been changed."))


@bp.post("/cases/<ref>/triage")
@case_officer
@keeps_typed_text
def case_triage(report):
    """Rate likelihood and impact."""
    return _act(report, "triage",
                lambda opened, form: triage(opened, form.likelihood.data,
                                                     form.impact.data),
                _("The rating has been saved."))


@bp.post("/cases/<ref>/category")
@case_officer
@keeps_typed_text
def case_category(report):
    """Re-classify the case."""
    return _act(report, "category",
                lambda opened, form: reclassify(opened, form.category.data),
                _("The category has been changed."))


@bp.post("/cases/<ref>/grant")
@case_officer
@keeps_typed_text
def case_grant(report):
    """Give a colleague opened."""
    return _act(report, "grant",
                lambda opened, form: grant(
                    opened, db.session.get(User, int(form.colleague.data))),
                _("Your colleague can now open the case."))


@bp.post("/cases/<ref>/recuse")
@case_officer
@keeps_typed_text
def case_recuse(report):
    """Step away from the case; the officer's key copy is destroyed."""
    inbox_url = url_for("staff.inbox", slug=report.institution.slug)
    return _act(report, "recuse",
                lambda opened, form: recuse(opened, form.reason.data),
                _("You have stepped away from the case and can no longer open it."),
                then=lambda form: inbox_url)


@bp.post("/cases/<ref>/transfer")
@case_officer
@keeps_typed_text
def case_transfer(report):
    """Hand the case to another institution of the network."""
    case_url = url_for("staff.case", ref=report.ref)
    inbox_url = url_for("staff.inbox", slug=report.institution.slug)
    return _act(report, "transfer",
                lambda opened, form: transfer(
                    opened, find_institution(form.institution.data), form.reason.data,
                    form.keep_access.data),
                _("The case has been transferred."),
                then=lambda form: case_url if form.keep_access.data else inbox_url)


@bp.post("/cases/<ref>/reopen")
@case_officer
@keeps_typed_text
def case_reopen(report):
    """Reopen a closed case with a reason."""
    return _act(report, "reopen", lambda opened, form: reopen(opened, form.reason.data),
                _("The case is open again; its deadlines apply again."))


@bp.get("/cases/<ref>/files/<file_ref>")
@case_officer
def case_file(report, file_ref: str):
    """Download an attachment, decrypted; never shown inline."""
    opened = _opened(report)
    found = download(opened, file_ref)
    if found is None:
        abort(404)
    return download_response(found)
