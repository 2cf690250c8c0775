"""Creating, finding and listing the institutions of the network."""

import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.crypto.recovery import format_recovery_code, new_recovery_code, recovery_public_key
from app.extensions import db
from app.models import Institution, InstitutionKind, Jurisdiction
from app.services import ServiceError
from app.services.casefile.categories import STANDARD_CATEGORIES, unknown_categories

KIND_LABELS = {
    InstitutionKind.MUNICIPALITY: _l("Municipality"),
    InstitutionKind.MUNICIPAL_AGENCY: _l("Municipal agency"),
    InstitutionKind.UNIVERSITY: _l("University"),
    InstitutionKind.COLLEGE: _l("College"),
    InstitutionKind.PUBLIC_BODY: _l("Public body"),
    InstitutionKind.NON_PROFIT: _l("Non-profit organisation"),
}

JURISDICTION_LABELS = {
    Jurisdiction.LT: _l("Lithuania"),
    Jurisdiction.NO: _l("Norway"),
}

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


@dataclass
class InstitutionSpec:
    """What it takes to create an institution; defaults follow Directive 2019/1937."""

    slug: str
    name_lt: str
    name_en: str
    name_nb: str
    kind: InstitutionKind
    jurisdiction: Jurisdiction
    categories: list[str] = field(default_factory=lambda: list(STANDARD_CATEGORIES))
    languages: list[str] = field(default_factory=lambda: ["lt", "en", "nb"])
    # Only the demo network passes one; everyone else gets a fresh random code.
    recovery_code: str | None = None


def find_institution(slug: str) -> Institution | None:
    """The institution with this slug, if any."""
    return db.session.scalar(select(Institution).where(Institution.slug == slug))


def list_institutions(language: str) -> list[Institution]:
    """Every institution, sorted by its name in the reader's language."""
    institutions = db.session.scalars(select(Institution)).all()
    return sorted(institutions, key=lambda institution: institution.name(language).casefold())


def create_institution(spec: InstitutionSpec) -> tuple[Institution, str]:
    """Add an institution to the network with its recovery key pair.

    :returns: the institution and its recovery code. The code is the only copy of the
        recovery private key: hand it to the institution admin, it is stored nowhere.
    :raises ServiceError: the slug is malformed or taken, a name is empty, or a category is
        not part of the taxonomy.
    """
    _check(spec)
    if find_institution(spec.slug) is not None:
        raise ServiceError(_("An institution with the address %(slug)s exists already.",
                             slug=spec.slug))
    institution = Institution(
        slug=spec.slug,
        name_lt=spec.name_lt.strip(),
        name_en=spec.name_en.strip(),
        name_nb=spec.name_nb.strip(),
        kind=spec.kind,
        jurisdiction=spec.jurisdiction,
        categories=list(spec.categories),
        languages=list(spec.languages),
        embed_origins=[],
    )
    recovery_code = spec.recovery_code or new_recovery_code()
    institution.recovery_public_key = recovery_public_key(recovery_code)
    db.session.add(institution)
    db.session.commit()
    return institution, format_recovery_code(recovery_code)


def check_recovery_code(institution: Institution, code: str) -> None:
    """:raises ServiceError: the text is not this institution's recovery code."""
    try:
        matches = recovery_public_key(code) == institution.recovery_public_key
    except ValueError:
        matches = False
    if not matches:
        raise ServiceError(_("This is not the institution's recovery code."))


def ensure_institution(spec: InstitutionSpec) -> tuple[Institution, bool]:
    """The institution with the spec's slug, created when missing; True when created.

    An existing institution without a recovery key gets the spec's code, if it names one.
    """
    existing = find_institution(spec.slug)
    if existing is None:
        return create_institution(spec)[0], True
    if existing.recovery_public_key is None and spec.recovery_code:
        existing.recovery_public_key = recovery_public_key(spec.recovery_code)
        db.session.commit()
    return existing, False


def _check(spec: InstitutionSpec) -> None:
    if not SLUG_PATTERN.fullmatch(spec.slug):
        raise ServiceError(_("The address may use lower-case letters a–z, digits and hyphens, "
                             "up to 64 characters."))
    if not all(name.strip() for name in (spec.name_lt, spec.name_en, spec.name_nb)):
        raise ServiceError(_("Give the institution's name in Lithuanian, English and "
                             "Norwegian."))
    unknown = unknown_categories(spec.categories)
    if unknown or not spec.categories:
        raise ServiceError(_("Unknown report categories: %(codes)s.",
                             codes=", ".join(unknown) or "-"))
