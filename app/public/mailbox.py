"""The reporter's mailbox: sign in with the receipt, read replies, answer, sign out."""

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from app.errors import CSRF_TEXTS, render_error
from app.extensions import limiter
from app.public import bp
from app.public.forms import (
    MeetingRequestForm,
    MessageForm,
    MinutesApprovalForm,
    MinutesCorrectionForm,
    ReceiptForm,
    SignOutForm,
)
from app.ratelimits import (
    message_limit,
    per_browser_session,
    receipt_limit,
    receipt_session_limit,
    whole_service,
)
from app.services import ServiceError
from app.services.reporting.intake import is_submission_token, new_submission_token
from app.services.reporting.mailbox import (
    MessageAlreadySent,
    approve_minutes,
    ask_for_correction,
    end_session,
    mailbox_view,
    officer_file,
    request_meeting,
    resume,
    send_reporter_message,
    sign_in,
)
from app.services.reporting.voice_messages import (
    VoicePreview,
    carried_voice,
    prepare_voice,
    voice_file,
)
from app.web.downloads import download_response
from app.web.forms import session_csrf_secret, upload_of, uploads_of
from app.web.storage import NOT_TAKEN, not_stored

SESSION_KEY = "mailbox"


def _sign_in_page(form: ReceiptForm, *, expired: bool = False, status: int = 200,
                  **notices):
    form.receipt.data = ""  # a receipt is never written back into a page
    return render_template("public/mailbox_sign_in.html", form=form, expired=expired,
                           **notices), status


def _mailbox_page(reporter, form: MessageForm | None = None, status: int = 200,
                  correction: MinutesCorrectionForm | None = None,
                  meeting: MeetingRequestForm | None = None, **notices):
    form = form or MessageForm()
    if not form.submission_token.data:
        form.submission_token.data = new_submission_token(session_csrf_secret())
    view = mailbox_view(reporter)
    approval = MinutesApprovalForm(formdata=None, prefix="approval")
    correction = correction or MinutesCorrectionForm(formdata=None, prefix="correction")
    if view.current_minutes is not None:
        approval.version.data = correction.version.data = str(view.current_minutes.number)
    return render_template("public/mailbox.html", view=view, form=form,
                           sign_out=SignOutForm(), approval=approval, correction=correction,
                           meeting=meeting or MeetingRequestForm(formdata=None, prefix="meeting"),
                           **notices), status


@bp.get("/mailbox/")
def mailbox():
    """The conversation of a signed-in reporter, or the sign-in form."""
    token = session.get(SESSION_KEY)
    reporter = resume(token)
    if reporter is None:
        session.pop(SESSION_KEY, None)
        return _sign_in_page(ReceiptForm(), expired=bool(token))
    return _mailbox_page(reporter)


@bp.post("/mailbox/")
@limiter.limit(receipt_limit, key_func=whole_service)
@limiter.limit(receipt_session_limit, key_func=per_browser_session)
def mailbox_sign_in():
    """Sign in with the receipt; a message written before the session ended is kept."""
    form = ReceiptForm()
    if not form.validate():
        return _sign_in_page(form, status=400)
    try:
        token = sign_in(form.receipt.data)
    except NOT_TAKEN as error:
        return not_stored(error, lambda reason: _sign_in_page(form, not_stored=reason))
    except ServiceError as error:
        form.receipt.errors = [str(error)]
        return _sign_in_page(form, status=400)
    session[SESSION_KEY] = token
    if form.pending_message.data:
        kept = MessageForm(formdata=None, text=form.pending_message.data)
        return _mailbox_page(resume(token), kept)
    return redirect(url_for("public.mailbox"))


@bp.post("/mailbox/message")
@limiter.limit(message_limit, key_func=per_browser_session)
def mailbox_message():
    """Send a message (and files) to the integrity officers, once per form."""
    form = MessageForm()
    try:
        return _send_message(form)
    except NOT_TAKEN as error:
        return not_stored(error, lambda reason: _kept_page(form, reason))


def _send_message(form: MessageForm):
    reporter, page = _signed_in_reporter(form.text.data or "")
    if reporter is None:
        return page
    if not form.validate():
        return _mailbox_page(reporter, form, status=400)
    if not is_submission_token(form.submission_token.data, session.get("csrf_token")):
        # Not from a mailbox page of this session: the form is renewed, the text kept.
        form.submission_token.data = ""
        return _mailbox_page(reporter, form, status=400, renew_form=True)
    if request.form.get("voice_remove"):  # the reporter would rather not send it
        form.voice_audio.data = form.voice_seal.data = ""
        return _mailbox_page(reporter, form)
    try:
        fresh = _fresh_voice(form)
        if fresh is not None:  # heard first: the reporter sends it from the next page
            return _mailbox_page(reporter, form, voice=fresh,
                                 files_dropped=bool(uploads_of(form.attachments)))
        voice = carried_voice(form.voice_audio.data, form.voice_seal.data,
                              session.get("csrf_token"))
    except ServiceError as error:
        form.voice_audio.data = form.voice_seal.data = ""
        form.voice.errors = [str(error)]
        return _mailbox_page(reporter, form, status=400)
    try:
        send_reporter_message(reporter, form.text.data or "", uploads_of(form.attachments),
                              form.submission_token.data,
                              voice=voice_file(voice) if voice else None)
    except MessageAlreadySent:
        pass  # the first click stored it: the mailbox shows it once
    except ServiceError as error:
        form.attachments.errors = [str(error)]
        return _mailbox_page(reporter, form, status=400)
    flash(_("Your message has been sent."), "status")
    return redirect(url_for("public.mailbox"))


