"""A case's status and how a closed case ended, in words: one set of labels for casework,
pages and statistics."""

from flask_babel import lazy_gettext as _l

from app.models import MessageKind, Outcome, ReportStatus

STATUS_LABELS = {
    ReportStatus.NEW: _l("Received, waiting to be acknowledged"),
    ReportStatus.ACKNOWLEDGED: _l("Acknowledged"),
    ReportStatus.ASSESSMENT: _l("Being assessed"),
    ReportStatus.INVESTIGATION: _l("Under investigation"),
    ReportStatus.CLOSED: _l("Closed"),
}

# What an officer message is, as officers see it on the case page.
MESSAGE_KIND_LABELS = {
    MessageKind.ACKNOWLEDGEMENT: _l("Acknowledgement of receipt"),
    MessageKind.QUESTION: _l("Question or request for information"),
    MessageKind.UPDATE: _l("Update"),
    MessageKind.FEEDBACK: _l("Feedback (Art. 9(1)(f))"),
    MessageKind.TRANSFER: _l("Notice of transfer"),
}

# The same, as the reporter reads it in the mailbox.
REPORTER_MESSAGE_KIND_LABELS = {
    MessageKind.ACKNOWLEDGEMENT: _l("Your report was received"),
    MessageKind.QUESTION: _l("A question for you"),
    MessageKind.UPDATE: _l("An update"),
    MessageKind.FEEDBACK: _l("Feedback on your report: what is done and why"),
    MessageKind.TRANSFER: _l("Your report was passed on"),
}

OUTCOME_LABELS = {
    Outcome.SUBSTANTIATED: _l("Substantiated"),
    Outcome.PARTLY_SUBSTANTIATED: _l("Partly substantiated"),
    Outcome.NOT_SUBSTANTIATED: _l("Not substantiated"),
    Outcome.REFERRED: _l("Referred to a competent authority"),
    Outcome.OUTSIDE_SCOPE: _l("Outside the scope"),
}
