"""Uploaded files: hidden metadata removed in memory, names made harmless, before encryption.

A photo's EXIF block can carry the GPS position of the reporter's desk, a document's
properties the reporter's name. Files are recognised by their content, never by their name,
and rebuilt without those parts; a file of a type we can read but not clean is refused, so
nothing we promised to clean is stored uncleaned. Files of other types are kept as sent and
the reporter is told that nobody checked them.

This module is over the project's few hundred lines because it still holds every format's
cleaner with its limits (pictures, Office zips, the PDF child's answer); issue 12 splits it
into one module per format under the report-storage package.
"""

import io
import itertools
import json
import logging
import math
import re
import subprocess
import sys
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageSequence, PngImagePlugin, UnidentifiedImageError

from app.services import ServiceError

# Parsers of hostile files may quote those files in their log messages; the level set on
# the parent logger silences every child logger of the library too (pdf_child.py does the
# same for pypdf).
logging.getLogger("PIL").setLevel(logging.CRITICAL + 1)

MEGABYTE = 1024 * 1024
# Checked by hand from the header, before decoding (Pillow's own check only warns below twice
# its limit). Cleaning holds two copies of the pixels at up to 4 bytes each, so 50 million
# pixels cost at most about 400 MB: a 50-megapixel phone photo (8160 × 6120) still fits,
# 8000 × 8000 does not. Phones save 12 MP unless asked for their sensor's full size.
MAX_IMAGE_PIXELS = 50_000_000
Image.MAX_IMAGE_PIXELS = None
# Tiny frames cost little in pixels but an object each: animations are rarely longer.
MAX_IMAGE_FRAMES = 1_000
# Compressed PNG text and colour profile chunks (zTXt, iTXt, iCCP) are unpacked while the
# header is read; Pillow already stops each at 1 MB, and all of them together here at 8 MB.
PngImagePlugin.MAX_TEXT_MEMORY = 8 * MEGABYTE
# Office documents (zip containers) are unpacked in chunks, so memory does not grow with
# their unpacked size; these bound the work, and refuse zip bombs before it starts. A 25 MB
# document of text unpacks to some 250 MB; XML deflates 5 to 30 times, and deflate cannot
# exceed about 1 030 times, which is where zip bombs sit.
MAX_ZIP_ENTRIES = 5_000
MAX_UNPACKED_BYTES = 256 * MEGABYTE
MAX_ZIP_PART_BYTES = 128 * MEGABYTE
MAX_ZIP_RATIO = 200
ZIP_RATIO_FLOOR = MEGABYTE  # parts unpacking to less may deflate as well as they can
ZIP_CHUNK = 64 * 1024
MAX_PROPERTIES_PART = MEGABYTE
# Pictures inside documents are read whole to be cleaned: about the size of an uploaded file.
MAX_PICTURE_PART = 32 * MEGABYTE
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
MAX_PIXELS_PER_SENDING = 4 * MAX_IMAGE_PIXELS
# How to turn a picture upright for each EXIF orientation (as ImageOps.exif_transpose does).
UPRIGHT = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
           4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
           6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
           8: Image.Transpose.ROTATE_90}
ORIENTATION = 0x0112
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


def _too_complex(name: str) -> ServiceError:
    return ServiceError(_("“%(name)s” is too complex to clean safely: it needs more memory or "
                           "time than we allow. Send a simpler copy, for example printed to a "
                           "new PDF, or screenshots.", name=name))


