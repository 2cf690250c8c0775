"""What a municipal web team copies to its own site: link, button, iframe, QR code, poster."""

import io
import textwrap

import segno
from flask import abort, current_app, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape
from werkzeug.sansio.utils import host_is_trusted

from app.models import Institution
from app.services.administration.settings import ORIGIN

POSTER_WIDTH, POSTER_HEIGHT = 210, 297  # A4, in millimetres as SVG user units

# The hosts a request may name when ALLOWED_HOSTS is empty, which only development and tests
# allow (production refuses to start without PUBLIC_BASE_URL or ALLOWED_HOSTS): `make run`
# answers on 127.0.0.1:8000, the test client on localhost.
LOCAL_HOSTS = ("localhost", "127.0.0.1")


def trusted_origin() -> str:
    """This request's origin, if its Host header names an allowed host; else 400.

    The Host header is the sender's to choose: a forged one written into a snippet, QR code
    or poster (or into a cached copy of the page) would send reporters to someone else's site.
    """
    if not host_is_trusted(request.host, current_app.config["ALLOWED_HOSTS"] or LOCAL_HOSTS):
        abort(400)
    return request.url_root.rstrip("/")


def base_url() -> str:
    """Where reporters reach this service: PUBLIC_BASE_URL, else this request's origin if
    its host is allowed."""
    return current_app.config["PUBLIC_BASE_URL"] or trusted_origin()


def public_link(institution: Institution, language: str | None = None) -> str:
    """The stable address of the institution's reporting page (in a language, if given)."""
    path = url_for("public.institution", slug=institution.slug)
    return f"{base_url()}{path}" + (f"?lang={language}" if language else "")


def button_snippet(institution: Institution, language: str) -> str:
    """A plain link styled as a button: no script, nothing loaded from us until clicked."""
    with force_locale(language):
        label = _("Report corruption safely")
    return (
        f'<a href="{escape(public_link(institution, language))}" rel="noreferrer" '
        'style="display:inline-block;padding:0.6em 1.2em;background:#073763;color:#fff;'
        f'font-weight:600;text-decoration:none;border-radius:3px">{escape(label)}</a>'
    )


def framing_origins(institution: Institution) -> list[str]:
    """The allowlisted origins that may frame the embed card (well-formed ones only)."""
    return [origin for origin in institution.embed_origins or [] if ORIGIN.fullmatch(origin)]


def iframe_snippet(institution: Institution, language: str) -> str | None:
    """The iframe code, offered only when the institution has allowlisted origins."""
    if not framing_origins(institution):
        return None
    with force_locale(language):
        title = _("Reporting channel of %(name)s", name=institution.name(language))
    src = f"{base_url()}{url_for('public.embed', slug=institution.slug)}?lang={language}"
    return (f'<iframe src="{escape(src)}" title="{escape(title)}" width="100%" height="320" '
            'style="border:0;max-width:40rem" referrerpolicy="no-referrer" '
            'sandbox="allow-popups allow-popups-to-escape-sandbox"></iframe>')


def _qr(institution: Institution, language: str) -> segno.QRCode:
    return segno.make(public_link(institution, language), error="m", micro=False)


def qr_svg(institution: Institution, language: str) -> bytes:
    """The QR code alone, as SVG."""
    out = io.BytesIO()
    _qr(institution, language).save(out, kind="svg", scale=10, border=4,
                                    title=public_link(institution, language))
    return out.getvalue()


def qr_png(institution: Institution, language: str) -> bytes:
    """The QR code alone, as PNG (large enough to print at A5)."""
    out = io.BytesIO()
    _qr(institution, language).save(out, kind="png", scale=16, border=4)
    return out.getvalue()


def _lines(text: str, width: int, x: float, y: float, size: float, weight: str = "400",
           anchor: str = "middle") -> tuple[str, float]:
    """SVG text, wrapped by words, and the y below it."""
    parts = []
    for line in textwrap.wrap(text, width) or [""]:
        parts.append(f'<text x="{x}" y="{y:.1f}" font-size="{size}" font-weight="{weight}" '
                     f'text-anchor="{anchor}">{escape(line)}</text>')
        y += size * 1.3
    return "".join(parts), y


def poster_svg(institution: Institution, language: str) -> bytes:
    """An A4 poster for notice boards: what, where and the QR code, in one language."""
    link = public_link(institution, language)
    qr = _qr(institution, language).svg_inline(scale=1, border=4, omitsize=True,
                                                svgclass=None, lineclass=None)
    qr_size = 120
    with force_locale(language):
        title = _("Report corruption safely")
        name = institution.name(language)
        promise = _("You do not need to give your name. Only the integrity officers can read "
                    "your report.")
        scan = _("Scan the code or open this address:")
    title_svg, y = _lines(title, 22, POSTER_WIDTH / 2, 40, 14, "700")
    name_svg, y = _lines(name, 40, POSTER_WIDTH / 2, y + 4, 8, "600")
    promise_svg, y = _lines(promise, 52, POSTER_WIDTH / 2, y + 6, 6)
    qr_y = y + 4
    nested = qr.replace("<svg ", f'<svg x="{(POSTER_WIDTH - qr_size) / 2}" y="{qr_y:.1f}" '
                                  f'width="{qr_size}" height="{qr_size}" ', 1)
    scan_svg, y = _lines(scan, 60, POSTER_WIDTH / 2, qr_y + qr_size + 10, 6)
    link_svg, _y = _lines(link, 70, POSTER_WIDTH / 2, y, 5, "600")
    svg = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {POSTER_WIDTH} {POSTER_HEIGHT}" '
        f'width="{POSTER_WIDTH}mm" height="{POSTER_HEIGHT}mm" lang="{language}" '
        'font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" fill="#1b1f24">'
        f"<title>{escape(title)}: {escape(name)}</title>"
        f'<rect width="{POSTER_WIDTH}" height="{POSTER_HEIGHT}" fill="#fff"/>'
        f'<rect width="{POSTER_WIDTH}" height="12" fill="#073763"/>'
        f"{title_svg}{name_svg}{promise_svg}"
        f"{nested}"
        f"{scan_svg}{link_svg}</svg>"
    )
    return svg.encode("utf-8")
