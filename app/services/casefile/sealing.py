"""Who may read a report: the one place that seals and opens report data keys.

Entitlement is cryptographic: a report's data key is sealed to the officers of its
institution at the time it arrives and to the institution's recovery key. Anyone else (the
platform admin, a new officer, the server operator) holds no sealed copy and cannot open it
until an entitled reader grants one.
"""

from sqlalchemy import exists, func, select
from sqlalchemy.orm import aliased

from app.crypto.envelope import seal, unseal
from app.crypto.recovery import recovery_key_pair
from app.extensions import db
from app.models import Membership, Report, Role, SealedKey, User
from app.models.institution import Institution


def _held_by_active_officer(besides: User | None = None):
    """A report's key is held by an active officer of its institution (other than
    ``besides``). Aliased, so that it correlates only with the report of a query that may
    itself join sealed keys or accounts."""
    key, holder, membership = aliased(SealedKey), aliased(User), aliased(Membership)
    condition = exists().where(key.report_id == Report.id, key.user_id == holder.id,
                               membership.user_id == holder.id,
                               membership.institution_id == Report.institution_id,
                               membership.role == Role.OFFICER, holder.is_active.is_(True))
    return condition if besides is None else condition.where(holder.id != besides.id)


def unreadable_condition():
    """Reports no active officer of their institution holds a key for: only the recovery
    key opens them."""
    return ~_held_by_active_officer()


def unreadable_reports(institution: Institution) -> int:
    """How many of the institution's reports no active officer of it holds a key for: only
    the recovery key opens them (a report that arrived while the institution had no officer,
    or whose officers were all deactivated or stepped away). Reads every report row of the
    institution once (an anti-join on sealed keys), never a report's content."""
    return db.session.scalar(select(func.count()).select_from(Report).where(
        Report.institution_id == institution.id, unreadable_condition()))


def unreadable_report_list(institution: Institution, limit: int) -> list[Report]:
    """The oldest of those reports first, at most ``limit`` (metadata only)."""
    return list(db.session.scalars(select(Report).where(
        Report.institution_id == institution.id, unreadable_condition())
        .order_by(Report.received_on, Report.id).limit(limit)))


def _readable_only_by(user: User, institution: Institution):
    return select(Report).join(SealedKey).where(
        Report.institution_id == institution.id, SealedKey.user_id == user.id,
        ~_held_by_active_officer(besides=user))


def readable_only_by(user: User, institution: Institution, limit: int) -> list[Report]:
    """The institution's reports whose key this person holds and no other active officer of
    it does: they become unreadable (but for the recovery key) when the person leaves.
    Oldest first, at most ``limit``."""
    return list(db.session.scalars(_readable_only_by(user, institution)
                                   .order_by(Report.received_on, Report.id).limit(limit)))


def readable_only_by_count(user: User, institution: Institution) -> int:
    """How many reports :func:`readable_only_by` would list without a limit."""
    return db.session.scalar(select(func.count()).select_from(
        _readable_only_by(user, institution).subquery()))


def entitled_officers(institution: Institution) -> list[User]:
    """Active officers of the institution who have a key pair."""
    return list(db.session.scalars(
        select(User)
        .join(Membership)
        .where(
            Membership.institution_id == institution.id,
            Membership.role == Role.OFFICER,
            User.is_active.is_(True),
            User.public_key.is_not(None),
        )
        .order_by(User.id)
    ))


def _officer_context(report: Report, user: User) -> tuple[str, ...]:
    return (report.ref, "officer", str(user.id))


def _recovery_context(report: Report, institution: Institution) -> tuple[str, ...]:
    return (report.ref, "recovery", str(institution.id))


def seal_for_readers(report: Report, data_key: bytes, excluded: set[int] = frozenset()) -> None:
    """Seal the data key to every entitled officer and to the recovery key (not committed).

    :param excluded: ids of officers the reporter asked to keep out; they get no copy.
    """
    institution = report.institution
    for officer in entitled_officers(institution):
        if officer.id not in excluded:
            seal_to_officer(report, data_key, officer)
    reseal_recovery_key(report, data_key)


def reseal_recovery_key(report: Report, data_key: bytes) -> None:
    """Seal the data key to the recovery key of the report's (current) institution."""
    institution = report.institution
    report.recovery_key = (None if institution.recovery_public_key is None else
                           seal(data_key, institution.recovery_public_key,
                                *_recovery_context(report, institution)))


def seal_to_officer(report: Report, data_key: bytes, officer: User) -> None:
    """Give one officer their own sealed copy of the data key (not committed)."""
    report.sealed_keys.append(SealedKey(
        user=officer,
        sealed=seal(data_key, officer.public_key, *_officer_context(report, officer)),
    ))


def holds_key(report: Report, user: User) -> bool:
    """True when the user has their own sealed copy of the report's data key."""
    return db.session.scalar(select(SealedKey.id).where(
        SealedKey.report_id == report.id, SealedKey.user_id == user.id)) is not None


def officer_data_key(report: Report, user: User, private_key,
                     sealed: bytes | None = None) -> bytes | None:
    """The data key through the officer's own sealed copy; None when they hold none.

    :param sealed: their copy when already read (:func:`officer_copies`), else it is read.
    :raises DecryptionError: their copy does not open with this private key.
    """
    if sealed is None:
        sealed = db.session.scalar(select(SealedKey.sealed).where(
            SealedKey.report_id == report.id, SealedKey.user_id == user.id))
    if sealed is None:
        return None
    return unseal(sealed, private_key, *_officer_context(report, user))


def officer_copies(user: User, report_ids: list[int]) -> dict[int, bytes]:
    """The officer's sealed copies of these reports' data keys in one query, by report id
    (for work on many cases at once, such as a search)."""
    return dict(db.session.execute(select(SealedKey.report_id, SealedKey.sealed).where(
        SealedKey.user_id == user.id, SealedKey.report_id.in_(report_ids))).all())


def recovery_data_key(report: Report, recovery_code: str) -> bytes:
    """The data key through the institution's recovery code.

    :raises ValueError: not a recovery code. :raises DecryptionError: not this institution's.
    """
    return recovery_opener(recovery_code)(report)


def recovery_opener(recovery_code: str):
    """A function that opens reports' data keys with the recovery code, deriving the key
    pair once for many reports (see :func:`recovery_data_key`)."""
    private_key, _public = recovery_key_pair(recovery_code)

    def data_key(report: Report) -> bytes:
        return unseal(report.recovery_key or b"", private_key,
                      *_recovery_context(report, report.institution))
    return data_key
