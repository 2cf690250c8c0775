"""Sign-in (password, then two-factor or its enrolment), sign-out, account links, password
and language."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from app.extensions import limiter
from app.i18n import forget_explicit_choice
from app.models import LinkPurpose, SessionStage
from app.ratelimits import per_account, per_pending_session, staff_login_limit
from app.services import ServiceError
from app.services.accounts import account_links, staff_sessions, two_factor, users
from app.services.administration.members import ROLE_LABELS
from app.staff import bp
from app.staff.forms import (
    AccountLinkForm,
    CodeForm,
    LanguageForm,
    LoginForm,
    PasswordChangeForm,
)
from app.web.forms import ButtonForm
from app.web.guards import current_staff, public, signed_in, staff_cookie


def _safe_next(target: str | None) -> str:
    """Only a path inside the workspace: a sign-in link cannot send anyone elsewhere."""
    if (target and target.startswith("/staff/") and "//" not in target
            and "\\" not in target and target.isprintable()):
        return target
    return url_for("staff.dashboard")


def _with_cookie(response, cookie: str | None):
    config = current_app.config
    if cookie is None:
        response.delete_cookie(config["STAFF_COOKIE_NAME"], path="/",
                               secure=config["SESSION_COOKIE_SECURE"], httponly=True,
                               samesite="Strict")
    else:
        response.set_cookie(config["STAFF_COOKIE_NAME"], cookie, path="/", httponly=True,
                            secure=config["SESSION_COOKIE_SECURE"], samesite="Strict")
    return response


def _trusted_from_now(response, user):
    """Give the browser that has just signed in a new device cookie for the account."""
    config = current_app.config
    response.set_cookie(config["STAFF_DEVICE_COOKIE_NAME"], staff_sessions.device_cookie(user),
                        max_age=staff_sessions.DEVICE_DAYS * 86400, path="/", httponly=True,
                        secure=config["SESSION_COOKIE_SECURE"], samesite="Strict")
    return response


@bp.get("/")
@signed_in
def index():
    """The workspace entry."""
    return redirect(url_for("staff.dashboard"))


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(staff_login_limit, key_func=per_account, methods=["POST"])
def login():
    """Step one: e-mail and password."""
    if current_staff() is not None:
        return redirect(url_for("staff.dashboard"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        try:
            cookie = staff_sessions.sign_in_with_password(form.email.data, form.password.data)
        except ServiceError as error:
            form.password.errors.append(str(error))
        else:
            return _with_cookie(redirect(url_for("staff.login_code",
                                                 next=_safe_next(form.next.data))), cookie)
    return render_template("staff/login.html", form=form)


def _pending():
    return staff_sessions.resume(staff_cookie(), stage=SessionStage.PASSWORD)


@bp.route("/login/code", methods=["GET", "POST"])
@public
@limiter.limit(staff_login_limit, key_func=per_pending_session, methods=["POST"])
def login_code():
    """Step two: the TOTP code; first-time sign-ins set up two-factor instead."""
    access = _pending()
    if access is None:
        flash(_("Your sign-in has expired. Please sign in again."))
        return redirect(url_for("staff.login"))
    if staff_sessions.needs_enrolment(access):
        return redirect(url_for("staff.enrol", next=request.args.get("next")))
    form = CodeForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        try:
            cookie = staff_sessions.complete_sign_in(access, form.code.data)
        except ServiceError as error:
            form.code.errors.append(str(error))
        else:
            return _trusted_from_now(_with_cookie(redirect(_safe_next(form.next.data)), cookie),
                                     access.user)
    return render_template("staff/two_factor.html", form=form)


@bp.route("/login/enrol", methods=["GET", "POST"])
@public
@limiter.limit(staff_login_limit, key_func=per_pending_session, methods=["POST"])
def enrol():
    """First sign-in: set up the authenticator app with a QR code, confirm with a code."""
    access = _pending()
    if access is None or not staff_sessions.needs_enrolment(access):
        return redirect(url_for("staff.login"))
    secret = staff_sessions.enrolment_secret(access)
    form = CodeForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        try:
            cookie = staff_sessions.complete_enrolment(access, form.code.data)
        except ServiceError as error:
            form.code.errors.append(str(error))
        else:
            return _trusted_from_now(_with_cookie(redirect(_safe_next(form.next.data)), cookie),
                                     access.user)
    uri = two_factor.provisioning_uri(access.user, secret)
    return render_template("staff/enrol.html", form=form, secret=secret,
                           qr=Markup(two_factor.qr_svg(uri)))  # noqa: S704 (segno's SVG)


@bp.post("/logout")
@public
def logout():
    """Sign out everywhere; works from a half-finished sign-in too."""
    if ButtonForm().validate_on_submit():
        access = current_staff()
        if access is not None:
            staff_sessions.sign_out(access)
        else:
            staff_sessions.end_session(staff_cookie())
    flash(_("You have signed out."))
    return _with_cookie(redirect(url_for("staff.login")), None)


def _language_form(formdata=None) -> LanguageForm:
    user = current_staff().user
    form = LanguageForm(formdata=formdata, prefix="lang")
    if formdata is None:
        form.language.data = user.language
    return form


@bp.route("/account", methods=["GET", "POST"])
@signed_in
def account():
    """Change one's password; every session ends, so the next step is signing in again."""
    form = PasswordChangeForm()
    language_form = _language_form()
    if form.validate_on_submit():
        try:
            staff_sessions.change_password(current_staff(), form.current_password.data,
                                           form.password.data)
        except ServiceError as error:
            form.password.errors.append(str(error))
        else:
            flash(_("Your password has been changed. Sign in with the new password."))
            return _with_cookie(redirect(url_for("staff.login")), None)
    return render_template("staff/account.html", form=form, language_form=language_form)


