"""A report and everything hanging off it: sealed keys, messages, attachments.

Only what casework must list, count or compute deadlines from is plaintext: institution,
category, status and day-precision dates. Everything the reporter wrote is ciphertext under
the report's data key (app/crypto/envelope.py), and no row records when, to the second, a
reporter did anything.
"""

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.institution import Institution
from app.models.types import str_enum
from app.models.user import User

if TYPE_CHECKING:  # app/models/minutes.py imports this module
    from app.models.minutes import MinutesVersion


class ReportStatus(enum.StrEnum):
    """Where a report stands in its lifecycle (DESIGN.md, "Case lifecycle")."""

    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    ASSESSMENT = "assessment"
    INVESTIGATION = "investigation"
    CLOSED = "closed"


class Outcome(enum.StrEnum):
    """How a closed case ended."""

    SUBSTANTIATED = "substantiated"
    PARTLY_SUBSTANTIATED = "partly_substantiated"
    NOT_SUBSTANTIATED = "not_substantiated"
    REFERRED = "referred"  # to a competent authority
    OUTSIDE_SCOPE = "outside_scope"


class Author(enum.StrEnum):
    """Who wrote a message in a report's conversation."""

    REPORTER = "reporter"
    OFFICER = "officer"


class MessageKind(enum.StrEnum):
    """What an officer's message is (reporters' messages have none). Only ``FEEDBACK``, the
    account of what was done or is planned and why (Directive Art. 9(1)(f)), meets the
    feedback deadline."""

    ACKNOWLEDGEMENT = "acknowledgement"
    QUESTION = "question"  # a question or request for information
    UPDATE = "update"
    FEEDBACK = "feedback"
    TRANSFER = "transfer"  # written by Skaidra when the case is passed to another institution
    # The one kind a reporter's message may have: asking for a meeting or a call.
    MEETING_REQUEST = "meeting_request"


class ReportChannel(enum.StrEnum):
    """How a report reached the institution. The Directive's internal channels take reports
    in writing or orally, by telephone or voice messaging, and in a meeting at the
    reporter's request (Art. 9(2)); all but the web form are registered by an officer."""

    WEB = "web"
    TELEPHONE = "telephone"
    VOICEMAIL = "voicemail"
    MEETING = "meeting"
    LETTER = "letter"
    EMAIL = "email"


# Reports made orally: their record is minutes or a transcript, which the reporter may
# check, rectify and agree (Art. 18(2)–(4)).
ORAL_CHANNELS = frozenset({ReportChannel.TELEPHONE, ReportChannel.VOICEMAIL,
                           ReportChannel.MEETING})


class MinutesState(enum.StrEnum):
    """Where the reporter stands with the current version of an oral report's record."""

    AWAITING = "awaiting"  # not answered yet
    CORRECTION = "correction"  # the reporter asked for corrections
    APPROVED = "approved"  # agreed, in the mailbox or signed on paper


class ReceiptScheme(db.Model):
    """Salt and Argon2id cost under which receipts are derived.

    One row per cost ever configured, so raising the cost later keeps old receipts working:
    a receipt login derives under every scheme, whether or not it matches anything.
    ``current_for`` names the cost a scheme serves (:meth:`KdfCost.as_key`) and is unique,
    so concurrent first reports agree on one scheme. Rows without it are duplicates an
    older version created in that race: kept while a report needs them, moved off at the
    reporter's next sign-in (app/services/reporting/receipts.py).
    """

    __tablename__ = "receipt_scheme"

    id: Mapped[int] = mapped_column(primary_key=True)
    salt: Mapped[bytes] = mapped_column(LargeBinary(32))
    kdf_params: Mapped[dict] = mapped_column(JSON)
    current_for: Mapped[str | None] = mapped_column(String(64), unique=True)


