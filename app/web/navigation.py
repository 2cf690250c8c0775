"""The workspace navigation: what the signed-in staff member can reach, and nothing more."""

from dataclasses import dataclass

from flask import g, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from app.models import Institution, Role
from app.services.accounts import permissions
from app.services.accounts.permissions import institutions_where
from app.web.guards import current_staff


@dataclass(frozen=True)
class NavLink:
    """One entry of the navigation."""

    url: str
    label: str
    current: str | None  # aria-current: "page" on its own page, "true" on a page below it


@dataclass(frozen=True)
class NavGroup:
    """One institution's sections, as far as the staff member has a role there."""

    name: str
    links: list[NavLink]
    current: bool  # the page belongs to this institution


@dataclass(frozen=True)
class Navigation:
    """The navigation of one page: the network-wide sections, then each institution's."""

    name: str
    links: list[NavLink]
    groups: list[NavGroup]


def _link(url: str, label: str) -> NavLink:
    # A section is current on its own page and on the pages below it (a member's page lies
    # under Administration, an assessment under Self-assessment).
    path = request.path
    current = ("page" if path == url
               else "true" if path.startswith(url.rstrip("/") + "/") else None)
    return NavLink(url, label, current)


def _page_institution() -> str | None:
    """The institution the page is about: named in its address, or set by the view (a case)."""
    return (request.view_args or {}).get("slug") or g.get("page_institution")


def staff_navigation() -> Navigation | None:
    """Links for the signed-in staff member's roles; None when nobody is signed in."""
    staff = current_staff()
    if staff is None:
        return None
    user, language = staff.user, str(get_locale())
    sections: dict[Institution, list[NavLink]] = {}
    for institution in institutions_where(user, Role.OFFICER):
        sections.setdefault(institution, []).append(
            _link(url_for("staff.inbox", slug=institution.slug), _("Cases")))
    for institution in institutions_where(user, Role.INSTITUTION_ADMIN):
        sections.setdefault(institution, []).append(
            _link(url_for("admin.institution", slug=institution.slug), _("Administration")))
    team = {m.institution for m in user.memberships if permissions.may_assess(user, m.institution)}
    for institution in team:
        sections.setdefault(institution, []).append(
            _link(url_for("assessment.index", slug=institution.slug), _("Self-assessment")))
    here = _page_institution()
    groups = [NavGroup(institution.name(language), links, institution.slug == here)
              for institution, links in sorted(sections.items(), key=lambda item: item[0].slug)]
    links = [_link(url_for("staff.dashboard"), _("Overview"))]
    if user.is_platform_admin:
        links.append(_link(url_for("admin.platform"), _("Institutions of the network")))
    links.append(_link(url_for("insights.index"), _("Statistics")))
    links.append(_link(url_for("staff.account"), _("Your account")))
    return Navigation(user.display_name, links, groups)


def administers(institution) -> bool:
    """Whether the signed-in staff member is an administrator of the institution (for a
    link only: the pages behind it check on their own)."""
    staff = current_staff()
    return staff is not None and permissions.has_role(staff.user, institution,
                                                      Role.INSTITUTION_ADMIN)
