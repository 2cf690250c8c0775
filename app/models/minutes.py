"""The record of a report an officer registered, in versions (app/services/casefile/minutes.py)."""

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.report import Report
from app.models.user import User


class MinutesVersion(db.Model):
    """One version of the record of a report an officer registered: minutes or a
    transcript of an oral report, or the text of a letter or e-mail. Versions are never
    changed: a revision adds the next one, so what the reporter saw and agreed stays.

    ``body`` is ciphertext under the report's data key (the text and what the officer
    changed); so is the reporter's correction request. The reporter's answers keep only
    their day.
    """

    __tablename__ = "minutes_version"
    __table_args__ = (UniqueConstraint("report_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"),
                                           index=True)
    number: Mapped[int]
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    written_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    approved_on: Mapped[date | None] = mapped_column(Date)
    # "mailbox" or "paper": where the reporter agreed this version.
    approved_by: Mapped[str | None] = mapped_column(String(16))
    correction_on: Mapped[date | None] = mapped_column(Date)
    correction: Mapped[bytes | None] = mapped_column(LargeBinary)

    report: Mapped[Report] = relationship(back_populates="minutes")
    author: Mapped[User | None] = relationship()
