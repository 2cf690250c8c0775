"""Issuing receipts and finding reports by them (app/crypto/receipts.py does the maths)."""

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, select

from app.crypto.envelope import DecryptionError
from app.crypto.kdf import KdfCost, new_salt
from app.crypto.receipts import (
    ReceiptKeys,
    derive_receipt_keys,
    new_receipt,
    normalise_receipt,
    passes_typo_check,
    unwrap_for_reporter,
    wrap_for_reporter,
)
from app.extensions import db
from app.models import ReceiptScheme, Report
from app.services import ServiceError
from app.services.rows import insert_if_absent

# Shared with the sign-in form, which shows the first for text too long to be a receipt.
NOT_A_RECEIPT = _l("A receipt has 28 digits in seven groups of four (older receipts have "
                   "16). Check that no digit is missing or extra.")
MISTYPED = _l("This receipt has a typing mistake: check each group of four digits against "
              "the receipt you kept.")


def current_scheme() -> ReceiptScheme:
    """The scheme for the configured Argon2id cost, created on first use (once, however
    many first reports arrive at the same moment)."""
    cost = KdfCost.from_config(current_app.config)
    serving = select(ReceiptScheme).where(ReceiptScheme.current_for == cost.as_key())
    scheme = db.session.scalar(serving)
    if scheme is None:
        insert_if_absent(ReceiptScheme, "current_for", salt=new_salt(),
                         kdf_params=cost.as_dict(), current_for=cost.as_key())
        scheme = db.session.scalars(serving).one()
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
    schemes = db.session.scalars(select(ReceiptScheme).order_by(ReceiptScheme.id)).all()
    for scheme in schemes:
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
    if any(s.id == report.receipt_scheme_id and s.current_for is None for s in schemes):
        _move_to_current_scheme(report, receipt, data_key)
    return report, data_key


def _move_to_current_scheme(report: Report, receipt: str, data_key: bytes) -> None:
    """Re-derive the reporter's keys of a report left on a duplicate scheme (created by the
    first-report race of older versions), and drop the duplicate once no report needs it:
    every sign-in derives under every scheme, so each duplicate slowed them all. The
    receipt stays the same; the caller commits."""
    duplicate = report.receipt_scheme_id
    scheme = current_scheme()
    keys = derive_receipt_keys(receipt, scheme.salt, KdfCost.from_dict(scheme.kdf_params))
    report.receipt_scheme_id = scheme.id
    report.reporter_locator = keys.locator
    report.reporter_key = wrap_for_reporter(keys, data_key, report.ref)
    db.session.flush()
    db.session.execute(delete(ReceiptScheme).where(
        ReceiptScheme.id == duplicate, ReceiptScheme.current_for.is_(None),
        ~exists().where(Report.receipt_scheme_id == duplicate)))
