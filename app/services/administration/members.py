"""Administration: an institution's members, settings and recovery code, and the institutions
of the network. Every change writes an audit entry and commits here.

Nothing here opens a report for reading. Re-sealing recovery copies needs the institution's
recovery code, which the administrator types in and which is never stored; the platform
admin, who creates institutions, gets no role in them and no sealed key.
"""

from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from app.crypto.recovery import format_recovery_code, new_recovery_code, recovery_public_key
from app.extensions import db
from app.models import (
    AccountLink,
    Institution,
    InstitutionKind,
    Jurisdiction,
    Membership,
    Report,
    Role,
    SealedKey,
    User,
)
from app.models.types import as_utc
from app.security import ORIGIN
from app.services import ServiceError, audit
from app.services.accounts import account_links
from app.services.accounts.permissions import belongs_only_to, roles_in
from app.services.accounts.staff_sessions import end_all_sessions
from app.services.accounts.users import check_may_be_officer, normalise_email
from app.services.administration.institutions import (
    InstitutionSpec,
    check_recovery_code,
    create_institution,
)
from app.services.casefile.categories import STANDARD_CATEGORIES, unknown_categories
from app.services.casefile.deadlines import refresh_deadline
from app.services.casefile.sealing import recovery_data_key, reseal_recovery_key

LANGUAGES = ("lt", "en", "nb")
# Inclusive limits. Directive 2019/1937 allows at most 7 days and 3 months; national rules
# may be stricter, and the wider range lets an institution record what its law says.
ACKNOWLEDGEMENT_DAYS = (1, 90)
FEEDBACK_MONTHS = (1, 12)
RETENTION_DAYS = (30, 3650)

ROLE_LABELS = {
    Role.OFFICER: _l("Integrity officer"),
    Role.INSTITUTION_ADMIN: _l("Institution administrator"),
}

FIELD_LABELS = {
    "name_lt": _l("Name in Lithuanian"),
    "name_en": _l("Name in English"),
    "name_nb": _l("Name in Norwegian"),
    "kind": _l("Kind of institution"),
    "jurisdiction": _l("Whose law applies"),
    "acknowledgement_days": _l("Days to acknowledge a report"),
    "feedback_months": _l("Months to give feedback"),
    "retention_days": _l("Days to keep a closed case"),
    "categories": _l("Report categories"),
    "languages": _l("Languages of the reporting pages"),
    "embed_origins": _l("Websites that may embed the channel"),
    "allow_exclusions": _l("Reporters may exclude named officers"),
}

# Labels of the metadata keys audit entries carry; other keys are shown as recorded.
DETAIL_LABELS = {
    "user": _l("Person"),
    "name": _l("Name"),
    "email": _l("E-mail address"),
    "role": _l("Role"),
    "added": _l("Roles added"),
    "removed": _l("Roles removed"),
    "keys_removed": _l("Case keys removed"),
    "fields": _l("Changed"),
    "cases": _l("Cases"),
    "slug": _l("Address"),
}


@dataclass
class InstitutionSettings:
    """What an institution admin decides about the reporting channel."""

    acknowledgement_days: int
    feedback_months: int
    retention_days: int
    categories: list[str]
    languages: list[str]
    embed_origins: list[str]
    allow_exclusions: bool

    @classmethod
    def of(cls, institution: Institution) -> "InstitutionSettings":
        """The institution's current settings."""
        return cls(**{f.name: getattr(institution, f.name) for f in fields(cls)})


@dataclass
class InstitutionProfile:
    """Who an institution is; only the platform admin changes it."""

    name_lt: str
    name_en: str
    name_nb: str
    kind: InstitutionKind
    jurisdiction: Jurisdiction

    @classmethod
    def of(cls, institution: Institution) -> "InstitutionProfile":
        """The institution's current profile."""
        return cls(**{f.name: getattr(institution, f.name) for f in fields(cls)})


@dataclass(frozen=True)
class Member:
    """A person holding at least one role in an institution."""

    user: User
    roles: frozenset[Role]

    @property
    def invitation_pending(self) -> bool:
        """Invited, but the invitation link has not been used yet (no key pair)."""
        return self.user.public_key is None

    @property
    def recovery_pending(self) -> bool:
        """A recovery link was made and has not been used yet."""
        return self.user.public_key is not None and self.user.wrapped_private_key is None


@dataclass(frozen=True)
class InstitutionSummary:
    """One line of the network's institution list: no report content, only staff counts."""

    institution: Institution
    officers: int
    admins: int


@dataclass(frozen=True)
class NewInstitution:
    """A created institution, its recovery code and its first admin's invitation token
    (None when that person had an account already). Both secrets are shown once."""

    institution: Institution
    recovery_code: str
    invitation: str | None


