"""The standard anti-corruption taxonomy behind every institution's report categories."""

from flask_babel import lazy_gettext as _l

CATEGORY_LABELS = {
    "bribery": _l("Bribery"),
    "conflict_of_interest": _l("Conflict of interest"),
    "misuse_of_funds": _l("Misuse of funds or property"),
    "procurement": _l("Procurement irregularity"),
    "hiring_favouritism": _l("Favouritism in hiring"),
    "fraud": _l("Fraud"),
    "abuse_of_office": _l("Abuse of office"),
    "gifts_hospitality": _l("Gifts and hospitality"),
    "other": _l("Other"),
}

STANDARD_CATEGORIES = tuple(CATEGORY_LABELS)


def unknown_categories(codes: list[str]) -> list[str]:
    """The codes that are not part of the taxonomy."""
    return [code for code in codes if code not in CATEGORY_LABELS]
