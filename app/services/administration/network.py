"""The network's institutions, for the platform admin: the list with staff counts, and
a new institution with its recovery code and first administrator. The platform admin
gets no role in it and no sealed key."""

from dataclasses import asdict, dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.extensions import db
from app.models import Institution, Membership, Role, User
from app.services import ServiceError, audit
from app.services.accounts import account_links
from app.services.accounts.users import normalise_email
from app.services.administration.institutions import InstitutionSpec, create_institution
from app.services.administration.settings import (
    InstitutionProfile,
    InstitutionSettings,
    checked_profile,
    checked_settings,
)


@dataclass(frozen=True)
class InstitutionSummary:
    """One line of the network's institution list: no report content, only staff counts."""

    institution: Institution
    officers: int  # active officers with a key pair: the ones new reports are sealed to
    admins: int


@dataclass(frozen=True)
class NewInstitution:
    """A created institution, its recovery code and its first admin's invitation token
    (None when that person had an account already). Both secrets are shown once."""

    institution: Institution
    recovery_code: str
    invitation: str | None


def network_overview(language: str) -> list[InstitutionSummary]:
    """Every institution with the number of its active officers and its admins, by name.
    An institution without an active officer still takes reports, but only its recovery
    code can open them."""
    counts = {(institution_id, role): number for institution_id, role, number in
              db.session.execute(select(Membership.institution_id, Membership.role,
                                        func.count())
                                 .join(User, User.id == Membership.user_id)
                                 .where((Membership.role != Role.OFFICER)
                                        | (User.is_active.is_(True)
                                           & User.public_key.is_not(None)))
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
    profile, settings = checked_profile(profile), checked_settings(settings)
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
