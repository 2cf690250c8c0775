"""How a closed case ended, in words: one set of labels for casework, pages and statistics."""

from flask_babel import lazy_gettext as _l

from app.models import Outcome

OUTCOME_LABELS = {
    Outcome.SUBSTANTIATED: _l("Substantiated"),
    Outcome.PARTLY_SUBSTANTIATED: _l("Partly substantiated"),
    Outcome.NOT_SUBSTANTIATED: _l("Not substantiated"),
    Outcome.REFERRED: _l("Referred to a competent authority"),
    Outcome.OUTSIDE_SCOPE: _l("Outside the scope"),
}
