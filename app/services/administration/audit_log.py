"""The institution's audit log as its admins read it: metadata with labels, never
report content."""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import Institution, User
from app.models.types import as_utc
from app.services import audit
from app.services.administration.members import ROLE_LABELS
from app.services.administration.settings import FIELD_LABELS

# Labels of the metadata keys audit entries carry; other keys are shown as recorded.
DETAIL_LABELS = {
    "user": _l("Person"),
    "name": _l("Name"),
    "email": _l("E-mail address"),
    "role": _l("Role"),
    "added": _l("Roles added"),
    "removed": _l("Roles removed"),
    "keys_removed": _l("Case keys removed"),
    "fields": _l("Changed"),
    "cases": _l("Cases"),
    "slug": _l("Address"),
}


@dataclass(frozen=True)
class AuditRow:
    """An audit entry as the log page shows it: metadata only."""

    recorded_at: datetime
    actor: str | None
    action: str
    report_ref: str | None
    details: list[tuple[str, str]]


# Role codes and field names inside details, shown by their labels.
VALUE_LABELS = {**{role.value: label for role, label in ROLE_LABELS.items()}, **FIELD_LABELS}


def _detail_value(key: str, value, names: dict[int, str]) -> str:
    if key == "user" and isinstance(value, int):
        return names.get(value, "—")
    values = value if isinstance(value, list) else [value]
    return ", ".join(str(VALUE_LABELS.get(item, item)) if isinstance(item, str) else str(item)
                     for item in values) or "—"


def audit_log(institution: Institution, page: int) -> tuple[list[AuditRow], int]:
    """One page of the institution's audit log for reading, and the number of pages."""
    entries, pages = audit.institution_log(institution, page)
    ids = {entry.actor_id for entry in entries if entry.actor_id is not None}
    ids |= {entry.detail.get("user") for entry in entries
            if isinstance((entry.detail or {}).get("user"), int)}
    names = dict(db.session.execute(
        select(User.id, User.display_name).where(User.id.in_(ids))).all()) if ids else {}
    rows = [AuditRow(
        recorded_at=as_utc(entry.recorded_at),
        actor=names.get(entry.actor_id) if entry.actor_id is not None else None,
        action=str(audit.ACTIONS.get(entry.action, entry.action)),
        report_ref=entry.report_ref,
        details=[(str(DETAIL_LABELS.get(key, key)), _detail_value(key, value, names))
                 for key, value in sorted((entry.detail or {}).items(),
                                          key=lambda item: (item[0] != "user", item[0]))],
    ) for entry in entries]
    return rows, pages
