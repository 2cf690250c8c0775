"""What officers do with the record of a report they registered: revise it (a new version,
with what changed), or record that the reporter signed a printed version. Each step is in
the case history and the audit log (:func:`~app.services.casework.opened_case.record_step`)
and commits."""

from flask_babel import gettext as _

from app.models import CaseEventKind, MinutesVersion
from app.services import ServiceError
from app.services.casefile.minutes import SIGNED_ON_PAPER, add_version, approve
from app.services.casework.opened_case import OpenedCase, now, record_step


def revise_minutes(case: OpenedCase, text: str, change: str) -> MinutesVersion:
    """Add a new version of the record; the reporter of an oral report is asked to approve
    it in the mailbox. Commits.

    :raises ServiceError: no record to revise, no word on what changed, or an empty or too
        long text.
    """
    if not case.report.minutes:
        raise ServiceError(_("This case has no minutes to revise."))
    if not change.strip():
        raise ServiceError(_("Say what you changed, for the reporter and the history."))
    version = add_version(case.report, case.data_key, text, change, case.officer, now())
    record_step(case, "minutes_revised", CaseEventKind.MINUTES_REVISED,
                change={"version": version.number}, version=version.number)
    return version


def record_signed_minutes(case: OpenedCase, number: int) -> MinutesVersion:
    """Record that the reporter agreed version ``number`` by signing it on paper (keep the
    signed sheet with the case's paper file). Commits.

    :raises ServiceError: see :func:`app.services.casefile.minutes.approve`.
    """
    version = approve(case.report, number, SIGNED_ON_PAPER)
    detail = {"version": version.number, "by": SIGNED_ON_PAPER}
    record_step(case, "minutes_approved", CaseEventKind.MINUTES_APPROVED, change=detail,
                **detail)
    return version
