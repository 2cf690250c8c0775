"""The audit log: every access to and change of a case, and every security event.

Entries form a chain: each carries an HMAC over its own fields and the previous entry's
hash, keyed by AUDIT_KEY (derived from SECRET_KEY unless set). Editing, deleting or
reordering a row breaks the chain at that row, and someone with database access alone
cannot forge a consistent chain without the key. Truncating the newest entries is not
visible in the chain itself: `flask audit-verify` prints the head so operators can record
it elsewhere (docs/security.md).

Entries never carry report content: an action, who, which institution, which case
reference and metadata such as statuses.
"""

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from app.crypto.kdf import expand_key
from app.extensions import db
from app.models import AuditEntry, AuditHead, Institution, User
from app.models.types import as_utc
from app.services.rows import insert_if_absent

GENESIS = bytes(32)

ACTIONS = {
    "login": _l("Signed in"),
    "login_failed": _l("Failed sign-in"),
    "two_factor_failed": _l("Wrong two-factor code"),
    "two_factor_enrolled": _l("Two-factor authentication set up"),
    "logout": _l("Signed out"),
    "password_changed": _l("Password changed"),
    "language_changed": _l("Language of the workspace and e-mails changed"),
    "account_recovered": _l("Account recovered with the recovery code"),
    "invitation_sent": _l("Invitation created"),
    "invitation_accepted": _l("Invitation accepted"),
    "invitation_withdrawn": _l("Invitation withdrawn"),
    "membership_offered": _l("Role offered to an existing account"),  # before version 0008
    "membership_accepted": _l("Role accepted by the account holder"),
    "membership_declined": _l("Role declined by the account holder"),
    "account_deactivated": _l("Account deactivated"),
    "account_reactivated": _l("Account reactivated"),
    "role_changed": _l("Role changed"),
    "case_viewed": _l("Case opened and decrypted"),
    "cases_searched": _l("Case texts searched (the words are not recorded)"),
    "file_downloaded": _l("File downloaded"),
    "message_sent": _l("Message sent to the reporter"),
    "report_registered": _l("Report received another way registered"),
    "minutes_revised": _l("Minutes revised"),
    "minutes_approved": _l("Minutes approved"),
    "minutes_correction_requested": _l("Correction of the minutes requested"),
    "meeting_request_handled": _l("Request for a meeting or a call handled"),
    "note_added": _l("Internal note added"),
    "status_changed": _l("Status changed"),
    "assigned": _l("Assignee changed"),
    "triaged": _l("Triage rating changed"),
    "reclassified": _l("Category changed"),
    "access_granted": _l("Access granted"),
    "recused": _l("Officer recused"),
    "case_reopened": _l("Closed case reopened"),
    "transferred_out": _l("Case transferred to another institution"),
    "transferred_in": _l("Case received from another institution"),
    "exported": _l("Data exported"),
    "audit_exported": _l("Audit log exported"),
    "settings_changed": _l("Settings changed"),
    "institution_created": _l("Institution created"),
    "recovery_code_regenerated": _l("Recovery code regenerated"),
    "recovery_grant": _l("Access granted with the recovery code"),
    "case_deleted": _l("Case deleted after the retention period"),
    "assessment_started": _l("Self-assessment started"),
    "assessment_finalised": _l("Self-assessment finalised"),
    "action_plan_changed": _l("Action plan changed"),
}


@dataclass(frozen=True)
class ChainBreak:
    """The first entry whose hash or link does not match."""

    entry_id: int
    reason: str


@dataclass(frozen=True)
class ChainReport:
    """What verification found: entries checked, the head, and the first break if any."""

    checked: int
    head_id: int | None
    head_hash: str
    broken: ChainBreak | None


def _key() -> bytes:
    configured = current_app.config.get("AUDIT_KEY") or current_app.config["SECRET_KEY"]
    return expand_key(configured.encode("utf-8"), b"skaidra/audit/v1")


def _timestamp(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _entry_hash(key: bytes, entry: AuditEntry, previous: bytes) -> bytes:
    fields = [_timestamp(entry.recorded_at), entry.actor_id, entry.institution_id,
              entry.action, entry.report_ref, entry.detail or {}]
    message = previous + json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key, message, hashlib.sha256).digest()


