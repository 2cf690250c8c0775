"""Forms of the case page and the inbox filter."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SearchField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from app.languages import LANGUAGE_NAMES, LANGUAGES
from app.services.casefile.labels import CHANNEL_LABELS, MESSAGE_KIND_LABELS
from app.services.casefile.minutes import MAX_RECORD
from app.services.casework.commands import CHOSEN_KINDS, MAX_TEXT
from app.services.casework.registration import REGISTERED_CHANNELS
from app.services.casework.search import MAX_QUERY_LENGTH
from app.services.reporting.intake import MAX_SHORT_TEXT
from app.services.reporting.intake import MAX_TEXT as MAX_ANSWER
from app.web.forms import case_reference_field, options

_REQUIRED_TEXT = _l("Write something first.")
_CHOOSE_KIND = _l("Choose what the message is: a question, an update or the feedback.")


def _text(label, message=_REQUIRED_TEXT) -> TextAreaField:
    return TextAreaField(label, validators=[
        DataRequired(message),
        Length(max=MAX_TEXT, message=_l("The text is too long."))])


_NOT_A_DAY = _l("Enter a day as year-month-day, for example 2026-03-31.")


class InboxFilterForm(FlaskForm):
    """Inbox filters, read from the query string of the list's links (no CSRF needed: a
    GET changes nothing)."""

    class Meta:
        csrf = False

    ref = case_reference_field()
    received_from = DateField(_l("Received from"), validators=[Optional()])
    received_to = DateField(_l("Received until"), validators=[Optional()])
    status = SelectField(_l("Status"))
    category = SelectField(_l("Category"))
    assignee = SelectField(_l("Assigned to"))
    due = SelectField(_l("Deadline"))
    waiting = SelectField(_l("Reporter"))
    flood = SelectField(_l("Possible flood"))
    sort = HiddenField()

    def validate(self, extra_validators=None) -> bool:
        """The fields, then the date range; our own message for a day that is none (WTForms'
        has no Lithuanian translation)."""
        valid = super().validate(extra_validators)
        for field in (self.received_from, self.received_to):
            if field.errors:
                field.errors = [_NOT_A_DAY]
        if (self.received_from.data and self.received_to.data
                and self.received_from.data > self.received_to.data):
            self.received_to.errors = [_l("The last day comes before the first day.")]
            valid = False
        return valid


class InboxSearchForm(InboxFilterForm):
    """The inbox's filter bar with the full-text search: sent by POST, so that the words
    searched for never appear in a URL (browser history, proxy logs). Its CSRF token is
    checked by CSRFProtect, as for every POST, before the view runs."""

    search = SearchField(_l("Words in the reports, messages and notes"), validators=[
        Length(max=MAX_QUERY_LENGTH, message=_l(
            "Search for at most %(max)d characters.", max=MAX_QUERY_LENGTH))],
        render_kw={"autocomplete": "off", "spellcheck": "false",
                   "maxlength": MAX_QUERY_LENGTH})


class ReplyForm(FlaskForm):
    """A message to the reporter."""

    # Our own message for a missing and for a foreign value alike: WTForms' "Not a valid
    # choice" has no Lithuanian translation.
    kind = RadioField(
        _l("What is this message?"),
        choices=options((kind.value, MESSAGE_KIND_LABELS[kind]) for kind in CHOSEN_KINDS),
        validate_choice=False,
        validators=[DataRequired(_CHOOSE_KIND),
                    AnyOf([kind.value for kind in CHOSEN_KINDS], message=_CHOOSE_KIND)],
        description=_l("Only feedback meets the feedback deadline: it tells the reporter "
                       "what has been done or is planned as follow-up, and why. A question "
                       "or an update leaves the deadline running."))
    text = _text(_l("Message to the reporter"), _l("Write a message."))
    attachments = MultipleFileField(_l("Files (optional)"))
    submit = SubmitField(_l("Send to the reporter"))


class NoteForm(FlaskForm):
    """An internal note."""

    text = _text(_l("Internal note (only officers see it)"), _l("Write a note."))
    submit = SubmitField(_l("Add note"))


class StatusForm(FlaskForm):
    """Move the case forward."""

    status = SelectField(_l("New status"))
    outcome = SelectField(_l("Outcome (when closing)"), default="")
    reason = _text(_l("Reason"), _l("Give the reason for the change."))
    submit = SubmitField(_l("Change status"))


class AssignForm(FlaskForm):
    """Who is responsible."""

    assignee = SelectField(_l("Responsible officer"))
    submit = SubmitField(_l("Assign"))


class TriageForm(FlaskForm):
    """Likelihood × impact."""

    likelihood = SelectField(_l("Likelihood (1 = rare, 5 = almost certain)"), coerce=int,
                             choices=options((n, str(n)) for n in range(1, 6)))
    impact = SelectField(_l("Impact (1 = minor, 5 = severe)"), coerce=int,
                         choices=options((n, str(n)) for n in range(1, 6)))
    submit = SubmitField(_l("Save rating"))


class CategoryForm(FlaskForm):
    """Re-classify."""

    category = SelectField(_l("Category"))
    submit = SubmitField(_l("Change category"))


class GrantForm(FlaskForm):
    """Give a colleague access."""

    colleague = SelectField(_l("Colleague"))
    submit = SubmitField(_l("Grant access"))


class RecuseForm(FlaskForm):
    """Step away for a conflict of interest."""

    reason = _text(_l("Why you step away (for example a conflict of interest)"),
                   _l("Give the reason for stepping away."))
    submit = SubmitField(_l("Step away from this case"))


class ReopenForm(FlaskForm):
    """Reopening a closed case."""

    reason = _text(_l("Why is the case reopened?"), _l("Give the reason for reopening the "
                                                     "case."))
    submit = SubmitField(_l("Reopen the case"))


class TransferForm(FlaskForm):
    """Hand the case to another institution."""

    institution = SelectField(_l("Receiving institution"))
    reason = _text(_l("Reason for the transfer"), _l("Give the reason for the transfer."))
    keep_access = BooleanField(_l("Keep my own access to the case"))
    submit = SubmitField(_l("Transfer the case"))


def _officer_id(value) -> int | None:
    """A select's value as an account id: None when empty, 0 (nobody) when not a number."""
    if value in (None, ""):
        return None
    return int(value) if str(value).isdigit() else 0


