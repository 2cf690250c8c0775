"""Decrypted files sent to a reader's browser: always as a download, never as a page."""

import io

from flask import Response, send_file

from app.services.casefile.content import Download

# Types a browser may be told; everything else is downloaded as opaque bytes.
SAFE_TYPES = {"application/pdf", "image/jpeg", "image/png", "image/webp", "image/tiff",
              "text/plain", "audio/mpeg"}


def download_response(found: Download) -> Response:
    """The file as an attachment that the browser saves and that could run nothing."""
    # send_file writes an ASCII filename= and an RFC 5987 filename*= for any other letters.
    response = send_file(io.BytesIO(found.data), as_attachment=True, download_name=found.name,
                         mimetype=(found.content_type if found.content_type in SAFE_TYPES
                                   else "application/octet-stream"), max_age=0)
    # Even if a browser ignored the disposition, the file could run nothing.
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
