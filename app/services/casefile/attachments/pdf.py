"""The PDF cleaner: each PDF is cleaned by ``pdf_child.py`` in a process of its own, bounded in
memory and time, whose answer is read strictly."""

import json
import math
import subprocess
import sys
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from app.services import ServiceError
from app.services.casefile.attachments.files import MEGABYTE, REMOVED, CleanedFile, unreadable

# Run by path, not as ``-m app.services.casefile.attachments.pdf_child``, which would
# import the whole app first.
PDF_CHILD = Path(__file__).with_name("pdf_child.py")
PDF_OUTCOMES = ("cleaned", "encrypted", "unreadable", "too_complex")
MAX_PDF_ANSWER_HEADER = 4096


def clean_pdf(name: str, data: bytes) -> CleanedFile:
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
        raise unreadable(name)
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


def _too_complex(name: str) -> ServiceError:
    """The refusal of a PDF whose cleaning passed the child's memory or time."""
    return ServiceError(_("“%(name)s” is too complex to clean safely: it needs more memory or "
                           "time than we allow. Send a simpler copy, for example printed to a "
                           "new PDF, or screenshots.", name=name))
