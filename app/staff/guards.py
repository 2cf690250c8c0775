"""Access decisions for every staff route, declared by one decorator per route.

Each decorator records its rule on the view (``view.access_rule``) so the access-matrix test
can check that no staff route exists without a decision. Outsiders get the sign-in page;
signed-in staff get 403 for a network role they lack, and 404 for an institution or case
that is not theirs, so no one learns which cases other institutions have.
"""

from functools import wraps

from flask import abort, current_app, g, redirect, request, url_for
from sqlalchemy import select

from app.extensions import db
from app.models import Report, Role
from app.services import permissions
from app.services.institutions import find_institution
from app.services.staff_sessions import StaffAccess, resume


def staff_cookie() -> str | None:
    """The staff session cookie of this request."""
    return request.cookies.get(current_app.config["STAFF_COOKIE_NAME"])


def current_staff() -> StaffAccess | None:
    """The signed-in staff member of this request (loaded once per request)."""
    if "staff" not in g:
        g.staff = resume(staff_cookie())
    return g.staff


def _rule(name: str):
    def mark(view):
        view.access_rule = name
        return view
    return mark


def _to_sign_in():
    target = request.full_path if request.method == "GET" else None
    return redirect(url_for("staff.login", next=target.rstrip("?") if target else None))


def public(view):
    """Anyone, signed in or not (the sign-in pages themselves)."""
    return _rule("public")(view)


def signed_in(view):
    """Any signed-in staff member."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_staff() is None:
            return _to_sign_in()
        return view(*args, **kwargs)
    return _rule("signed_in")(wrapper)


def network_role(*flags: str):
    """Staff holding one of the network-wide flags (``is_platform_admin``, ``is_analyst``)."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            staff = current_staff()
            if staff is None:
                return _to_sign_in()
            if not any(getattr(staff.user, flag) for flag in flags):
                abort(403)
            return view(*args, **kwargs)
        return _rule("network:" + "|".join(flags))(wrapper)
    return decorate


def institution_role(role: Role):
    """Members with the role in the institution named by ``<slug>``; the view receives
    ``institution`` instead of ``slug``. Anyone else gets 404."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, slug: str, **kwargs):
            staff = current_staff()
            if staff is None:
                return _to_sign_in()
            institution = find_institution(slug)
            if institution is None or not permissions.has_role(staff.user, institution, role):
                abort(404)
            return view(*args, institution=institution, **kwargs)
        return _rule(f"institution:{role.value}")(wrapper)
    return decorate


def institution_statistics(view):
    """The institution's own staff, analysts and platform admins; receives ``institution``."""
    @wraps(view)
    def wrapper(*args, slug: str, **kwargs):
        staff = current_staff()
        if staff is None:
            return _to_sign_in()
        institution = find_institution(slug)
        if institution is None or not permissions.may_read_statistics(staff.user, institution):
            abort(404)
        return view(*args, institution=institution, **kwargs)
    return _rule("institution:statistics")(wrapper)


def case_officer(view):
    """Officers of the institution that holds the case named by ``<ref>``; the view receives
    ``report`` instead of ``ref``. Anyone else, and any unknown reference, gets 404."""
    @wraps(view)
    def wrapper(*args, ref: str, **kwargs):
        staff = current_staff()
        if staff is None:
            return _to_sign_in()
        report = db.session.scalar(select(Report).where(Report.ref == ref))
        if report is None or not permissions.may_work_on(staff.user, report):
            abort(404)
        return view(*args, report=report, **kwargs)
    return _rule("case")(wrapper)
