"""An institution's members: the list, invitations, roles, deactivation and account
recovery. Every change writes an audit entry and commits here.

Nothing here opens a report for reading. Recovery re-seals the member's case keys with the
institution's recovery code, which the administrator types in and which is never stored. An
account that serves anywhere else is never changed from here
(:func:`app.services.accounts.permissions.belongs_only_to`)."""

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import AccountLink, Institution, Membership, Report, Role, SealedKey, User
from app.services import ServiceError, audit
from app.services.accounts import account_links
from app.services.accounts.permissions import belongs_only_to, roles_in
from app.services.accounts.staff_sessions import end_all_sessions
from app.services.accounts.users import check_may_be_officer
from app.services.casefile.sealing import readable_only_by, readable_only_by_count

ROLE_LABELS = {
    Role.OFFICER: _l("Integrity officer"),
    Role.INSTITUTION_ADMIN: _l("Institution administrator"),
}


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


# Reports listed on the confirmation page before someone's leaving makes them unreadable.
UNREADABLE_LISTED = 50


class WouldLeaveUnreadable(ServiceError):
    """The change would leave reports that no other active officer can open: only the
    recovery code opens them until a grant. Asked again with ``confirmed=True``."""

    def __init__(self, reports: list[Report], total: int):
        super().__init__(_("Only this person can open some of the institution's reports."))
        self.reports, self.total = reports, total


def _left_unreadable(user: User, institution: Institution, confirmed: bool) -> int:
    """How many reports no active officer could open once this person stops being one.

    :raises WouldLeaveUnreadable: unless confirmed, when there are any.
    """
    if not user.is_active:
        return 0
    if confirmed:
        return readable_only_by_count(user, institution)
    reports = readable_only_by(user, institution, UNREADABLE_LISTED)
    if reports:
        total = (len(reports) if len(reports) < UNREADABLE_LISTED
                 else readable_only_by_count(user, institution))
        raise WouldLeaveUnreadable(reports, total)
    return 0


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


def change_roles(user: User, institution: Institution, roles: set[Role], by: User, *,
                 confirmed: bool = False) -> None:
    """Give a member exactly these roles in the institution (none removes them from it).

    Losing the officer role also removes their copies of the institution's case keys:
    access ends cryptographically, not only by permission. If they become an officer again,
    earlier cases need a grant from an officer who can open them.

    :raises WouldLeaveUnreadable: unless confirmed, the officer role is taken from the
        last active officer holding some reports' keys.
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
    if Role.OFFICER in removed and not confirmed:
        _left_unreadable(user, institution, confirmed=False)
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


def deactivate(user: User, institution: Institution, by: User, *,
               confirmed: bool = False) -> None:
    """Block an account: every session ends, unused account links are voided, no new case
    is sealed to it and it cannot sign in. Its existing key copies stay for reactivation.

    :raises WouldLeaveUnreadable: unless confirmed, the person is the last active officer
        holding some reports' keys.
    :raises ServiceError: see :func:`_check_may_block`.
    """
    _check_may_block(user, institution, by)
    if not user.is_active:
        return
    left_unreadable = _left_unreadable(user, institution, confirmed)
    user.is_active = False
    end_all_sessions(user)
    db.session.execute(delete(AccountLink).where(AccountLink.user_id == user.id,
                                                 AccountLink.used_at.is_(None)))
    audit.record("account_deactivated", actor=by, institution=institution, user=user.id,
                 left_unreadable=left_unreadable)
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
