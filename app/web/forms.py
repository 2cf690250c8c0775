"""Form pieces every blueprint uses: the bare button form, select choices, uploaded files,
and staff forms whose typed text outlives an expired token or session."""

from flask import session
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import FileStorage
from wtforms import FileField, MultipleFileField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, Regexp

from app.extensions import csrf
from app.services.casefile.attachments import Upload

# Sent by the page that kept a signed-out officer's text: show it in its form, send nothing.
KEPT_FIELD = "show_kept_text"
# The free-text fields of staff forms (a reply or note, a reason), shown on that page.
TYPED_FIELDS = ("text", "reason")


class ButtonForm(FlaskForm):
    """A form that is only a button (sign out, confirmations): CSRF token and submit."""


def case_reference_field() -> StringField:
    """A filter field for a case reference or its first characters (hex, as shown)."""
    return StringField(_l("Case reference"), validators=[
        Optional(), Length(max=32, message=_l("A case reference has at most 32 characters.")),
        Regexp(r"^[0-9a-fA-F]*$",
               message=_l("A case reference has only the digits 0–9 and the letters a–f."))],
        render_kw={"autocomplete": "off", "spellcheck": "false", "size": 10})


def options(pairs) -> list[SelectChoice]:
    """Select choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def uploads_of(field: MultipleFileField) -> list[Upload]:
    """The files of a file field, read into memory (they never touch the disk)."""
    return [Upload(storage.filename or "", storage.read())
            for storage in field.data or [] if isinstance(storage, FileStorage)]


def upload_of(field: FileField) -> Upload | None:
    """The one file of a file field, read into memory; None when none was chosen (an empty
    file input sends no bytes)."""
    storage = field.data
    data = storage.read() if isinstance(storage, FileStorage) else b""
    return Upload(storage.filename or "", data) if data else None


def keeps_typed_text(view):
    """Mark a staff form view whose typed text must survive an expired form or session.

    The view checks its form's CSRF token itself (so it is exempt from the global check)
    and shows its page again with everything typed when the token ran out. A request whose
    staff session has ended gets a page that holds the text in the browser, unsent, until
    the officer has signed in again (app/web/guards.py); that page posts it back with
    :data:`KEPT_FIELD`, and the view shows it in its form without acting on it.
    """
    view.keeps_typed_text = True
    return csrf.exempt(view)


def session_csrf_secret() -> str:
    """The browser session's random CSRF secret, made when this is its first form: one-time
    form tokens are signed for it (``intake.new_submission_token``)."""
    generate_csrf()
    return session["csrf_token"]
