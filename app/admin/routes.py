"""Administration pages: an institution's members, settings, recovery code, audit log and
sharing material; the network's institutions for the platform admin.

Secrets made here (invitation and recovery links, recovery codes) are rendered in the
response to the POST that made them and never again: there is nothing to reload.
"""


from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _

from app.admin import bp
from app.admin.forms import (
    ConfirmForm,
    InstitutionForm,
    InviteForm,
    NewInstitutionForm,
    RecoverAccountForm,
    RecoveryCodeForm,
    RecoveryGrantForm,
    RolesForm,
    SettingsForm,
)
from app.models import Institution, Role
from app.services import ServiceError
from app.services.accounts import account_links, permissions
from app.services.administration.institutions import find_institution
from app.services.administration.members import (
    ROLE_LABELS,
    Member,
    WouldLeaveUnreadable,
    change_roles,
    deactivate,
    find_member,
    invite_member,
    members,
    reactivate,
    recover_member,
)
from app.services.administration.network import create_institution_with_admin, network_overview
from app.services.administration.recovery_code import regenerate_recovery_code
from app.services.administration.recovery_grant import GrantRefused, grant_with_recovery_code
from app.services.administration.settings import change_settings
from app.services.casefile.sealing import (
    entitled_officers,
    unreadable_report_list,
    unreadable_reports,
)
from app.services.casework import notifications
from app.web.forms import ButtonForm
from app.web.guards import current_staff, institution_role, network_role
from app.web.sharing import trusted_origin


def account_link_url(token: str) -> str:
    """The one-time link as the person will open it: the configured staff address, else
    the public one, else this request's (the admin's own) address if its host is allowed
    (a forged Host header must not end up in a link handed to a colleague). Production
    has one of the first two or an allowlist, so this never refuses after a commit."""
    config = current_app.config
    base = config.get("STAFF_BASE_URL") or config.get("PUBLIC_BASE_URL") or trusted_origin()
    return base + url_for("staff.account_link", token=token)


def _me():
    return current_staff().user


@bp.context_processor
def labels() -> dict:
    """Role labels for the administration templates."""
    return {"role_label": ROLE_LABELS.__getitem__}


def _member_or_404(institution: Institution, user_id: int) -> Member:
    member = find_member(institution, user_id)
    if member is None:
        abort(404)
    return member


@bp.get("/i/<slug>/admin/")
@institution_role(Role.INSTITUTION_ADMIN)
def institution(institution):
    """The institution's administration overview: its members."""
    return render_template("admin/institution.html", institution=institution,
                           members=members(institution),
                           invitations=account_links.pending_invitations(institution),
                           form=ButtonForm())


@bp.route("/i/<slug>/admin/invite", methods=["GET", "POST"])
@institution_role(Role.INSTITUTION_ADMIN)
def invite(institution):
    """Invite a person; the link is shown once, on the page that answers the form."""
    form = InviteForm()
    if form.validate_on_submit():
        try:
            token = invite_member(institution, form.email.data,
                                                 form.display_name.data,
                                                 Role(form.role.data), _me())
        except ServiceError as error:
            form.email.errors.append(str(error))
        else:
            return _invited(institution, form.email.data, Role(form.role.data), token)
    return render_template("admin/invite.html", institution=institution, form=form)


def _invited(institution, email: str, role: Role, token: str | None):
    """The answer to an invitation: with mail configured the link goes to the address
    only, so that the admin cannot open it to learn whether the address has an account;
    without, the admin is shown it to pass on."""
    mailed = None
    if token is not None and notifications.mail_configured():
        mailed = notifications.send_invitation(
            email, institution, ROLE_LABELS[role], account_link_url(token), _me()) == 1
    return render_template("admin/invited.html", institution=institution, email=email,
                           mailed=mailed,
                           link=account_link_url(token) if token and mailed is None else None)


