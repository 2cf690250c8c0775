"""Sharing an institution's channel: the page for its web team, the embed card, QR codes."""

from flask import Response, render_template

from app.public import bp
from app.security import allow_framing_by
from app.web.lookups import institution_or_404
from app.web.sharing import (
    button_snippet,
    framing_origins,
    iframe_snippet,
    poster_svg,
    public_link,
    qr_png,
    qr_svg,
)

LANGUAGE = "<any(lt, en, nb):language>"


@bp.get("/i/<slug>/share")
def share(slug: str):
    """Link, button, iframe and posters for the institution's website and notice boards."""
    found = institution_or_404(slug)
    languages = ("lt", "en", "nb")
    return render_template(
        "public/share.html",
        institution=found,
        languages=languages,
        links={language: public_link(found, language) for language in languages},
        buttons={language: button_snippet(found, language) for language in languages},
        iframes={language: iframe_snippet(found, language) for language in languages},
        origins=framing_origins(found),
    )


@bp.get("/i/<slug>/embed")
def embed(slug: str):
    """A small card for the institution's own site; only its allowlisted origins may frame it.

    The form itself opens in a new top-level tab, where the reporter sees our address and
    padlock and the session cookie (SameSite=Strict) works.
    """
    found = institution_or_404(slug)
    allow_framing_by(framing_origins(found))
    return render_template("public/embed.html", institution=found)


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@bp.get(f"/i/<slug>/qr-{LANGUAGE}.svg")
def qr_code_svg(slug: str, language: str):
    """The QR code of the institution's page in one language, as SVG."""
    found = institution_or_404(slug)
    return _download(qr_svg(found, language), "image/svg+xml", f"{slug}-qr-{language}.svg")


@bp.get(f"/i/<slug>/qr-{LANGUAGE}.png")
def qr_code_png(slug: str, language: str):
    """The QR code of the institution's page in one language, as PNG."""
    found = institution_or_404(slug)
    return _download(qr_png(found, language), "image/png", f"{slug}-qr-{language}.png")


@bp.get(f"/i/<slug>/poster-{LANGUAGE}.svg")
def poster(slug: str, language: str):
    """An A4 notice-board poster in one language, as SVG."""
    found = institution_or_404(slug)
    return _download(poster_svg(found, language), "image/svg+xml",
                     f"{slug}-poster-{language}.svg")
