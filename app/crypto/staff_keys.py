"""Staff key pairs (hybrid ML-KEM-768 + X25519) wrapped by a password-derived key.

The private key is stored only as AES-256-GCM ciphertext under an Argon2id key derived from
the password. A successful unwrap is the password check, so no separate password hash exists
and a database thief gains nothing that an offline guess at Argon2id cost does not give.
"""

import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hpke import MLKEM768X25519PrivateKey, MLKEM768X25519PublicKey

from app.crypto.kdf import KdfCost, derive_key, new_salt

MLKEM_SEED_BYTES = 64
MLKEM_PUBLIC_BYTES = 1184
X25519_BYTES = 32
NONCE_BYTES = 12
PASSWORD_PURPOSE = b"skaidra/staff-password/v1"


@dataclass(frozen=True)
class StaffKeyMaterial:
    """What the database keeps of a staff member's keys."""

    salt: bytes
    cost: KdfCost
    public_key: bytes
    wrapped_private_key: bytes


PRIVATE_KEY_BYTES = MLKEM_SEED_BYTES + X25519_BYTES


def _private_bytes(mlkem_key: mlkem.MLKEM768PrivateKey, x_key: x25519.X25519PrivateKey) -> bytes:
    return mlkem_key.private_bytes_raw() + x_key.private_bytes_raw()


def _public_bytes(mlkem_key: mlkem.MLKEM768PrivateKey, x_key: x25519.X25519PrivateKey) -> bytes:
    return mlkem_key.public_key().public_bytes_raw() + x_key.public_key().public_bytes_raw()


def key_pair_from_seed(raw: bytes) -> tuple[MLKEM768X25519PrivateKey, bytes]:
    """The private key and stored-form public key for 96 seed bytes (ML-KEM seed + X25519)."""
    mlkem_key = mlkem.MLKEM768PrivateKey.from_seed_bytes(raw[:MLKEM_SEED_BYTES])
    x_key = x25519.X25519PrivateKey.from_private_bytes(raw[MLKEM_SEED_BYTES:PRIVATE_KEY_BYTES])
    return MLKEM768X25519PrivateKey(mlkem_key, x_key), _public_bytes(mlkem_key, x_key)


def load_public_key(raw: bytes) -> MLKEM768X25519PublicKey:
    """A stored public key (ML-KEM-768 encapsulation key followed by the X25519 key)."""
    return MLKEM768X25519PublicKey(
        mlkem.MLKEM768PublicKey.from_public_bytes(raw[:MLKEM_PUBLIC_BYTES]),
        x25519.X25519PublicKey.from_public_bytes(raw[MLKEM_PUBLIC_BYTES:]),
    )


def new_private_key() -> bytes:
    """Fresh private key bytes: an ML-KEM-768 seed and an X25519 scalar."""
    return secrets.token_bytes(PRIVATE_KEY_BYTES)


def public_key_of(private_key: bytes) -> bytes:
    """The stored-form public key that belongs to private key bytes."""
    return key_pair_from_seed(private_key)[1]


def load_private_key(private_key: bytes) -> MLKEM768X25519PrivateKey:
    """The usable key for private key bytes (as kept, encrypted, in a staff session)."""
    return key_pair_from_seed(private_key)[0]


def wrap_private_key(private_key: bytes, wrapping_key: bytes, public_key: bytes) -> bytes:
    """AES-256-GCM of the private key; the public key is the associated data, so a wrapped
    key only ever opens as the partner of the public key stored beside it."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(wrapping_key).encrypt(nonce, private_key, public_key)


def unwrap_private_key(wrapped: bytes, wrapping_key: bytes, public_key: bytes) -> bytes | None:
    """Inverse of :func:`wrap_private_key`; None when the key or the pairing is wrong."""
    try:
        return AESGCM(wrapping_key).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:],
                                            public_key)
    except (InvalidTag, ValueError):
        return None


def wrap_with_password(private_key: bytes, password: str, cost: KdfCost) -> StaffKeyMaterial:
    """Wrap private key bytes under an Argon2id key from the password (fresh salt)."""
    salt = new_salt()
    public_key = public_key_of(private_key)
    wrapping_key = derive_key(password, salt, cost, PASSWORD_PURPOSE)
    return StaffKeyMaterial(salt, cost, public_key,
                            wrap_private_key(private_key, wrapping_key, public_key))


def unwrap_with_password(material: StaffKeyMaterial, password: str) -> bytes | None:
    """The private key bytes when the password is right, otherwise None (one Argon2id run)."""
    wrapping_key = derive_key(password, material.salt, material.cost, PASSWORD_PURPOSE)
    return unwrap_private_key(material.wrapped_private_key, wrapping_key, material.public_key)


def create_staff_keys(password: str, cost: KdfCost) -> StaffKeyMaterial:
    """Generate a key pair and wrap its private half with the password."""
    return wrap_with_password(new_private_key(), password, cost)


def unlock_staff_key(material: StaffKeyMaterial, password: str) -> MLKEM768X25519PrivateKey | None:
    """The private key when the password is right, otherwise None."""
    raw = unwrap_with_password(material, password)
    return None if raw is None else load_private_key(raw)
