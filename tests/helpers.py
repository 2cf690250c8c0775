"""Small helpers shared by the tests."""

from flask_babel import force_locale, gettext

from app.extensions import db
from app.services.demo import seed_demo_network


def seed(app) -> None:
    """Load the demo network into the app's database."""
    with app.app_context():
        seed_demo_network()
        db.session.remove()


def text_of(response) -> str:
    """A response body as text."""
    return response.get_data(as_text=True)


def translated(app, message: str, language: str) -> str:
    """The catalogue's translation of an English message."""
    with app.test_request_context(), force_locale(language):
        return gettext(message)


def catalogue_translation(message: str, language: str) -> str:
    """The translation of a message straight from the .po file (no app needed)."""
    from pathlib import Path

    from babel.messages.pofile import read_po

    path = Path(__file__).resolve().parents[1] / "translations" / language / "LC_MESSAGES"
    with (path / "messages.po").open("rb") as handle:
        return read_po(handle)[message].string
