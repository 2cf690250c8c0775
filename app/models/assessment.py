"""Self-assessments, their answers, the action plan and anonymous survey responses.

An institution's assessment is its own record about its processes, not a report: answers
and evidence notes are stored as entered (docs/security.md says why), and no one may write
names or report details into them (the forms say so). A survey response carries no account,
address, time or order: a random id, the institution, the questionnaire and the year.
"""

import enum
import secrets
from datetime import date

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.institution import Institution
from app.models.types import str_enum
from app.models.user import User


class AssessmentStatus(enum.StrEnum):
    """A draft takes answers; a final assessment is a frozen snapshot."""

    DRAFT = "draft"
    FINAL = "final"


class ActionStatus(enum.StrEnum):
    """Where an action-plan item stands."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"


class Assessment(db.Model):
    """One sitting-spanning assessment of an institution with one questionnaire version."""

    __tablename__ = "assessment"
    __table_args__ = (Index("ix_assessment_lineage", "questionnaire_id", "status",
                            "institution_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institution.id", ondelete="CASCADE"), index=True)
    questionnaire_id: Mapped[str] = mapped_column(String(40))
    version: Mapped[int]
    status: Mapped[AssessmentStatus] = mapped_column(str_enum(AssessmentStatus),
                                                     default=AssessmentStatus.DRAFT)
    started_on: Mapped[date] = mapped_column(Date)
    started_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    finalised_on: Mapped[date | None] = mapped_column(Date)
    finalised_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    # Areas the institution declared not applicable (a risk assessment only).
    not_applicable: Mapped[list] = mapped_column(JSON, default=list)
    # The frozen result of a final assessment: answers, notes and scores (JSON).
    snapshot: Mapped[dict | None] = mapped_column(JSON)

    institution: Mapped[Institution] = relationship()
    started_by: Mapped[User | None] = relationship(foreign_keys=[started_by_id])
    finalised_by: Mapped[User | None] = relationship(foreign_keys=[finalised_by_id])
    answers: Mapped[list["AssessmentAnswer"]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", passive_deletes=True)


class AssessmentAnswer(db.Model):
    """The current answer to one question of a draft assessment."""

    __tablename__ = "assessment_answer"
    __table_args__ = (UniqueConstraint("assessment_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessment.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(100))
    value: Mapped[str | None] = mapped_column(String(16))
    evidence: Mapped[str | None] = mapped_column(Text)
    answered_on: Mapped[date] = mapped_column(Date)
    answered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))

    assessment: Mapped[Assessment] = relationship(back_populates="answers")


class ActionItem(db.Model):
    """A measure of the institution's action plan."""

    __tablename__ = "action_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institution.id", ondelete="CASCADE"), index=True)
    assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessment.id", ondelete="SET NULL"))
    # "<questionnaire id>:<area id>" (both up to 40 characters)
    area_id: Mapped[str | None] = mapped_column(String(81))
    title: Mapped[str] = mapped_column(String(300))
    owner_role: Mapped[str] = mapped_column(String(120))
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[ActionStatus] = mapped_column(str_enum(ActionStatus),
                                                 default=ActionStatus.PLANNED)

    institution: Mapped[Institution] = relationship()
    assessment: Mapped[Assessment | None] = relationship()


def _random_id() -> str:
    return secrets.token_hex(16)


class SurveyResponse(db.Model):
    """One anonymous survey response: answers only, no time, no order (the id is random)."""

    __tablename__ = "survey_response"
    __table_args__ = (Index("ix_survey_response_period", "institution_id",
                            "questionnaire_id", "year"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_random_id)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institution.id", ondelete="CASCADE"))
    questionnaire_id: Mapped[str] = mapped_column(String(40))
    version: Mapped[int]
    year: Mapped[int]
    answers: Mapped[dict] = mapped_column(JSON)
