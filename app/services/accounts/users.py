"""Staff accounts: creation with key pairs, roles in institutions, password checks."""

import logging
import unicodedata
from functools import cache

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from app.crypto.kdf import KdfCost
from app.crypto.staff_keys import StaffKeyMaterial, create_staff_keys, unlock_staff_key
from app.extensions import db
from app.languages import LANGUAGES
from app.models import Institution, Jurisdiction, Membership, Role, User
from app.services import ServiceError, audit

# The language a country's staff read unless they choose another (/staff/account).
COUNTRY_LANGUAGES = {Jurisdiction.LT: "lt", Jurisdiction.NO: "nb"}

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024

log = logging.getLogger(__name__)


def normalise_email(email: str) -> str:
    """The canonical form of a staff e-mail address.

    :raises ServiceError: the address is not valid.
    """
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ServiceError(_("Enter a valid e-mail address.")) from None


def find_user(email: str) -> User | None:
    """The account with this e-mail address, if any."""
    try:
        canonical = normalise_email(email)
    except ServiceError:
        return None
    return db.session.scalar(select(User).where(User.email == canonical))


def create_user(
    email: str,
    display_name: str,
    password: str,
    *,
    is_platform_admin: bool = False,
    is_analyst: bool = False,
    role_in: tuple[Institution, Role] | None = None,
) -> User:
    """Create a staff account with its own key pair, wrapped by the password.

    :param role_in: an institution and the role to hold there, saved in the same transaction.
    :raises ServiceError: invalid or taken e-mail, empty name, or a password of the wrong length.
    """
    email = normalise_email(email)
    if find_user(email) is not None:
        raise ServiceError(_("An account with this e-mail address exists already."))
    if not display_name.strip():
        raise ServiceError(_("Enter a name."))
    check_password_length(password)
    keys = create_staff_keys(password, KdfCost.from_config(current_app.config))
    user = User(
        email=email,
        display_name=display_name.strip(),
        is_platform_admin=is_platform_admin,
        is_analyst=is_analyst,
        kdf_salt=keys.salt,
        kdf_params=keys.cost.as_dict(),
        public_key=keys.public_key,
        wrapped_private_key=keys.wrapped_private_key,
    )
    db.session.add(user)
    if role_in is not None:
        db.session.add(Membership(user=user, institution=role_in[0], role=role_in[1]))
    db.session.commit()
    return user


def default_language(institution: Institution, inviter: User | None) -> str:
    """The language of a person invited to an institution, until they choose their own:
    their inviting colleague's, or, when someone outside the institution invites (the
    command line, a platform admin setting it up), the language of its country."""
    if (inviter is not None and inviter.language in LANGUAGES
            and any(m.institution_id == institution.id for m in inviter.memberships)):
        return inviter.language
    return COUNTRY_LANGUAGES.get(institution.jurisdiction, LANGUAGES[0])


def choose_language(user: User, language: str) -> None:
    """Set the language of the staff member's workspace and e-mails; audited. Commits.

    :raises ServiceError: not one of Skaidra's languages.
    """
    if language not in LANGUAGES:
        raise ServiceError(_("Choose one of the languages of the list."))
    if user.language != language:
        audit.record_for_account("language_changed", user, actor=user,
                                 old=user.language, new=language)
        user.language = language
    db.session.commit()


def check_password_length(password: str) -> None:
    """:raises ServiceError: shorter than 12 characters or longer than the maximum."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(ngettext("The password must have at least %(num)d character.",
                                    "The password must have at least %(num)d characters.",
                                    MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ServiceError(_("This password is too long."))


@cache
def _common_passwords() -> frozenset[str]:
    # zxcvbn's list of the 30 000 most common passwords from real breaches.
    return frozenset(FREQUENCY_LISTS["passwords"])


def check_new_password(password: str, email: str) -> None:
    """A password a staff member may choose: long enough, not a common password, not
    built from their e-mail address (NIST SP 800-63B, 5.1.1.2).

    :raises ServiceError: with the reason.
    """
    check_password_length(password)
    folded = unicodedata.normalize("NFKC", password).casefold()
    local_part = email.split("@", 1)[0].casefold()
    if (folded in _common_passwords() or folded.rstrip("0123456789!.?") in _common_passwords()
            or len(set(folded)) < 4):
        raise ServiceError(_("This password is too common. Choose a longer phrase of "
                             "unrelated words."))
    if len(local_part) >= 4 and local_part in folded:
        raise ServiceError(_("The password must not contain your e-mail address."))


def grant_role(user: User, institution: Institution, role: Role) -> Membership:
    """Give a user a role in an institution (nothing changes when they have it already)."""
    membership = db.session.scalar(
        select(Membership).where(
            Membership.user_id == user.id,
            Membership.institution_id == institution.id,
            Membership.role == role,
        )
    )
    if membership is None:
        membership = Membership(user=user, institution=institution, role=role)
        db.session.add(membership)
        db.session.commit()
    return membership


def password_unlocks(user: User, password: str) -> bool:
    """True when the password opens the user's private key (the only password check).

    Damaged or tampered key material counts as a wrong password and is logged (without the
    password), so it surfaces to operators without crashing the sign-in page.
    """
    if user.wrapped_private_key is None or user.kdf_salt is None or user.kdf_params is None:
        return False
    try:
        material = StaffKeyMaterial(
            salt=user.kdf_salt,
            cost=KdfCost.from_dict(user.kdf_params),
            public_key=user.public_key or b"",
            wrapped_private_key=user.wrapped_private_key,
        )
        return unlock_staff_key(material, password) is not None
    except (KeyError, TypeError, ValueError):
        log.error("Key material of user %s is damaged and cannot be opened.", user.id)
        return False


def check_may_be_officer(user: User | None) -> None:
    """Refuse officer rights to the network roles.

    Separation of duties (DESIGN.md, security model point 5): platform admins and analysts
    never hold case keys, so they never become officers.

    :raises ServiceError: the account is a platform admin or an analyst.
    """
    if user is not None and (user.is_platform_admin or user.is_analyst):
        raise ServiceError(_("Platform administrators and analysts never read reports, so "
                             "they cannot be integrity officers. Invite another account."))
