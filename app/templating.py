"""Helpers every template may use."""

from flask import Flask, current_app, url_for
from flask_babel import get_locale

from app.services.attachments import NOTES, REMOVED
from app.services.casework import STATUS_LABELS
from app.services.categories import CATEGORY_LABELS
from app.services.institutions import JURISDICTION_LABELS, KIND_LABELS
from app.services.questionnaires import Text, localized


def home_url() -> str:
    """The start page of this surface: the network home, or staff sign-in on a staff-only node."""
    if "public.home" in current_app.view_functions:
        return url_for("public.home")
    return url_for("staff.login")


def tr(text: Text | None) -> str:
    """A questionnaire text in the page's language."""
    return localized(text, str(get_locale()))


def init_app(app: Flask) -> None:
    """Expose the helpers to templates."""
    app.context_processor(
        lambda: {
            "home_url": home_url,
            "kind_label": KIND_LABELS.__getitem__,
            "jurisdiction_label": JURISDICTION_LABELS.__getitem__,
            "category_label": CATEGORY_LABELS.__getitem__,
            "status_label": STATUS_LABELS.__getitem__,
            "removed_label": REMOVED.__getitem__,
            "note_label": NOTES.__getitem__,
            "tr": tr,
        }
    )