def record(action: str, *, actor: User | None = None, institution: Institution | int | None = None,
           report_ref: str | None = None, day_only: bool = False, **detail) -> AuditEntry:
    """Append an entry to the chain, in the caller's transaction (not committed).

    Appends are serialised by updating the single head row first: a concurrent writer waits
    for this transaction, then sees this entry as its predecessor.

    :param day_only: keep only the day (midnight UTC), for what a reporter did: the log
        must not tell when, to the minute, a reporter was in their mailbox. The entry's
        metadata says so (``day_only``), so pages show the day alone.
    :param detail: metadata only (statuses, the other user's id); never report content.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    count_in = update(AuditHead).where(AuditHead.id == 1).values(appended=AuditHead.appended + 1)
    if db.session.execute(count_in).rowcount == 0:
        # The first entries of a new database: one creates the head, the others wait for it.
        insert_if_absent(AuditHead, "id", id=1, appended=0)
        db.session.execute(count_in)
    previous = db.session.scalar(
        select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)) or GENESIS
    institution_id = institution.id if isinstance(institution, Institution) else institution
    moment = datetime.now(UTC).replace(microsecond=0)
    if day_only:
        moment = moment.replace(hour=0, minute=0, second=0)
        detail["day_only"] = True
    entry = AuditEntry(recorded_at=moment,
                       actor_id=actor.id if actor is not None else None,
                       institution_id=institution_id, action=action, report_ref=report_ref,
                       detail=detail, previous_hash=previous)
    entry.entry_hash = _entry_hash(_key(), entry, previous)
    db.session.add(entry)
    db.session.flush()
    return entry


def record_for_account(action: str, user: User, *, actor: User | None = None,
                       **detail) -> list[AuditEntry]:
    """Record a change to an account in the log of every institution it belongs to, or
    once without an institution when it belongs to none (not committed).

    A credential change concerns every institution whose reports the account can open: each
    must see it in its own log, whoever made it and wherever.
    """
    institutions = sorted({m.institution_id for m in user.memberships}) or [None]
    return [record(action, actor=actor, institution=institution, user=user.id, **detail)
            for institution in institutions]


def verify_chain(batch: int = 5000) -> ChainReport:
    """Walk the whole log in order and report the first entry that does not fit."""
    key, previous, checked, last_id = _key(), GENESIS, 0, 0
    while True:
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.id > last_id)
                                     .order_by(AuditEntry.id).limit(batch)).all()
        if not entries:
            break
        for entry in entries:
            if entry.previous_hash != previous:
                return ChainReport(checked, entry.id, previous.hex(),
                                   ChainBreak(entry.id, "link"))
            if not hmac.compare_digest(entry.entry_hash, _entry_hash(key, entry, previous)):
                return ChainReport(checked, entry.id, previous.hex(),
                                   ChainBreak(entry.id, "content"))
            previous, checked, last_id = entry.entry_hash, checked + 1, entry.id
        db.session.expunge_all()
    return ChainReport(checked, last_id or None, previous.hex(), None)


def count_entries(institution: Institution, where: tuple = ()) -> int:
    """How many of an institution's entries meet the conditions."""
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.institution_id == institution.id, *where)) or 0


def institution_log(institution: Institution, page: int, per_page: int = 50,
                    where: tuple = ()) -> tuple[list[AuditEntry], int]:
    """One page of an institution's entries, newest first, and the number of pages.

    :param where: further SQL conditions on :class:`AuditEntry` (the log page's filters).
    """
    conditions = (AuditEntry.institution_id == institution.id, *where)
    total = count_entries(institution, where)
    entries = db.session.scalars(
        select(AuditEntry).where(*conditions)
        .order_by(AuditEntry.id.desc()).offset((page - 1) * per_page).limit(per_page)).all()
    return list(entries), max(1, -(-total // per_page))


def institution_entries(institution: Institution, where: tuple = (), batch: int = 1000
                        ) -> Iterator[list[AuditEntry]]:
    """All of an institution's entries that meet the conditions, newest first, in batches
    read by id (no OFFSET that grows with a long log)."""
    conditions = (AuditEntry.institution_id == institution.id, *where)
    before = None
    while True:
        query = select(AuditEntry).where(*conditions)
        if before is not None:
            query = query.where(AuditEntry.id < before)
        entries = list(db.session.scalars(query.order_by(AuditEntry.id.desc()).limit(batch)))
        if not entries:
            return
        yield entries
        before = entries[-1].id
