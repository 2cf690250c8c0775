"""SQLAlchemy models, one module per aggregate."""

from app.models.assessment import (
    ActionItem,
    ActionStatus,
    Assessment,
    AssessmentAnswer,
    AssessmentStatus,
    SurveyResponse,
)
from app.models.audit import AuditEntry, AuditHead
from app.models.institution import Institution, InstitutionKind, Jurisdiction
from app.models.report import (
    Attachment,
    Author,
    CaseEvent,
    CaseEventKind,
    CaseNote,
    Message,
    Outcome,
    ReceiptScheme,
    Report,
    ReporterSession,
    ReportStatus,
    SealedKey,
)
from app.models.user import (
    AccountLink,
    LinkPurpose,
    Membership,
    Role,
    SessionStage,
    StaffSession,
    User,
)

__all__ = [
    "AccountLink",
    "ActionItem",
    "ActionStatus",
    "Assessment",
    "AssessmentAnswer",
    "AssessmentStatus",
    "Attachment",
    "AuditEntry",
    "AuditHead",
    "Author",
    "CaseEvent",
    "CaseEventKind",
    "CaseNote",
    "Institution",
    "InstitutionKind",
    "Jurisdiction",
    "LinkPurpose",
    "Membership",
    "Message",
    "Outcome",
    "ReceiptScheme",
    "Report",
    "ReportStatus",
    "ReporterSession",
    "Role",
    "SealedKey",
    "SessionStage",
    "StaffSession",
    "SurveyResponse",
    "User",
]
