"""SQLAlchemy models, one module per aggregate."""

from app.models.institution import Institution, InstitutionKind, Jurisdiction
from app.models.user import Membership, Role, User

__all__ = ["Institution", "InstitutionKind", "Jurisdiction", "Membership", "Role", "User"]