@dataclass(frozen=True)
class AuditRow:
    """An audit entry as the log page shows it: metadata only."""

    recorded_at: datetime
    actor: str | None
    action: str
    report_ref: str | None
    details: list[tuple[str, str]]


# --- Settings ---------------------------------------------------------------------------------


def parse_origins(text: str) -> list[str]:
    """The websites allowed to embed the channel, one per line, as a list.

    A trailing slash is dropped (people paste addresses from the browser bar); anything
    else must be a bare origin, because the list becomes the CSP ``frame-ancestors``.

    :raises ServiceError: naming the first line that is not an origin.
    """
    origins: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        origin = line.strip().removesuffix("/")
        if not origin:
            continue
        if not ORIGIN.fullmatch(origin):
            raise ServiceError(_("Line %(number)d is not a website address like "
                                 "https://www.example.lt: %(line)s",
                                 number=number, line=line.strip()[:100]))
        if origin not in origins:
            origins.append(origin)
    return origins


def _in_range(value: int, limits: tuple[int, int], name: str) -> None:
    if not limits[0] <= value <= limits[1]:
        raise ServiceError(_("%(setting)s: enter a whole number from %(min)d to %(max)d.",
                             setting=FIELD_LABELS[name], min=limits[0], max=limits[1]))


def _checked(settings: InstitutionSettings) -> InstitutionSettings:
    """The settings validated, with lists in a canonical order.

    :raises ServiceError: a number out of range, no category or language, an unknown one,
        or a malformed origin.
    """
    _in_range(settings.acknowledgement_days, ACKNOWLEDGEMENT_DAYS, "acknowledgement_days")
    _in_range(settings.feedback_months, FEEDBACK_MONTHS, "feedback_months")
    _in_range(settings.retention_days, RETENTION_DAYS, "retention_days")
    if not settings.categories or unknown_categories(settings.categories):
        raise ServiceError(_("Choose at least one category of the list."))
    if not settings.languages or set(settings.languages) - set(LANGUAGES):
        raise ServiceError(_("Choose at least one language of the list."))
    origins = parse_origins("\n".join(settings.embed_origins))
    return replace(settings,
                   categories=[c for c in STANDARD_CATEGORIES if c in settings.categories],
                   languages=[code for code in LANGUAGES if code in settings.languages],
                   embed_origins=origins, allow_exclusions=bool(settings.allow_exclusions))


def _checked_profile(profile: InstitutionProfile) -> InstitutionProfile:
    names = [name.strip() for name in (profile.name_lt, profile.name_en, profile.name_nb)]
    if not all(names):
        raise ServiceError(_("Give the institution's name in Lithuanian, English and "
                             "Norwegian."))
    return replace(profile, name_lt=names[0], name_en=names[1], name_nb=names[2])


