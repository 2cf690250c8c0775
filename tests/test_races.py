"""Rows that concurrent requests create once: threads racing on SQLite and PostgreSQL."""

import threading
import time

from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select

from app.crypto.kdf import KdfCost, new_salt
from app.crypto.receipts import derive_receipt_keys, wrap_for_reporter
from app.extensions import db
from app.models import AuditHead, ReceiptScheme, Report
from app.services import audit
from app.services.demo.network import seed_demo_network
from app.services.reporting.receipts import current_scheme, find_by_receipt
from tests.helpers import receipt_of, send_report, sign_in

RACERS = 12


def together(app, work, racers: int = RACERS) -> list:
    """Run ``work`` in ``racers`` threads released at one moment, each in its own app
    context and transaction, which it holds a little before committing (as a report's
    derivations and encryption do), so every racer looks before any has committed."""
    start = threading.Barrier(racers)
    results, errors = [], []

    def racer():
        with app.app_context():
            try:
                start.wait(timeout=30)
                result = work()
                time.sleep(0.2)
                db.session.commit()
                results.append(result)
            except Exception as error:  # reported below, with the others
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=racer) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [], errors
    assert len(results) == racers
    return results


def test_first_reports_arriving_together_share_one_receipt_scheme(app):
    ids = together(app, lambda: current_scheme().id)

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReceiptScheme)) == 1
        assert set(ids) == {db.session.scalar(select(ReceiptScheme.id))}


def test_first_audit_entries_written_together_all_land_in_one_chain(app):
    together(app, lambda: audit.record("login", actor=None).id)

    with app.app_context():
        assert db.session.get(AuditHead, 1).appended == RACERS
        chain = audit.verify_chain()
        assert (chain.checked, chain.broken) == (RACERS, None)


def add_duplicate_scheme(report_ref: str | None, receipt: str | None = None) -> int:
    """What the race of older versions left: another scheme of the same cost, and (when a
    report is named) that report's receipt keys derived under it."""
    scheme = ReceiptScheme(salt=new_salt(), kdf_params=current_scheme().kdf_params)
    db.session.add(scheme)
    db.session.flush()
    if report_ref is not None:
        report = db.session.scalar(select(Report).where(Report.ref == report_ref))
        found = find_by_receipt(receipt.replace(" ", ""))
        keys = derive_receipt_keys(receipt.replace(" ", ""), scheme.salt,
                                   KdfCost.from_dict(scheme.kdf_params))
        report.receipt_scheme_id = scheme.id
        report.reporter_locator = keys.locator
        report.reporter_key = wrap_for_reporter(keys, found[1], report.ref)
    db.session.commit()
    return scheme.id


def scheme_ids() -> list[int]:
    return list(db.session.scalars(select(ReceiptScheme.id).order_by(ReceiptScheme.id)))


def test_a_report_on_a_duplicate_scheme_moves_at_sign_in_and_the_duplicate_goes(seeded):
    client = seeded.test_client()
    with send_report(client, what_happened="Tender rigged") as response:
        receipt = receipt_of(response)
    with seeded.app_context():
        ref = db.session.scalar(select(Report.ref))
        serving = scheme_ids()
        duplicate = add_duplicate_scheme(ref, receipt)
        assert scheme_ids() == [*serving, duplicate]

    with sign_in(client, receipt) as response:
        assert response.status_code == 302, response.get_data(as_text=True)

    with seeded.app_context():
        assert scheme_ids() == serving
        report = db.session.scalar(select(Report).where(Report.ref == ref))
        assert report.receipt_scheme_id == serving[0]
    with sign_in(seeded.test_client(), receipt) as response:
        assert response.status_code == 302, "the receipt still opens the report"


def test_the_migration_keeps_one_scheme_per_cost_and_the_duplicates_reports_need(make_app):
    app = make_app(tables=False)
    with app.app_context():
        upgrade()
        seed_demo_network()
    with send_report(app.test_client(), what_happened="Tender rigged") as response:
        receipt = receipt_of(response)
    with app.app_context():
        ref = db.session.scalar(select(Report.ref))
        serving = scheme_ids()[0]
        needed = add_duplicate_scheme(ref, receipt)
        unused = add_duplicate_scheme(None)
        db.session.remove()
        downgrade(revision="0009")
        upgrade()
        rows = {s.id: s.current_for for s in db.session.scalars(select(ReceiptScheme))}
    assert rows == {serving: KdfCost.from_config(app.config).as_key(), needed: None}
    assert unused not in rows
    with sign_in(app.test_client(), receipt) as response:
        assert response.status_code == 302
    with app.app_context():
        assert scheme_ids() == [serving]
