"""Who may do what: the one place that decides, for every staff page.

Roles are per institution (officer, institution admin) or network-wide (platform admin,
analyst). Reading a case also needs its key (app/services/casefile/sealing.py): these rules decide
who may *try*; the sealed keys decide who *can*.
"""

from sqlalchemy import select

from app.extensions import db
from app.models import Institution, Membership, Report, Role, User
from app.services.casefile.sealing import holds_key


def roles_in(user: User, institution: Institution) -> set[Role]:
    """The user's roles in one institution."""
    return {m.role for m in user.memberships if m.institution_id == institution.id}


def belongs_only_to(user: User, institution: Institution) -> bool:
    """True when nobody outside the institution relies on the account: it holds no network
    role and no role in another institution. Only then may the institution's admins change
    what the account is (its credentials, keys or whether it may sign in); an account that
    serves elsewhere too is the network's, and one institution must not be able to take it."""
    return not (user.is_platform_admin or user.is_analyst) and all(
        m.institution_id == institution.id for m in user.memberships)


def institutions_where(user: User, role: Role) -> list[Institution]:
    """Institutions in which the user holds a role, by name."""
    return sorted((m.institution for m in user.memberships if m.role == role),
                  key=lambda institution: institution.slug)


def has_role(user: User, institution: Institution, role: Role) -> bool:
    """True when the user holds the role in the institution."""
    return user.is_active and role in roles_in(user, institution)


def may_work_on(user: User, report: Report) -> bool:
    """Officers of the report's institution see its case page (to open it they need a key),
    and so does an officer who kept their key when transferring the case elsewhere."""
    if has_role(user, report.institution, Role.OFFICER):
        return True
    return (user.is_active and any(m.role == Role.OFFICER for m in user.memberships)
            and holds_key(report, user))


def may_read_statistics(user: User, institution: Institution | None) -> bool:
    """Analysts and platform admins see every statistic; an institution's own staff see
    its statistics."""
    if user.is_analyst or user.is_platform_admin:
        return True
    return institution is not None and bool(roles_in(user, institution))


def may_assess(user: User, institution: Institution) -> bool:
    """Officers and institution admins fill in their institution's self-assessments;
    only institution admins finalise them (``has_role(..., INSTITUTION_ADMIN)``)."""
    return user.is_active and bool(roles_in(user, institution)
                                   & {Role.OFFICER, Role.INSTITUTION_ADMIN})


def officers_of(institution: Institution) -> list[User]:
    """Every officer of the institution, active or not, by name."""
    return list(db.session.scalars(
        select(User).join(Membership).where(Membership.institution_id == institution.id,
                                            Membership.role == Role.OFFICER)
        .order_by(User.display_name)))
