"""A case's status and how a closed case ended, in words: one set of labels for casework,
pages and statistics."""

from flask_babel import lazy_gettext as _l

from app.models import MessageKind, MinutesState, Outcome, ReportChannel, ReportStatus

STATUS_LABELS = {
    ReportStatus.NEW: _l("Received, waiting to be acknowledged"),
    ReportStatus.ACKNOWLEDGED: _l("Acknowledged"),
    ReportStatus.ASSESSMENT: _l("Being assessed"),
    ReportStatus.INVESTIGATION: _l("Under investigation"),
    ReportStatus.CLOSED: _l("Closed"),
}

# How a report reached the institution.
CHANNEL_LABELS = {
    ReportChannel.WEB: _l("Web form"),
    ReportChannel.TELEPHONE: _l("Telephone"),
    ReportChannel.VOICEMAIL: _l("Voicemail"),
    ReportChannel.MEETING: _l("Meeting in person"),
    ReportChannel.LETTER: _l("Letter"),
    ReportChannel.EMAIL: _l("E-mail"),
}

# Where the reporter stands with the current version of an oral report's minutes.
MINUTES_STATE_LABELS = {
    MinutesState.AWAITING: _l("minutes not yet approved"),
    MinutesState.CORRECTION: _l("correction of the minutes requested"),
    MinutesState.APPROVED: _l("minutes approved"),
}

# What an officer message is, as officers see it on the case page.
MESSAGE_KIND_LABELS = {
    MessageKind.ACKNOWLEDGEMENT: _l("Acknowledgement of receipt"),
    MessageKind.QUESTION: _l("Question or request for information"),
    MessageKind.UPDATE: _l("Update"),
    MessageKind.FEEDBACK: _l("Feedback (Art. 9(1)(f))"),
    MessageKind.TRANSFER: _l("Notice of transfer"),
    MessageKind.MEETING_REQUEST: _l("Asks for a meeting or a call"),
}

# The same, as the reporter reads it in the mailbox.
REPORTER_MESSAGE_KIND_LABELS = {
    MessageKind.ACKNOWLEDGEMENT: _l("Your report was received"),
    MessageKind.QUESTION: _l("A question for you"),
    MessageKind.UPDATE: _l("An update"),
    MessageKind.FEEDBACK: _l("Feedback on your report: what is done and why"),
    MessageKind.TRANSFER: _l("Your report was passed on"),
    MessageKind.MEETING_REQUEST: _l("You asked for a meeting or a call"),
}

OUTCOME_LABELS = {
    Outcome.SUBSTANTIATED: _l("Substantiated"),
    Outcome.PARTLY_SUBSTANTIATED: _l("Partly substantiated"),
    Outcome.NOT_SUBSTANTIATED: _l("Not substantiated"),
    Outcome.REFERRED: _l("Referred to a competent authority"),
    Outcome.OUTSIDE_SCOPE: _l("Outside the scope"),
}
