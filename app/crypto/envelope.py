"""Report encryption: one random data key per report, AEAD per field, HPKE seals per reader.

Every ciphertext carries associated data naming its report and field (and, for rows such as
messages, the row), so a database writer who moves a ciphertext to another report, field or
row gets a decryption failure rather than a plausible but misplaced text.
"""

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hpke import (
    AEAD,
    KDF,
    KEM,
    MLKEM768X25519PrivateKey,
    Suite,
)

from app.crypto.staff_keys import load_public_key

DATA_KEY_BYTES = 32
NONCE_BYTES = 12
VERSION = b"skaidra/v1"
# RFC 9180 with the hybrid post-quantum KEM: a recorded ciphertext must stay closed even to
# a future quantum computer, because reports must stay confidential for decades.
SUITE = Suite(KEM.MLKEM768_X25519, KDF.HKDF_SHA256, AEAD.AES_256_GCM)


class DecryptionError(Exception):
    """A ciphertext did not open: wrong key, wrong place, or tampered with."""


def new_data_key() -> bytes:
    """A fresh random report data key."""
    return secrets.token_bytes(DATA_KEY_BYTES)


def binding(*parts: str) -> bytes:
    """Unambiguous associated data: each part length-prefixed, so ("ab", "c") ≠ ("a", "bc")."""
    encoded = [VERSION]
    for part in parts:
        raw = part.encode("utf-8")
        encoded.append(len(raw).to_bytes(4, "big") + raw)
    return b"".join(encoded)


def encrypt(key: bytes, plaintext: bytes, *context: str) -> bytes:
    """AES-256-GCM under a fresh random nonce, bound to ``context`` (report, field, row)."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, binding(*context))


def decrypt(key: bytes, ciphertext: bytes, *context: str) -> bytes:
    """Inverse of :func:`encrypt`.

    :raises DecryptionError: wrong key, other context, or tampered ciphertext.
    """
    if len(ciphertext) < NONCE_BYTES + 16:
        raise DecryptionError("ciphertext too short")
    try:
        return AESGCM(key).decrypt(
            ciphertext[:NONCE_BYTES], ciphertext[NONCE_BYTES:], binding(*context)
        )
    except (InvalidTag, ValueError):  # ValueError: a key of the wrong size
        raise DecryptionError("ciphertext does not open here") from None


def seal(data_key: bytes, public_key: bytes, *context: str) -> bytes:
    """Seal a data key to one reader's stored public key (HPKE base mode, context as info)."""
    return SUITE.encrypt(data_key, load_public_key(public_key), binding(*context))


def unseal(sealed: bytes, private_key: MLKEM768X25519PrivateKey, *context: str) -> bytes:
    """Open a sealed data key with the reader's private key.

    :raises DecryptionError: not sealed to this key, for this context, or tampered with.
    """
    try:
        return SUITE.decrypt(sealed, private_key, binding(*context))
    except (InvalidTag, ValueError):
        raise DecryptionError("sealed key does not open with this key") from None
