"""Issuing receipts and finding reports by them (app/crypto/receipts.py does the maths)."""

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.crypto.envelope import DecryptionError
from app.crypto.kdf import KdfCost, new_salt
from app.crypto.receipts import (
    ReceiptKeys,
    derive_receipt_keys,
    new_receipt,
    normalise_receipt,
    passes_typo_check,
    unwrap_for_reporter,
)
from app.extensions import db
from app.models import ReceiptScheme, Report
from app.services import ServiceError

# Shared with the sign-in form, which shows the first for text too long to be a receipt.
NOT_A_RECEIPT = _l("A receipt has 28 digits in seven groups of four (older receipts have "
                   "16). Check that no digit is missing or extra.")
MISTYPED = _l("This receipt has a typing mistake: check each group of four digits against "
              "the receipt you kept.")


def current_scheme() -> ReceiptScheme:
    """The scheme for the configured Argon2id cost, created on first use."""
    cost = KdfCost.from_config(current_app.config)
    for scheme in db.session.scalars(select(ReceiptScheme).order_by(ReceiptScheme.id.desc())):
        if KdfCost.from_dict(scheme.kdf_params) == cost:
            return scheme
    scheme = ReceiptScheme(salt=new_salt(), kdf_params=cost.as_dict())
    db.session.add(scheme)
    db.session.flush()
    return scheme


def issue_receipt() -> tuple[str, ReceiptScheme, ReceiptKeys]:
    """A new receipt with the scheme it was derived under and its keys."""
    scheme = current_scheme()
    receipt = new_receipt()
    return receipt, scheme, derive_receipt_keys(receipt, scheme.salt,
                                                KdfCost.from_dict(scheme.kdf_params))


def read_receipt(text: str) -> str:
    """The bare digits of a typed receipt, checked for typing mistakes.

    Nothing is derived and nothing is asked of the database: a typing mistake is told
    apart from a wrong receipt by the check digits alone, so it costs no Argon2id run.

    :raises ServiceError: the text is not shaped like a receipt, or its check digits are
        wrong.
    """
    receipt = normalise_receipt(text)
    if receipt is None:
        raise ServiceError(str(NOT_A_RECEIPT))
    if not passes_typo_check(receipt):
        raise ServiceError(str(MISTYPED))
    return receipt


def find_by_receipt(receipt: str) -> tuple[Report, bytes] | None:
    """The report and its data key for a well-formed receipt, or None.

    The derivation runs under every scheme before the database is asked anything, so a
    receipt that matches nothing costs exactly what one that matches costs.
    """
    candidates = {}
    for scheme in db.session.scalars(select(ReceiptScheme).order_by(ReceiptScheme.id)):
        keys = derive_receipt_keys(receipt, scheme.salt, KdfCost.from_dict(scheme.kdf_params))
        candidates[keys.locator] = keys
    if not candidates:
        # No report yet anywhere: pay the same derivation, so timing tells nothing either.
        derive_receipt_keys(receipt, new_salt(), KdfCost.from_config(current_app.config))
        return None
    report = db.session.scalar(
        select(Report).where(Report.reporter_locator.in_(list(candidates))))
    if report is None:
        return None
    try:
        data_key = unwrap_for_reporter(candidates[report.reporter_locator], report.reporter_key,
                                       report.ref)
    except DecryptionError:
        return None
    return report, data_key
