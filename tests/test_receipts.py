"""Receipts at the mailbox door: 28 checked digits, typing mistakes told apart before any key
derivation, and the 16-digit receipts of earlier versions still opening their reports."""

import re
import threading

import pytest

from app import create_app
from app.crypto import kdf
from app.crypto.kdf import KdfCost
from app.crypto.receipts import derive_receipt_keys, normalise_receipt, wrap_for_reporter
from app.extensions import db
from app.models import ReceiptScheme
from app.services.reporting.receipts import find_by_receipt
from tests.conftest import make_config
from tests.helpers import receipt_of, send_report, sign_in, text_of
from tests.support.reporter import REPORT_ANSWERS, Reporter
from tests.test_canary import canary_server  # noqa: F401  (gunicorn on either database)

WRONG = "This receipt does not open a report."
MISTYPED = "This receipt has a typing mistake: check each group of four digits"
NOT_A_RECEIPT = "A receipt has 28 digits in seven groups of four (older receipts have 16)."
OLDER_RECEIPT = "4921 0385 7716 2049"
SEVEN_GROUPS = re.compile(r"[0-9]{4}( [0-9]{4}){6}", flags=re.ASCII)


@pytest.fixture
def receipt(seeded) -> str:
    with send_report(seeded.test_client(), what_happened="Rigged tender") as response:
        return receipt_of(response)


def mistype(receipt: str, position: int = 11) -> str:
    """The receipt as typed with one digit wrong (the `position`-th digit, spaces kept)."""
    places = [i for i, ch in enumerate(receipt) if ch.isdigit()]
    at = places[position]
    wrong = str((int(receipt[at]) + 3) % 10)
    return receipt[:at] + wrong + receipt[at + 1:]


def sign_in_while_derivations_wait(client, typed: str, wait: float):
    """Post a receipt while this test holds the lock that every Argon2id run takes first
    (app/crypto/kdf.py, QUEUE). Returns (finished before the lock was released, status, page):
    a sign-in that finishes while the lock is held cannot have derived a key."""
    outcome = {}

    def attempt():
        with sign_in(client, typed) as response:
            outcome.update(status=response.status_code, page=text_of(response))

    thread = threading.Thread(target=attempt, daemon=True)
    with kdf.QUEUE.turn():
        thread.start()
        thread.join(wait)
        finished_while_held = not thread.is_alive()
    thread.join(60)
    assert not thread.is_alive(), "the sign-in never finished"
    return finished_while_held, outcome["status"], outcome["page"]


def give_report_an_older_receipt(app, receipt: str, older: str) -> None:
    """Store the reporter's key copy as versions with 16-digit receipts did: the same
    scheme and derivation, fed a 16-digit receipt."""
    with app.app_context():
        report, data_key = find_by_receipt(normalise_receipt(receipt))
        scheme = db.session.get(ReceiptScheme, report.receipt_scheme_id)
        keys = derive_receipt_keys(normalise_receipt(older), scheme.salt,
                                   KdfCost.from_dict(scheme.kdf_params))
        report.reporter_locator = keys.locator
        report.reporter_key = wrap_for_reporter(keys, data_key, report.ref)
        db.session.commit()


# --- New receipts -------------------------------------------------------------------------


def test_receipt_page_shows_seven_groups_of_four_digits(seeded):
    with send_report(seeded.test_client()) as response:
        assert response.status_code == 200
        assert SEVEN_GROUPS.fullmatch(receipt_of(response))
        assert "Copy all seven groups of four digits." in text_of(response)


@pytest.mark.parametrize("position", [0, 27])
def test_mistyped_receipt_is_told_so_while_no_derivation_can_run(seeded, receipt, position):
    finished, status, page = sign_in_while_derivations_wait(
        seeded.test_client(), mistype(receipt, position), wait=60)
    assert finished, "the mistyped receipt waited for a key derivation"
    assert status == 400
    assert MISTYPED in page
    assert WRONG not in page


