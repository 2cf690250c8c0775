"""One-time account links: invitations for new staff and recovery of a lost password.

An invitation creates the account without keys; whoever opens the link sets the password,
enrols two-factor and gets a fresh key pair there. Recovery needs the institution's recovery
code: a new key pair is made at once, the data keys of the institution's cases the person
could read are re-sealed to it (opened with the recovery key), and the new private key waits
in the link, wrapped under a key derived from the link's token. The admin sees the link
once and never learns the password or holds the private key afterwards.

The two-factor secret offered on the link page is derived from the token too, so nothing
about an unfinished enrolment is stored.
"""

import base64
import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.crypto.kdf import KdfCost, expand_key
from app.crypto.staff_keys import (
    new_private_key,
    public_key_of,
    unwrap_private_key,
    wrap_private_key,
    wrap_with_password,
)
from app.extensions import db
from app.models import (
    AccountLink,
    Institution,
    LinkPurpose,
    Membership,
    Report,
    Role,
    SealedKey,
    User,
)
from app.models.types import as_utc
from app.services import ServiceError, audit, two_factor
from app.services.access import recovery_data_key, seal_to_officer
from app.services.accounts import check_new_password, find_user, normalise_email
from app.services.institutions import check_recovery_code
from app.services.staff_sessions import end_all_sessions

TOKEN_BYTES = 32


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _derive(token: str, purpose: bytes, length: int = 32) -> bytes:
    return expand_key(token.encode(), b"skaidra/account-link/" + purpose, length)


def _new_link(user: User, purpose: LinkPurpose, by: User | None) -> tuple[AccountLink, str]:
    db.session.execute(AccountLink.__table__.delete().where(
        AccountLink.user_id == user.id, AccountLink.used_at.is_(None)))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = AccountLink(token_digest=_digest(token), user=user, purpose=purpose,
                       created_by_id=by.id if by else None,
                       expires_at=datetime.now(UTC) + timedelta(
                           days=current_app.config["ACCOUNT_LINK_DAYS"]))
    db.session.add(link)
    return link, token


def invite(institution: Institution, email: str, display_name: str, role: Role,
           by: User | None) -> str | None:
    """Invite a staff member to a role in an institution; returns the link token.

    Someone who has an account already simply gets the role, and None is returned: they
    sign in as before.

    :raises ServiceError: invalid address or empty name.
    """
    email = normalise_email(email)
    if not display_name.strip():
        raise ServiceError(_("Enter a name."))
    user = find_user(email)
    token = None
    if user is None:
        user = User(email=email, display_name=display_name.strip())
        db.session.add(user)
        db.session.flush()
    if user.wrapped_private_key is None:
        _link, token = _new_link(user, LinkPurpose.INVITATION, by)
    if db.session.scalar(select(Membership.id).where(
            Membership.user_id == user.id, Membership.institution_id == institution.id,
            Membership.role == role)) is None:
        db.session.add(Membership(user=user, institution=institution, role=role))
    audit.record("invitation_sent", actor=by, institution=institution, user=user.id,
                 role=role.value)
    db.session.commit()
    return token


def find_link(token: str) -> AccountLink | None:
    """The unused, unexpired link for a token; None for anything else."""
    link = db.session.scalar(select(AccountLink).where(AccountLink.token_digest == _digest(token)))
    if link is None or link.used_at is not None:
        return None
    return link if as_utc(link.expires_at) > datetime.now(UTC) else None


def link_secret(token: str) -> str:
    """The two-factor secret offered on the link page (base32, 160 bits)."""
    return base64.b32encode(_derive(token, b"totp", 20)).decode()


def complete_link(token: str, password: str, code: str) -> User:
    """Set the password and two-factor through a link; the link is used up.

    :raises ServiceError: the link is invalid, the password is not acceptable, or the code
        does not match the offered secret.
    """
    link = find_link(token)
    if link is None:
        raise ServiceError(_("This link is not valid any more. Ask your institution "
                             "administrator for a new one."))
    user = link.user
    check_new_password(password, user.email)
    secret = link_secret(token)
    if two_factor.code_matches(secret, code) is None:
        raise ServiceError(_("This code is not right. Check the time on your phone and "
                             "try the next code."))
    if link.purpose == LinkPurpose.RECOVERY:
        private_key = unwrap_private_key(link.wrapped_private_key or b"",
                                         _derive(token, b"wrap"), user.public_key or b"")
        if private_key is None:
            raise ServiceError(_("This link is not valid any more. Ask your institution "
                                 "administrator for a new one."))
    else:
        private_key = new_private_key()
    material = wrap_with_password(private_key, password,
                                  KdfCost.from_config(current_app.config))
    user.kdf_salt, user.kdf_params = material.salt, material.cost.as_dict()
    user.public_key, user.wrapped_private_key = material.public_key, material.wrapped_private_key
    db.session.flush()
    two_factor.seal_secret(user, secret)
    link.used_at = datetime.now(UTC)
    link.wrapped_private_key = None
    audit.record("invitation_accepted" if link.purpose == LinkPurpose.INVITATION
                 else "password_changed", actor=user)
    db.session.commit()
    two_factor.accept_code(user, secret, code)
    return user


def recover_account(user: User, institution: Institution, recovery_code: str,
                    by: User) -> str:
    """Give a staff member who lost their password a new key pair; returns the link token.

    Their copies of the institution's case keys are re-sealed to the new key (opened with
    the recovery key); copies for other institutions' cases cannot be recovered here and are
    removed, as the old key that opened them is gone.

    :raises ServiceError: the code is not this institution's recovery code, or the user is
        not a member of the institution.
    """
    check_recovery_code(institution, recovery_code)
    if not any(m.institution_id == institution.id for m in user.memberships):
        raise ServiceError(_("This person is not a member of the institution."))
    private_key = new_private_key()
    user.public_key = public_key_of(private_key)
    user.wrapped_private_key = user.kdf_salt = user.kdf_params = None
    user.totp_secret_sealed, user.totp_last_step = None, None
    end_all_sessions(user)
    reports = db.session.scalars(select(Report).join(SealedKey).where(
        SealedKey.user_id == user.id)).all()
    db.session.execute(SealedKey.__table__.delete().where(SealedKey.user_id == user.id))
    db.session.flush()
    for report in reports:
        if report.institution_id == institution.id:
            seal_to_officer(report, recovery_data_key(report, recovery_code), user)
    link, token = _new_link(user, LinkPurpose.RECOVERY, by)
    link.wrapped_private_key = wrap_private_key(private_key, _derive(token, b"wrap"),
                                                user.public_key)
    audit.record("account_recovered", actor=by, institution=institution, user=user.id,
                 cases=len([r for r in reports if r.institution_id == institution.id]))
    db.session.commit()
    return token