class Report(db.Model):
    """One integrity concern sent to one institution."""

    __tablename__ = "report"
    __table_args__ = (
        # The inbox's indexes (ix_report_inbox, ix_report_inbox_order) follow the class.
        # Covers every column statistics read, so they scan the index, not the wide rows.
        Index("ix_report_statistics", "received_on", "institution_id", "category", "status",
              "outcome", "acknowledged_on", "feedback_on", "due_on", "reopened_on", "channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Random, so the reference in URLs and associated data reveals no order or count.
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    category: Mapped[str] = mapped_column(String(64))
    status: Mapped[ReportStatus] = mapped_column(str_enum(ReportStatus, 16),
                                                 default=ReportStatus.NEW)
    # Day precision on purpose: deadlines need the day, anonymity forbids the minute.
    received_on: Mapped[date] = mapped_column(Date)
    acknowledged_on: Mapped[date | None] = mapped_column(Date)
    # The first officer message sent as feedback (MessageKind.FEEDBACK): the Directive's.
    feedback_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date, index=True)
    # The last day a closed case was reopened: its feedback is owed again from then.
    reopened_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[Outcome | None] = mapped_column(str_enum(Outcome, 32))
    # Casework metadata, plaintext so the inbox can sort and filter without decrypting.
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    likelihood: Mapped[int | None]  # triage, 1–5
    # "new_report" or "reporter_replied" until `flask notify` has told the officers. Notices
    # go out in batches, never during the reporter's request, so an e-mail's arrival time
    # does not tell when a reporter acted.
    pending_notice: Mapped[str | None] = mapped_column(String(16), index=True)
    # The deadline the case works towards now (app/services/casefile/deadlines.py), kept in a column
    # so the inbox sorts and filters by it in SQL, with no per-row computation.
    due_on: Mapped[date | None] = mapped_column(Date)
    impact: Mapped[int | None]  # triage, 1–5
    # The reporter chose "urgent: someone is in danger" (a copy of the choice inside the
    # encrypted content), plaintext so the inbox lists it and sorts it first.
    urgent: Mapped[bool] = mapped_column(default=False)
    # Day of the oldest reporter message no officer has opened the case since ("reporter
    # replied"); cleared when an officer opens the case page.
    reporter_wrote_on: Mapped[date | None] = mapped_column(Date)
    # Day of the oldest reporter message no officer message has answered yet ("waiting for
    # our answer"); cleared by the next officer message.
    awaiting_answer_since: Mapped[date | None] = mapped_column(Date)
    # Day of the last message or case step, for the inbox.
    last_activity_on: Mapped[date | None] = mapped_column(Date)
    # Plaintext like the category: statistics count by it, and an officer registered every
    # report that did not come through the web form.
    channel: Mapped[ReportChannel] = mapped_column(str_enum(ReportChannel, 16),
                                                   default=ReportChannel.WEB)
    # Oral reports only: whether the reporter agreed the current version of the record.
    minutes_state: Mapped[MinutesState | None] = mapped_column(str_enum(MinutesState, 16))
    # The day the reporter asked for a meeting or a call (Art. 9(2)), until an officer marks
    # the request handled; when and how they would like it is ciphertext.
    meeting_requested_on: Mapped[date | None] = mapped_column(Date)

    receipt_scheme_id: Mapped[int] = mapped_column(ForeignKey("receipt_scheme.id"))
    reporter_locator: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    reporter_key: Mapped[bytes] = mapped_column(LargeBinary)
    recovery_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Digest of the one-time token on the confirmation page: a re-sent form is refused.
    submission_digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    # Arrived while its institution's count of reports was past REPORT_RATE_LIMIT: accepted
    # like any other, marked so officers can triage a flood. Set from that per-institution
    # counter alone, never from anything about the reporter's browser or connection.
    possible_flood: Mapped[bool] = mapped_column(default=False)

    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    # The reporter's identity is a ciphertext of its own (Art. 16), so it can be withheld
    # from exports or erased without touching the report body. Anonymous reports store an
    # encrypted null of the same padded size: the column does not tell who gave a name.
    identity: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)

    institution: Mapped[Institution] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    sealed_keys: Mapped[list["SealedKey"]] = relationship(
        back_populates="report", cascade="all, delete-orphan"
    )
    messages: Mapped[list["Message"]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="Message.id"
    )
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="Attachment.id"
    )
    notes: Mapped[list["CaseNote"]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="CaseNote.id"
    )
    events: Mapped[list["CaseEvent"]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="CaseEvent.id"
    )
    minutes: Mapped[list["MinutesVersion"]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="MinutesVersion.number"
    )

    def __repr__(self) -> str:
        return f"<Report {self.ref}>"


# The inbox walks these in its own order and never sorts (app/services/casework/inbox.py):
# cases with a deadline nearest first, ties urgent first and then newest first, then those
# without one in the same tie order, which is each index's order split where due_on turns
# NULL. Plain columns, one of
# them descending: both databases walk them forwards, and Alembic compares them on both. The
# first serves one status; the second open or all cases and the deadline filters, the
# trailing status answering the status filter from the index.
Index("ix_report_inbox", Report.institution_id, Report.status, Report.due_on,
      Report.urgent.desc(), Report.id.desc())
Index("ix_report_inbox_order", Report.institution_id, Report.due_on, Report.urgent.desc(),
      Report.id.desc(), Report.status)
