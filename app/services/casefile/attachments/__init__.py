"""Uploaded files: hidden metadata removed in memory, names made harmless, before encryption.

A photo's EXIF block can carry the GPS position of the reporter's desk, a document's
properties the reporter's name. Every uploaded file is cleaned or refused before it is
encrypted: files are recognised by their content, never by their name, and rebuilt without
those parts; a file of a type we can read but not clean is refused, so nothing we promised to
clean is stored uncleaned. Files of other types are kept as sent and the reporter is told
that nobody checked them.

One module per format: ``images``, ``pdf`` (which runs the script ``pdf_child``) and
``office``; ``files`` holds what they share, and ``cleaning`` picks the cleaner of each file
and keeps a sending within its limits. Callers outside this package import from here.
"""

from app.services.casefile.attachments.cleaning import clean_upload, clean_uploads
from app.services.casefile.attachments.files import (
    MAX_PIXELS_PER_SENDING,
    NOTES,
    REMOVED,
    CleanedFile,
    PixelBudget,
    Upload,
    safe_filename,
)

__all__ = [
    "MAX_PIXELS_PER_SENDING",
    "NOTES",
    "REMOVED",
    "CleanedFile",
    "PixelBudget",
    "Upload",
    "clean_upload",
    "clean_uploads",
    "safe_filename",
]
