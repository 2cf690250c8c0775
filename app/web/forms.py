"""Form pieces every blueprint uses: the bare button form, select choices, uploaded files,
and staff forms whose typed text outlives an expired token or session."""

from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage
from wtforms import MultipleFileField
from wtforms.fields.choices import SelectChoice

from app.extensions import csrf
from app.services.casefile.attachments import Upload

# Sent by the page that kept a signed-out officer's text: show it in its form, send nothing.
KEPT_FIELD = "show_kept_text"
# The free-text fields of staff forms (a reply or note, a reason), shown on that page.
TYPED_FIELDS = ("text", "reason")


class ButtonForm(FlaskForm):
    """A form that is only a button (sign out, confirmations): CSRF token and submit."""


def options(pairs) -> list[SelectChoice]:
    """Select choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def uploads_of(field: MultipleFileField) -> list[Upload]:
    """The files of a file field, read into memory (they never touch the disk)."""
    return [Upload(storage.filename or "", storage.read())
            for storage in field.data or [] if isinstance(storage, FileStorage)]


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
