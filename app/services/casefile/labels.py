"""A case's status and how a closed case ended, in words: one set of labels for casework,
pages and statistics."""

from flask_babel import lazy_gettext as _l

from app.models import Outcome, ReportStatus

STATUS_LABELS = {
    ReportStatus.NEW: _l("Received, waiting to be acknowledged"),
    ReportStatus.ACKNOWLEDGED: _l("Acknowledged"),
    ReportStatus.ASSESSMENT: _l("Being assessed"),
    ReportStatus.INVESTIGATION: _l("Under investigation"),
    ReportStatus.CLOSED: _l("Closed"),
}

OUTCOME_LABELS = {
    Outcome.SUBSTANTIATED: _l("Substantiated"),
    Outcome.PARTLY_SUBSTANTIATED: _l("Partly substantiated"),
    Outcome.NOT_SUBSTANTIATED: _l("Not substantiated"),
    Outcome.REFERRED: _l("Referred to a competent authority"),
    Outcome.OUTSIDE_SCOPE: _l("Outside the scope"),
}
