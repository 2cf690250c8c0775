"""Staff sign-in and server-side sessions (DESIGN.md, security model points 3 and 7).

Signing in takes two steps. The password step runs one Argon2id derivation that both checks
the password and unwraps the private key; it opens a short *pending* session. The second
step checks a TOTP code (or enrols one on first sign-in) and replaces the pending session by
a new one with a new id, so no id chosen before sign-in survives it.

A session row holds the private key encrypted under a key that lives only in the staff
member's cookie. Rows name their user so that sign-out, password changes and deactivation
can end every session of an account at once.
"""

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete

from app.crypto.envelope import DecryptionError, decrypt, encrypt
from app.crypto.kdf import KdfCost, derive_key, new_salt
from app.crypto.session_tokens import SessionToken, new_token, parse_token
from app.crypto.staff_keys import (
    PASSWORD_PURPOSE,
    StaffKeyMaterial,
    load_private_key,
    unwrap_with_password,
    wrap_with_password,
)
from app.extensions import db
from app.models import SessionStage, StaffSession, User
from app.services import ServiceError, audit
from app.services.accounts import two_factor
from app.services.accounts.users import check_new_password, find_user
from app.services.casework import notifications

# A pending sign-in (password right, code still to come) lasts this long.
PENDING_SECONDS = 10 * 60
# A browser that completed a sign-in stays the account's trusted device this long (its
# sign-in attempts are counted apart from everyone else's, see device_cookie).
DEVICE_DAYS = 90

log = logging.getLogger(__name__)


@dataclass
class StaffSignIn:
    """A signed-in (or half signed-in) staff member, for one request."""

    user: User
    session: StaffSession
    token: SessionToken
    payload: dict = field(repr=False)

    @property
    def private_key_bytes(self) -> bytes:
        """The unwrapped private key (never stored unencrypted)."""
        return base64.b64decode(self.payload["private_key"])

    @property
    def private_key(self):
        """The usable private key, for opening sealed data keys."""
        return load_private_key(self.private_key_bytes)


def _now() -> int:
    return int(time.time())


def wrong_credentials() -> ServiceError:
    """One message for an unknown address, a wrong password and an inactive account."""
    return ServiceError(_("The e-mail address or the password is wrong."))


def _material(user: User | None) -> StaffKeyMaterial | None:
    if user is None or user.wrapped_private_key is None or user.kdf_salt is None:
        return None
    try:
        return StaffKeyMaterial(user.kdf_salt, KdfCost.from_dict(user.kdf_params or {}),
                                user.public_key or b"", user.wrapped_private_key)
    except (KeyError, TypeError, ValueError):
        log.error("Key material of user %s is damaged and cannot be opened.", user.id)
        return None


def sign_in_with_password(email: str, password: str) -> str:
    """The password step; returns the pending session's cookie value.

    Unknown addresses and accounts without keys cost one Argon2id run at the configured
    cost too, so neither the message nor the time tells which addresses exist.

    :raises ServiceError: anything is wrong (one message for every case).
    """
    user = find_user(email)
    material = _material(user)
    if material is None:
        derive_key(password, new_salt(), KdfCost.from_config(current_app.config),
                   PASSWORD_PURPOSE)
        private_key = None
    else:
        private_key = unwrap_with_password(material, password)
    if private_key is None or user is None or not user.is_active:
        audit.record("login_failed", actor=user)
        db.session.commit()
        raise wrong_credentials()
    return _open_session(user, SessionStage.PASSWORD, private_key)


def device_cookie(user: User) -> str:
    """A device cookie for the browser that has just signed the account in with password and
    code (OWASP's "device cookies"): the day it was issued, a random nonce, and an HMAC under
    SECRET_KEY binding both to the account and its current password. It opens nothing; it
    only gives that browser a sign-in counter of its own, so that wrong attempts typed by
    others for the address cannot lock the account holder out."""
    issued, nonce = _now() // 86400, secrets.token_hex(16)
    return f"{issued}.{nonce}.{_device_mac(user, issued, nonce)}"


