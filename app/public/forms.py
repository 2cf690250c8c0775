"""Forms of the reporting pages."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FileField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.services.casefile.categories import CATEGORY_LABELS
from app.services.casefile.minutes import MAX_RECORD
from app.services.reporting.intake import MAX_LONG_TEXT, MAX_SHORT_TEXT, MAX_TEXT
from app.services.reporting.mailbox import MAX_MESSAGE
from app.services.reporting.receipts import NOT_A_RECEIPT

# Control characters other than tab and line breaks, and U+FFFD, which is what bytes that
# were not UTF-8 turn into: neither belongs in a report, and either may hide a mistake.
UNREADABLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")
TOO_LONG = _l("This answer is too long: at most %(max)d characters.")
# Room for a 28-digit receipt typed with generous spacing; anything longer is not one.
MAX_RECEIPT_TEXT = 100


def readable_text(_form, field) -> None:
    """Refuse invisible control characters and undecodable bytes with a clear message."""
    if field.data and UNREADABLE.search(field.data):
        raise ValidationError(_l("This answer contains invisible control characters or "
                                 "characters that could not be read. Remove them and try "
                                 "again."))


def normalise_breaks(value: str | None) -> str:
    """Word's vertical tab and form feed are line breaks; everything else stays as typed."""
    return (value or "").replace("\x0b", "\n").replace("\x0c", "\n")


def _text(label, max_length: int, *, required_message=None, area: bool = True,
          render_kw: dict | None = None, checked_when_empty: bool = False, **kwargs):
    """A text field; ``checked_when_empty`` runs the form's own ``validate_<name>`` on an
    empty answer too (``Optional`` would stop the checks there)."""
    first = ([DataRequired(required_message)] if required_message
             else [] if checked_when_empty else [Optional()])
    validators = [*first, Length(max=max_length, message=TOO_LONG), readable_text]
    field_class = TextAreaField if area else StringField
    return field_class(label, validators=validators, filters=[normalise_breaks],
                       render_kw={"maxlength": max_length, **(render_kw or {})}, **kwargs)


class ReporterForm(FlaskForm):
    """Forms a reporter fills in: their CSRF token outlives a long, careful write-up."""

    class Meta:
        # A report can take an evening to write; an expired form must not be the reason it
        # is never sent. The token stays bound to the browser session.
        csrf_time_limit = 24 * 3600