def test_swapped_neighbouring_digits_are_told_as_a_typing_mistake(seeded, receipt):
    bare = receipt.replace(" ", "")
    i = next(i for i in range(len(bare) - 1) if bare[i] != bare[i + 1])
    swapped = bare[:i] + bare[i + 1] + bare[i] + bare[i + 2:]
    with sign_in(seeded.test_client(), swapped) as response:
        assert response.status_code == 400
        assert MISTYPED in text_of(response)


def test_well_formed_wrong_receipt_waits_for_its_derivation(seeded, receipt):
    """The counterpart of the test above: the observation point does see derivations."""
    other = "1234 5678 9012 3456 7890 1234 5627"  # right check digits, no report
    finished, status, page = sign_in_while_derivations_wait(seeded.test_client(), other,
                                                            wait=1)
    assert not finished
    assert status == 400 and WRONG in page and MISTYPED not in page


@pytest.mark.parametrize("typed", ["1234 5678 9012 3456 7890 1234 562",
                                   "1234 5678 9012 3456 7890 1234 5627 1"])
def test_receipt_of_the_wrong_length_is_explained_with_both_shapes(seeded, typed):
    finished, status, page = sign_in_while_derivations_wait(seeded.test_client(), typed,
                                                            wait=60)
    assert finished and status == 400
    assert NOT_A_RECEIPT in page


def test_text_too_long_for_any_receipt_gets_the_same_explanation(seeded):
    with sign_in(seeded.test_client(), "1234 " * 30) as response:
        assert response.status_code == 400
        assert NOT_A_RECEIPT in text_of(response)


# --- Receipts of earlier versions -----------------------------------------------------------


@pytest.mark.parametrize("typed", [OLDER_RECEIPT, OLDER_RECEIPT.replace(" ", "-")])
def test_older_sixteen_digit_receipt_still_opens_its_mailbox(seeded, receipt, typed):
    give_report_an_older_receipt(seeded, receipt, OLDER_RECEIPT)
    client = seeded.test_client()
    with sign_in(client, typed) as response:
        assert response.status_code == 302
    with client.get("/mailbox/?lang=en") as page:
        assert "Rigged tender" in text_of(page)


def test_mistyped_older_receipt_has_no_check_and_is_told_it_opens_nothing(seeded, receipt):
    give_report_an_older_receipt(seeded, receipt, OLDER_RECEIPT)
    with sign_in(seeded.test_client(), mistype(OLDER_RECEIPT)) as response:
        assert response.status_code == 400
        assert WRONG in text_of(response)


# --- End to end over HTTP, against gunicorn --------------------------------------------------


@pytest.mark.parametrize("canary_server", ["sqlite", "postgresql"], indirect=True)
def test_reporter_over_http_gets_a_checked_receipt_and_an_older_one_still_works(
        canary_server):  # noqa: F811
    server, backend, cluster, name, folder = canary_server
    reporter = Reporter(server.base_url)
    receipt = reporter.submit_report("utena", REPORT_ANSWERS)
    assert SEVEN_GROUPS.fullmatch(receipt)

    status, page = reporter.try_sign_in(mistype(receipt), lang="en")
    assert status == 400 and MISTYPED in page
    status, page = reporter.try_sign_in(receipt[:-2], lang="en")
    assert status == 400 and NOT_A_RECEIPT in page
    assert REPORT_ANSWERS["what_happened"] in reporter.sign_in(receipt.replace(" ", "-"))

    url = (f"sqlite:///{folder / 'canary.sqlite3'}" if backend == "sqlite"
           else cluster.url(name))
    app = create_app(make_config(url))
    try:
        give_report_an_older_receipt(app, receipt, OLDER_RECEIPT)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    older = Reporter(server.base_url)
    assert REPORT_ANSWERS["what_happened"] in older.sign_in(OLDER_RECEIPT)
    status, page = Reporter(server.base_url).try_sign_in(receipt, lang="en")
    assert status == 400 and WRONG in page
