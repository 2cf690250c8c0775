"""Uploaded files: hidden metadata removed in memory, names made harmless, before encryption.

A photo's EXIF block can carry the GPS position of the reporter's desk, a document's
properties the reporter's name. Files are recognised by their content, never by their name,
and rebuilt without those parts; a file of a type we can read but not clean is refused, so
nothing we promised to clean is stored uncleaned. Files of other types are kept as sent and
the reporter is told that nobody checked them.
"""

import io
import logging
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, NameObject

from app.services import ServiceError

# Parsers of hostile files may quote those files in their log messages; the level set on
# the parent logger silences every child logger of the library too.
for _noisy in ("pypdf", "PIL"):
    logging.getLogger(_noisy).setLevel(logging.CRITICAL + 1)

# Checked by hand before decoding (Pillow's own check only warns below twice its limit).
MAX_IMAGE_PIXELS = 64_000_000
Image.MAX_IMAGE_PIXELS = None
# Bounds for office documents (zip containers): entries and total unpacked size.
MAX_ZIP_ENTRIES = 5_000
MAX_UNPACKED_BYTES = 512 * 1024 * 1024
MAX_PROPERTIES_PART = 1024 * 1024
MAX_FILENAME_CHARS = 120

# Tags every TIFF file has, or that say how its pixels are stored; the XMP (700) and colour
# profile (34675) tags are reported under their own codes.
TIFF_LAYOUT_TAGS = frozenset({254, 255, 256, 257, 258, 259, 262, 266, 273, 277, 278, 279, 280,
                              281, 282, 283, 284, 296, 317, 320, 322, 323, 324, 325, 338, 339,
                              347, 529, 530, 531, 532, 700, 34675})
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp",
               "TIFF": "image/tiff",
               # Many cameras write JPEGs with an embedded preview; Pillow calls them MPO.
               "MPO": "image/jpeg"}
SAVED_AS = {"MPO": "JPEG"}
# Pixels one sending may make us decode in all (files, frames and pictures in documents).
MAX_PIXELS_PER_SENDING = 4 * 64_000_000
OOXML_TYPES = {"word/": ("application/vnd.openxmlformats-officedocument."
                         "wordprocessingml.document"),
               "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "ppt/": ("application/vnd.openxmlformats-officedocument."
                        "presentationml.presentation")}