def _device_mac(user: User, issued: int, nonce: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    # The password's salt changes with every password change and recovery, which voids
    # the account's device cookies.
    message = b"\0".join((b"staff-device", str(user.id).encode(), user.kdf_salt or b"",
                          f"{issued}.{nonce}".encode()))
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def trusted_device(cookie: str | None, user: User | None) -> str | None:
    """The counter name of a valid device cookie of this account, or None: no cookie, a
    forged or altered one, another account's, one older than DEVICE_DAYS, one issued before
    the last password change, or an account that cannot sign in."""
    if not cookie or user is None or user.kdf_salt is None or not user.is_active:
        return None
    try:
        issued_text, nonce, mac = cookie.split(".")
        issued = int(issued_text)
    except ValueError:
        return None
    if not 0 <= _now() // 86400 - issued < DEVICE_DAYS:
        return None
    if not hmac.compare_digest(mac.encode(), _device_mac(user, issued, nonce).encode()):
        return None
    return hashlib.sha256(f"device:{nonce}".encode()).hexdigest()[:32]


def _seal(token: SessionToken, user_id: int, payload: dict) -> bytes:
    return encrypt(token.key, json.dumps(payload).encode(), "staff-session", token.row_id,
                   str(user_id))


def _open_session(user: User, stage: SessionStage, private_key: bytes,
                  extra: dict | None = None) -> str:
    cookie, token = new_token()
    now = _now()
    payload = {"private_key": base64.b64encode(private_key).decode(), **(extra or {})}
    _purge_expired(now)
    db.session.add(StaffSession(id=token.row_id, user_id=user.id, stage=stage,
                                payload=_seal(token, user.id, payload),
                                started_at=now, seen_at=now))
    db.session.commit()
    return cookie


def _purge_expired(now: int) -> None:
    config = current_app.config
    idle = 60 * config["STAFF_IDLE_MINUTES"]
    absolute = 3600 * config["STAFF_ABSOLUTE_HOURS"]
    db.session.execute(delete(StaffSession).where(
        (StaffSession.seen_at < now - idle) | (StaffSession.started_at < now - absolute)
        | ((StaffSession.stage == SessionStage.PASSWORD)
           & (StaffSession.started_at < now - PENDING_SECONDS))))


def _expired(row: StaffSession, now: int) -> bool:
    config = current_app.config
    if row.stage == SessionStage.PASSWORD:
        return row.started_at < now - PENDING_SECONDS
    return (row.seen_at < now - 60 * config["STAFF_IDLE_MINUTES"]
            or row.started_at < now - 3600 * config["STAFF_ABSOLUTE_HOURS"])


def resume(cookie: str | None, stage: SessionStage = SessionStage.SIGNED_IN
           ) -> StaffSignIn | None:
    """The session behind a cookie at the given stage, its idle time renewed; None when
    absent, expired, at another stage, or its user has been deactivated."""
    token = parse_token(cookie)
    if token is None:
        return None
    row = db.session.get(StaffSession, token.row_id)
    now = _now()
    if row is None or row.stage != stage:
        return None
    if _expired(row, now) or not row.user.is_active:
        db.session.delete(row)
        db.session.commit()
        return None
    try:
        payload = json.loads(decrypt(token.key, row.payload, "staff-session", token.row_id,
                                     str(row.user_id)))
    except DecryptionError:
        return None
    if stage == SessionStage.SIGNED_IN and row.seen_at < now - 30:
        # Renewed at most twice a minute, so a busy page does not write on every request.
        row.seen_at = now
        db.session.commit()
    return StaffSignIn(row.user, row, token, payload)


def needs_enrolment(access: StaffSignIn) -> bool:
    """True when the account has no two-factor secret yet (first sign-in)."""
    return access.user.totp_secret_sealed is None


def enrolment_secret(access: StaffSignIn) -> str:
    """The secret being enrolled, kept in the pending session until a code confirms it."""
    if "totp_secret" not in access.payload:
        access.payload["totp_secret"] = two_factor.new_secret()
        access.session.payload = _seal(access.token, access.user.id, access.payload)
        db.session.commit()
    return access.payload["totp_secret"]


def _wrong_code() -> ServiceError:
    return ServiceError(_("This code is not right, or it has been used already. Wait for "
                          "the next code and try again."))


def complete_enrolment(access: StaffSignIn, code: str) -> str:
    """Confirm the enrolled secret with a code; returns the new signed-in session's cookie.

    :raises ServiceError: the code does not match.
    """
    secret = enrolment_secret(access)
    if two_factor.code_matches(secret, code) is None:
        raise _wrong_code()
    user = access.user
    two_factor.seal_secret(user, secret)
    two_factor.accept_code(user, secret, code)
    audit.record("two_factor_enrolled", actor=user)
    return _finish(access)


def complete_sign_in(access: StaffSignIn, code: str) -> str:
    """The two-factor step; returns the new signed-in session's cookie.

    :raises ServiceError: wrong or reused code.
    """
    user = access.user
    secret = two_factor.open_secret(user, access.private_key_bytes)
    if secret is None or not two_factor.accept_code(user, secret, code):
        audit.record("two_factor_failed", actor=user)
        db.session.commit()
        raise _wrong_code()
    return _finish(access)


def _finish(access: StaffSignIn) -> str:
    """Replace the pending session by a new signed-in one (a new id: no fixation)."""
    # The account's language is its holder's setting (/staff/account): signing in from a
    # browser in another language does not change it.
    user, private_key = access.user, access.private_key_bytes
    db.session.delete(access.session)
    audit.record("login", actor=user)
    return _open_session(user, SessionStage.SIGNED_IN, private_key)


def sign_out(access: StaffSignIn) -> None:
    """Sign out: every session of the account ends, including any left open elsewhere."""
    audit.record("logout", actor=access.user)
    end_all_sessions(access.user)
    db.session.commit()


def end_all_sessions(user: User) -> None:
    """End every session of an account (password change, deactivation). Not committed."""
    db.session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))


def end_session(cookie: str | None) -> None:
    """Drop whatever session a cookie names (used when abandoning a pending sign-in)."""
    token = parse_token(cookie)
    if token is not None:
        db.session.execute(delete(StaffSession).where(StaffSession.id == token.row_id))
        db.session.commit()


def change_password(access: StaffSignIn, current_password: str, new_password: str) -> None:
    """Re-wrap the private key under a new password and end every session of the account.

    :raises ServiceError: the current password is wrong or the new one is not acceptable.
    """
    user = access.user
    material = _material(user)
    if material is None or unwrap_with_password(material, current_password) is None:
        raise ServiceError(_("The current password is wrong."))
    check_new_password(new_password, user.email)
    material = wrap_with_password(access.private_key_bytes, new_password,
                                  KdfCost.from_config(current_app.config))
    user.kdf_salt, user.kdf_params = material.salt, material.cost.as_dict()
    user.wrapped_private_key = material.wrapped_private_key
    end_all_sessions(user)
    audit.record_for_account("password_changed", user, actor=user)
    db.session.commit()
    notifications.notify_account_change(user, "password_changed")