# The "waiting for our answer" count and the overview's cases a reporter wrote to: a range
# of each, up to the cap, instead of every case of the institution.
Index("ix_report_awaiting", Report.institution_id, Report.awaiting_answer_since)
Index("ix_report_reporter_wrote", Report.institution_id, Report.reporter_wrote_on, Report.id)
# The inbox sorted by received or by last activity, newest first (walked backwards) or oldest
# first, and the search's most recent cases: the first of each pair serves open or all
# cases (status checked on the way), the second one status.
Index("ix_report_received", Report.institution_id, Report.received_on, Report.id,
      Report.status)
Index("ix_report_status_received", Report.institution_id, Report.status, Report.received_on,
      Report.id)
Index("ix_report_activity", Report.institution_id, Report.last_activity_on, Report.id,
      Report.status)
Index("ix_report_status_activity", Report.institution_id, Report.status,
      Report.last_activity_on, Report.id)


class SealedKey(db.Model):
    """A report's data key sealed (HPKE) to one officer's public key."""

    __tablename__ = "sealed_key"
    __table_args__ = (UniqueConstraint("report_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)

    report: Mapped[Report] = relationship(back_populates="sealed_keys")
    user: Mapped[User] = relationship()


class Message(db.Model):
    """One message of the conversation between the reporter and the officers."""

    __tablename__ = "message"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"),
                                           index=True)
    author: Mapped[Author] = mapped_column(str_enum(Author, 16))
    officer_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    sent_on: Mapped[date] = mapped_column(Date)
    # Officer messages only: the minute they were sent, and what they are. A reporter
    # message keeps only its day, so its time cannot point at the reporter.
    written_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    kind: Mapped[MessageKind | None] = mapped_column(str_enum(MessageKind, 16))
    # Reporter messages only: digest of the mailbox form's one-time token, so a double
    # click stores one message.
    submission_digest: Mapped[bytes | None] = mapped_column(LargeBinary(32), unique=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)

    report: Mapped[Report] = relationship(back_populates="messages")
    officer: Mapped[User | None] = relationship()
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="message", order_by="Attachment.id"
    )


class Attachment(db.Model):
    """A file sent with a report or a message; name, type and bytes are all ciphertext."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"),
                                           index=True)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("message.id", ondelete="CASCADE")
    )
    # Encrypted JSON: sanitised file name, content type, what metadata was removed.
    details: Mapped[bytes] = mapped_column(LargeBinary)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)

    report: Mapped[Report] = relationship(back_populates="attachments")
    message: Mapped[Message | None] = relationship(back_populates="attachments")


class CaseNote(db.Model):
    """An internal note of the officers on a case; the reporter never sees it."""

    __tablename__ = "case_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"),
                                           index=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    written_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    body: Mapped[bytes] = mapped_column(LargeBinary)

    report: Mapped[Report] = relationship(back_populates="notes")
    author: Mapped[User | None] = relationship()


class CaseEventKind(enum.StrEnum):
    """What a step in a case's history changed."""

    STATUS = "status"
    ASSIGNED = "assigned"
    TRIAGED = "triaged"
    RECLASSIFIED = "reclassified"
    GRANTED = "granted"
    RECUSED = "recused"
    TRANSFERRED = "transferred"
    REOPENED = "reopened"
    RECOVERY_GRANT = "recovery_grant"  # access granted by an admin with the recovery code
    REGISTERED = "registered"  # an officer registered a report received another way
    MINUTES_REVISED = "minutes_revised"
    MINUTES_APPROVED = "minutes_approved"
    MINUTES_CORRECTION = "minutes_correction"  # the reporter asked for corrections
    MEETING_HANDLED = "meeting_handled"  # an officer dealt with a request for a meeting


class CaseEvent(db.Model):
    """One step in a case's history: status, assignee, triage, category, transfer, access.

    ``change`` holds only metadata (statuses, outcome, the other officer's id); a reason the
    officer wrote is ciphertext under the report's data key.
    """

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"),
                                           index=True)
    officer_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    happened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[CaseEventKind] = mapped_column(str_enum(CaseEventKind, 32))
    change: Mapped[dict] = mapped_column(JSON, default=dict)
    reason: Mapped[bytes | None] = mapped_column(LargeBinary)

    report: Mapped[Report] = relationship(back_populates="events")
    officer: Mapped[User | None] = relationship()


class ReporterSession(db.Model):
    """A signed-in reporter's mailbox session.

    The row says neither which report it belongs to nor who holds it: its payload (report
    reference and data key) is encrypted under a key that only the reporter's cookie holds.
    """

    __tablename__ = "reporter_session"

    # SHA-256 of the random session id in the cookie (a 256-bit random value, not a secret
    # a human chose, so a fast hash is the right tool here).
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    # Unix time of the hour after which the row is purged. The exact idle and absolute
    # limits are inside the encrypted payload, so the row does not record activity.
    expires_at: Mapped[int] = mapped_column(index=True)
