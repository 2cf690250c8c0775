"""Reporter receipts: 16 random digits, the reporter's only key to their report.

Nothing fast is ever computed from a receipt. One Argon2id run (with the deployment's receipt
salt) gives a master key; HKDF splits it into a *locator*, stored to find the report, and a
*wrapping key*, which opens the reporter's copy of the data key and is stored nowhere.
Someone holding the database must pay one Argon2id run per guess out of 10^16.
"""

import secrets
import unicodedata
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from app.crypto.envelope import decrypt, encrypt
from app.crypto.kdf import KdfCost, derive_key

RECEIPT_DIGITS = 16
GROUP = 4
RECEIPT_PURPOSE = b"skaidra/receipt/v1"


@dataclass(frozen=True)
class ReceiptKeys:
    """What a receipt derives: where the report is and what opens the reporter's key copy."""

    locator: bytes
    wrapping_key: bytes


def new_receipt() -> str:
    """16 digits from the operating system's CSPRNG (53 bits)."""
    return "".join(secrets.choice("0123456789") for _ in range(RECEIPT_DIGITS))


def format_receipt(receipt: str) -> str:
    """Digits in groups of four for reading aloud and copying: ``1234 5678 9012 3456``."""
    return " ".join(receipt[i:i + GROUP] for i in range(0, len(receipt), GROUP))


def normalise_receipt(text: str) -> str | None:
    """The bare digits of a typed receipt, or None when it cannot be one.

    Any white space (line breaks too) and any dash are ignored, and digits that NFKC maps to
    ASCII (full-width ones, for instance) are accepted, because a receipt copied from a word
    processor or written down by hand comes back in every shape.
    """
    folded = unicodedata.normalize("NFKC", text)
    digits = "".join(ch for ch in folded
                     if not (ch.isspace() or unicodedata.category(ch) == "Pd"))
    if len(digits) != RECEIPT_DIGITS or not (digits.isascii() and digits.isdigit()):
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
