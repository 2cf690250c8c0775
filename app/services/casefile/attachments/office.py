"""The cleaner of office documents, OOXML (.docx, .xlsx, .pptx) and OpenDocument: each zip is
repacked part by part within limits that refuse zip bombs, with its property parts emptied,
its pictures cleaned as images, and every entry's date reset."""

import io
import itertools
import re
import zipfile
from collections.abc import Iterator

from flask_babel import gettext as _

from app.services import ServiceError
from app.services.casefile.attachments.files import (
    MEGABYTE,
    UNKNOWN_TYPE,
    CleanedFile,
    Findings,
    PixelBudget,
    safe_filename,
    too_large,
    unreadable,
)
from app.services.casefile.attachments.images import IMAGE_MAGIC, clean_image

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
OOXML_TYPES = {"word/": ("application/vnd.openxmlformats-officedocument."
                         "wordprocessingml.document"),
               "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "ppt/": ("application/vnd.openxmlformats-officedocument."
                        "presentationml.presentation")}
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


def clean_office(name: str, data: bytes, budget: PixelBudget) -> CleanedFile | None:
    """The document repacked without its properties, or None if the zip is no office
    document (kept as an unchecked file).

    :raises ServiceError: a document that cannot be read, or past the zip limits.
    """
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
            raise unreadable(name) from None
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
            raise unreadable(name) from None
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
        self.findings = Findings()
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
                raise too_large(name)
        picture = clean_image(name, bytes(data), self.budget)
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