@bp.post("/i/<slug>/admin/invitations/<int:link_id>/withdraw")
@institution_role(Role.INSTITUTION_ADMIN)
def withdraw_invitation(institution, link_id: int):
    """Void a pending invitation, for instance one sent to a wrong address."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        account_links.withdraw_invitation(institution, link_id, _me())
    except ServiceError as error:
        flash(str(error))
    else:
        flash(_("The invitation has been withdrawn; its link no longer works."))
    return redirect(url_for("admin.institution", slug=institution.slug))


def _member_page(institution, member, roles_form=None, *, roles_error=None, error=None,
                 status=200):
    if roles_form is None:
        roles_form = RolesForm(formdata=None)
        roles_form.fill(member)
    return render_template("admin/member.html", institution=institution, member=member,
                           roles_form=roles_form, roles_error=roles_error,
                           error=error), status


@bp.get("/i/<slug>/admin/members/<int:user_id>")
@institution_role(Role.INSTITUTION_ADMIN)
def member(institution, user_id: int):
    """One member: roles, deactivation, account recovery."""
    return _member_page(institution, _member_or_404(institution, user_id))


@bp.post("/i/<slug>/admin/members/<int:user_id>/roles")
@institution_role(Role.INSTITUTION_ADMIN)
def member_roles(institution, user_id: int):
    """Change a member's roles (none at all removes them from the institution)."""
    found = _member_or_404(institution, user_id)
    form = RolesForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        change_roles(found.user, institution, form.roles(), _me(),
                     confirmed=form.confirmed.data)
    except WouldLeaveUnreadable as pending:
        return _confirm_unreadable(institution, found, pending, "admin.member_roles",
                                   roles=form.roles())
    except ServiceError as error:
        return _member_page(institution, found, form, roles_error=str(error), status=400)
    flash(_("The roles of %(name)s have been saved.", name=found.user.display_name))
    if not permissions.has_role(_me(), institution, Role.INSTITUTION_ADMIN):
        return redirect(url_for("staff.dashboard"))
    if find_member(institution, user_id) is None:
        return redirect(url_for("admin.institution", slug=institution.slug))
    return redirect(url_for("admin.member", slug=institution.slug, user_id=user_id))


def _confirm_unreadable(institution, member, pending: WouldLeaveUnreadable, endpoint: str,
                        roles=frozenset()):
    """Ask again before a step leaves reports readable by no active officer, naming them
    (metadata only); the button repeats the step with ``confirmed``."""
    return render_template("admin/confirm_unreadable.html", institution=institution,
                           member=member, reports=pending.reports, total=pending.total,
                           endpoint=endpoint, roles=roles)


