"""What a reporter does leaves no time finer than the design allows in any table
(docs/security.md, sections 3 and 6): report and message dates are UTC days, and the one
coarser exception is the hour after which a mailbox session row is purged.

A report with a file is sent, the reporter signs in with the receipt and writes a message
with a file. Then every value of every row that those steps added or changed, in every
table the database holds (read by reflection, so a table no model declares is included),
is checked for a moment finer than that.
"""

import io
import json
import re
import time
from datetime import UTC, date, datetime
from datetime import time as time_of_day

from sqlalchemy import MetaData, select

from app.extensions import db
from tests.helpers import mailbox_form, receipt_of, send_report, sign_in

DAY = 86_400
# Seconds of precision the design allows, where it allows less than a day.
ALLOWED_PRECISION = {("reporter_session", "expires_at"): 3_600}
# An integer is read as a moment when it is within two days of now in one of these units.
EPOCH_UNITS = (1, 1_000, 1_000_000, 1_000_000_000)
CLOCK_TEXT = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?")


def every_row(app) -> dict[str, list[dict]]:
    """Every row of every table in the app's database, as column → value, in key order."""
    with app.app_context():
        metadata = MetaData()
        metadata.reflect(bind=db.engine)
        return {table.name: [dict(row._mapping) for row in db.session.execute(
                    select(table).order_by(*(table.primary_key.columns or table.columns)))]
                for table in metadata.sorted_tables}


def added_or_changed(before: dict[str, list[dict]], after: dict[str, list[dict]]):
    """``(table, column, value)`` of every row that is in ``after`` but not in ``before``."""
    for table, rows in after.items():
        for row in rows:
            if row not in before.get(table, []):
                for column, value in row.items():
                    yield table, column, value


def leaves(value):
    """The scalar values inside a JSON document (or the value itself)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item)
    else:
        yield value


def finer_than(value, precision: int, now: float) -> bool:
    """Whether a stored value tells a moment to better than ``precision`` seconds."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.timestamp() % precision != 0
    if isinstance(value, time_of_day):
        return True
    if isinstance(value, date | bool) or value is None:
        return False
    if isinstance(value, str):
        if CLOCK_TEXT.search(value):
            return True
        value = int(value) if value.isdigit() else None
    if isinstance(value, int | float):
        return any(abs(value / unit - now) < 2 * DAY and (value / unit) % precision != 0
                   for unit in EPOCH_UNITS)
    return False  # bytes: ciphertext and digests (tests/test_canary.py searches them)


def test_reporting_and_the_mailbox_store_no_time_finer_than_the_design_allows(seeded):
    before = every_row(seeded)
    now = time.time()

    with send_report(seeded.test_client(), what_happened="Timing test",
                     files=[("ledger.txt", b"a ledger page")]) as sent:
        assert sent.status_code == 200
        receipt = receipt_of(sent)
    reporter = seeded.test_client()
    with sign_in(reporter, receipt) as signed_in:
        assert signed_in.status_code == 302
    message = {**mailbox_form(reporter), "text": "One more detail.",
               "attachments": [(io.BytesIO(b"minutes"), "minutes.txt")]}
    with reporter.post("/mailbox/message?lang=en", data=message,
                       content_type="multipart/form-data") as written:
        assert written.status_code == 302

    after = every_row(seeded)
    written_to = {table for table, _column, _value in added_or_changed(before, after)}
    assert {"report", "message", "attachment", "sealed_key", "reporter_session"} <= written_to
    too_precise = sorted({
        f"{table}.{column} = {json.dumps(value, default=str)}"
        for table, column, stored in added_or_changed(before, after)
        for value in leaves(stored)
        if finer_than(value, ALLOWED_PRECISION.get((table, column), DAY), now)})
    assert too_precise == []