def _fresh_voice(form: MessageForm) -> VoicePreview | None:
    """A recording chosen with this sending, disguised now (to be heard before sending)."""
    recording = upload_of(form.voice)
    if recording is None:
        return None
    preview = prepare_voice(recording, session_csrf_secret())
    form.voice_audio.data, form.voice_seal.data = preview.audio, preview.seal
    return preview


def _kept_page(form: MessageForm, reason: str):
    """After a failed write: the mailbox with the text kept, or, when the session cannot
    be read either, the sign-in page that carries the text on."""
    reporter = resume(session.get(SESSION_KEY), extend=False)
    if reporter is None:
        return _sign_in_page(ReceiptForm(pending_message=form.text.data or ""),
                             not_stored=reason)
    return _mailbox_page(reporter, form, not_stored=reason)


def _signed_in_reporter(kept_text: str = ""):
    """The signed-in reporter, or the sign-in page (status 401) that keeps a text typed."""
    reporter = resume(session.get(SESSION_KEY))
    if reporter is None:
        session.pop(SESSION_KEY, None)
        return None, _sign_in_page(ReceiptForm(pending_message=kept_text), expired=True,
                                   status=401)
    return reporter, None


def _version_of(form) -> int:
    try:
        return int(form.version.data)
    except (TypeError, ValueError):
        return 0  # no such version: the service says the minutes changed


@bp.post("/mailbox/meeting")
@limiter.limit(message_limit, key_func=per_browser_session)
def mailbox_meeting():
    """The reporter asks for a meeting or a call; what they typed is never lost."""
    return _text_action(
        MeetingRequestForm(prefix="meeting"), "meeting",
        lambda reporter, form: request_meeting(reporter, form.text.data or ""),
        _("Your request has been sent. The integrity officers will answer here to arrange a "
          "meeting or a call."))


def _text_action(form, name: str, act, done: str):
    """One of the mailbox's forms with a text (``name`` is its keyword for the page): the
    reporter's session checked (the sign-in page keeps the text), the form validated, the
    service called, or the page shown again with the text and its error."""
    reporter, page = _signed_in_reporter(form.text.data or "")
    if reporter is None:
        return page
    if not form.validate():
        return _mailbox_page(reporter, status=400, **{name: form})
    try:
        act(reporter, form)
    except NOT_TAKEN as error:
        return not_stored(error, lambda reason: _mailbox_page(reporter, not_stored=reason,
                                                              **{name: form}))
    except ServiceError as error:
        form.text.errors = [str(error)]
        return _mailbox_page(reporter, status=400, **{name: form})
    flash(done, "status")
    return redirect(url_for("public.mailbox"))


@bp.post("/mailbox/minutes/approve")
@limiter.limit(message_limit, key_func=per_browser_session)
def mailbox_minutes_approve():
    """The reporter approves the minutes of their oral report, as shown on the page."""
    form = MinutesApprovalForm(prefix="approval")
    reporter, page = _signed_in_reporter()
    if reporter is None:
        return page
    if not form.validate():
        return _mailbox_page(reporter, status=400, renew_form=True)
    try:
        approve_minutes(reporter, _version_of(form))
    except NOT_TAKEN as error:
        return not_stored(error, lambda reason: _mailbox_page(reporter, not_stored=reason))
    except ServiceError as error:
        return _mailbox_page(reporter, status=400, minutes_error=str(error))
    flash(_("Thank you: you have approved the minutes. The integrity officers will see it."),
          "status")
    return redirect(url_for("public.mailbox"))


@bp.post("/mailbox/minutes/correct")
@limiter.limit(message_limit, key_func=per_browser_session)
def mailbox_minutes_correct():
    """The reporter asks for the minutes to be corrected; what they typed is never lost."""
    return _text_action(
        MinutesCorrectionForm(prefix="correction"), "correction",
        lambda reporter, form: ask_for_correction(reporter, _version_of(form),
                                                  form.text.data or ""),
        _("Your request has been sent. The integrity officers will correct the minutes and "
          "show you the new version here."))


@bp.get("/mailbox/files/<file_ref>")
def mailbox_file(file_ref: str):
    """Download a file an officer sent with a message; never shown inline."""
    reporter = resume(session.get(SESSION_KEY))
    found = officer_file(reporter, file_ref) if reporter is not None else None
    if found is None:
        abort(404)
    return download_response(found)


@bp.post("/mailbox/sign-out")
def mailbox_sign_out():
    """End the session on the server and in the browser."""
    if not SignOutForm().validate():
        return render_error(400, *CSRF_TEXTS)
    end_session(session.pop(SESSION_KEY, None))
    flash(_("You have signed out. Close the browser window if others use this device."),
          "status")
    return redirect(url_for("public.mailbox"))
