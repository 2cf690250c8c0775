"""Session tokens for cookies: a random id that names a database row, and a random key
that decrypts that row's payload. Shared by the reporter's mailbox and the staff workspace.

The row is named by SHA-256 of the id (a 256-bit random value, not a human secret, so a fast
hash is the right tool); the key never reaches the server's storage.
"""

import base64
import binascii
import hashlib
import secrets
from dataclasses import dataclass

TOKEN_BYTES = 32


@dataclass(frozen=True)
class SessionToken:
    """A parsed cookie value."""

    row_id: str
    key: bytes


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def row_id(session_id: bytes) -> str:
    """The database name of a session id."""
    return hashlib.sha256(session_id).hexdigest()


def new_token() -> tuple[str, SessionToken]:
    """A fresh cookie value and what it stands for."""
    session_id, key = secrets.token_bytes(TOKEN_BYTES), secrets.token_bytes(TOKEN_BYTES)
    return _encode(session_id) + "." + _encode(key), SessionToken(row_id(session_id), key)


def parse_token(token: str | None) -> SessionToken | None:
    """The row and key behind a cookie value; None for anything malformed."""
    if not token:
        return None
    try:
        session_id, key = (_decode(part) for part in token.split("."))
    except (ValueError, binascii.Error):
        return None
    if len(session_id) != TOKEN_BYTES or len(key) != TOKEN_BYTES:
        return None
    return SessionToken(row_id(session_id), key)
