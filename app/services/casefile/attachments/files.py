"""What every cleaner of uploaded files shares: the upload and its cleaned copy, the codes of
what may be removed and of what the reporter is told, harmless file names, the pixel budget of
a sending, and the refusals any format can end in."""

import re
import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.services import ServiceError

MEGABYTE = 1024 * 1024
# Checked by hand from a picture's header, before decoding (images.py). Cleaning holds two
# copies of the pixels at up to 4 bytes each, so 50 million pixels cost at most about 400 MB:
# a 50-megapixel phone photo (8160 × 6120) still fits, 8000 × 8000 does not. Phones save 12 MP
# unless asked for their sensor's full size.
MAX_IMAGE_PIXELS = 50_000_000
# Pixels one sending may make us decode in all (files, frames and pictures in documents).
MAX_PIXELS_PER_SENDING = 4 * MAX_IMAGE_PIXELS
MAX_FILENAME_CHARS = 120
UNKNOWN_TYPE = "application/octet-stream"

# What may be removed from a file, as the reporter is told.
REMOVED = {
    "exif": _l("camera and photo details (EXIF)"),
    "gps": _l("location (GPS coordinates)"),
    "xmp": _l("XMP metadata"),
    "icc": _l("colour profile"),
    "comments": _l("embedded comments and text notes"),
    "document_info": _l("document information (author, title, software, dates)"),
    "annotation_authors": _l("names of the authors of annotations"),
    "active_content": _l("embedded files, scripts and automatic actions"),
    "document_properties": _l("document properties (author, last editor, company, dates)"),
    "custom_properties": _l("custom document properties"),
    "timestamps": _l("file dates inside the document"),
    "voice": _l("the speaker's own voice (its pitch and timbre are changed)"),
    "audio_metadata": _l("the recording's details (device, dates, place, titles)"),
}
NOTES = {
    "unchecked": _l("We cannot check files of this type for hidden information; it is stored "
                    "as you sent it."),
    "office_content": _l("Comments and tracked changes inside the document can still show "
                         "names."),
    "pdf_pictures": _l("Pictures inside the PDF are not checked for hidden information."),
    "voice_limits": _l("A disguised voice still carries the speaker's accent, words and way of "
                       "speaking, and any sound in the background."),
}


@dataclass(frozen=True)
class Upload:
    """A file as it arrived: the name the browser sent and the bytes, held in memory."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class CleanedFile:
    """A file ready for encryption, with a record of what was removed."""

    name: str
    content_type: str
    data: bytes
    removed: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass
class Findings:
    """The codes of what a cleaner removed from one file, in order, each once."""

    removed: list[str] = field(default_factory=list)

    def add(self, code: str) -> None:
        """Record that what ``code`` names was removed (again, or for the first time)."""
        if code not in self.removed:
            self.removed.append(code)


def safe_filename(name: str) -> str:
    """A file name without path, control or direction-changing characters, of sane length."""
    # Category C: control, format (bidi overrides such as U+202E), surrogates, unassigned.
    # Removed before normalising: a format character between a letter and its accent keeps
    # NFC from composing them, and removing it afterwards left the name decomposed.
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r'[<>:"|?*]', "_", name).strip(" .")
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        extension = extension[:16] if dot else ""
        keep = MAX_FILENAME_CHARS - len(extension) - len(dot)
        # Stripped again: the shortened extension may end in a space or a dot.
        name = ((stem if dot else name)[:keep].rstrip(" .") + dot + extension).rstrip(" .")
    return name or "file"


@dataclass
class PixelBudget:
    """How many more pixels this sending may make us decode: a tiny file can unpack into a
    huge picture, and many of them add up."""

    remaining: int = MAX_PIXELS_PER_SENDING

    def spend(self, pixels: int, name: str) -> None:
        """Count pixels about to be decoded; refuse once the budget is used up."""
        self.remaining -= pixels
        if self.remaining < 0:
            raise too_large(name)


def unreadable(name: str) -> ServiceError:
    """The refusal of a file that looks like a type we clean but cannot be read."""
    return ServiceError(_("We could not read “%(name)s”, so we cannot remove its hidden "
                           "information. Send another copy or a screenshot instead.",
                           name=name))


def too_large(name: str) -> ServiceError:
    """The refusal of a picture with more pixels than we decode (alone or in its sending)."""
    return ServiceError(_("The picture “%(name)s” is too large to process. Send a smaller "
                           "copy.", name=name))
