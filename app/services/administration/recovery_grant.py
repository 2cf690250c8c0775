"""Opening cases for officers with the institution's recovery code.

A report that arrived while the institution had no officer with a key, or whose officers
have all left, is sealed only to the recovery key. An institution administrator who types
the recovery code can seal such reports (or any of the institution's) to chosen active
officers. The code is used for this request only and never stored; the administrator never
sees a report's content: each data key is opened in memory, sealed to the officers and
dropped. Officers the reporter asked to keep out get no copy whatever the admin chooses.
Every report granted gets a step in its case history and an audit entry.
"""

import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.extensions import db
from app.models import CaseEventKind, Institution, Report, SealedKey, User
from app.services import ServiceError, audit
from app.services.administration.institutions import check_recovery_code
from app.services.casefile.content import excluded_by_reporter
from app.services.casefile.sealing import (
    entitled_officers,
    recovery_opener,
    seal_to_officer,
    unreadable_condition,
)
from app.services.casework.opened_case import OpenedCase, add_event

# Reports examined per grant: each costs a recovery-key opening and one sealing per
# officer, all in one transaction. The rest are granted by submitting again
# (bench/recovery_grant.py prints the time per report).
MAX_REPORTS_PER_GRANT = 500


class GrantScope(enum.StrEnum):
    """Which of the institution's reports a grant covers."""

    UNREADABLE = "unreadable"  # every report no active officer can read
    ALL = "all"  # every report of the institution
    CHOSEN = "chosen"  # the reports the administrator ticked


class GrantRefused(ServiceError):
    """A grant refused; ``about`` names what is wrong: "officers", "reports" or
    "recovery_code"."""

    def __init__(self, message: str, about: str):
        super().__init__(message)
        self.about = about


@dataclass(frozen=True)
class GrantResult:
    """What a grant did."""

    reports: int  # reports sealed to at least one more officer
    keys: int  # sealed copies made
    excluded: int  # copies not made because the reporter had excluded the officer
    remaining: int  # reports in scope left for another grant (over MAX_REPORTS_PER_GRANT)


def _scoped(institution: Institution, officers: Sequence[User], scope: GrantScope,
            chosen: Collection[str]):
    """The reports in scope that some of the officers hold no key for."""
    ids = [officer.id for officer in officers]
    held = (select(func.count()).select_from(SealedKey)
            .where(SealedKey.report_id == Report.id, SealedKey.user_id.in_(ids))
            .scalar_subquery())
    query = select(Report).where(Report.institution_id == institution.id,
                                 Report.recovery_key.is_not(None), held < len(ids))
    if scope == GrantScope.UNREADABLE:
        query = query.where(unreadable_condition())
    elif scope == GrantScope.CHOSEN:
        query = query.where(Report.ref.in_(list(chosen)))
    return query


def grant_with_recovery_code(institution: Institution, recovery_code: str,
                             officer_ids: Collection[int], scope: GrantScope,
                             chosen: Collection[str], by: User) -> GrantResult:
    """Seal the reports in scope to the officers, opening them with the recovery code.
    Commits once, after every report in the batch.

    :param chosen: case references, for :attr:`GrantScope.CHOSEN` (others are ignored).
    :raises GrantRefused: no officer chosen, one who is not an active officer of the
        institution with a key pair, no report chosen, or the code is not the institution's.
    """
    if not officer_ids:
        raise GrantRefused(_("Choose at least one officer."), "officers")
    wanted = set(officer_ids)
    officers = [officer for officer in entitled_officers(institution) if officer.id in wanted]
    if len(officers) != len(wanted):
        raise GrantRefused(_("Access can be granted only to active officers of the "
                             "institution."), "officers")
    if scope == GrantScope.CHOSEN and not chosen:
        raise GrantRefused(_("Choose at least one report."), "reports")
    try:
        check_recovery_code(institution, recovery_code)
    except ServiceError as error:
        raise GrantRefused(str(error), "recovery_code") from None
    query = _scoped(institution, officers, scope, chosen)
    reports = db.session.scalars(
        query.order_by(Report.id).limit(MAX_REPORTS_PER_GRANT + 1)).all()
    remaining = 0
    if len(reports) > MAX_REPORTS_PER_GRANT:
        reports = reports[:MAX_REPORTS_PER_GRANT]
        total = db.session.scalar(select(func.count()).select_from(query.subquery()))
        remaining = total - MAX_REPORTS_PER_GRANT
    granted = keys = excluded = 0
    opener = recovery_opener(recovery_code)
    for report in reports:
        made, refused = _grant_one(report, opener(report), officers, by)
        granted += bool(made)
        keys += made
        excluded += refused
    db.session.commit()
    return GrantResult(granted, keys, excluded, remaining)


def _grant_one(report: Report, data_key: bytes, officers: Sequence[User],
               by: User) -> tuple[int, int]:
    """Seal one report to those of the officers who lack a key and were not excluded by
    the reporter; returns (copies made, copies refused by an exclusion). Not committed."""
    excluded = excluded_by_reporter(report, data_key)
    holders = set(db.session.scalars(select(SealedKey.user_id).where(
        SealedKey.report_id == report.id)))
    lacking = [officer for officer in officers if officer.id not in holders]
    receiving = [officer for officer in lacking if officer.id not in excluded]
    # The administrator is the one who took the step: the history names them as its author.
    step = OpenedCase(report, by, data_key)
    for officer in receiving:
        seal_to_officer(report, data_key, officer)
        add_event(step, CaseEventKind.RECOVERY_GRANT, officer=officer.id)
    if receiving:
        audit.record("recovery_grant", actor=by, institution=report.institution,
                     report_ref=report.ref, officers=[officer.id for officer in receiving])
    return len(receiving), len(lacking) - len(receiving)
