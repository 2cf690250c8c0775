"""Institution recovery keys: a printable code from which the whole key pair is re-derived.

The code holds 240 random bits in RFC 4648 base32 (48 characters in groups of four). The
key pair is derived from it with HKDF, so nothing but the public half is ever stored; a
mistyped code derives another public key and is refused by comparing public keys.
"""

import base64
import binascii
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.hpke import MLKEM768X25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.crypto.staff_keys import PRIVATE_KEY_BYTES, key_pair_from_seed

CODE_BYTES = 30
GROUP = 4
RECOVERY_INFO = b"skaidra/recovery-key/v1"


def new_recovery_code() -> str:
    """A fresh recovery code, grouped for printing."""
    return format_recovery_code(base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode())


def format_recovery_code(code: str) -> str:
    """Groups of four characters separated by hyphens."""
    bare = _bare(code)
    return "-".join(bare[i:i + GROUP] for i in range(0, len(bare), GROUP))


def _bare(code: str) -> str:
    # ASCII only, and filtered before upper-casing: "ß".upper() is "SS", "ı".upper() is "I".
    return "".join(ch for ch in code if ch.isascii() and ch.isalnum()).upper()


def recovery_key_pair(code: str) -> tuple[MLKEM768X25519PrivateKey, bytes]:
    """The private key and stored-form public key that a recovery code stands for.

    :raises ValueError: the text is not a recovery code at all.
    """
    try:
        secret = base64.b32decode(_bare(code))
    except binascii.Error:
        raise ValueError("not a recovery code") from None
    if len(secret) != CODE_BYTES:
        raise ValueError("not a recovery code")
    seed = HKDF(algorithm=hashes.SHA256(), length=PRIVATE_KEY_BYTES, salt=None,
                info=RECOVERY_INFO).derive(secret)
    return key_pair_from_seed(seed)


def recovery_public_key(code: str) -> bytes:
    """The public half, as stored on the institution."""
    return recovery_key_pair(code)[1]
