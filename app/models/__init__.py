"""SQLAlchemy models, one module per aggregate."""

from app.models.institution import Institution, InstitutionKind, Jurisdiction
from app.models.report import (
    Attachment,
    Author,
    Message,
    ReceiptScheme,
    Report,
    ReporterSession,
    ReportStatus,
    SealedKey,
)
from app.models.user import Membership, Role, User

__all__ = [
    "Attachment", "Author", "Institution", "InstitutionKind", "Jurisdiction", "Membership",
    "Message", "ReceiptScheme", "Report", "ReportStatus", "ReporterSession", "Role",
    "SealedKey", "User",
]