UNKNOWN_TYPE = "application/octet-stream"
# Leading bytes of the picture formats we clean, to find pictures inside documents.
STILL_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*")
IMAGE_MAGIC = (*STILL_IMAGE_MAGIC, b"RIFF")

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
}
NOTES = {
    "unchecked": _l("We cannot check files of this type for hidden information; it is stored "
                    "as you sent it."),
    "office_content": _l("Comments and tracked changes inside the document can still show "
                         "names."),
    "pdf_pictures": _l("Pictures inside the PDF are not checked for hidden information."),
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
class _Findings:
    removed: list[str] = field(default_factory=list)

    def add(self, code: str) -> None:
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
            raise _too_large(name)


def clean_upload(upload: Upload, budget: PixelBudget | None = None) -> CleanedFile:
    """Recognise the file by its content and rebuild it without hidden metadata.

    :raises ServiceError: a file that looks like a type we clean but cannot be read.
    """
    budget = budget or PixelBudget()
    name, data = safe_filename(upload.filename), upload.data
    if data.startswith(b"%PDF-"):
        return _clean_pdf(name, data)
    if data.startswith(b"PK\x03\x04"):
        cleaned = _clean_office(name, data, budget)
        if cleaned is not None:
            return cleaned
    image = _clean_image(name, data, budget)
    if image is not None:
        return image
    if data.startswith(STILL_IMAGE_MAGIC):
        # It starts like a picture we promise to clean, yet is none we can clean.
        raise _unreadable(name)
    return CleanedFile(name, UNKNOWN_TYPE, data, notes=("unchecked",))


def _unreadable(name: str) -> ServiceError:
    return ServiceError(_("We could not read “%(name)s”, so we cannot remove its hidden "
                           "information. Send another copy or a screenshot instead.",
                           name=name))


def _too_large(name: str) -> ServiceError:
    return ServiceError(_("The picture “%(name)s” is too large to process. Send a smaller "
                           "copy.", name=name))


# --- images -----------------------------------------------------------------------------

def _clean_image(name: str, data: bytes, budget: PixelBudget) -> CleanedFile | None:
    try:
        image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        return None
    except Exception:  # a hostile header may break the parser in any way
        raise _unreadable(name) from None
    with image:
        if image.format not in IMAGE_TYPES:
            return None
        if image.width * image.height > MAX_IMAGE_PIXELS:
            raise _too_large(name)
        try:
            findings = _image_findings(image)
            frames, pixels = [], 0
            for frame in ImageSequence.Iterator(image):
                # Counted over all frames before each is decoded: the frames of a TIFF may
                # each have their own size, and many frames add up like one huge picture.
                pixels += frame.width * frame.height
                if pixels > MAX_IMAGE_PIXELS:
                    raise _too_large(name)
                budget.spend(frame.width * frame.height, name)
                frames.append(_pixels_only(frame))
                if image.format == "MPO":
                    break  # the other pictures are the camera's previews, not the photo
            out = io.BytesIO()
            saved_as = SAVED_AS.get(image.format, image.format)
            options = {"quality": 95} if saved_as in ("JPEG", "WEBP") else {}
            frames[0].save(out, format=saved_as, save_all=len(frames) > 1,
                           append_images=frames[1:], **options)
        except ServiceError:
            raise
        except Exception:
            raise _unreadable(name) from None
    return CleanedFile(name, IMAGE_TYPES[image.format], out.getvalue(),
                       removed=tuple(findings.removed))


def _image_findings(image: Image.Image) -> _Findings:
    findings = _Findings()
    info = image.info
    exif = image.getexif()
    # A TIFF file's EXIF directory is also where its pixel layout is described.
    layout = TIFF_LAYOUT_TAGS if image.format == "TIFF" else frozenset()
    if set(exif) - layout or "exif" in info:
        findings.add("exif")
        if exif.get_ifd(0x8825):  # GPSInfo
            findings.add("gps")
    if any(key in info for key in ("xmp", "XML:com.adobe.xmp")) or 700 in exif:
        findings.add("xmp")
    if "icc_profile" in info:
        findings.add("icc")
    if "comment" in info or getattr(image, "text", None):
        findings.add("comments")
    return findings


def _pixels_only(frame: Image.Image) -> Image.Image:
    """A new image holding only the pixels (turned upright as the EXIF said) and palette."""
    upright = ImageOps.exif_transpose(frame)
    clean = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    if upright.mode in ("P", "PA") and upright.palette is not None:
        clean.putpalette(upright.getpalette())
    if "transparency" in upright.info:
        clean.info["transparency"] = upright.info["transparency"]
    return clean


# --- PDF --------------------------------------------------------------------------------

ACTIVE_KEYS = ("/OpenAction", "/AA", "/AcroForm", "/Names", "/JavaScript")
# Annotations that carry files or media of their own, which nobody cleans: removed whole.
EMBEDDING_ANNOTATIONS = ("/FileAttachment", "/RichMedia", "/Screen", "/Sound", "/Movie")
# Actions of annotations that only move the reader: other actions (scripts, launching
# programs, submitting forms, ...) are removed.
PLAIN_ACTIONS = ("/URI", "/GoTo")


def _clean_pdf(name: str, data: bytes) -> CleanedFile:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ServiceError(_("“%(name)s” is protected by a password. Remove the password "
                                  "and send it again.", name=name))
        findings = _Findings()
        if reader.metadata:
            findings.add("document_info")
        root = reader.trailer["/Root"]
        if "/Metadata" in root:
            findings.add("xmp")
        if any(key in root for key in ACTIVE_KEYS):
            findings.add("active_content")
        writer = PdfWriter()
        for page in reader.pages:
            # Cleaned before it is copied: the writer keeps every object the copy referred
            # to, so parts deleted from the copy afterwards were still written out.
            _clean_page(page, findings)
            writer.add_page(page)
        writer.metadata = None
        out = io.BytesIO()
        writer.write(out)
    except ServiceError:
        raise
    except Exception:  # malformed PDFs make pypdf raise almost anything
        raise _unreadable(name) from None
    return CleanedFile(name, "application/pdf", out.getvalue(), removed=tuple(findings.removed),
                       notes=("pdf_pictures",))


def _clean_page(page, findings: _Findings) -> None:
    for key in ("/Metadata", "/PieceInfo"):
        if key in page:
            del page[NameObject(key)]
            findings.add("xmp" if key == "/Metadata" else "document_info")
    if "/AA" in page:
        del page[NameObject("/AA")]
        findings.add("active_content")
    if "/Annots" not in page:
        return
    kept = ArrayObject()
    for reference in page["/Annots"].get_object():
        annotation = reference.get_object()
        if annotation.get("/Subtype") in EMBEDDING_ANNOTATIONS:
            # Emptied, not only unlisted: its pop-up note still refers to it.
            annotation.clear()
            findings.add("active_content")
            continue
        action = annotation.get("/A")
        if action is not None and (action.get_object().get("/S") not in PLAIN_ACTIONS
                                   or "/Next" in action.get_object()):
            del annotation[NameObject("/A")]
            findings.add("active_content")
        if "/AA" in annotation:
            del annotation[NameObject("/AA")]
            findings.add("active_content")
        if annotation.get("/Subtype") != "/Widget" and "/T" in annotation:
            del annotation[NameObject("/T")]
            findings.add("annotation_authors")
        for stamp in ("/M", "/CreationDate"):  # when the note was written, to the second
            if stamp in annotation:
                del annotation[NameObject(stamp)]
                findings.add("timestamps")
        kept.append(reference)
    page[NameObject("/Annots")] = kept


# --- office documents (OOXML and OpenDocument) ------------------------------------------

EMPTY_PARTS = {
    "core": (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties '
             b'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
             b'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
             b'xmlns:dcterms="http://purl.org/dc/terms/"/>'),
    "extended": (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties '
                 b'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
                 b'extended-properties"/>'),
    "custom": (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties '
               b'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
               b'custom-properties"/>'),
    "odf": (b'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-meta '
            b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            b'office:version="1.2"><office:meta/></office:document-meta>'),
}
PROPERTY_RELATIONS = {
    "/metadata/core-properties": "core",
    "/extended-properties": "extended",
    "/custom-properties": "custom",
    # The same relations in Strict Open XML.
    "/extendedProperties": "extended",
    "/customProperties": "custom",
}
# Where office programs put the property parts, emptied even if no relation names them.
CONVENTIONAL_PARTS = {"docProps/core.xml": "core", "docProps/app.xml": "extended",
                      "docProps/custom.xml": "custom"}
ODF_MIMETYPE = b"application/vnd.oasis.opendocument."
# Both patterns keep to linear time on hostile input: "[^<>]" stops every attempt at the next
# tag, and "\b" keeps attribute names from being tried from every letter of a long word
# (without them, a 1 MB relations part took hours to scan).
RELATIONSHIP = re.compile(r"<(?:\w+:)?Relationship\b([^<>]*)>")
ATTRIBUTE = re.compile(r"""\b(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
# Zip entries keep a modification date each; every entry gets this one instead.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def _clean_office(name: str, data: bytes, budget: PixelBudget) -> CleanedFile | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception:  # not a zip, or one zipfile cannot even list (bad names, ...)
        return None
    with archive:
        names = archive.namelist()
        try:
            replacements, content_type = _office_parts(archive, names)
        except _NotOffice:
            return None
        except Exception:
            raise _unreadable(name) from None
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_ENTRIES or sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
            raise _unreadable(name)
        findings = _Findings()
        out = io.BytesIO()
        try:
            with zipfile.ZipFile(out, "w") as clean:
                for info in infos:
                    part = archive.read(info)
                    kind = replacements.get(info.filename)
                    if kind is not None:
                        if re.search(rb">\s*[^<\s]", part):
                            findings.add("custom_properties" if kind == "custom"
                                         else "document_properties")
                        part = EMPTY_PARTS[kind]
                    elif part.startswith(IMAGE_MAGIC):
                        # A photo pasted into a document keeps its own EXIF, GPS included.
                        picture = _clean_image(info.filename, part, budget)
                        if picture is not None:
                            part = picture.data
                            for code in picture.removed:
                                findings.add(code)
                    if info.date_time != ZIP_EPOCH:
                        findings.add("timestamps")
                    entry = zipfile.ZipInfo(info.filename, date_time=ZIP_EPOCH)
                    # OpenDocument requires its "mimetype" entry first and uncompressed.
                    entry.compress_type = (zipfile.ZIP_STORED if info.filename == "mimetype"
                                           else zipfile.ZIP_DEFLATED)
                    clean.writestr(entry, part)
        except Exception:  # corrupt members, bad CRCs, ...
            raise _unreadable(name) from None
    return CleanedFile(name, content_type, out.getvalue(), removed=tuple(findings.removed),
                       notes=("office_content",))


class _NotOffice(Exception):
    """A zip file that is not an office document (kept as an unchecked file)."""


def _office_parts(archive: zipfile.ZipFile, names: list[str]) -> tuple[dict[str, str], str]:
    """Which parts hold document properties, and the document's content type."""
    if "mimetype" in names:
        # Read from its start only: the size limits are checked later, and a hostile
        # "mimetype" entry can unpack to gigabytes.
        with archive.open("mimetype") as part:
            mimetype = part.read(200)
        if not mimetype.startswith(ODF_MIMETYPE):
            raise _NotOffice
        return {"meta.xml": "odf"}, mimetype.decode("ascii", "replace").strip()
    if "[Content_Types].xml" not in names or "_rels/.rels" not in names:
        raise _NotOffice
    content_type = next((kind for prefix, kind in OOXML_TYPES.items()
                         if any(n.startswith(prefix) for n in names)), UNKNOWN_TYPE)
    relations = archive.getinfo("_rels/.rels")
    if relations.file_size > MAX_PROPERTIES_PART:
        raise ValueError("package relations too large")
    replacements = {part: kind for part, kind in CONVENTIONAL_PARTS.items() if part in names}
    # Scanned rather than parsed: no XML parser (with its entity expansion) sees hostile input.
    for element in RELATIONSHIP.finditer(archive.read(relations).decode("utf-8", "replace")):
        attributes = {key: double or single
                      for key, double, single in ATTRIBUTE.findall(element.group(1))}
        kind = next((k for suffix, k in PROPERTY_RELATIONS.items()
                     if attributes.get("Type", "").endswith(suffix)), None)
        target = attributes.get("Target", "").lstrip("/")
        if kind and target in names:
            replacements[target] = kind
    return replacements, content_type


# --- limits -----------------------------------------------------------------------------

MAX_FILES_PER_SENDING = 20


def clean_uploads(uploads: list[Upload], already_stored: int = 0) -> list[CleanedFile]:
    """Check sizes against the configured limits, then clean every file.

    :param already_stored: bytes the report holds already (its earlier attachments).
    :raises ServiceError: too many or too large files, or a file that cannot be cleaned.
    """
    from flask import current_app

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


MEGABYTE = 1024 * 1024
