"""Replacing an institution's recovery code: every recovery copy of its case keys is
sealed to the new key at once. The codes are typed in and never stored."""

from sqlalchemy import select

from app.crypto.recovery import format_recovery_code, new_recovery_code, recovery_public_key
from app.extensions import db
from app.models import Institution, Report, User
from app.services import audit
from app.services.administration.institutions import check_recovery_code
from app.services.casefile.sealing import recovery_opener, reseal_recovery_key


def regenerate_recovery_code(institution: Institution, current_code: str, by: User) -> str:
    """Replace the institution's recovery code; returns the new one (its only copy).

    Every recovery copy of the institution's case keys is opened with the current code and
    sealed to the new key in the same transaction, so no case is ever left without one.
    A copy that does not open although the code is right means damaged data: the error
    propagates and nothing changes.

    :raises ServiceError: the current code is not this institution's.
    """
    check_recovery_code(institution, current_code)
    reports = db.session.scalars(select(Report).where(
        Report.institution_id == institution.id, Report.recovery_key.is_not(None))).all()
    opener = recovery_opener(current_code)
    data_keys = [(report, opener(report)) for report in reports]
    new_code = new_recovery_code()
    institution.recovery_public_key = recovery_public_key(new_code)
    for report, data_key in data_keys:
        reseal_recovery_key(report, data_key)
    audit.record("recovery_code_regenerated", actor=by, institution=institution,
                 cases=len(data_keys))
    db.session.commit()
    return format_recovery_code(new_code)
