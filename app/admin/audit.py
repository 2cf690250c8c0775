"""The institution's audit log for its admins: the filtered, described table and its CSV
download (itself recorded in the log)."""

from datetime import UTC, date, datetime

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from app.admin import bp
from app.admin.forms import AuditFilterForm
from app.models import Institution, Role
from app.services import ServiceError
from app.services.administration.audit_log import (
    AuditFilter,
    action_choices,
    audit_log,
    export_audit_log,
    people_in_log,
)
from app.services.local_time import institution_zone, local_moment
from app.web.forms import options
from app.web.guards import current_staff, institution_role

# Numbered page links either side of the current page.
PAGE_RADIUS = 2


def page_window(page: int, pages: int) -> list[int | None]:
    """Page numbers to link: the first, the last and a few around the current one; None
    marks a gap."""
    shown = sorted({1, pages, *range(max(1, page - PAGE_RADIUS),
                                     min(pages, page + PAGE_RADIUS) + 1)})
    window: list[int | None] = []
    for number in shown:
        if window and number - window[-1] > 1:
            window.append(None)
        window.append(number)
    return window


def _audit_filter(institution: Institution) -> tuple[AuditFilterForm, AuditFilter]:
    """The audit log's filter bar from the query string, and the filter it chose: unknown
    choices fall back to everything, and an invalid reference or day is left out (with its
    message)."""
    form = AuditFilterForm(request.args)
    form.person.choices = options([("", _("Anyone"))] + [
        (str(user_id), name) for user_id, name in people_in_log(institution)])
    form.action.choices = options([("", _("Any action")), *action_choices()])
    for field in (form.person, form.action):
        if field.data not in {choice.value for choice in field.choices}:
            field.data = ""
    form.validate()
    for field in (form.ref, form.date_from, form.date_to):
        if field.errors:
            field.data = None
    chosen = AuditFilter(ref=(form.ref.data or "").lower(),
                         person=int(form.person.data) if form.person.data else None,
                         action=form.action.data or "", date_from=form.date_from.data,
                         date_to=form.date_to.data)
    return form, chosen


def _audit_query(form: AuditFilterForm) -> dict:
    """The chosen filters as a query string (what is not chosen left out)."""
    return {field.name: field.data.isoformat() if isinstance(field.data, date) else field.data
            for field in (form.ref, form.person, form.action, form.date_from, form.date_to)
            if field.data}


@bp.get("/i/<slug>/admin/audit", endpoint="audit_log")
@institution_role(Role.INSTITUTION_ADMIN)
def audit_log_page(institution):
    """The institution's audit log, newest first, filtered by the query string."""
    page = request.args.get("page", 1, type=int)
    if page < 1:
        abort(404)
    form, chosen = _audit_filter(institution)
    rows, pages = audit_log(institution, current_staff().user, chosen, page, str(get_locale()))
    if page > pages:
        abort(404)
    return render_template("admin/audit.html", institution=institution, rows=rows,
                           page=page, pages=pages, window=page_window(page, pages),
                           form=form, query=_audit_query(form),
                           zone=institution_zone(institution).zone)


@bp.get("/i/<slug>/admin/audit.csv", endpoint="audit_log_csv")
@institution_role(Role.INSTITUTION_ADMIN)
def audit_log_csv(institution):
    """The filtered audit log as a CSV file (the download is audited)."""
    form, chosen = _audit_filter(institution)
    try:
        content = export_audit_log(institution, current_staff().user, chosen,
                                   str(get_locale()))
    except ServiceError as error:
        flash(str(error))
        return redirect(url_for("admin.audit_log", slug=institution.slug, **_audit_query(form)))
    response = Response(content, mimetype="text/csv")
    response.headers.set("Content-Disposition", "attachment",
                         filename=f"skaidra-{institution.slug}-audit-log-"
                                  f"{local_moment(datetime.now(UTC), institution):%Y-%m-%d}.csv")
    return response
