"""Small helpers shared by the tests."""

from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

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

TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"


@cache
def _catalogue(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


def catalogue_translation(message: str, language: str) -> str:
    """The translation of an English message in a language's catalogue."""
    return _catalogue(language)[message].string
