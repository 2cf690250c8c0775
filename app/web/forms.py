"""Form pieces every blueprint uses: the bare button form, select choices, uploaded files."""

from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage
from wtforms import MultipleFileField
from wtforms.fields.choices import SelectChoice

from app.services.casefile.attachments import Upload


class ButtonForm(FlaskForm):
    """A form that is only a button (sign out, confirmations): CSRF token and submit."""


def options(pairs) -> list[SelectChoice]:
    """Select choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def uploads_of(field: MultipleFileField) -> list[Upload]:
    """The files of a file field, read into memory (they never touch the disk)."""
    return [Upload(storage.filename or "", storage.read())
            for storage in field.data or [] if isinstance(storage, FileStorage)]
