"""HTTP response hardening applied to every response in one place."""

import io

from flask import Flask, Request, Response, g, request

from app.services.administration.settings import ORIGIN

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; "
    "style-src 'self'; "
    "img-src 'self'; "
    # The officers play voice messages from the case's file address; the reporter hears the
    # disguised message on the check page from a data: address, before anything is stored.
    "media-src 'self' data:; "
    "font-src 'self'; "
    "form-action 'self'; "
    "base-uri 'none'; "
    "frame-ancestors {frame_ancestors}"
)

PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media",
        "fullscreen", "geolocation", "gyroscope", "magnetometer", "microphone", "midi",
        "payment", "picture-in-picture", "publickey-credentials-get", "screen-wake-lock",
        "usb", "xr-spatial-tracking", "browsing-topics",
    )
)

HSTS = "max-age=63072000; includeSubDomains"


class MemoryOnlyRequest(Request):
    """A request whose uploaded files stay in memory.

    Werkzeug spools uploads larger than 500 KB to a temporary file, where the plaintext of an
    attachment could outlive the request (and a disk image could recover it after deletion).
    MAX_CONTENT_LENGTH bounds what one request can hold in memory.
    """

    def _get_file_stream(self, total_content_length, content_type, filename=None,
                         content_length=None):
        return io.BytesIO()


def allow_framing_by(origins: list[str]) -> None:
    """Let the current response be embedded by these origins (an institution's allowlist).

    Values that are not plain origins are dropped, so a bad allowlist entry can never add a
    directive to the policy.
    """
    g.frame_ancestors = [origin for origin in origins if ORIGIN.fullmatch(origin)]


def _frame_ancestors() -> str:
    origins = g.get("frame_ancestors") or []
    return " ".join(origins) if origins else "'none'"


def set_security_headers(response: Response) -> Response:
    """Strict headers for every response; no-store for everything that is not a static file."""
    headers = response.headers
    if "Content-Security-Policy" not in headers:  # downloads set a stricter one (sandbox)
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.format(
            frame_ancestors=_frame_ancestors()
        )
    if not g.get("frame_ancestors"):
        headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    if request.is_secure:
        headers["Strict-Transport-Security"] = HSTS
    if request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response


def init_app(app: Flask) -> None:
    """Install the header hook."""
    app.after_request(set_security_headers)
