"""What officers do with a report (the workspace itself comes with the staff surface)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import Author, Message, Report, ReportStatus, User
from app.services import ServiceError
from app.services.attachments import Upload, clean_uploads
from app.services.casefile import add_message, stored_file_bytes

STATUS_LABELS = {
    ReportStatus.NEW: _l("Received, waiting to be acknowledged"),
    ReportStatus.ACKNOWLEDGED: _l("Acknowledged"),
    ReportStatus.ASSESSMENT: _l("Being assessed"),
    ReportStatus.INVESTIGATION: _l("Under investigation"),
    ReportStatus.CLOSED: _l("Closed"),
}


def send_officer_message(report: Report, officer: User, data_key: bytes, text: str,
                         uploads: list[Upload] = ()) -> Message:
    """Answer the reporter; they read it after signing in with their receipt.

    :param data_key: the report's data key, opened with the officer's own sealed copy
        (:func:`app.services.access.officer_data_key`).
    :raises ServiceError: an empty message or files that cannot be accepted.
    """
    if not text.strip():
        raise ServiceError(_("Write a message."))
    files = clean_uploads(list(uploads), already_stored=stored_file_bytes(report))
    message = add_message(report, data_key, Author.OFFICER, text.strip(), files, officer)
    db.session.commit()
    return message
