"""Clean one PDF in a process of its own, with bounded memory and CPU time.

pypdf turns every number, name and array of a PDF into a Python object, so a 20 MB PDF of
numbers took a worker to 1.4 GB for 73 seconds. ``pdf.py`` therefore runs this file
as a script (``python -I pdf_child.py MEMORY_BYTES CPU_SECONDS``), sends the PDF on stdin and
reads the answer from stdout: one line of JSON (``outcome``, ``removed``, ``length``), then
``length`` bytes of cleaned PDF. Nothing touches the disk. Outcomes are codes; the reporter's
messages are translated by the parent.

Imports only pypdf and the standard library: importing the ``app`` package would cost each PDF
a second and 120 MB before its first byte is read.
"""

import io
import json
import logging
import resource
import sys
import warnings

from pypdf import PdfReader, PdfWriter, apply_configuration
from pypdf.generic import ArrayObject, NameObject

MEGABYTE = 1024 * 1024
# pypdf inflates object and cross-reference streams to find objects (never page content, which
# is copied as it is): 75 MB each by default, ample for streams that only list objects.
MAX_PDF_STREAM_BYTES = 16 * MEGABYTE
ACTIVE_KEYS = ("/OpenAction", "/AA", "/AcroForm", "/Names", "/JavaScript")
# Annotations that carry files or media of their own, which nobody cleans: removed whole.
EMBEDDING_ANNOTATIONS = ("/FileAttachment", "/RichMedia", "/Screen", "/Sound", "/Movie")
# Actions of annotations that only move the reader: other actions (scripts, launching
# programs, submitting forms, ...) are removed.
PLAIN_ACTIONS = ("/URI", "/GoTo")


class Refused(Exception):
    """The PDF cannot be cleaned, for the reason ``outcome`` names."""

    def __init__(self, outcome: str) -> None:
        super().__init__(outcome)
        self.outcome = outcome


def limit_resources(memory_bytes: int, cpu_seconds: int) -> None:
    """Bound this process before it reads the PDF (``preexec_fn`` is unsafe in threads)."""
    # A core dump would write the PDF to disk; the CPU limit's SIGXCPU would dump one.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # Counts the interpreter and pypdf too (about 55 MB of address space once imported).
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    # Also ends the child if the parent died without killing it; SIGKILL a second later.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))


def clean_pdf(data: bytes) -> tuple[list[str], bytes]:
    """The cleaned PDF and the codes of what was removed.

    :raises Refused: encrypted, unreadable (malformed PDFs make pypdf raise almost anything)
        or too complex (out of memory, which pypdf often reports as a read error).
    """
    try:
        with apply_configuration(zlib_maximum_output_length=MAX_PDF_STREAM_BYTES,
                                 lzw_maximum_output_length=MAX_PDF_STREAM_BYTES,
                                 run_length_maximum_output_length=MAX_PDF_STREAM_BYTES,
                                 brotli_maximum_output_length=MAX_PDF_STREAM_BYTES):
            return _rebuild_pdf(data)
    except Refused:
        raise
    except Exception as error:
        raise Refused("too_complex" if _out_of_memory(error) else "unreadable") from None


def _out_of_memory(error: BaseException) -> bool:
    """Whether a MemoryError caused this exception, however deep in its chain."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, MemoryError):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def _rebuild_pdf(data: bytes) -> tuple[list[str], bytes]:
    """The PDF rebuilt page by page, without its metadata and active content."""
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted and not reader.decrypt(""):
        raise Refused("encrypted")
    findings: dict[str, None] = {}  # an ordered set of codes
    if reader.metadata:
        findings["document_info"] = None
    root = reader.trailer["/Root"]
    if "/Metadata" in root:
        findings["xmp"] = None
    if any(key in root for key in ACTIVE_KEYS):
        findings["active_content"] = None
    writer = PdfWriter()
    for page in reader.pages:
        # Cleaned before it is copied: the writer keeps every object the copy referred
        # to, so parts deleted from the copy afterwards were still written out.
        _clean_page(page, findings)
        writer.add_page(page)
    writer.metadata = None
    out = io.BytesIO()
    writer.write(out)
    return list(findings), out.getvalue()


def _clean_page(page, findings: dict[str, None]) -> None:
    for key in ("/Metadata", "/PieceInfo"):
        if key in page:
            del page[NameObject(key)]
            findings["xmp" if key == "/Metadata" else "document_info"] = None
    if "/AA" in page:
        del page[NameObject("/AA")]
        findings["active_content"] = None
    if "/Annots" not in page:
        return
    kept = ArrayObject()
    for reference in page["/Annots"].get_object():
        annotation = reference.get_object()
        if annotation.get("/Subtype") in EMBEDDING_ANNOTATIONS:
            # Emptied, not only unlisted: its pop-up note still refers to it.
            annotation.clear()
            findings["active_content"] = None
            continue
        action = annotation.get("/A")
        if action is not None and (action.get_object().get("/S") not in PLAIN_ACTIONS
                                   or "/Next" in action.get_object()):
            del annotation[NameObject("/A")]
            findings["active_content"] = None
        if "/AA" in annotation:
            del annotation[NameObject("/AA")]
            findings["active_content"] = None
        if annotation.get("/Subtype") != "/Widget" and "/T" in annotation:
            del annotation[NameObject("/T")]
            findings["annotation_authors"] = None
        for stamp in ("/M", "/CreationDate"):  # when the note was written, to the second
            if stamp in annotation:
                del annotation[NameObject(stamp)]
                findings["timestamps"] = None
        kept.append(reference)
    page[NameObject("/Annots")] = kept


def answer(outcome: str, removed: list[str], cleaned: bytes) -> None:
    """Write the answer to stdout: the JSON header line, then the cleaned bytes."""
    header = {"outcome": outcome, "removed": removed, "length": len(cleaned)}
    sys.stdout.buffer.write(json.dumps(header).encode("ascii") + b"\n")
    sys.stdout.buffer.write(cleaned)
    sys.stdout.buffer.flush()


def main(argv: list[str]) -> None:
    """Set the limits, read the PDF from stdin, answer on stdout."""
    limit_resources(int(argv[1]), int(argv[2]))
    # pypdf may quote the file in its log messages and warnings; stderr is discarded anyway.
    logging.getLogger("pypdf").setLevel(logging.CRITICAL + 1)
    warnings.simplefilter("ignore")
    removed, cleaned = [], b""
    try:
        removed, cleaned = clean_pdf(sys.stdin.buffer.read())
        outcome = "cleaned"
    except Refused as refusal:
        # Answered after this block: until it ends, the traceback keeps pypdf's objects alive.
        outcome = refusal.outcome
    answer(outcome, removed, cleaned)


if __name__ == "__main__":
    main(sys.argv)
