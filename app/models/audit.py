"""The append-only, hash-chained audit log (DESIGN.md, security model point 8)."""

from datetime import datetime

from sqlalchemy import JSON, DateTime, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class AuditEntry(db.Model):
    """One recorded action. Never updated or deleted by the application.

    Actor and institution are plain integers, not foreign keys: an entry must outlive the
    account or case it mentions, and deleting a user must not rewrite the log. Entries
    carry no report content, only what happened to which case reference.
    """

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[int | None] = mapped_column(index=True)
    institution_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(64))
    report_ref: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    previous_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    entry_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditHead(db.Model):
    """A single row every writer updates before appending, so appends are serialised and
    the chain cannot fork under concurrent transactions (on PostgreSQL and SQLite alike)."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    appended: Mapped[int] = mapped_column(default=0)
