"""Staff accounts and their roles in institutions. Reporters never have accounts."""

import enum
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, LargeBinary, String, UniqueConstraint, func
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
    # The language of e-mails to this staff member (the workspace follows the browser).
    language: Mapped[str] = mapped_column(String(8), default="lt")

    # Argon2id of the password derives the key that wraps the private key; one derivation at
    # login both proves the password and unwraps the key, so no separate password hash exists.
    kdf_salt: Mapped[bytes | None]
    kdf_params: Mapped[dict | None] = mapped_column(db.JSON)
    public_key: Mapped[bytes | None]
    wrapped_private_key: Mapped[bytes | None]
    # TOTP secret sealed (HPKE) to the user's own public key, so only a session that has
    # unwrapped the private key with the password can check a code; and the last accepted
    # time step, so no code is accepted twice.
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


class SessionStage(enum.StrEnum):
    """How far a staff sign-in has come."""

    PASSWORD = "password"  # noqa: S105  (a stage: two-factor or its enrolment to come)
    SIGNED_IN = "signed_in"


class StaffSession(db.Model):
    """A staff member's server-side session (DESIGN.md, security model point 3).

    The unwrapped private key is stored only encrypted under a key that exists solely in the
    staff member's cookie: the database plus the server's secrets open no report without a
    live session. Staff are not anonymous, so plain activity times are fine here.
    """

    __tablename__ = "staff_session"

    # SHA-256 of the random session id in the cookie.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    stage: Mapped[SessionStage] = mapped_column(str_enum(SessionStage, 16))
    # Encrypted JSON: the private key (and a two-factor secret being enrolled).
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    # Unix times: sign-in and last request, for the absolute and idle limits.
    started_at: Mapped[int]
    seen_at: Mapped[int] = mapped_column(index=True)

    user: Mapped[User] = relationship()


class LinkPurpose(enum.StrEnum):
    """Why a one-time account link was issued."""

    INVITATION = "invitation"  # set a password, enrol two-factor, get a key pair
    RECOVERY = "recovery"  # a new key pair made by an institution admin; set a new password
    # A role offered to an account that exists already: its holder accepts while signed in,
    # so no institution admin can add an account from elsewhere on their own.
    MEMBERSHIP = "membership"


class AccountLink(db.Model):
    """A one-time link that lets a staff member set their password and two-factor.

    Only a digest of the link's random token is stored. A recovery link also carries the
    new private key, wrapped under a key derived from the token (a 256-bit random value, so
    HKDF suffices), so whoever opens the link becomes its holder and the admin never does.
    """

    __tablename__ = "account_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    purpose: Mapped[LinkPurpose] = mapped_column(str_enum(LinkPurpose, 16))
    wrapped_private_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    # The role an invitation or a MEMBERSHIP link offers, where, and the name the inviting
    # admin typed (shown to that institution instead of the account's own name).
    institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("institution.id", ondelete="CASCADE"))
    role: Mapped[Role | None] = mapped_column(str_enum(Role, 32))
    invited_name: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    institution: Mapped[Institution | None] = relationship()