def change_settings(institution: Institution, settings: InstitutionSettings, by: User,
                    profile: InstitutionProfile | None = None) -> list[str]:
    """Save an institution's settings (and, for the platform admin, its profile).

    Changed deadline periods move the due dates of every open case at once.

    :returns: the names of the fields that changed (also recorded in the audit log).
    :raises ServiceError: see :func:`_checked`; an empty name.
    """
    wanted = asdict(_checked(settings))
    if profile is not None:
        wanted |= asdict(_checked_profile(profile))
    changed = [name for name, value in wanted.items() if getattr(institution, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(institution, name, wanted[name])
    if {"acknowledgement_days", "feedback_months"} & set(changed):
        for report in db.session.scalars(select(Report).where(
                Report.institution_id == institution.id, Report.closed_on.is_(None))):
            refresh_deadline(report)
    audit.record("settings_changed", actor=by, institution=institution, fields=changed)
    db.session.commit()
    return changed


# --- Recovery code ----------------------------------------------------------------------------


def regenerate_recovery_code(institution: Institution, current_code: str, by: User) -> str:
    """Replace the institution's recovery code; returns the new one (its only copy).

    Every recovery copy of the institution's case keys is opened with the current code and
    sealed to the new key in the same transaction, so no case is ever left without one.
    A copy that does not open although the code is right means damaged data: the error
    propagates and nothing changes.

    :raises ServiceError: the current code is not this institution's.
    """
    check_recovery_code(institution, current_code)
    reports = db.session.scalars(select(Report).where(
        Report.institution_id == institution.id, Report.recovery_key.is_not(None))).all()
    data_keys = [(report, recovery_data_key(report, current_code)) for report in reports]
    new_code = new_recovery_code()
    institution.recovery_public_key = recovery_public_key(new_code)
    for report, data_key in data_keys:
        reseal_recovery_key(report, data_key)
    audit.record("recovery_code_regenerated", actor=by, institution=institution,
                 cases=len(data_keys))
    db.session.commit()
    return format_recovery_code(new_code)


# --- Members ----------------------------------------------------------------------------------


def members(institution: Institution) -> list[Member]:
    """Everyone holding a role in the institution, by name."""
    rows = db.session.execute(
        select(User, Membership.role).join(Membership)
        .where(Membership.institution_id == institution.id)
        .order_by(User.display_name, User.id)).all()
    roles: dict[int, set[Role]] = {}
    users: dict[int, User] = {}
    for user, role in rows:
        users[user.id] = user
        roles.setdefault(user.id, set()).add(role)
    return [Member(user, frozenset(roles[user_id])) for user_id, user in users.items()]


def find_member(institution: Institution, user_id: int) -> Member | None:
    """The member with this account id, if they hold a role in the institution."""
    user = db.session.get(User, user_id)
    if user is None:
        return None
    roles = roles_in(user, institution)
    return Member(user, frozenset(roles)) if roles else None


def _not_a_member() -> ServiceError:
    return ServiceError(_("This person is not a member of the institution."))


def invite_member(institution: Institution, email: str, display_name: str, role: Role,
                  by: User) -> str | None:
    """Invite someone to a role; returns the invitation link token, or None when the
    person is a member of the institution already and simply gets the role (see
    :func:`app.services.accounts.account_links.invite`).

    :raises ServiceError: invalid address, or an empty name.
    """
    return account_links.invite(institution, email, display_name, role, by)


def _active_admins(institution: Institution) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Membership).join(User)
        .where(Membership.institution_id == institution.id,
               Membership.role == Role.INSTITUTION_ADMIN, User.is_active.is_(True))) or 0


def change_roles(user: User, institution: Institution, roles: set[Role], by: User) -> None:
    """Give a member exactly these roles in the institution (none removes them from it).

    Losing the officer role also removes their copies of the institution's case keys:
    access ends cryptographically, not only by permission. If they become an officer again,
    earlier cases need a grant from an officer who can open them.

    :raises ServiceError: not a member; the institution would lose its last active admin;
        a network role given officer rights.
    """
    current = roles_in(user, institution)
    if not current:
        raise _not_a_member()
    added, removed = roles - current, current - roles
    if not added and not removed:
        return
    if Role.OFFICER in added:
        check_may_be_officer(user)
    if (Role.INSTITUTION_ADMIN in removed and user.is_active
            and _active_admins(institution) <= 1):
        raise ServiceError(_("The institution needs at least one active administrator. "
                             "Make someone else an administrator first."))
    for membership in list(user.memberships):
        if membership.institution_id == institution.id and membership.role in removed:
            user.memberships.remove(membership)
    for role in added:
        user.memberships.append(Membership(institution=institution, role=role))
    keys_removed = 0
    if Role.OFFICER in removed:
        keys_removed = db.session.execute(delete(SealedKey).where(
            SealedKey.user_id == user.id,
            SealedKey.report_id.in_(select(Report.id).where(
                Report.institution_id == institution.id)))).rowcount
    audit.record("role_changed", actor=by, institution=institution, user=user.id,
                 added=sorted(role.value for role in added),
                 removed=sorted(role.value for role in removed), keys_removed=keys_removed)
    db.session.commit()


def _check_may_block(user: User, institution: Institution, by: User) -> None:
    if not roles_in(user, institution):
        raise _not_a_member()
    if user.id == by.id:
        raise ServiceError(_("You cannot deactivate your own account. Ask another "
                             "administrator."))
    # The account is network-wide: one institution's admin must not lock it out elsewhere.
    if not belongs_only_to(user, institution):
        raise ServiceError(_("This account also has roles outside this institution, so "
                             "only its roles here can be changed: remove them instead."))


def deactivate(user: User, institution: Institution, by: User) -> None:
    """Block an account: every session ends, unused account links are voided, no new case
    is sealed to it and it cannot sign in. Its existing key copies stay for reactivation.

    :raises ServiceError: see :func:`_check_may_block`.
    """
    _check_may_block(user, institution, by)
    if not user.is_active:
        return
    user.is_active = False
    end_all_sessions(user)
    db.session.execute(delete(AccountLink).where(AccountLink.user_id == user.id,
                                                 AccountLink.used_at.is_(None)))
    audit.record("account_deactivated", actor=by, institution=institution, user=user.id)
    db.session.commit()


