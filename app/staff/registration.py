"""Registering a report received another way, and the hand-over sheet with its receipt."""

from flask import render_template, request, session
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from app.models import ReportChannel, Role
from app.services import ServiceError
from app.services.casefile.categories import CATEGORY_LABELS
from app.services.casefile.deadlines import today
from app.services.casefile.sealing import entitled_officers
from app.services.casework.registration import RegisteredEntry, register_report
from app.services.reporting.intake import (
    ReportAlreadySent,
    is_submission_token,
    new_submission_token,
)
from app.staff import bp
from app.staff.case_forms import RegisterForm
from app.web.forms import options, session_csrf_secret, uploads_of
from app.web.guards import current_staff, institution_role
from app.web.sharing import base_url
from app.web.storage import NOT_TAKEN, not_stored


def _form(institution) -> RegisterForm:
    form = RegisterForm()
    form.category.choices = options([("", _("Choose…"))] + [
        (code, CATEGORY_LABELS[code]) for code in institution.categories])
    form.taken_by.choices = options((officer.id, officer.display_name)
                                    for officer in entitled_officers(institution))
    if not form.submission_token.data:
        form.submission_token.data = new_submission_token(session_csrf_secret())
    if request.method == "GET":
        form.taken_by.data = current_staff().user.id
        form.received_on.data = today()
        form.language.data = institution.languages[0]
    return form


def _entry(form: RegisterForm) -> RegisteredEntry:
    return RegisteredEntry(
        channel=ReportChannel(form.channel.data), received_on=form.received_on.data,
        category=form.category.data, record=form.record.data or "",
        language=form.language.data, urgency="urgent" if form.urgent.data else "normal",
        when_where=form.when_where.data or "", people_involved=form.people_involved.data or "",
        identity_choice=form.identity_choice.data or "anonymous", name=form.name.data or "",
        contact=form.contact.data or "", taken_by=form.taken_by.data)


@bp.route("/i/<slug>/cases/register", methods=["GET", "POST"])
@institution_role(Role.OFFICER)
def register(institution):
    """Register a report received by telephone, voicemail, in a meeting, by letter or by
    e-mail; the answer is the hand-over sheet with its receipt, shown this once."""
    form = _form(institution)
    if form.validate_on_submit():
        if not is_submission_token(form.submission_token.data, session.get("csrf_token")):
            form.submission_token.data = new_submission_token(session_csrf_secret())
            form.form_errors.append(_("For your security this form had to be renewed. "
                                      "Everything you wrote is still here: check it and send "
                                      "it again."))
            return _form_page(institution, form, None, 400)
        try:
            registered = register_report(institution, current_staff().user, _entry(form),
                                         uploads_of(form.documents),
                                         form.submission_token.data)
        except NOT_TAKEN as error:
            return not_stored(error, lambda reason: _form_page(institution, form, reason))
        except ReportAlreadySent as error:
            return render_template("errors/error.html", code=409, title=error.title,
                                   message=str(error)), 409
        except ServiceError as error:
            form.form_errors.append(str(error))
        else:
            with force_locale(registered.language):  # the sheet is for the reporter
                sheet = render_template("staff/handover_sheet.html", institution=institution,
                                        registered=registered, language=registered.language,
                                        mailbox_url=f"{base_url()}/mailbox/?lang="
                                                    f"{registered.language}")
            # The sheet is our own template's output, escaped as it was rendered.
            return render_template("staff/registered.html", institution=institution,
                                   registered=registered, sheet=Markup(sheet))  # noqa: S704
    return _form_page(institution, form, None, 400 if request.method == "POST" else 200)



def _form_page(institution, form: RegisterForm, reason: str | None, code: int = 200):
    return render_template("staff/register.html", institution=institution, form=form,
                           not_stored=reason), code
