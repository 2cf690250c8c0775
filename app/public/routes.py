"""Public pages: the network home page, institution pages and the report form."""

from flask import render_template, request, session
from flask_babel import get_locale

from app.extensions import limiter
from app.models import Institution
from app.public import bp
from app.public.forms import ReportForm
from app.ratelimits import (
    count_report,
    per_browser_session,
    report_session_limit,
    report_was_counted,
)
from app.services import ServiceError
from app.services.administration.institutions import list_institutions
from app.services.casefile.sealing import entitled_officers
from app.services.reporting.external_channels import external_channels
from app.services.reporting.intake import (
    ReportAlreadySent,
    ReportEntry,
    is_submission_token,
    new_submission_token,
    submit_report,
)
from app.services.reporting.voice_messages import (
    VoicePreview,
    carried_voice,
    prepare_voice,
    voice_file,
)
from app.web.forms import session_csrf_secret, upload_of, uploads_of
from app.web.lookups import institution_or_404
from app.web.storage import NOT_TAKEN, not_stored


@bp.get("/")
def home():
    """The network home page: every partner institution."""
    institutions = list_institutions(str(get_locale()))
    return render_template("public/home.html", institutions=institutions)


@bp.get("/i/<slug>/")
def institution(slug: str):
    """An institution's stable landing page, linked or embedded by its website."""
    found = institution_or_404(slug)
    return render_template(
        "public/institution.html",
        institution=found,
        channels=external_channels(found.jurisdiction),
    )


def _report_form(institution: Institution) -> ReportForm:
    form = ReportForm()
    form.set_categories(institution.categories)
    if institution.allow_exclusions:
        form.set_officers([(officer.id, officer.display_name)
                           for officer in entitled_officers(institution)])
    return form


@bp.route("/i/<slug>/report", methods=["GET", "POST"])
def report(slug: str):
    """Step 1: the report form. A valid submission moves on to the check page."""
    found = institution_or_404(slug)
    form = _report_form(found)
    editing = "edit" in request.form
    if request.method != "POST" or editing:
        return render_template("public/report.html", institution=found, form=form)
    # The recording first, so that it is disguised and kept even when an answer is missing.
    try:
        voice = _voice_of(form)
    except ServiceError as error:
        form.validate()
        form.voice.errors = [str(error)]
        return render_template("public/report.html", institution=found, form=form), 400
    if not form.validate():
        return render_template("public/report.html", institution=found, form=form)
    form.submission_token.data = new_submission_token(session_csrf_secret())
    return render_template("public/review.html", institution=found, form=form, voice=voice)


def _voice_of(form: ReportForm) -> VoicePreview | None:
    """The voice message for the check page: a new recording disguised now, or the one
    carried from an earlier check page (unless the reporter removes it)."""
    recording = upload_of(form.voice)
    if recording is not None:
        preview = prepare_voice(recording, session_csrf_secret())
        form.voice_audio.data, form.voice_seal.data = preview.audio, preview.seal
        return preview
    if form.voice_remove.data:
        form.voice_audio.data = form.voice_seal.data = ""
        return None
    return carried_voice(form.voice_audio.data, form.voice_seal.data, session_csrf_secret())


@bp.post("/i/<slug>/report/send")
@limiter.limit(report_session_limit, key_func=per_browser_session,
               deduct_when=report_was_counted)
def send_report(slug: str):
    """Step 2: the checked report with its files is stored and the receipt shown once.

    Only a request that passed the form and carries this session's check-page token is
    counted (``count_report``): forged requests cost an attacker nothing to send, so they
    must cost the institution's channel nothing either.
    """
    found = institution_or_404(slug)
    form = _report_form(found)
    if not form.validate():
        return render_template("public/report.html", institution=found, form=form)
    if not is_submission_token(form.submission_token.data, session.get("csrf_token")):
        # Not from a check page of this session: the form is renewed, answers kept, as
        # when its CSRF token runs out.
        return render_template("public/report.html", institution=found, form=form,
                               renew_form=True)
    try:
        voice = carried_voice(form.voice_audio.data, form.voice_seal.data,
                              session.get("csrf_token"))
    except ServiceError as error:
        form.voice_audio.data = form.voice_seal.data = ""
        form.voice.errors = [str(error)]
        return render_template("public/report.html", institution=found, form=form), 400
    try:
        submitted = submit_report(found, entry_of(form), uploads_of(form.attachments),
                                  form.submission_token.data, flood_check=count_report,
                                  voice=voice_file(voice) if voice else None)
    except NOT_TAKEN as error:
        return not_stored(error, lambda reason: render_template(
            "public/review.html", institution=found, form=form, not_stored=reason,
            voice=voice))
    except ReportAlreadySent as error:
        return render_template("errors/error.html", code=409, title=error.title,
                               message=str(error)), 409
    except ServiceError as error:
        form.attachments.errors = [str(error)]
        return render_template("public/review.html", institution=found, form=form,
                               voice=voice)
    return render_template("public/receipt.html", institution=found, submitted=submitted)


def entry_of(form: ReportForm) -> ReportEntry:
    """The service's view of a validated form."""
    return ReportEntry(
        category=form.category.data,
        what_happened=form.what_happened.data,
        when_where=form.when_where.data,
        people_involved=form.people_involved.data,
        how_known=form.how_known.data,
        reported_elsewhere=form.reported_elsewhere.data,
        elsewhere_details=form.elsewhere_details.data,
        urgency=form.urgency.data,
        identity_choice=form.identity_choice.data,
        name=form.name.data,
        contact=form.contact.data,
        seeks_status=bool(form.seeks_status.data),
        language=str(get_locale()),
        excluded_officers=tuple(form.excluded_officers.data or ()),
        meeting_wanted=bool(form.meeting_wanted.data),
        meeting_request=form.meeting_request.data or "",
    )
