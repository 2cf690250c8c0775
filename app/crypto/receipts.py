"""Reporter receipts: 28 digits, the reporter's only key to their report.

A receipt is 26 random digits (10^26 values, 86 bits) followed by two ISO 7064 MOD 97-10
check digits, the ones IBANs carry, shown in seven groups of four. Receipts issued before
that had 16 random digits and no check; they keep working, told apart by their length.

Nothing fast is ever computed from a receipt. One Argon2id run (with the deployment's receipt
salt) gives a master key; HKDF splits it into a *locator*, stored to find the report, and a
*wrapping key*, which opens the reporter's copy of the data key and is stored nowhere.
Someone holding the database must pay one Argon2id run per guess out of 10^26 (10^16 for a
receipt of the earlier shape). The check digits are computed from the typed text alone, so
they catch typing mistakes before any derivation and tell a guesser nothing.
"""

import secrets
import unicodedata
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from app.crypto.envelope import decrypt, encrypt
from app.crypto.kdf import KdfCost, derive_key

RANDOM_DIGITS = 26
CHECK_DIGITS = 2
RECEIPT_DIGITS = RANDOM_DIGITS + CHECK_DIGITS
# Receipts issued before the check digits: 16 random digits, accepted for sign-in only.
LEGACY_RECEIPT_DIGITS = 16
GROUP = 4
RECEIPT_PURPOSE = b"skaidra/receipt/v1"


@dataclass(frozen=True)
class ReceiptKeys:
    """What a receipt derives: where the report is and what opens the reporter's key copy."""

    locator: bytes
    wrapping_key: bytes


def new_receipt() -> str:
    """26 digits from the operating system's CSPRNG (86 bits), then their check digits."""
    payload = "".join(secrets.choice("0123456789") for _ in range(RANDOM_DIGITS))
    return payload + check_digits(payload)


def check_digits(payload: str) -> str:
    """ISO 7064 MOD 97-10 over the digits, as in an IBAN: the whole receipt is 1 mod 97.

    97 is prime and larger than any digit difference, so every change of one digit, every
    swap of two neighbouring or next-but-one digits and every doubled digit typed as
    another doubled digit changes the remainder; other mistakes slip through about once
    in 97.
    """
    return f"{98 - int(payload) * 100 % 97:02d}"


def passes_typo_check(receipt: str) -> bool:
    """Whether the bare digits of a receipt carry the right check digits.

    A receipt of the earlier 16-digit shape has none to check and always passes.
    """
    return len(receipt) == LEGACY_RECEIPT_DIGITS or int(receipt) % 97 == 1


def format_receipt(receipt: str) -> str:
    """Digits in groups of four for reading aloud and copying: ``1234 5678 … 9012 3456``."""
    return " ".join(receipt[i:i + GROUP] for i in range(0, len(receipt), GROUP))


def normalise_receipt(text: str) -> str | None:
    """The bare digits of a typed receipt (28, or 16 for the earlier shape), or None when
    it cannot be one. Check digits are :func:`passes_typo_check`'s business.

    Any white space (line breaks too) and any dash are ignored, and digits that NFKC maps to
    ASCII (full-width ones, for instance) are accepted, because a receipt copied from a word
    processor or written down by hand comes back in every shape.
    """
    folded = unicodedata.normalize("NFKC", text)
    digits = "".join(ch for ch in folded
                     if not (ch.isspace() or unicodedata.category(ch) == "Pd"))
    if (len(digits) not in (RECEIPT_DIGITS, LEGACY_RECEIPT_DIGITS)
            or not (digits.isascii() and digits.isdigit())):
        return None
    return digits


def _expand(master: bytes, label: bytes) -> bytes:
    return HKDFExpand(algorithm=hashes.SHA256(), length=32, info=label).derive(master)


def derive_receipt_keys(receipt: str, salt: bytes, cost: KdfCost) -> ReceiptKeys:
    """One memory-hard derivation, split into locator and wrapping key."""
    master = derive_key(receipt, salt, cost, RECEIPT_PURPOSE)
    return ReceiptKeys(
        locator=_expand(master, b"skaidra/receipt/locator"),
        wrapping_key=_expand(master, b"skaidra/receipt/wrapping-key"),
    )


def wrap_for_reporter(keys: ReceiptKeys, data_key: bytes, report_ref: str) -> bytes:
    """The reporter's copy of the data key."""
    return encrypt(keys.wrapping_key, data_key, report_ref, "reporter-key")


def unwrap_for_reporter(keys: ReceiptKeys, wrapped: bytes, report_ref: str) -> bytes:
    """Open the reporter's copy; raises DecryptionError when it does not belong to the keys."""
    return decrypt(keys.wrapping_key, wrapped, report_ref, "reporter-key")
