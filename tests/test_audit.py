"""The audit log's hash chain: intact when written, broken where anyone tampered with it."""

import hashlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, select, update

from app.extensions import db
from app.models import AuditEntry, Report
from app.services import audit
from app.services.administration.institutions import find_institution
from app.services.reporting.intake import ReportEntry, submit_report
from tests.helpers import count

ENTRIES = 5
MIDDLE = 2  # index of the entry tampered with


def record_entries(app, how_many: int = ENTRIES) -> list[int]:
    """Append entries as a service would, one transaction each; returns their ids."""
    ids = []
    with app.app_context():
        for number in range(how_many):
            entry = audit.record("status_changed", institution=1, report_ref=f"case{number}",
                                 old="new", new="acknowledged")
            db.session.commit()
            ids.append(entry.id)
    return ids


def verify(app) -> audit.ChainReport:
    with app.app_context():
        return audit.verify_chain()


def execute(app, statement) -> None:
    """Change the table behind the application's back, as someone with database access."""
    with app.app_context():
        db.session.execute(statement)
        db.session.commit()


def test_recorded_entries_form_an_intact_chain(app):
    ids = record_entries(app)
    report = verify(app)
    assert report.broken is None
    assert report.checked == ENTRIES
    assert report.head_id == ids[-1]
    with app.app_context():
        assert report.head_hash == db.session.get(AuditEntry, ids[-1]).entry_hash.hex()


@pytest.mark.parametrize("change", [
    {"action": "case_viewed"},
    {"detail": {"old": "new", "new": "closed"}},
    {"actor_id": 7},
    {"institution_id": 2},
    {"report_ref": "someothercase"},
    {"recorded_at": datetime(2020, 1, 1, tzinfo=UTC)},
])
def test_editing_an_entry_breaks_the_chain_at_that_entry(app, change):
    ids = record_entries(app)
    execute(app, update(AuditEntry).where(AuditEntry.id == ids[MIDDLE]).values(**change))
    report = verify(app)
    assert report.broken == audit.ChainBreak(ids[MIDDLE], "content")
    assert report.checked == MIDDLE


def test_recomputing_the_hash_without_the_key_does_not_hide_an_edit(app):
    ids = record_entries(app)
    with app.app_context():
        entry = db.session.get(AuditEntry, ids[MIDDLE])
        forged = hashlib.sha256(entry.previous_hash + b"case_viewed").digest()
    execute(app, update(AuditEntry).where(AuditEntry.id == ids[MIDDLE])
            .values(action="case_viewed", entry_hash=forged))
    assert verify(app).broken == audit.ChainBreak(ids[MIDDLE], "content")


def test_deleting_a_middle_entry_breaks_the_chain_at_the_next_one(app):
    ids = record_entries(app)
    execute(app, delete(AuditEntry).where(AuditEntry.id == ids[MIDDLE]))
    report = verify(app)
    assert report.broken == audit.ChainBreak(ids[MIDDLE + 1], "link")
    assert report.checked == MIDDLE


def test_swapping_two_entries_breaks_the_chain_at_the_first_of_them(app):
    ids = record_entries(app)
    table = AuditEntry.__table__
    first, second = ids[MIDDLE], ids[MIDDLE + 1]
    with app.app_context():
        rows = {row.id: row._asdict() for row in
                db.session.execute(select(table).where(table.c.id.in_([first, second])))}
    for target, source in ((first, second), (second, first)):
        values = {name: value for name, value in rows[source].items() if name != "id"}
        execute(app, update(table).where(table.c.id == target).values(**values))
    assert verify(app).broken == audit.ChainBreak(first, "link")


def test_deleting_the_newest_entries_shows_only_as_an_earlier_head(app):
    ids = record_entries(app)
    recorded_head = verify(app).head_hash
    execute(app, delete(AuditEntry).where(AuditEntry.id == ids[-1]))
    report = verify(app)
    # The chain cannot tell: this is why operators keep the printed head elsewhere.
    assert report.broken is None
    assert report.head_id == ids[-2]
    assert report.head_hash != recorded_head


def test_a_different_audit_key_finds_the_whole_log_broken(app, make_app):
    ids = record_entries(app)
    rekeyed = make_app(tables=False, AUDIT_KEY="a-key-the-log-was-not-written-with")
    assert verify(rekeyed).broken == audit.ChainBreak(ids[0], "content")


def test_record_refuses_an_unknown_action_and_writes_nothing(app):
    with app.app_context():
        with pytest.raises(ValueError, match="unknown audit action"):
            audit.record("case_read_quietly", report_ref="case0")
        db.session.commit()
    assert count(app, AuditEntry) == 0


def test_a_case_entry_holds_the_reference_and_no_report_content(seeded):
    marker = "Marker-5f1c: the deputy mayor took an envelope"
    with seeded.app_context():
        utena = find_institution("utena")
        submit_report(utena, ReportEntry(category=utena.categories[0], what_happened=marker,
                                         people_involved=marker),
                      uploads=[], submission_token="audit-content-test")
        report = db.session.scalars(select(Report)).one()
        ref, category = report.ref, report.category
        audit.record("status_changed", institution=utena, report_ref=ref,
                     old="new", new="acknowledged")
        db.session.commit()
        row = db.session.execute(select(AuditEntry.__table__)).one()._asdict()
    assert row["report_ref"] == ref
    assert row["action"] == "status_changed"
    assert row["detail"] == {"old": "new", "new": "acknowledged"}
    stored = repr(row)
    assert marker not in stored and "deputy mayor" not in stored
    assert category not in stored


def test_audit_verify_command_prints_the_head_of_an_intact_chain(app):
    ids = record_entries(app)
    result = app.test_cli_runner().invoke(args=["audit-verify"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        head_hash = db.session.get(AuditEntry, ids[-1]).entry_hash.hex()
    assert f"Checked {ENTRIES} audit entries" in result.output
    assert f"Head: entry {ids[-1]}, hash {head_hash}" in result.output


def test_audit_verify_command_on_an_empty_log(app):
    result = app.test_cli_runner().invoke(args=["audit-verify"])
    assert result.exit_code == 0, result.output
    assert "Checked 0 audit entries" in result.output
    assert "the log is empty" in result.output


def test_audit_verify_command_names_the_first_broken_entry_and_fails(app):
    ids = record_entries(app)
    execute(app, update(AuditEntry).where(AuditEntry.id == ids[MIDDLE])
            .values(detail={"old": "new", "new": "closed"}))
    result = app.test_cli_runner().invoke(args=["audit-verify"])
    assert result.exit_code == 1
    assert f"BROKEN at entry {ids[MIDDLE]}" in result.output
    assert "changed after it was written" in result.output
    assert f"Checked {MIDDLE} audit entries" in result.output
