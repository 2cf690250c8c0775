"""The workspace navigation: what the signed-in staff member can reach, and nothing more."""

from dataclasses import dataclass

from flask import request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from app.models import Role
from app.services.accounts import permissions
from app.services.accounts.permissions import institutions_where
from app.web.guards import current_staff


@dataclass(frozen=True)
class NavLink:
    """One entry of the navigation."""

    url: str
    label: str
    current: bool


@dataclass(frozen=True)
class Navigation:
    """The navigation of one page."""

    name: str
    links: list[NavLink]


def staff_navigation() -> Navigation | None:
    """Links for the signed-in staff member's roles; None when nobody is signed in."""
    staff = current_staff()
    if staff is None:
        return None
    user, language = staff.user, str(get_locale())
    entries = [(url_for("staff.dashboard"), _("Overview"))]
    for institution in institutions_where(user, Role.OFFICER):
        entries.append((url_for("staff.inbox", slug=institution.slug),
                        _("Cases: %(name)s", name=institution.name(language))))
    for institution in institutions_where(user, Role.INSTITUTION_ADMIN):
        entries.append((url_for("admin.institution", slug=institution.slug),
                        _("Administration: %(name)s", name=institution.name(language))))
    team = {m.institution for m in user.memberships if permissions.may_assess(user, m.institution)}
    for institution in sorted(team, key=lambda institution: institution.slug):
        entries.append((url_for("assessment.index", slug=institution.slug),
                        _("Self-assessment: %(name)s", name=institution.name(language))))
    if user.is_platform_admin:
        entries.append((url_for("admin.platform"), _("Institutions of the network")))
    entries.append((url_for("insights.index"), _("Statistics")))
    entries.append((url_for("staff.account"), _("Your account")))
    return Navigation(user.display_name, [NavLink(url, label, url == request.path)
                                          for url, label in entries])


def administers(institution) -> bool:
    """Whether the signed-in staff member is an administrator of the institution (for a
    link only: the pages behind it check on their own)."""
    staff = current_staff()
    return staff is not None and permissions.has_role(staff.user, institution,
                                                      Role.INSTITUTION_ADMIN)
