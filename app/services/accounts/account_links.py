"""One-time account links: invitations for new staff and recovery of a lost password.

An invitation creates the account without keys; whoever opens the link sets the password,
enrols two-factor and gets a fresh key pair there. Recovery needs the institution's recovery
code: a new key pair is made at once, the data keys of the institution's cases the person
could read are re-sealed to it (opened with the recovery key), and the new private key waits
in the link, wrapped under a key derived from the link's token. The admin sees the link
once and never learns the password or holds the private key afterwards.

An account that exists already is never given a role in another institution by that
institution's admin alone: the link then only offers the role, and the account's holder
accepts it while signed in. Recovery, likewise, is refused for an account that anyone
outside the institution relies on (a role elsewhere, or a network role), because it replaces
the account's password, two-factor and keys. Every credential change is recorded in the
audit log of each institution the account belongs to, and its holder is told by e-mail.

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
from app.services import ServiceError, audit
from app.services.accounts import two_factor
from app.services.accounts.permissions import belongs_only_to, roles_in
from app.services.accounts.staff_sessions import end_all_sessions
from app.services.accounts.users import (
    check_may_be_officer,
    check_new_password,
    default_language,
    find_user,
    normalise_email,
)
from app.services.administration.institutions import check_recovery_code
from app.services.casefile.sealing import recovery_opener, seal_to_officer
from app.services.casework import notifications

TOKEN_BYTES = 32


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _derive(token: str, purpose: bytes, length: int = 32) -> bytes:
    return expand_key(token.encode(), b"skaidra/account-link/" + purpose, length)


def _new_link(user: User, purpose: LinkPurpose, by: User | None,
              institution: Institution | None = None, role: Role | None = None,
              invited_name: str | None = None) -> tuple[AccountLink, str]:
    """A fresh link; it replaces the account's unused links of the same kind (for an
    invitation: to the same institution), so a lost link is voided by issuing another."""
    if institution is not None:
        replaced = [AccountLink.institution_id == institution.id]
    else:
        replaced = [AccountLink.institution_id.is_(None)]
    db.session.execute(AccountLink.__table__.delete().where(
        AccountLink.user_id == user.id, AccountLink.used_at.is_(None), *replaced))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = AccountLink(token_digest=_digest(token), user=user, purpose=purpose,
                       institution=institution, role=role, invited_name=invited_name,
                       created_by_id=by.id if by else None,
                       expires_at=datetime.now(UTC) + timedelta(
                           days=current_app.config["ACCOUNT_LINK_DAYS"]))
    db.session.add(link)
    return link, token


def _invited_elsewhere(user: User, institution: Institution) -> bool:
    """Whether another institution has a set-up link out for this account."""
    return db.session.scalar(select(AccountLink.id).where(
        AccountLink.user_id == user.id, AccountLink.purpose == LinkPurpose.INVITATION,
        AccountLink.used_at.is_(None), AccountLink.expires_at > datetime.now(UTC),
        AccountLink.institution_id != institution.id).limit(1)) is not None


def _needs_consent(user: User, institution: Institution) -> bool:
    """Whether a role for this existing account must be accepted by its holder.

    Only accounts that this institution alone relies on, and that are either already its
    members or have no credentials yet and no set-up link from elsewhere, take a role
    without their holder signing in: anything else would let one institution's admin add
    (and then recover, or set up before its invitee does) an account that serves elsewhere.
    """
    if not belongs_only_to(user, institution):
        return True
    if roles_in(user, institution):
        return False
    return user.public_key is not None or _invited_elsewhere(user, institution)


def invite(institution: Institution, email: str, display_name: str, role: Role,
           by: User | None) -> str | None:
    """Invite a staff member to a role in an institution; returns the link token.

    - A member of the institution who serves nowhere else simply gets the role, and None
      is returned (an invitation still pending from before this version gets a new link).
    - Anyone else gets an invitation that carries the role and the name typed, and no role
      yet: a new address (an account without keys is made to hold it) sets up the account
      through the link and becomes a member then; an existing account's holder signs in
      and accepts or declines the role (:func:`accept_membership`). The institution's
      pages and audit log show both alike, by the address and name typed, so inviting
      tells an admin nothing about which addresses have accounts.

    :raises ServiceError: invalid address or empty name.
    """
    email = normalise_email(email)
    name = display_name.strip()
    if not name:
        raise ServiceError(_("Enter a name."))
    user = find_user(email)
    if user is not None and roles_in(user, institution) and not _needs_consent(user, institution):
        token = None
        # One whose recovery is pending (a new public key, no wrapped private key yet)
        # keeps its recovery link.
        if user.public_key is None:
            _link, token = _new_link(user, LinkPurpose.INVITATION, by, institution, role, name)
        if role not in roles_in(user, institution):
            user.memberships.append(Membership(institution=institution, role=role))
        audit.record("role_changed", actor=by, institution=institution, user=user.id,
                     added=[role.value], removed=[])
        db.session.commit()
        return token
    if user is None:
        user = User(email=email, display_name=name, language=default_language(institution, by))
        db.session.add(user)
        db.session.flush()
    purpose = (LinkPurpose.MEMBERSHIP if _needs_consent(user, institution)
               else LinkPurpose.INVITATION)
    _link, token = _new_link(user, purpose, by, institution, role, name)
    audit.record("invitation_sent", actor=by, institution=institution, email=email,
                 name=name, role=role.value)
    db.session.commit()
    return token


def find_link(token: str, *purposes: LinkPurpose) -> AccountLink | None:
    """The unused, unexpired link for a token, of one of these purposes (any when none is
    named); None for anything else."""
    link = db.session.scalar(select(AccountLink).where(AccountLink.token_digest == _digest(token)))
    if link is None or link.used_at is not None or (purposes and link.purpose not in purposes):
        return None
    return link if as_utc(link.expires_at) > datetime.now(UTC) else None


def pending_invitations(institution: Institution) -> list[AccountLink]:
    """The institution's invitations that are not answered yet and have not expired,
    newest first: new addresses and existing accounts alike."""
    return list(db.session.scalars(select(AccountLink).where(
        AccountLink.purpose.in_((LinkPurpose.INVITATION, LinkPurpose.MEMBERSHIP)),
        AccountLink.institution_id == institution.id, AccountLink.used_at.is_(None),
        AccountLink.expires_at > datetime.now(UTC)).order_by(AccountLink.id.desc())))


def withdraw_invitation(institution: Institution, link_id: int, by: User) -> None:
    """Void one of the institution's pending invitations.

    :raises ServiceError: no such pending invitation (answered, expired or withdrawn).
    """
    link = next((link for link in pending_invitations(institution) if link.id == link_id),
                None)
    if link is None:
        raise ServiceError(_("This invitation has been answered, has expired or was "
                             "withdrawn already."))
    link.used_at = datetime.now(UTC)
    audit.record("invitation_withdrawn", actor=by, institution=institution,
                 email=link.user.email, name=link.invited_name,
                 role=link.role.value if link.role else None)
    db.session.commit()


def _invalid_link() -> ServiceError:
    return ServiceError(_("This link is not valid any more. Ask your institution "
                          "administrator for a new one."))


def accept_membership(token: str, user: User) -> Institution:
    """The signed-in holder of an account accepts the role a link offers it.

    :raises ServiceError: the link is invalid or offers a role to another account, or a
        network role would become an officer.
    """
    link = find_link(token, LinkPurpose.MEMBERSHIP)
    if link is None or link.user_id != user.id or link.institution is None:
        raise _invalid_link()
    db.session.refresh(user, with_for_update=True)  # see recover_account
    if link.role == Role.OFFICER:
        check_may_be_officer(user)
    institution = link.institution
    if link.role not in roles_in(user, institution):
        user.memberships.append(Membership(institution=institution, role=link.role))
    link.used_at = datetime.now(UTC)
    db.session.flush()
    audit.record_for_account("membership_accepted", user, actor=user,
                             joined=institution.id, role=link.role.value)
    db.session.commit()
    notifications.notify_account_change(user, "membership_accepted", institution)
    return institution


def decline_membership(token: str, user: User) -> None:
    """The signed-in holder of an account turns down the role a link offers it.

    :raises ServiceError: the link is invalid or offers a role to another account.
    """
    link = find_link(token, LinkPurpose.MEMBERSHIP)
    if link is None or link.user_id != user.id:
        raise _invalid_link()
    link.used_at = datetime.now(UTC)
    audit.record("membership_declined", actor=user, institution=link.institution_id,
                 user=user.id, role=link.role.value if link.role else None)
    db.session.commit()


def _join_invited(link: AccountLink) -> None:
    """The invitation's role, now that its account is set up; the set-up links other
    institutions sent to the same address become offers, accepted while signed in, since
    the account has credentials now."""
    user = link.user
    if link.institution is not None and link.role not in roles_in(user, link.institution):
        user.memberships.append(Membership(institution=link.institution, role=link.role))
    db.session.execute(AccountLink.__table__.update().where(
        AccountLink.user_id == user.id, AccountLink.used_at.is_(None),
        AccountLink.purpose == LinkPurpose.INVITATION, AccountLink.id != link.id,
        AccountLink.institution_id.is_not(None)).values(purpose=LinkPurpose.MEMBERSHIP))
    db.session.flush()


def link_secret(token: str) -> str:
    """The two-factor secret offered on the link page (base32, 160 bits)."""
    return base64.b32encode(_derive(token, b"totp", 20)).decode()


def complete_link(token: str, password: str, code: str) -> User:
    """Set the password and two-factor through a link; the link is used up.

    :raises ServiceError: the link is invalid, the password is not acceptable, or the code
        does not match the offered secret.
    """
    link = find_link(token, LinkPurpose.INVITATION, LinkPurpose.RECOVERY)
    if link is None:
        raise _invalid_link()
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
            raise _invalid_link()
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
    if link.purpose == LinkPurpose.INVITATION:
        _join_invited(link)
    changed = ("invitation_accepted" if link.purpose == LinkPurpose.INVITATION
               else "password_changed")
    audit.record_for_account(changed, user, actor=user)
    db.session.commit()
    two_factor.accept_code(user, secret, code)
    if link.purpose == LinkPurpose.RECOVERY:
        notifications.notify_account_change(user, "recovery_completed")
    return user


def recover_account(user: User, institution: Institution, recovery_code: str,
                    by: User) -> str:
    """Give a staff member who lost their password a new key pair; returns the link token.

    Their copies of the institution's case keys are re-sealed to the new key (opened with
    the recovery key); copies for other institutions' cases cannot be recovered here and are
    removed, as the old key that opened them is gone.

    :raises ServiceError: the code is not this institution's recovery code, the user is
        not a member of the institution, or the account serves elsewhere too.
    """
    check_recovery_code(institution, recovery_code)
    # Locked until the commit, so that no role elsewhere is accepted meanwhile.
    db.session.refresh(user, with_for_update=True)
    if not roles_in(user, institution):
        raise ServiceError(_("This person is not a member of the institution."))
    if not belongs_only_to(user, institution):
        # Recovery replaces the password, two-factor and key pair: for an account that
        # serves elsewhere too, that would hand this institution the other's reports.
        raise ServiceError(_("This account also has roles outside this institution or in "
                             "the network, so it cannot be recovered here. Ask the "
                             "administrators of its other institutions to remove its roles "
                             "there first; then recover it here."))
    private_key = new_private_key()
    user.public_key = public_key_of(private_key)
    user.wrapped_private_key = user.kdf_salt = user.kdf_params = None
    user.totp_secret_sealed, user.totp_last_step = None, None
    end_all_sessions(user)
    reports = db.session.scalars(select(Report).join(SealedKey).where(
        SealedKey.user_id == user.id)).all()
    db.session.execute(SealedKey.__table__.delete().where(SealedKey.user_id == user.id))
    db.session.flush()
    opener = recovery_opener(recovery_code)
    for report in reports:
        if report.institution_id == institution.id:
            seal_to_officer(report, opener(report), user)
    link, token = _new_link(user, LinkPurpose.RECOVERY, by)
    link.wrapped_private_key = wrap_private_key(private_key, _derive(token, b"wrap"),
                                                user.public_key)
    audit.record("account_recovered", actor=by, institution=institution, user=user.id,
                 cases=len([r for r in reports if r.institution_id == institution.id]))
    db.session.commit()
    notifications.notify_account_change(user, "account_recovered", institution)
    return token
