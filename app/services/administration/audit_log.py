"""The institution's audit log as its admins read it: filtered, in words, in the
institution's time, and as a CSV file whose every download is itself audited. Metadata
only, never report content."""

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from babel.dates import format_date
from babel.numbers import format_decimal
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import cast, exists, or_, select
from sqlalchemy.dialects.postgresql import JSONB

from app.extensions import db
from app.models import ActionItem, AuditEntry, Institution, Membership, Report, User
from app.services import ServiceError, audit
from app.services.accounts.permissions import may_work_on
from app.services.administration.audit_descriptions import (
    CaseReference,
    Description,
    Lookup,
    Person,
    action_label,
    describe,
)
from app.services.local_time import (
    day_end,
    day_start,
    format_local,
    institution_zone,
    local_moment,
)
from app.services.spreadsheets import safe_cells

PER_PAGE = 50


def _lists_person(person: int):
    """The condition that an entry names ``person`` among several accounts (the officers
    a recovery grant gave a case to): a JSON array search, which each database spells its
    own way."""
    if db.session.get_bind().dialect.name == "sqlite":
        listed = db.func.json_each(AuditEntry.detail, "$.officers").table_valued("value")
        return exists(select(1).select_from(listed).where(listed.c.value == person))
    return cast(AuditEntry.detail["officers"], JSONB).contains([person])


@dataclass(frozen=True)
class AuditFilter:
    """What the log page shows: entries of one case (a reference or its beginning), naming
    one person (as actor or as the account concerned), of one action, between two days of
    the institution's calendar (both included). Empty values select everything."""

    ref: str = ""
    person: int | None = None
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def conditions(self, institution: Institution) -> tuple:
        """The filter as SQL conditions on :class:`AuditEntry`."""
        where = []
        if self.ref:
            where.append(AuditEntry.report_ref.startswith(self.ref.lower(), autoescape=True))
        if self.person is not None:
            where.append(or_(AuditEntry.actor_id == self.person,
                             AuditEntry.detail["user"].as_integer() == self.person,
                             _lists_person(self.person)))
        if self.action:
            where.append(AuditEntry.action == self.action)
        # Stored times are UTC; the days are the institution's.
        if self.date_from:
            where.append(AuditEntry.recorded_at
                         >= day_start(self.date_from, institution).astimezone(UTC))
        if self.date_to:
            where.append(AuditEntry.recorded_at
                         < day_end(self.date_to, institution).astimezone(UTC))
        return tuple(where)

    def as_detail(self) -> dict:
        """The filter as an audit entry's metadata: only what is set."""
        # "action" would clash with the entry's own action: audit.record() takes it by name.
        detail = {"ref": self.ref.lower(), "user": self.person, "of_action": self.action,
                  "date_from": self.date_from.isoformat() if self.date_from else None,
                  "date_to": self.date_to.isoformat() if self.date_to else None}
        return {key: value for key, value in detail.items() if value not in (None, "")}


@dataclass(frozen=True)
class AuditRow:
    """An audit entry as the log page and its CSV file show it: metadata only."""

    recorded_at: datetime  # in the institution's time zone
    shown_at: str  # the same, as the case history writes times
    day_only: bool  # a reporter's step: its day is known, not its time
    actor: Person | None
    action: str
    case: CaseReference | None
    description: Description


def _user_ids(entries: Iterable[AuditEntry]) -> set[int]:
    ids: set[int] = set()
    for entry in entries:
        detail = entry.detail or {}
        candidates = [entry.actor_id, detail.get("user"), *(detail.get("officers") or [])]
        ids |= {value for value in candidates if isinstance(value, int)}
    return ids


def _lookup(entries: list[AuditEntry], institution: Institution, viewer: User,
            language: str) -> Lookup:
    """Names, memberships, openable cases and institutions the entries mention."""
    ids = _user_ids(entries)
    names = dict(db.session.execute(
        select(User.id, User.display_name).where(User.id.in_(ids))).all()) if ids else {}
    members = set(db.session.scalars(select(Membership.user_id).where(
        Membership.institution_id == institution.id, Membership.user_id.in_(ids))))
    refs = {entry.report_ref for entry in entries if entry.report_ref}
    refs |= {(entry.detail or {}).get("ref") for entry in entries
             if entry.action == "audit_exported" and (entry.detail or {}).get("ref")}
    # Only a whole reference names a case; a filter's beginning of one links nowhere.
    reports = db.session.scalars(select(Report).where(Report.ref.in_(refs))) if refs else []
    openable = {report.ref for report in reports if may_work_on(viewer, report)}
    institution_ids = {(entry.detail or {}).get(key) for entry in entries
                       for key in ("target", "source", "joined")}
    institution_ids = {value for value in institution_ids if isinstance(value, int)}
    institutions = {found.id: found.name(language) for found in db.session.scalars(
        select(Institution).where(Institution.id.in_(institution_ids)))}
    items = {(entry.detail or {}).get("item") for entry in entries
             if entry.action == "action_plan_changed"}
    items = {value for value in items if isinstance(value, int)}
    measures = dict(db.session.execute(select(ActionItem.id, ActionItem.title).where(
        ActionItem.id.in_(items), ActionItem.institution_id == institution.id)).all())
    return Lookup(names, members, openable, institutions, measures)