def reactivate(user: User, institution: Institution, by: User) -> None:
    """Let a deactivated account sign in again. Cases that arrived meanwhile were not
    sealed to it: an officer who can open them grants access.

    :raises ServiceError: see :func:`_check_may_block`.
    """
    _check_may_block(user, institution, by)
    if user.is_active:
        return
    user.is_active = True
    audit.record("account_reactivated", actor=by, institution=institution, user=user.id)
    db.session.commit()


def recover_member(user: User, institution: Institution, recovery_code: str,
                   by: User) -> str:
    """Make a recovery link for a member who lost their password (see
    :func:`app.services.accounts.account_links.recover_account`); returns its token.

    :raises ServiceError: not a member, a pending invitation, one's own account, an account
        with roles elsewhere, or a wrong recovery code.
    """
    if not roles_in(user, institution):
        raise _not_a_member()
    if user.id == by.id:
        raise ServiceError(_("You cannot recover your own account. Ask another "
                             "administrator of the institution."))
    if user.public_key is None:
        raise ServiceError(_("This person has not accepted the invitation yet: invite "
                             "them again instead."))
    return account_links.recover_account(user, institution, recovery_code, by)


# --- Audit log --------------------------------------------------------------------------------


# Role codes and field names inside details, shown by their labels.
VALUE_LABELS = {**{role.value: label for role, label in ROLE_LABELS.items()}, **FIELD_LABELS}


def _detail_value(key: str, value, names: dict[int, str]) -> str:
    if key == "user" and isinstance(value, int):
        return names.get(value, "—")
    values = value if isinstance(value, list) else [value]
    return ", ".join(str(VALUE_LABELS.get(item, item)) if isinstance(item, str) else str(item)
                     for item in values) or "—"


def audit_log(institution: Institution, page: int) -> tuple[list[AuditRow], int]:
    """One page of the institution's audit log for reading, and the number of pages."""
    entries, pages = audit.institution_log(institution, page)
    ids = {entry.actor_id for entry in entries if entry.actor_id is not None}
    ids |= {entry.detail.get("user") for entry in entries
            if isinstance((entry.detail or {}).get("user"), int)}
    names = dict(db.session.execute(
        select(User.id, User.display_name).where(User.id.in_(ids))).all()) if ids else {}
    rows = [AuditRow(
        recorded_at=as_utc(entry.recorded_at),
        actor=names.get(entry.actor_id) if entry.actor_id is not None else None,
        action=str(audit.ACTIONS.get(entry.action, entry.action)),
        report_ref=entry.report_ref,
        details=[(str(DETAIL_LABELS.get(key, key)), _detail_value(key, value, names))
                 for key, value in sorted((entry.detail or {}).items(),
                                          key=lambda item: (item[0] != "user", item[0]))],
    ) for entry in entries]
    return rows, pages


# --- The network ------------------------------------------------------------------------------


def network_overview(language: str) -> list[InstitutionSummary]:
    """Every institution with the number of its officers and admins, by name."""
    counts = {(institution_id, role): number for institution_id, role, number in
              db.session.execute(select(Membership.institution_id, Membership.role,
                                        func.count())
                                 .group_by(Membership.institution_id, Membership.role))}
    institutions = db.session.scalars(select(Institution)).all()
    return [InstitutionSummary(institution,
                               counts.get((institution.id, Role.OFFICER), 0),
                               counts.get((institution.id, Role.INSTITUTION_ADMIN), 0))
            for institution in sorted(institutions,
                                      key=lambda found: found.name(language).casefold())]


def create_institution_with_admin(slug: str, profile: InstitutionProfile,
                                  settings: InstitutionSettings, admin_email: str,
                                  admin_name: str, by: User) -> NewInstitution:
    """Add an institution with its settings and invite its first administrator.

    Everything that can be refused is checked before anything is saved.

    :raises ServiceError: a malformed or taken slug, an empty name, invalid settings, an
        invalid administrator address or an empty administrator name.
    """
    profile, settings = _checked_profile(profile), _checked(settings)
    normalise_email(admin_email)
    if not admin_name.strip():
        raise ServiceError(_("Enter a name."))
    institution, recovery_code = create_institution(InstitutionSpec(
        slug=slug.strip(), categories=settings.categories, languages=settings.languages,
        **asdict(profile)))
    for name, value in asdict(settings).items():
        setattr(institution, name, value)
    audit.record("institution_created", actor=by, institution=institution,
                 slug=institution.slug)
    db.session.commit()
    invitation = account_links.invite(institution, admin_email, admin_name,
                                      Role.INSTITUTION_ADMIN, by)
    return NewInstitution(institution, recovery_code, invitation)