def _switch(institution, user_id: int, operation, done: str, *, confirmable: bool = False):
    found = _member_or_404(institution, user_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    options = {"confirmed": form.confirmed.data} if confirmable else {}
    try:
        operation(found.user, institution, _me(), **options)
    except WouldLeaveUnreadable as pending:
        return _confirm_unreadable(institution, found, pending, "admin.deactivate")
    except ServiceError as error:
        return _member_page(institution, found, error=str(error), status=400)
    flash(done % {"name": found.user.display_name})
    return redirect(url_for("admin.member", slug=institution.slug, user_id=user_id))


@bp.post("/i/<slug>/admin/members/<int:user_id>/deactivate", endpoint="deactivate")
@institution_role(Role.INSTITUTION_ADMIN)
def deactivate_member(institution, user_id: int):
    """Block a member's account: sessions end, sign-in is refused. When they are the last
    active officer holding some reports' keys, a confirmation names those reports first."""
    return _switch(institution, user_id, deactivate,
                   _("The account of %(name)s has been deactivated."), confirmable=True)


@bp.post("/i/<slug>/admin/members/<int:user_id>/reactivate", endpoint="reactivate")
@institution_role(Role.INSTITUTION_ADMIN)
def reactivate_member(institution, user_id: int):
    """Let a deactivated member sign in again."""
    return _switch(institution, user_id, reactivate,
                   _("The account of %(name)s is active again."))


@bp.route("/i/<slug>/admin/recover", methods=["GET", "POST"])
@institution_role(Role.INSTITUTION_ADMIN)
def recover(institution):
    """Recover the account of a member who lost their password, with the recovery code."""
    form = RecoverAccountForm()
    form.offer(members(institution), request.args.get("user", type=int),
               _me().id)
    if form.validate_on_submit():
        # The form offers members only; a member removed meanwhile is simply gone.
        found = _member_or_404(institution, form.person.data)
        try:
            token = recover_member(found.user, institution,
                                                  form.recovery_code.data, _me())
        except ServiceError as error:
            form.recovery_code.errors.append(str(error))
        else:
            return render_template("admin/recovered.html", institution=institution,
                                   member=found, link=account_link_url(token))
    return render_template("admin/recover.html", institution=institution, form=form)


@bp.route("/i/<slug>/admin/settings", methods=["GET", "POST"])
@institution_role(Role.INSTITUTION_ADMIN)
def settings(institution):
    """Deadlines, retention, categories, languages, embedding and exclusions."""
    form = SettingsForm()
    if not form.is_submitted():
        form.fill(institution)
    if form.validate_on_submit():
        try:
            changed = change_settings(institution, form.settings(), _me())
        except ServiceError as error:
            form.embed_origins.errors.append(str(error))
        else:
            flash(_("The settings have been saved.") if changed
                  else _("Nothing was changed."))
            return redirect(url_for("admin.settings", slug=institution.slug))
    return render_template("admin/settings.html", institution=institution, form=form)


@bp.route("/i/<slug>/admin/recovery-code", methods=["GET", "POST"])
@institution_role(Role.INSTITUTION_ADMIN)
def recovery_code(institution):
    """Replace the recovery code; the new one is shown once."""
    form = RecoveryCodeForm()
    if form.validate_on_submit():
        try:
            code = regenerate_recovery_code(institution,
                                                           form.current_code.data, _me())
        except ServiceError as error:
            form.current_code.errors.append(str(error))
        else:
            return render_template("admin/recovery_code_new.html", institution=institution,
                                   code=code)
    return render_template("admin/recovery_code.html", institution=institution, form=form)


# Reports listed on the grant page, oldest first.
GRANT_LISTED = 200


@bp.route("/i/<slug>/admin/recovery-grant", methods=["GET", "POST"])
@institution_role(Role.INSTITUTION_ADMIN)
def recovery_grant(institution):
    """Open reports for chosen officers with the recovery code (see
    app/services/administration/recovery_grant.py)."""
    form = RecoveryGrantForm()
    form.offer(entitled_officers(institution))
    if form.validate_on_submit():
        try:
            result = grant_with_recovery_code(
                institution, form.recovery_code.data, form.officers.data,
                form.chosen_scope(), form.reports.data or [], _me())
        except GrantRefused as error:
            form.refused(error)
        else:
            return render_template("admin/recovery_granted.html", institution=institution,
                                   result=result)
    return render_template("admin/recovery_grant.html", institution=institution, form=form,
                           listed=unreadable_report_list(institution, GRANT_LISTED),
                           unreadable=unreadable_reports(institution))


@bp.get("/i/<slug>/admin/sharing")
@institution_role(Role.INSTITUTION_ADMIN)
def sharing(institution):
    """Links to the channel's sharing material for the institution's web team."""
    return render_template("admin/sharing.html", institution=institution,
                           public_pages="public.share" in current_app.view_functions)


@bp.get("/platform/")
@network_role("is_platform_admin")
def platform():
    """The institutions of the network."""
    return render_template("admin/platform.html",
                           summaries=network_overview(str(get_locale())))


@bp.route("/platform/institutions/new", methods=["GET", "POST"])
@network_role("is_platform_admin")
def new_institution():
    """Add an institution and invite its first administrator."""
    form = NewInstitutionForm()
    if form.validate_on_submit():
        try:
            created = create_institution_with_admin(
                form.slug.data, form.profile(), form.settings(), form.admin_email.data,
                form.admin_name.data, _me())
        except ServiceError as error:
            form.slug.errors.append(str(error))
        else:
            return render_template("admin/institution_created.html", created=created,
                                   admin_email=form.admin_email.data,
                                   link=account_link_url(created.invitation))
    return render_template("admin/institution_form.html", form=form, institution=None)


@bp.route("/platform/institutions/<slug>", methods=["GET", "POST"])
@network_role("is_platform_admin")
def edit_institution(slug: str):
    """Change an institution's names, kind, jurisdiction and settings."""
    found = find_institution(slug)
    if found is None:
        abort(404)
    form = InstitutionForm()
    if not form.is_submitted():
        form.fill(found)
    if form.validate_on_submit():
        try:
            changed = change_settings(found, form.settings(), _me(),
                                                     profile=form.profile())
        except ServiceError as error:
            form.name_lt.errors.append(str(error))
        else:
            flash(_("The institution has been saved.") if changed
                  else _("Nothing was changed."))
            return redirect(url_for("admin.platform"))
    return render_template("admin/institution_form.html", form=form, institution=found)