def _rows(entries: list[AuditEntry], institution: Institution, viewer: User,
          language: str) -> list[AuditRow]:
    lookup = _lookup(entries, institution, viewer, language)
    rows = []
    for entry in entries:
        # What a reporter did keeps only its day (audit.record(day_only=True)).
        day_only = bool((entry.detail or {}).get("day_only"))
        rows.append(AuditRow(
            recorded_at=local_moment(entry.recorded_at, institution),
            shown_at=(format_date(entry.recorded_at.date(), "short", locale=language)
                      if day_only else format_local(entry.recorded_at, institution)),
            day_only=day_only,
            actor=(lookup.person(entry.actor_id) if entry.actor_id is not None
                   else Person(None, _("Reporter")) if day_only else None),
            action=action_label(entry.action),
            case=lookup.case(entry.report_ref) if entry.report_ref else None,
            description=describe(entry, lookup)))
    return rows


def audit_log(institution: Institution, viewer: User, chosen: AuditFilter, page: int,
              language: str) -> tuple[list[AuditRow], int]:
    """One page of the institution's audit log as ``viewer`` reads it, newest first, and
    the number of pages."""
    entries, pages = audit.institution_log(institution, page, PER_PAGE,
                                           chosen.conditions(institution))
    return _rows(entries, institution, viewer, language), pages


def people_in_log(institution: Institution) -> list[tuple[int, str]]:
    """Everyone the person filter offers: the institution's members and whoever its log
    names (as actor, as the account concerned, among the officers of a grant), by name;
    a former member stays findable."""
    in_log = AuditEntry.institution_id == institution.id
    actors = select(AuditEntry.actor_id).where(in_log)
    concerned = select(AuditEntry.detail["user"].as_integer()).where(in_log)
    members = select(Membership.user_id).where(Membership.institution_id == institution.id)
    granted = {user_id for listed in db.session.scalars(
        select(AuditEntry.detail["officers"]).where(in_log,
                                                    AuditEntry.action == "recovery_grant"))
               for user_id in listed or [] if isinstance(user_id, int)}
    found = db.session.execute(select(User.id, User.display_name).where(or_(
        User.id.in_(actors), User.id.in_(concerned), User.id.in_(members),
        User.id.in_(granted)))).all()
    return sorted(((user_id, name) for user_id, name in found),
                  key=lambda person: (person[1].casefold(), person[0]))


def action_choices() -> list[tuple[str, str]]:
    """Every action the log records, by its translated name."""
    return sorted(((action, str(label)) for action, label in audit.ACTIONS.items()),
                  key=lambda choice: choice[1].casefold())


def audit_log_csv(institution: Institution, viewer: User, chosen: AuditFilter,
                  language: str) -> tuple[str, int]:
    """The filtered log as CSV in the page's language, newest first, and its row count:
    the day (ISO 8601) and time in the institution's time zone, who, the action, the
    sentence and the whole case reference."""
    out = io.StringIO()
    writer = csv.writer(out)
    zone = institution_zone(institution).zone
    writer.writerow(safe_cells([_("Date"), _("Time (%(zone)s)", zone=zone), _("Who"),
                                _("Action"), _("What happened"), _("Case")]))
    count = 0
    for entries in audit.institution_entries(institution, chosen.conditions(institution)):
        for row in _rows(entries, institution, viewer, language):
            writer.writerow(safe_cells([
                row.recorded_at.date().isoformat(),
                "" if row.day_only else row.recorded_at.strftime("%H:%M:%S"),
                str(row.actor) if row.actor else "", row.action, str(row.description),
                row.case.ref if row.case else ""]))
            count += 1
    return out.getvalue(), count


def export_audit_log(institution: Institution, viewer: User, chosen: AuditFilter,
                     language: str) -> str:
    """The filtered log as CSV for ``viewer`` to download; the download is audited with
    the filter used and the number of entries, and committed.

    :raises ServiceError: more entries than one file holds (``AUDIT_EXPORT_LIMIT``).
    """
    limit = current_app.config["AUDIT_EXPORT_LIMIT"]
    found = audit.count_entries(institution, chosen.conditions(institution))
    if found > limit:
        raise ServiceError(_(
            "These filters select %(found)s entries; one file holds at most %(limit)s. "
            "Choose fewer days and export the log in parts.",
            found=format_decimal(found, locale=language),
            limit=format_decimal(limit, locale=language)))
    content, count = audit_log_csv(institution, viewer, chosen, language)
    audit.record("audit_exported", actor=viewer, institution=institution, rows=count,
                 **chosen.as_detail())
    db.session.commit()
    return content
