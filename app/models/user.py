"""Staff accounts and their roles in institutions. Reporters never have accounts."""

import enum
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.institution import Institution
from app.models.types import str_enum


class Role(enum.StrEnum):
    """What a member may do in one institution."""

    OFFICER = "officer"
    INSTITUTION_ADMIN = "institution_admin"


class User(db.Model):
    """A staff member: officer, institution admin, platform admin or analyst.

    The platform-admin and analyst flags are network-wide and grant no access to reports.
    """

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    is_platform_admin: Mapped[bool] = mapped_column(default=False)
    is_analyst: Mapped[bool] = mapped_column(default=False)

    # Argon2id of the password derives the key that wraps the private key; one derivation at
    # login both proves the password and unwraps the key, so no separate password hash exists.
    kdf_salt: Mapped[bytes | None]
    kdf_params: Mapped[dict | None] = mapped_column(db.JSON)
    public_key: Mapped[bytes | None]
    wrapped_private_key: Mapped[bytes | None]
    # TOTP secret (sealed) and the last accepted time step, for replay protection.
    totp_secret_sealed: Mapped[bytes | None]
    totp_last_step: Mapped[int | None]

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class Membership(db.Model):
    """A user's role in one institution; an officer may serve several institutions."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "institution_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(str_enum(Role, 32))

    user: Mapped[User] = relationship(back_populates="memberships")
    institution: Mapped[Institution] = relationship(back_populates="memberships")