_RECORD_MISSING = _l("Write the minutes, the transcript or the text received.")
_RECORD_TOO_LONG = _l("The record is too long.")
_CHOOSE_CHANNEL = _l("Choose how the report was received.")


def _record(label, description=None) -> TextAreaField:
    return TextAreaField(label, description=description, validators=[
        DataRequired(_RECORD_MISSING), Length(max=MAX_RECORD, message=_RECORD_TOO_LONG)])


class RegisterForm(FlaskForm):
    """A report received by telephone, voicemail, in a meeting, by letter or by e-mail."""

    channel = RadioField(
        _l("How was the report received?"), validate_choice=False,
        choices=options((channel.value, CHANNEL_LABELS[channel])
                        for channel in REGISTERED_CHANNELS),
        validators=[DataRequired(_CHOOSE_CHANNEL),
                    AnyOf([channel.value for channel in REGISTERED_CHANNELS],
                          message=_CHOOSE_CHANNEL)])
    # Checked by the service, with its own message (WTForms' "Not a valid choice" has no
    # Lithuanian); no value means the officer registering it.
    taken_by = SelectField(_l("Officer who received it"), coerce=_officer_id,
                           validate_choice=False)
    received_on = DateField(
        _l("Day received"), description=_l("The deadlines run from this day."),
        validators=[DataRequired(_l("Enter the day as year-month-day, for example "
                                    "2026-03-31."))])
    language = SelectField(
        _l("The reporter's language"),
        description=_l("The hand-over sheet and Skaidra's messages to the reporter are in "
                       "this language."),
        choices=options((code, LANGUAGE_NAMES[code]) for code in LANGUAGES))
    category = SelectField(_l("What is the report about?"), validators=[
        DataRequired(_l("Choose what the report is about."))])
    urgent = BooleanField(_l("Urgent: someone is in danger or evidence may be lost"))
    record = _record(
        _l("Minutes, transcript or text received"),
        _l("For a call or a meeting: what the reporter said, as complete as you can. The "
           "reporter can read it in the mailbox and approve it or ask for corrections. For "
           "a letter or an e-mail: its text."))
    when_where = TextAreaField(_l("When and where did it happen?"), validators=[
        Optional(), Length(max=MAX_ANSWER, message=_l("The text is too long."))])
    people_involved = TextAreaField(_l("Who is involved?"), validators=[
        Optional(), Length(max=MAX_ANSWER, message=_l("The text is too long."))])
    identity_choice = RadioField(
        _l("The reporter's identity"), default="anonymous", validate_choice=False,
        choices=options([("anonymous", _l("Anonymous: the reporter did not give a name")),
                         ("confidential", _l("Confidential: the reporter gave their name"))]),
        validators=[AnyOf(["anonymous", "confidential"],
                          message=_l("Choose one of the offered answers."))])
    name = StringField(_l("Reporter's name"), validators=[
        Optional(), Length(max=MAX_SHORT_TEXT, message=_l("The text is too long."))])
    contact = StringField(_l("How to contact the reporter (optional)"), validators=[
        Optional(), Length(max=MAX_SHORT_TEXT, message=_l("The text is too long."))])
    documents = MultipleFileField(
        _l("Scanned documents or the letter itself (optional)"),
        description=_l("Hidden metadata is removed from each file before it is encrypted, "
                       "as for files reporters send."))
    # One-time: a reload of the hand-over page or a double click registers nothing twice.
    submission_token = HiddenField()
    submit = SubmitField(_l("Register the report and show its receipt"))


class MinutesForm(FlaskForm):
    """A new version of the record of a registered report."""

    text = _record(_l("Minutes, transcript or text received"))
    change = _text(_l("What you changed (the reporter reads this)"),
                   _l("Say what you changed, for the reporter and the history."))
    submit = SubmitField(_l("Save as a new version"))


class SignedForm(FlaskForm):
    """The reporter signed a printed version of the minutes."""

    version = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("The reporter signed this version on paper"))
