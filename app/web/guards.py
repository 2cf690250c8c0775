"""Access decisions for every staff route, declared by one decorator per route.

Each decorator records its rule on the view (``view.access_rule``) so the access-matrix test
can check that no staff route exists without a decision. Outsiders get the sign-in page;
signed-in staff get 403 for a network role they lack, and 404 for an institution or case
that is not theirs, so no one learns which cases other institutions have.
"""

from collections.abc import Callable
from functools import wraps

from flask import abort, current_app, g, redirect, render_template, request, url_for
from sqlalchemy import select

from app.extensions import db
from app.models import Institution, Report, Role, User
from app.services.accounts import permissions
from app.services.accounts.staff_sessions import StaffSignIn, resume
from app.services.administration.institutions import find_institution
from app.web.forms import KEPT_FIELD, TYPED_FIELDS


def staff_cookie() -> str | None:
    """The staff session cookie of this request."""
    return request.cookies.get(current_app.config["STAFF_COOKIE_NAME"])


def current_staff() -> StaffSignIn | None:
    """The signed-in staff member of this request (loaded once per request)."""
    if "staff" not in g:
        g.staff = resume(staff_cookie())
    return g.staff


def _to_sign_in(view):
    if (request.method == "POST" and getattr(view, "keeps_typed_text", False)
            and any(request.form.get(name, "").strip() for name in TYPED_FIELDS)):
        return _text_kept()
    target = request.full_path if request.method == "GET" else None
    return redirect(url_for("staff.login", next=target.rstrip("?") if target else None))


def _text_kept():
    """The form a signed-out officer sent, held in this page only (never stored), to be
    posted back to its page once they have signed in again."""
    fields = [(name, value) for name, value in request.form.items(multi=True)
              if name not in ("csrf_token", KEPT_FIELD)]
    texts = [value for name, value in fields if name in TYPED_FIELDS and value.strip()]
    return render_template("staff/text_kept.html", fields=fields, texts=texts,
                           action=request.path, kept_field=KEPT_FIELD), 401


def _guard(rule: str, admit: Callable[[User, dict], dict]):
    """A route decorator: sign-in first, then ``admit(user, view_arguments)``, which returns
    the arguments the view receives or aborts. The rule is recorded on the view."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            staff = current_staff()
            if staff is None:
                return _to_sign_in(view)
            return view(*args, **admit(staff.user, kwargs))
        wrapper.access_rule = rule
        return wrapper
    return decorate


def public(view):
    """Anyone, signed in or not (the sign-in pages themselves)."""
    view.access_rule = "public"
    return view


signed_in = _guard("signed_in", lambda user, arguments: arguments)
signed_in.__doc__ = "Any signed-in staff member."


def network_role(*flags: str):
    """Staff holding one of the network-wide flags (``is_platform_admin``, ``is_analyst``);
    others get 403."""
    def admit(user: User, arguments: dict) -> dict:
        if not any(getattr(user, flag) for flag in flags):
            abort(403)
        return arguments
    return _guard("network:" + "|".join(flags), admit)


def _in_institution(allowed: Callable[[User, Institution], bool]):
    """Admission to a route with ``<slug>``: the view receives ``institution`` instead;
    an unknown institution, or one the user may not see, is a 404."""
    def admit(user: User, arguments: dict) -> dict:
        institution = find_institution(arguments.pop("slug"))
        if institution is None or not allowed(user, institution):
            abort(404)
        return {**arguments, "institution": institution}
    return admit


def institution_role(role: Role):
    """Members with the role in the institution named by ``<slug>``."""
    return _guard(f"institution:{role.value}", _in_institution(
        lambda user, institution: permissions.has_role(user, institution, role)))


assessment_team = _guard("institution:assessment", _in_institution(permissions.may_assess))
assessment_team.__doc__ = "The institution's officers and admins (``<slug>``)."


statistics_reader = _guard("institution:statistics",
                           _in_institution(permissions.may_read_statistics))
statistics_reader.__doc__ = ("The institution's own staff, analysts and platform admins "
                             "(``<slug>``).")


def _to_case(user: User, arguments: dict) -> dict:
    report = db.session.scalar(select(Report).where(Report.ref == arguments.pop("ref")))
    if report is None or not permissions.may_work_on(user, report):
        abort(404)
    return {**arguments, "report": report}


case_officer = _guard("case", _to_case)
case_officer.__doc__ = ("Officers who may work on the case named by ``<ref>``; the view "
                        "receives ``report``. Anyone else, and any unknown reference, gets 404.")