class ReportForm(ReporterForm):
    """The report: filled in on one page, checked on the next, where files are added."""

    category = SelectField(_l("What is it about?"),
                           validators=[DataRequired(_l("Choose what the report is about."))],
                           validate_choice=True)
    # Required unless a voice message tells it (validate_what_happened).
    what_happened = _text(_l("What happened?"), MAX_LONG_TEXT, checked_when_empty=True,
                          description=_l("Describe the events in your own words."))
    when_where = _text(_l("When and where did it happen?"), MAX_TEXT,
                       description=_l("Dates, places, departments. Approximate is fine."))
    people_involved = _text(_l("Who is involved?"), MAX_TEXT,
                            description=_l("Names or positions of the people involved, and "
                                           "any witnesses."))
    how_known = _text(_l("How do you know about it?"), MAX_TEXT,
                      description=_l("For example: you saw it, someone told you, you found "
                                     "documents. Say when you learned it."))
    reported_elsewhere = RadioField(
        _l("Have you reported this anywhere else?"),
        choices=[SelectChoice("no", _l("No")), SelectChoice("yes", _l("Yes"))], default="no",
        validators=[DataRequired(_l("Choose one of the offered answers."))])
    elsewhere_details = _text(_l("If yes: where, and what answer did you get?"), MAX_TEXT)
    urgency = RadioField(
        _l("How urgent is it?"),
        choices=[SelectChoice("normal", _l("Normal")),
                 SelectChoice("urgent", _l("Urgent: someone is in danger, or evidence may be "
                                           "destroyed soon"))],
        default="normal", validators=[DataRequired(_l("Choose one of the offered answers."))])
    identity_choice = RadioField(
        _l("Do you want to give your name?"),
        choices=[SelectChoice("anonymous", _l("No, I stay anonymous")),
                 SelectChoice("confidential", _l("Yes, confidentially: only the integrity "
                                                 "officers may know who I am"))],
        default="anonymous",
        validators=[DataRequired(_l("Choose one of the offered answers."))])
    name = _text(_l("Your name"), MAX_SHORT_TEXT, area=False,
                 render_kw={"autocomplete": "off"})
    contact = _text(_l("How can the officers contact you?"), MAX_SHORT_TEXT, area=False,
                    description=_l("A private e-mail address or telephone number, not your "
                                   "work one."))
    seeks_status = BooleanField(_l("I intend to ask the Prosecutor General's Office for "
                                   "whistleblower status"))
    # Left empty by people; form-filling robots tend to fill it. Hidden from view and from
    # assistive technology by the template.
    meeting_wanted = BooleanField(_l("I would like to talk to an integrity officer in a "
                                     "meeting or on the telephone"))
    meeting_request = _text(
        _l("When and how would suit you? (optional)"), MAX_TEXT,
        description=_l("For example: a call on weekday mornings, or a meeting away from the "
                       "office. You need not give a telephone number: the officers answer in "
                       "your mailbox to arrange it."))
    voice = FileField(
        _l("A voice message (optional)"),
        description=_l("Speak instead of typing, if you prefer: a recording from your phone "
                       "(M4A, MP3, Ogg, WebM or WAV, up to 15 minutes). Before anything is "
                       "stored, your voice is disguised: its pitch and timbre are changed and "
                       "the recording's details are removed. You hear the result on the next "
                       "page before you send it. A disguise cannot hide your accent, your "
                       "words, the way you speak or sounds around you; write instead if that "
                       "could give you away."))
    # The disguised recording, carried from the check page to sending (sealed).
    voice_audio = HiddenField()
    voice_seal = HiddenField()
    voice_remove = BooleanField(_l("Remove the voice message"))
    website = StringField(_l("Leave this field empty"))
    attachments = MultipleFileField(_l("Documents, photos or other files (optional)"))
    excluded_officers = SelectMultipleField(
        _l("Officers who must not see this report (optional)"),
        description=_l("Tick anyone you believe is involved or biased. They get no key to "
                       "your report, and nobody can give them one later."),
        choices=[], coerce=int, widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput())
    submission_token = HiddenField()

    def set_categories(self, codes: list[str]) -> None:
        """Offer the institution's categories, labelled in the reader's language."""
        self.category.choices = [SelectChoice("", _l("Choose…"))] + [
            SelectChoice(code, CATEGORY_LABELS[code]) for code in codes]

    def set_officers(self, officers: list[tuple[int, str]]) -> None:
        """Offer the institution's officers for exclusion (when the institution allows it)."""
        self.excluded_officers.choices = [SelectChoice(officer_id, name)
                                          for officer_id, name in officers]

    def validate_what_happened(self, field) -> None:
        """Written, or spoken in a voice message (already disguised and carried here)."""
        if not (field.data or "").strip() and not self.voice_audio.data:
            raise ValidationError(_l("Describe what happened, or add a voice message."))

    def validate_website(self, field) -> None:
        """The honeypot: a filled-in value means a robot (or a very unusual person)."""
        if field.data:
            raise ValidationError(_l("The form could not be accepted. If a program fills in "
                                     "forms for you, turn it off and try again."))

    def validate(self, extra_validators=None) -> bool:
        """Field rules, then the rules that join fields (empty fields skip field rules)."""
        valid = super().validate(extra_validators)
        if self.reported_elsewhere.data == "yes" and not _filled(self.elsewhere_details):
            self.elsewhere_details.errors.append(_l("Say where you reported it."))
            valid = False
        if self.identity_choice.data == "confidential":
            if not _filled(self.name):
                self.name.errors.append(_l("Give your name, or choose to stay anonymous."))
                valid = False
            if not _filled(self.contact):
                self.contact.errors.append(_l("Give a way to contact you, or choose to stay "
                                              "anonymous."))
                valid = False
        return valid


def _filled(field) -> bool:
    return bool((field.data or "").strip())


class ReceiptForm(ReporterForm):
    """Signing in to the mailbox with the receipt."""

    receipt = StringField(
        _l("Receipt"),
        validators=[DataRequired(_l("Enter your receipt.")),
                    Length(max=MAX_RECEIPT_TEXT, message=NOT_A_RECEIPT)],
        description=_l("Seven groups of four digits, or four groups on older receipts. "
                       "Spaces and dashes do not matter."),
        render_kw={"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false"},
    )
    # A message typed when the session ran out, carried through signing in again.
    pending_message = HiddenField(validators=[Length(max=MAX_MESSAGE)])


class MessageForm(ReporterForm):
    """A reporter's message to the officers, with optional files."""

    text = _text(_l("Your message"), MAX_MESSAGE)
    attachments = MultipleFileField(_l("Files (optional)"))
    voice = FileField(
        _l("A voice message (optional)"),
        description=_l("Your voice is disguised before anything is stored, and you hear the "
                       "result before it is sent. A disguise cannot hide your accent, your "
                       "words or sounds around you."))
    voice_audio = HiddenField()
    voice_seal = HiddenField()
    # One-time: a double click or reload stores the message once.
    submission_token = HiddenField()


class SignOutForm(ReporterForm):
    """Signing out (a POST with a CSRF token, so no other site can sign a reporter out)."""


class MinutesApprovalForm(ReporterForm):
    """The reporter agrees the version of the minutes the page showed. The mailbox's forms
    share a page: each of these has a prefix ("approval", "correction", "meeting"), so that
    no two fields share a name or an id."""

    version = HiddenField()


class MinutesCorrectionForm(ReporterForm):
    """The reporter asks, in their own words, for the minutes to be corrected."""

    version = HiddenField()
    text = _text(_l("What should be corrected?"), MAX_RECORD,
                 required_message=_l("Write what should be corrected."))


class MeetingRequestForm(ReporterForm):
    """The reporter asks for a meeting or a call from the mailbox."""

    text = _text(_l("When and how would suit you? (optional)"), MAX_TEXT)
