"""An institution's settings (deadlines, retention, categories, languages, embedding
websites, exclusions) and its profile, which only the platform admin changes.
Every change writes an audit entry and commits here."""

import re
from dataclasses import asdict, dataclass, fields, replace

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.languages import LANGUAGES
from app.models import Institution, InstitutionKind, Jurisdiction, Report, User
from app.services import ServiceError, audit
from app.services.casefile.categories import STANDARD_CATEGORIES, unknown_categories
from app.services.casefile.deadlines import refresh_deadline

# An embedding origin is exactly scheme://host[:port]; anything else could smuggle CSP syntax.
ORIGIN = re.compile(r"https?://[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::\d{1,5})?")
# Inclusive limits. Directive 2019/1937 allows at most 7 days and 3 months; national rules
# may be stricter, and the wider range lets an institution record what its law says.
ACKNOWLEDGEMENT_DAYS = (1, 90)
FEEDBACK_MONTHS = (1, 12)
RETENTION_DAYS = (30, 3650)

FIELD_LABELS = {
    "name_lt": _l("Name in Lithuanian"),
    "name_en": _l("Name in English"),
    "name_nb": _l("Name in Norwegian"),
    "kind": _l("Kind of institution"),
    "jurisdiction": _l("Whose law applies"),
    "acknowledgement_days": _l("Days to acknowledge a report"),
    "feedback_months": _l("Months to give feedback"),
    "retention_days": _l("Days to keep a closed case"),
    "categories": _l("Report categories"),
    "languages": _l("Languages of the reporting pages"),
    "embed_origins": _l("Websites that may embed the channel"),
    "allow_exclusions": _l("Reporters may exclude named officers"),
}


@dataclass
class InstitutionSettings:
    """What an institution admin decides about the reporting channel."""

    acknowledgement_days: int
    feedback_months: int
    retention_days: int
    categories: list[str]
    languages: list[str]
    embed_origins: list[str]
    allow_exclusions: bool

    @classmethod
    def of(cls, institution: Institution) -> "InstitutionSettings":
        """The institution's current settings."""
        return cls(**{f.name: getattr(institution, f.name) for f in fields(cls)})


@dataclass
class InstitutionProfile:
    """Who an institution is; only the platform admin changes it."""

    name_lt: str
    name_en: str
    name_nb: str
    kind: InstitutionKind
    jurisdiction: Jurisdiction

    @classmethod
    def of(cls, institution: Institution) -> "InstitutionProfile":
        """The institution's current profile."""
        return cls(**{f.name: getattr(institution, f.name) for f in fields(cls)})


def parse_origins(text: str) -> list[str]:
    """The websites allowed to embed the channel, one per line, as a list.

    A trailing slash is dropped (people paste addresses from the browser bar); anything
    else must be a bare origin, because the list becomes the CSP ``frame-ancestors``.

    :raises ServiceError: naming the first line that is not an origin.
    """
    origins: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        origin = line.strip().removesuffix("/")
        if not origin:
            continue
        if not ORIGIN.fullmatch(origin):
            raise ServiceError(_("Line %(number)d is not a website address like "
                                 "https://www.example.lt: %(line)s",
                                 number=number, line=line.strip()[:100]))
        if origin not in origins:
            origins.append(origin)
    return origins


def _in_range(value: int, limits: tuple[int, int], name: str) -> None:
    if not limits[0] <= value <= limits[1]:
        raise ServiceError(_("%(setting)s: enter a whole number from %(min)d to %(max)d.",
                             setting=FIELD_LABELS[name], min=limits[0], max=limits[1]))


def checked_settings(settings: InstitutionSettings) -> InstitutionSettings:
    """The settings validated, with lists in a canonical order.

    :raises ServiceError: a number out of range, no category or language, an unknown one,
        or a malformed origin.
    """
    _in_range(settings.acknowledgement_days, ACKNOWLEDGEMENT_DAYS, "acknowledgement_days")
    _in_range(settings.feedback_months, FEEDBACK_MONTHS, "feedback_months")
    _in_range(settings.retention_days, RETENTION_DAYS, "retention_days")
    if not settings.categories or unknown_categories(settings.categories):
        raise ServiceError(_("Choose at least one category of the list."))
    if not settings.languages or set(settings.languages) - set(LANGUAGES):
        raise ServiceError(_("Choose at least one language of the list."))
    origins = parse_origins("\n".join(settings.embed_origins))
    return replace(settings,
                   categories=[c for c in STANDARD_CATEGORIES if c in settings.categories],
                   languages=[code for code in LANGUAGES if code in settings.languages],
                   embed_origins=origins, allow_exclusions=bool(settings.allow_exclusions))


def checked_profile(profile: InstitutionProfile) -> InstitutionProfile:
    """The profile with its names trimmed.

    :raises ServiceError: a name missing in one of the languages.
    """
    names = [name.strip() for name in (profile.name_lt, profile.name_en, profile.name_nb)]
    if not all(names):
        raise ServiceError(_("Give the institution's name in Lithuanian, English and "
                             "Norwegian."))
    return replace(profile, name_lt=names[0], name_en=names[1], name_nb=names[2])


def change_settings(institution: Institution, settings: InstitutionSettings, by: User,
                    profile: InstitutionProfile | None = None) -> list[str]:
    """Save an institution's settings (and, for the platform admin, its profile).

    Changed deadline periods move the due dates of every open case at once.

    :returns: the names of the fields that changed (also recorded in the audit log).
    :raises ServiceError: see :func:`checked_settings`; an empty name.
    """
    wanted = asdict(checked_settings(settings))
    if profile is not None:
        wanted |= asdict(checked_profile(profile))
    changed = [name for name, value in wanted.items() if getattr(institution, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(institution, name, wanted[name])
    if {"acknowledgement_days", "feedback_months"} & set(changed):
        for report in db.session.scalars(select(Report).where(
                Report.institution_id == institution.id, Report.closed_on.is_(None))):
            refresh_deadline(report)
    audit.record("settings_changed", actor=by, institution=institution, fields=changed)
    db.session.commit()
    return changed
