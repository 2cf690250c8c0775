"""A partner institution of the network: its public identity and reporting settings."""

import enum
from datetime import datetime

from sqlalchemy import JSON, DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import str_enum


class Jurisdiction(enum.StrEnum):
    """Whose whistleblowing law applies; decides the external channels shown to reporters."""

    LT = "LT"
    NO = "NO"


class InstitutionKind(enum.StrEnum):
    """What sort of public body this is."""

    MUNICIPALITY = "municipality"
    MUNICIPAL_AGENCY = "municipal_agency"
    UNIVERSITY = "university"
    COLLEGE = "college"
    PUBLIC_BODY = "public_body"
    NON_PROFIT = "non_profit"


# Directive 2019/1937 Art. 9(1)(b) and (f): acknowledge within 7 days, give feedback within
# three months. Both are per institution, because national rules can be stricter.
DEFAULT_ACKNOWLEDGEMENT_DAYS = 7
DEFAULT_FEEDBACK_MONTHS = 3
DEFAULT_RETENTION_DAYS = 5 * 365


class Institution(db.Model):
    """One partner of the network with its own officers, settings and reporting page."""

    __tablename__ = "institution"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name_lt: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    name_nb: Mapped[str] = mapped_column(String(200))
    kind: Mapped[InstitutionKind] = mapped_column(str_enum(InstitutionKind, 32))
    jurisdiction: Mapped[Jurisdiction] = mapped_column(str_enum(Jurisdiction, 2))
    languages: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["lt", "en", "nb"])
    acknowledgement_days: Mapped[int] = mapped_column(default=DEFAULT_ACKNOWLEDGEMENT_DAYS)
    feedback_months: Mapped[int] = mapped_column(default=DEFAULT_FEEDBACK_MONTHS)
    # Closed cases are deleted this many days after closing (app/services/casefile/retention.py).
    retention_days: Mapped[int] = mapped_column(default=DEFAULT_RETENTION_DAYS)
    # Reporters may name officers of this institution who must not see their report.
    allow_exclusions: Mapped[bool] = mapped_column(default=False)
    embed_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Filled by the crypto core: the public half of the institution's recovery key pair.
    recovery_public_key: Mapped[bytes | None]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    memberships: Mapped[list["Membership"]] = relationship(  # noqa: F821
        back_populates="institution", cascade="all, delete-orphan"
    )

    def name(self, language: str) -> str:
        """The institution's name in a language, Lithuanian when that one is missing."""
        return getattr(self, f"name_{language}", None) or self.name_lt

    def __repr__(self) -> str:
        return f"<Institution {self.slug}>"