@bp.post("/account/language")
@signed_in
def account_language():
    """Choose the language of one's workspace and e-mails."""
    form = _language_form(request.form)
    if form.validate_on_submit():
        try:
            users.choose_language(current_staff().user, form.language.data)
        except ServiceError as error:
            form.language.errors.append(str(error))
        else:
            forget_explicit_choice()  # the page that follows shows the language just chosen
            flash(_("Your language has been saved."))
            return redirect(url_for("staff.account"))
    return render_template("staff/account.html", form=PasswordChangeForm(formdata=None),
                           language_form=form), 400


@bp.route("/link/<token>", methods=["GET", "POST"])
@public
def account_link(token: str):
    """An invitation or recovery link: choose a password, set up two-factor. A link that
    offers a role to an existing account asks its holder to sign in and accept it."""
    link = account_links.find_link(token)
    if link is None:
        return render_template("staff/link_invalid.html"), 404
    if link.purpose == LinkPurpose.MEMBERSHIP:
        return _membership_offer(link, token)
    form = AccountLinkForm()
    if form.validate_on_submit():
        try:
            account_links.complete_link(token, form.password.data, form.code.data)
        except ServiceError as error:
            form.password.errors.append(str(error))
        else:
            flash(_("Your account is ready. Sign in with your new password and a code."))
            return redirect(url_for("staff.login"))
    secret = account_links.link_secret(token)
    uri = two_factor.provisioning_uri(link.user, secret)
    return render_template("staff/account_link.html", form=form, link=link, token=token,
                           secret=secret, role_label=ROLE_LABELS.get(link.role),
                           qr=Markup(two_factor.qr_svg(uri)))  # noqa: S704 (segno's SVG)


def _membership_offer(link, token: str):
    access = current_staff()
    return render_template(
        "staff/membership_link.html", link=link, token=token, form=ButtonForm(),
        role=ROLE_LABELS[link.role],
        holder=access is not None and access.user.id == link.user_id,
        signed_in_elsewhere=access is not None and access.user.id != link.user_id)


def _answer_offer(token: str, answer, done: str):
    """Apply the signed-in holder's answer to a role offered, then go to the workspace; on
    a refusal, back to the offer with the reason."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        answer(token, current_staff().user)
    except ServiceError as error:
        flash(str(error))
        return redirect(url_for("staff.account_link", token=token))
    flash(done)
    return redirect(url_for("staff.dashboard"))


@bp.post("/link/<token>/accept")
@signed_in
def accept_membership(token: str):
    """The account's holder accepts the role the link offers."""
    return _answer_offer(token, account_links.accept_membership,
                         _("You have accepted the role. The institution now appears in "
                           "your workspace."))


@bp.post("/link/<token>/decline")
@signed_in
def decline_membership(token: str):
    """The account's holder turns down the role the link offers."""
    return _answer_offer(token, account_links.decline_membership,
                         _("You have declined the role."))
