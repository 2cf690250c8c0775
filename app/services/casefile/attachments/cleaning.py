"""Cleaning uploads: one file by the cleaner of its type, recognised by its content, and a
whole sending within its limits of files, bytes and pixels."""

from flask import current_app
from flask_babel import gettext as _

from app.services import ServiceError
from app.services.casefile.attachments.files import (
    MEGABYTE,
    UNKNOWN_TYPE,
    CleanedFile,
    PixelBudget,
    Upload,
    safe_filename,
    unreadable,
)
from app.services.casefile.attachments.images import STILL_IMAGE_MAGIC, clean_image
from app.services.casefile.attachments.office import clean_office
from app.services.casefile.attachments.pdf import clean_pdf

MAX_FILES_PER_SENDING = 20
TEXT_TYPE = "text/plain"
# Control characters plain text has no use for (tab, line breaks and form feed are kept).
BINARY_CONTROLS = {*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F}


def clean_upload(upload: Upload, budget: PixelBudget | None = None) -> CleanedFile:
    """Recognise the file by its content and rebuild it without hidden metadata.

    :raises ServiceError: a file that looks like a type we clean but cannot be read.
    """
    budget = budget or PixelBudget()
    name, data = safe_filename(upload.filename), upload.data
    if data.startswith(b"%PDF-"):
        return clean_pdf(name, data)
    if data.startswith(b"PK\x03\x04"):
        cleaned = clean_office(name, data, budget)
        if cleaned is not None:
            return cleaned
    image = clean_image(name, data, budget)
    if image is not None:
        return image
    if data.startswith(STILL_IMAGE_MAGIC):
        # It starts like a picture we promise to clean, yet is none we can clean.
        raise unreadable(name)
    kind = TEXT_TYPE if is_plain_text(data) else UNKNOWN_TYPE
    return CleanedFile(name, kind, data, notes=("unchecked",))


def is_plain_text(data: bytes) -> bool:
    """Whether the bytes are UTF-8 text (a note, a CSV, an e-mail saved as text), so the
    officer sees "text/plain" rather than an opaque type. The label changes no handling: the
    file is still a sandboxed download that the browser may not sniff."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return bool(text) and not BINARY_CONTROLS.intersection(map(ord, set(text)))


def clean_uploads(uploads: list[Upload], already_stored: int = 0) -> list[CleanedFile]:
    """Check sizes against the configured limits, then clean every file.

    :param already_stored: bytes the report holds already (its earlier attachments).
    :raises ServiceError: too many or too large files, or a file that cannot be cleaned.
    """
    per_file = current_app.config["MAX_FILE_BYTES"]
    per_report = current_app.config["MAX_REPORT_BYTES"]
    uploads = [upload for upload in uploads if upload.filename or upload.data]
    if len(uploads) > MAX_FILES_PER_SENDING:
        raise ServiceError(_("Send at most %(count)d files at a time.",
                             count=MAX_FILES_PER_SENDING))
    for upload in uploads:
        if not upload.data:
            raise ServiceError(_("The file “%(name)s” is empty.",
                                 name=safe_filename(upload.filename)))
        if len(upload.data) > per_file:
            raise ServiceError(_("The file “%(name)s” is larger than %(limit)d MB.",
                                 name=safe_filename(upload.filename),
                                 limit=per_file // MEGABYTE))
    if already_stored + sum(len(upload.data) for upload in uploads) > per_report:
        raise ServiceError(_("All files of one report together may take up to %(limit)d MB.",
                             limit=per_report // MEGABYTE))
    budget = PixelBudget()
    return [clean_upload(upload, budget) for upload in uploads]
