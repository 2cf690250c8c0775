"""The officers' overview and inbox: lists, filters, sorting and the search of case texts."""

from datetime import date

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.models import Institution, Role
from app.services.accounts.permissions import institutions_where, officers_of
from app.services.casefile import retention
from app.services.casefile.categories import CATEGORY_LABELS
from app.services.casefile.labels import STATUS_LABELS
from app.services.casework.commands import today
from app.services.casework.inbox import (
    SORTS,
    InboxFilter,
    count_label,
    counts,
    kept_elsewhere,
    list_cases,
    most_urgent,
    reporter_replied,
)
from app.services.casework.search import search_cases
from app.staff import bp
from app.staff.case_forms import InboxSearchForm
from app.web.forms import options
from app.web.guards import current_staff, institution_role, signed_in


@bp.get("/overview")
@signed_in
def dashboard():
    """Deadlines and warnings across the staff member's institutions."""
    user = current_staff().user
    institutions = institutions_where(user, Role.OFFICER)
    return render_template(
        "staff/dashboard.html",
        panels=[(institution, counts(institution, user),
                 most_urgent(institution, user), reporter_replied(institution, user),
                 retention.due_for_deletion(institution)) for institution in institutions],
        kept=kept_elsewhere(user) if institutions else [],
        count_label=count_label, today=today())


def _filter_form(institution: Institution, formdata) -> InboxSearchForm:
    """The inbox's filter bar from the query string or the posted form: its choices, unknown
    values back to the defaults, and an invalid reference or day left out (with its
    message)."""
    form = InboxSearchForm(formdata)
    form.status.choices = options([("open", _("Open cases")), ("all", _("All cases"))] + [
        (status.value, label) for status, label in STATUS_LABELS.items()])
    form.category.choices = options([("", _("All categories"))] + [
        (code, CATEGORY_LABELS[code]) for code in institution.categories])
    form.assignee.choices = options([("", _("Anyone")), ("me", _("Me")), ("none", _("Nobody"))] + [
        (str(officer.id), officer.display_name) for officer in officers_of(institution)])
    form.due.choices = options([("", _("Any")), ("overdue", _("Overdue")),
                                 ("soon", _("Due within 3 days"))])
    form.waiting.choices = options([("", _("Any")), ("yes", _("Waiting for our answer"))])
    form.flood.choices = options([("", _("Any")), ("flagged", _("Marked as possible flood")),
                                   ("unflagged", _("Not marked"))])
    for field in (form.status, form.category, form.assignee, form.due, form.waiting,
                  form.flood):
        if field.data not in {choice.value for choice in field.choices}:
            field.data = field.choices[0].value
    if form.sort.data not in SORTS:
        form.sort.data = SORTS[0]
    form.validate()
    for field in (form.ref, form.received_from, form.received_to):
        if field.errors:
            field.data = None
    return form


def _chosen(form: InboxSearchForm, page: str = "1") -> InboxFilter:
    return InboxFilter(form.status.data, form.category.data, form.assignee.data,
                       form.due.data, int(page) if page.isascii() and page.isdigit() else 1,
                       form.flood.data, form.waiting.data, ref=form.ref.data or "",
                       received_from=form.received_from.data,
                       received_to=form.received_to.data, sort=form.sort.data)


def _filter_query(form: InboxSearchForm) -> dict:
    """The chosen filters as the list's query string (defaults left out)."""
    fields = (form.ref, form.received_from, form.received_to, form.status, form.category,
              form.assignee, form.due, form.waiting, form.flood, form.sort)
    defaults = {"status": "open", "sort": SORTS[0]}
    values = {field.name: field.data.isoformat() if isinstance(field.data, date)
              else str(field.data) for field in fields if field.data}
    return {name: value for name, value in values.items() if value != defaults.get(name)}


def _inbox_page(institution, form: InboxSearchForm, code: int = 200, **shown):
    return render_template("staff/inbox.html", institution=institution, form=form,
                           query=_filter_query(form), count_label=count_label,
                           today=today(), **shown), code


@bp.get("/i/<slug>/cases")
@institution_role(Role.OFFICER)
def inbox(institution):
    """The institution's cases, nearest deadline first (or as sorted), with filters and
    counts."""
    form = _filter_form(institution, request.args)
    form.search.data = ""  # words are searched by POST only, never from a URL
    listing = list_cases(institution, current_staff().user,
                         _chosen(form, request.args.get("page", "1")))
    return _inbox_page(institution, form, listing=listing)


@bp.post("/i/<slug>/cases/search")
@institution_role(Role.OFFICER)
def inbox_search(institution):
    """Search the texts of the cases the filters select (POST: the words stay out of
    URLs); with no words, the filtered list."""
    form = _filter_form(institution, request.form)
    if not (form.search.data or "").strip():
        return redirect(url_for("staff.inbox", slug=institution.slug, **_filter_query(form)))
    staff = current_staff()
    if form.search.errors:
        listing = list_cases(institution, staff.user, _chosen(form))
        return _inbox_page(institution, form, 400, listing=listing)
    found = search_cases(institution, staff.user, staff.private_key, _chosen(form),
                         form.search.data, current_app.config["SEARCH_CASE_LIMIT"])
    return _inbox_page(institution, form, found=found)
