"""TOTP two-factor authentication (RFC 6238, via pyotp) with replay protection.

The secret is sealed to the staff member's own public key, so checking a code needs the
private key the password step has just unwrapped: a stolen database yields no secrets.
"""

import hmac
import time

import pyotp
import segno
from sqlalchemy import update

from app.crypto.envelope import DecryptionError, seal, unseal
from app.crypto.staff_keys import load_private_key
from app.extensions import db
from app.models import User

ISSUER = "Skaidra"
# Accept the previous and the next 30-second step too, for clocks a little off.
DRIFT_STEPS = 1


def new_secret() -> str:
    """A fresh base32 secret (160 bits, RFC 4226's recommended length)."""
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The enrolment QR code as inline SVG markup (no external image, no script)."""
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff")


def seal_secret(user: User, secret: str) -> None:
    """Store the secret sealed to the user's public key (not committed)."""
    user.totp_secret_sealed = seal(secret.encode(), user.public_key, "totp", str(user.id))
    user.totp_last_step = None


def open_secret(user: User, private_key: bytes) -> str | None:
    """The user's secret, opened with their private key bytes; None when not enrolled."""
    if user.totp_secret_sealed is None:
        return None
    try:
        return unseal(user.totp_secret_sealed, load_private_key(private_key), "totp",
                      str(user.id)).decode()
    except DecryptionError:
        return None


def _normalise(code: str) -> str:
    return "".join(character for character in code if not character.isspace())


def code_matches(secret: str, code: str, at: float | None = None) -> int | None:
    """The time step the code belongs to (within the allowed drift), or None."""
    code = _normalise(code)
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    step = totp.timecode(time.time() if at is None else at)
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def accept_code(user: User, secret: str, code: str) -> bool:
    """True once per valid code: the step must be newer than the last accepted one.

    The check and the update are one conditional UPDATE, so two requests racing with the
    same code cannot both succeed. Commits.
    """
    step = code_matches(secret, code)
    if step is None:
        return False
    accepted = db.session.execute(
        update(User)
        .where(User.id == user.id,
               (User.totp_last_step.is_(None)) | (User.totp_last_step < step))
        .values(totp_last_step=step)
    ).rowcount == 1
    db.session.commit()
    db.session.refresh(user)
    return accepted
