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


def _load_private(raw: bytes) -> MLKEM768X25519PrivateKey:
    return key_pair_from_seed(raw)[0]


def load_public_key(raw: bytes) -> MLKEM768X25519PublicKey:
    """A stored public key (ML-KEM-768 encapsulation key followed by the X25519 key)."""
    return MLKEM768X25519PublicKey(
        mlkem.MLKEM768PublicKey.from_public_bytes(raw[:MLKEM_PUBLIC_BYTES]),
        x25519.X25519PublicKey.from_public_bytes(raw[MLKEM_PUBLIC_BYTES:]),
    )


def create_staff_keys(password: str, cost: KdfCost) -> StaffKeyMaterial:
    """Generate a key pair and wrap its private half with the password.

    The public key is the associated data of the wrapping, so a wrapped key only ever opens
    as the partner of the public key stored beside it.
    """
    mlkem_key = mlkem.MLKEM768PrivateKey.generate()
    x_key = x25519.X25519PrivateKey.generate()
    salt = new_salt()
    public_key = _public_bytes(mlkem_key, x_key)
    wrapping_key = derive_key(password, salt, cost, PASSWORD_PURPOSE)
    nonce = secrets.token_bytes(NONCE_BYTES)
    wrapped = nonce + AESGCM(wrapping_key).encrypt(
        nonce, _private_bytes(mlkem_key, x_key), public_key
    )
    return StaffKeyMaterial(salt, cost, public_key, wrapped)


def unlock_staff_key(material: StaffKeyMaterial, password: str) -> MLKEM768X25519PrivateKey | None:
    """The private key when the password is right, otherwise None."""
    wrapping_key = derive_key(password, material.salt, material.cost, PASSWORD_PURPOSE)
    nonce, ciphertext = (
        material.wrapped_private_key[:NONCE_BYTES],
        material.wrapped_private_key[NONCE_BYTES:],
    )
    try:
        raw = AESGCM(wrapping_key).decrypt(nonce, ciphertext, material.public_key)
    except InvalidTag:
        return None
    return _load_private(raw)

