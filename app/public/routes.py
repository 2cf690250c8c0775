"""Public pages: the network home page and each institution's reporting landing page."""

from flask import Blueprint, abort, render_template
from flask_babel import get_locale

from app.services.external_channels import external_channels
from app.services.institutions import find_institution, list_institutions

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    """The network home page: every partner institution."""
    institutions = list_institutions(str(get_locale()))
    return render_template("public/home.html", institutions=institutions)


@bp.get("/i/<slug>/")
def institution(slug: str):
    """An institution's stable landing page, linked or embedded by its website."""
    found = find_institution(slug)
    if found is None:
        abort(404)
    return render_template(
        "public/institution.html",
        institution=found,
        channels=external_channels(found.jurisdiction),
    )
