"""Translated names of the self-assessment's bands, horizons and action states."""

from flask_babel import lazy_gettext as _l

from app.models import ActionStatus

RISK_BANDS = {"low": _l("Low"), "medium": _l("Medium"), "high": _l("High"),
              "very-high": _l("Very high")}
HORIZONS = {
    "low": _l("Keep under review at the next yearly assessment."),
    "medium": _l("Plan measures and carry them out within 12 months."),
    "high": _l("Act within 6 months and report progress to management."),
    "very-high": _l("Act at once: measures within 3 months, management informed now."),
}
RESILIENCE_BANDS = {"very-low": _l("Very low"), "low": _l("Low"), "medium": _l("Medium"),
                    "high": _l("High"), "very-high": _l("Very high")}
TOLERANCE_BANDS = {"low": _l("Low"), "moderate": _l("Moderate"), "high": _l("High")}
ACTION_STATUSES = {ActionStatus.PLANNED: _l("Planned"),
                   ActionStatus.IN_PROGRESS: _l("In progress"),
                   ActionStatus.DONE: _l("Done"), ActionStatus.DROPPED: _l("Dropped")}