def _zip_too_large(name: str, limit: int) -> ServiceError:
    return ServiceError(_("“%(name)s” unpacks to more than %(limit)d MB; it may be a zip bomb, "
                           "so we cannot check it. Send a smaller copy or a PDF instead.",
                           name=name, limit=limit // MEGABYTE))


def _zip_ratio(name: str) -> ServiceError:
    return ServiceError(_("“%(name)s” unpacks to over %(ratio)d times its own size; it may be "
                           "a zip bomb, so we cannot check it. Send a PDF copy instead.",
                           name=name, ratio=MAX_ZIP_RATIO))


def _zip_entries(name: str) -> ServiceError:
    return ServiceError(_("“%(name)s” holds more than %(count)d parts; it may be a zip bomb, "
                           "so we cannot check it. Send a PDF copy instead.",
                           name=name, count=MAX_ZIP_ENTRIES))


# --- images -----------------------------------------------------------------------------

def _clean_image(name: str, data: bytes, budget: PixelBudget) -> CleanedFile | None:
    try:
        image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        return None
    except Exception:  # a hostile header may break the parser in any way
        raise _unreadable(name) from None
    with image:
        kind = image.format
        if kind not in IMAGE_TYPES:
            return None
        if image.width * image.height > MAX_IMAGE_PIXELS:
            raise _too_large(name)
        try:
            findings = _image_findings(image)
            frames, pixels = [], 0
            for number, frame in enumerate(ImageSequence.Iterator(image)):
                # Counted over all frames before each is decoded: the frames of a TIFF may
                # each have their own size, and many frames add up like one huge picture.
                pixels += frame.width * frame.height
                if pixels > MAX_IMAGE_PIXELS or number >= MAX_IMAGE_FRAMES:
                    raise _too_large(name)
                budget.spend(frame.width * frame.height, name)
                frames.append(_pixels_only(frame))
                if kind == "MPO":
                    break  # the other pictures are the camera's previews, not the photo
            image.close()  # frees the decoded pixels before the copies are encoded
            out = io.BytesIO()
            saved_as = SAVED_AS.get(kind, kind)
            options = {"quality": 95} if saved_as in ("JPEG", "WEBP") else {}
            frames[0].save(out, format=saved_as, save_all=len(frames) > 1,
                           append_images=frames[1:], **options)
        except ServiceError:
            raise
        except Exception:
            raise _unreadable(name) from None
    return CleanedFile(name, IMAGE_TYPES[kind], out.getvalue(), removed=tuple(findings.removed))


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
    """A new image holding only the pixels (turned upright as the EXIF said) and palette.

    ``transpose()`` and ``copy()`` return a plain ``Image``, not the format's own class (so
    no TIFF tags, PNG text or camera segments come along), whose only metadata is a copy of
    ``info``, replaced here. That is one copy of the pixels; tobytes() and frombytes() made
    three, and 64 megapixels took a worker past 1.3 GB.
    """
    frame.load()
    turn = UPRIGHT.get(frame.getexif().get(ORIENTATION))
    clean = frame.transpose(turn) if turn is not None else frame.copy()
    clean.info = {key: frame.info[key] for key in ("transparency",) if key in frame.info}
    return clean


# --- PDF --------------------------------------------------------------------------------

# Run by path, not as ``-m app.services.casefile.pdf_child``, which would import the whole
# app first.
PDF_CHILD = Path(__file__).with_name("pdf_child.py")
PDF_OUTCOMES = ("cleaned", "encrypted", "unreadable", "too_complex")
MAX_PDF_ANSWER_HEADER = 4096


def _clean_pdf(name: str, data: bytes) -> CleanedFile:
    """The PDF cleaned by ``pdf_child.py`` in a process bounded in memory and time.

    :raises ServiceError: encrypted, unreadable, or past the child's limits.
    """
    config = current_app.config
    seconds = config["PDF_CLEAN_SECONDS"]
    command = [sys.executable, "-I", str(PDF_CHILD),
               str(config["PDF_CLEAN_MEMORY_MB"] * MEGABYTE), str(math.ceil(seconds))]
    try:
        # No environment is passed on (no secrets in the child), and stderr is dropped
        # unread: pypdf may quote the file in it. The command is ours, never the upload's.
        child = subprocess.run(command, input=data, stdout=subprocess.PIPE,  # noqa: S603
                               stderr=subprocess.DEVNULL, env={}, timeout=seconds,
                               check=False)
    except subprocess.TimeoutExpired:  # the child is killed before this is raised
        raise _too_complex(name) from None
    if child.returncode < 0:  # killed by a signal: its CPU limit, or the kernel out of memory
        raise _too_complex(name)
    if child.returncode != 0:
        raise RuntimeError(f"the PDF cleaner exited with status {child.returncode}")
    outcome, removed, cleaned = _pdf_answer(child.stdout)
    if outcome == "encrypted":
        raise ServiceError(_("“%(name)s” is protected by a password. Remove the password "
                             "and send it again.", name=name))
    if outcome == "unreadable":
        raise _unreadable(name)
    if outcome == "too_complex":
        raise _too_complex(name)
    return CleanedFile(name, "application/pdf", cleaned, removed=removed,
                       notes=("pdf_pictures",))


def _pdf_answer(output: bytes) -> tuple[str, tuple[str, ...], bytes]:
    """The child's answer, parsed strictly: a JSON header line, then the cleaned bytes.

    :raises RuntimeError: an answer of any other form.
    """
    end = output.find(b"\n", 0, MAX_PDF_ANSWER_HEADER)
    try:
        header = json.loads(output[:end]) if end > 0 else None
    except ValueError:
        header = None
    cleaned = output[end + 1:]
    if not (isinstance(header, dict) and header.keys() == {"outcome", "removed", "length"}
            and header["outcome"] in PDF_OUTCOMES
            and isinstance(header["removed"], list)
            and all(isinstance(code, str) and code in REMOVED for code in header["removed"])
            and type(header["length"]) is int and header["length"] == len(cleaned)):
        raise RuntimeError("the PDF cleaner's answer is malformed")
    return header["outcome"], tuple(header["removed"]), cleaned


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
        _check_declared_sizes(name, infos)
        out = io.BytesIO()
        try:
            with zipfile.ZipFile(out, "w") as clean:
                repacking = _Repacking(name, archive, clean, budget)
                for info in infos:
                    repacking.copy(info, replacements.get(info.filename))
        except ServiceError:
            raise
        except Exception:  # corrupt members, bad CRCs, ...
            raise _unreadable(name) from None
    return CleanedFile(name, content_type, out.getvalue(),
                       removed=tuple(repacking.findings.removed), notes=("office_content",))


def _check_declared_sizes(name: str, infos: list[zipfile.ZipInfo]) -> None:
    """Refuse, before unpacking anything, what the zip directory itself says is too much.

    The directory can lie, but zipfile never unpacks more than it declares (a part that
    holds more fails its CRC check), and ``_Repacking`` counts what is really unpacked.
    """
    if len(infos) > MAX_ZIP_ENTRIES:
        raise _zip_entries(name)
    if sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
        raise _zip_too_large(name, MAX_UNPACKED_BYTES)
    for info in infos:
        if info.file_size > MAX_ZIP_PART_BYTES:
            raise _zip_too_large(name, MAX_ZIP_PART_BYTES)
        if info.file_size > max(ZIP_RATIO_FLOOR, MAX_ZIP_RATIO * info.compress_size):
            raise _zip_ratio(name)


class _Repacking:
    """An office document copied part by part into a clean zip, unpacked in chunks that are
    counted against the limits, so memory does not grow with what the parts unpack to."""

    def __init__(self, name: str, archive: zipfile.ZipFile, clean: zipfile.ZipFile,
                 budget: PixelBudget) -> None:
        self.name, self.archive, self.clean, self.budget = name, archive, clean, budget
        self.findings = _Findings()
        self.unpacked = 0

    def copy(self, info: zipfile.ZipInfo, kind: str | None) -> None:
        """Write one part: properties emptied, pictures cleaned whole, others streamed."""
        if info.date_time != ZIP_EPOCH:
            self.findings.add("timestamps")
        entry = zipfile.ZipInfo(info.filename, date_time=ZIP_EPOCH)
        # OpenDocument requires its "mimetype" entry first and uncompressed.
        entry.compress_type = (zipfile.ZIP_STORED if info.filename == "mimetype"
                               else zipfile.ZIP_DEFLATED)
        chunks = self._chunks(info)
        first = next(chunks, b"")
        if kind is not None:
            # Only its start is read: the part is replaced whatever it holds.
            part = first + b"".join(itertools.islice(chunks, MAX_PROPERTIES_PART // ZIP_CHUNK))
            chunks.close()
            if re.search(rb">\s*[^<\s]", part) or len(part) > MAX_PROPERTIES_PART:
                self.findings.add("custom_properties" if kind == "custom"
                                  else "document_properties")
            self.clean.writestr(entry, EMPTY_PARTS[kind])
        elif first.startswith(IMAGE_MAGIC):
            self.clean.writestr(entry, self._picture(info, first, chunks))
        else:
            with self.clean.open(entry, "w") as target:
                target.write(first)
                for chunk in chunks:
                    target.write(chunk)

    def _picture(self, info: zipfile.ZipInfo, first: bytes, chunks: Iterator[bytes]) -> bytes:
        """A photo pasted into a document keeps its own EXIF, GPS included: cleaned."""
        name = f"{self.name}, {safe_filename(info.filename)}"
        data = bytearray(first)
        for chunk in chunks:
            data += chunk
            if len(data) > MAX_PICTURE_PART:
                raise _too_large(name)
        picture = _clean_image(name, bytes(data), self.budget)
        if picture is None:
            return bytes(data)
        for code in picture.removed:
            self.findings.add(code)
        return picture.data

    def _chunks(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        """The part's bytes, ZIP_CHUNK at a time; refuses the file once a limit is passed."""
        # zipfile reads no more than the declared compressed size of a part.
        ratio_limit = max(ZIP_RATIO_FLOOR, MAX_ZIP_RATIO * info.compress_size)
        unpacked = 0
        with self.archive.open(info) as part:
            while chunk := part.read(ZIP_CHUNK):
                unpacked += len(chunk)
                self.unpacked += len(chunk)
                if self.unpacked > MAX_UNPACKED_BYTES:
                    raise _zip_too_large(self.name, MAX_UNPACKED_BYTES)
                if unpacked > MAX_ZIP_PART_BYTES:
                    raise _zip_too_large(self.name, MAX_ZIP_PART_BYTES)
                if unpacked > ratio_limit:
                    raise _zip_ratio(self.name)
                yield chunk


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

