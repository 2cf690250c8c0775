"""Forms of the administration pages: members, settings, recovery code, institutions."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from app.languages import LANGUAGE_NAMES, LANGUAGES
from app.models import Institution, InstitutionKind, Jurisdiction, Role, User
from app.models.institution import (
    DEFAULT_ACKNOWLEDGEMENT_DAYS,
    DEFAULT_FEEDBACK_MONTHS,
    DEFAULT_RETENTION_DAYS,
)
from app.services import ServiceError
from app.services.accounts.users import normalise_email
from app.services.administration.institutions import JURISDICTION_LABELS, KIND_LABELS, SLUG_PATTERN
from app.services.administration.members import ROLE_LABELS, Member
from app.services.administration.recovery_grant import GrantRefused, GrantScope
from app.services.administration.settings import (
    ACKNOWLEDGEMENT_DAYS,
    FEEDBACK_MONTHS,
    FIELD_LABELS,
    RETENTION_DAYS,
    InstitutionProfile,
    InstitutionSettings,
    parse_origins,
)
from app.services.casefile.categories import CATEGORY_LABELS
from app.web.forms import ButtonForm, case_reference_field

RANGE_MESSAGE = _l("Enter a whole number from %(min)s to %(max)s.")


class WholeNumberField(IntegerField):
    """A whole number; anything else counts as missing, so the range validator gives the
    one translated message, and what was typed is shown again."""

    def process_formdata(self, valuelist):
        """Keep the typed text (raw_data) and leave the number empty when it is none."""
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None


def _whole_number(label, limits: tuple[int, int], default: int,
                  description=None) -> WholeNumberField:
    return WholeNumberField(label, description=description, default=default,
                            validators=[NumberRange(*limits, message=RANGE_MESSAGE)],
                            render_kw={"min": limits[0], "max": limits[1],
                                       "inputmode": "numeric"})


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes (rendered by the ``choices`` macro)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def at_least_one(message):
    """Like DataRequired for a list, without marking every checkbox as required."""
    def check(_form, field):
        if not field.data:
            raise ValidationError(message)
    return check


def origins_valid(_form, field) -> None:
    """Every non-empty line is a website origin; the message names the first bad line."""
    try:
        parse_origins(field.data or "")
    except ServiceError as error:
        raise ValidationError(str(error)) from None


def valid_email(_form, field) -> None:
    """The address is one the account service accepts."""
    try:
        normalise_email(field.data or "")
    except ServiceError as error:
        raise ValidationError(str(error)) from None


def _name(label):
    return StringField(label, validators=[
        DataRequired(_l("Enter a name.")),
        Length(max=200, message=_l("At most %(max)d characters.")),
    ])


def _email(label):
    return EmailField(label, validators=[
        DataRequired(_l("Enter an e-mail address.")),
        Length(max=254, message=_l("This e-mail address is too long.")),
        valid_email,
    ], render_kw={"autocomplete": "off"})


class UnshownTextField(StringField):
    """A text field whose value is never written back into the page: the recovery code
    opens every report of the institution, so a page answering with an error (kept by the
    browser's history or a proxy) must not hold it."""

    def _value(self) -> str:
        return ""


def _recovery_code(label):
    return UnshownTextField(label, validators=[
        DataRequired(_l("Enter the recovery code.")),
        Length(max=200, message=_l("This is not the institution's recovery code.")),
    ], description=_l("48 letters and digits, as printed. Hyphens, spaces and lower case "
                      "do not matter."),
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"})


class InviteForm(FlaskForm):
    """Invite a person to a role in the institution."""

    email = _email(_l("E-mail address"))
    display_name = _name(_l("Name"))
    role = RadioField(_l("Role"), choices=[SelectChoice(role.value, label)
                                           for role, label in ROLE_LABELS.items()],
                      default=Role.OFFICER.value,
                      validators=[DataRequired(_l("Choose one of the offered answers."))])
    submit = SubmitField(_l("Create invitation link"))


class RolesForm(FlaskForm):
    """A member's roles in the institution."""

    officer = BooleanField(ROLE_LABELS[Role.OFFICER])
    institution_admin = BooleanField(ROLE_LABELS[Role.INSTITUTION_ADMIN])
    confirmed = BooleanField()  # set by the button of the unreadable-reports warning
    submit = SubmitField(_l("Save roles"))

    def fill(self, member: Member) -> None:
        """Tick the member's current roles."""
        self.officer.data = Role.OFFICER in member.roles
        self.institution_admin.data = Role.INSTITUTION_ADMIN in member.roles

    def roles(self) -> set[Role]:
        """The ticked roles."""
        return {role for role in Role if self[role.value].data}


class RecoverAccountForm(FlaskForm):
    """Give a member who lost their password a recovery link."""

    person = SelectField(_l("Person"), coerce=int,
                         validators=[DataRequired(_l("Choose a person."))])
    recovery_code = _recovery_code(_l("The institution's recovery code"))
    submit = SubmitField(_l("Create recovery link"))

    def offer(self, members: list[Member], chosen: int | None, admin_id: int) -> None:
        """Offer the members who have an account (invitations still pending cannot be
        recovered), except the admin themselves; preselect one."""
        self.person.choices = [SelectChoice(0, _l("Choose…"))] + [
            SelectChoice(m.user.id, f"{m.user.display_name} ({m.user.email})")
            for m in members if not m.invitation_pending and m.user.id != admin_id]
        if chosen is not None and not self.is_submitted():
            self.person.data = chosen


class RecoveryGrantForm(FlaskForm):
    """Seal reports to chosen officers with the recovery code."""

    # Checked by the service, which says in words what is wrong with a choice.
    officers = CheckboxesField(_l("Officers who get access"), coerce=int, validate_choice=False,
                               validators=[at_least_one(_l("Choose at least one officer."))])
    scope = RadioField(_l("Which reports"), default=GrantScope.UNREADABLE.value, choices=[
        SelectChoice(GrantScope.UNREADABLE.value, _l("Every report no active officer can read")),
        SelectChoice(GrantScope.CHOSEN.value, _l("Only the reports ticked in the list")),
        SelectChoice(GrantScope.ALL.value, _l("Every report of the institution, for officers "
                                              "who have no access yet")),
    ])
    # The list shows reports no active officer can read; one that became readable since
    # the page was made is simply skipped by the service, not refused as a bad choice.
    reports = SelectMultipleField(_l("Reports"), validate_choice=False)
    recovery_code = _recovery_code(_l("The institution's recovery code"))
    submit = SubmitField(_l("Grant access"))

    def offer(self, officers: list[User]) -> None:
        """Offer the institution's active officers with a key pair."""
        self.officers.choices = [SelectChoice(officer.id, officer.display_name)
                                 for officer in officers]

    def chosen_scope(self) -> GrantScope:
        """The scope chosen."""
        return GrantScope(self.scope.data)

    def refused(self, error: GrantRefused) -> None:
        """Show a refusal next to the field it is about."""
        self[error.about].errors.append(str(error))


class ConfirmForm(ButtonForm):
    """A button whose step may be asked again after a warning: ``confirmed`` is set by the
    warning's button."""

    confirmed = BooleanField()


class RecoveryCodeForm(FlaskForm):
    """Replace the institution's recovery code; the current one proves the right to."""

    current_code = _recovery_code(_l("Current recovery code"))
    submit = SubmitField(_l("Create a new recovery code"))


class SettingsForm(FlaskForm):
    """What an institution admin decides about the reporting channel."""

    acknowledgement_days = _whole_number(
        FIELD_LABELS["acknowledgement_days"], ACKNOWLEDGEMENT_DAYS, DEFAULT_ACKNOWLEDGEMENT_DAYS,
        _l("From 1 to 90. The EU Whistleblower Directive asks for at most 7."))
    feedback_months = _whole_number(
        FIELD_LABELS["feedback_months"], FEEDBACK_MONTHS, DEFAULT_FEEDBACK_MONTHS,
        _l("From 1 to 12, counted from the acknowledgement. The Directive asks for at most 3."))
    retention_days = _whole_number(
        FIELD_LABELS["retention_days"], RETENTION_DAYS, DEFAULT_RETENTION_DAYS,
        _l("From 30 to 3650. Closed cases are deleted for good this many days after closing."))
    categories = CheckboxesField(
        FIELD_LABELS["categories"],
        choices=[SelectChoice(code, label) for code, label in CATEGORY_LABELS.items()],
        default=list(CATEGORY_LABELS),
        validators=[at_least_one(_l("Choose at least one category."))])
    languages = CheckboxesField(
        FIELD_LABELS["languages"],
        choices=[SelectChoice(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        default=list(LANGUAGES),
        validators=[at_least_one(_l("Choose at least one language."))])
    embed_origins = TextAreaField(
        FIELD_LABELS["embed_origins"],
        description=_l("One address per line, such as https://www.example.lt, without a path. "
                       "Only these sites may show the channel inside their pages."),
        validators=[Length(max=5000, message=_l("At most %(max)d characters.")),
                    origins_valid],
        render_kw={"rows": 4, "spellcheck": "false", "autocapitalize": "none"})
    allow_exclusions = BooleanField(FIELD_LABELS["allow_exclusions"])
    submit = SubmitField(_l("Save settings"))

    def fill(self, institution: Institution) -> None:
        """Show the institution's current settings."""
        for name, value in vars(InstitutionSettings.of(institution)).items():
            self[name].data = "\n".join(value) if name == "embed_origins" else value

    def settings(self) -> InstitutionSettings:
        """The settings as entered (validated by the form already)."""
        return InstitutionSettings(
            acknowledgement_days=self.acknowledgement_days.data,
            feedback_months=self.feedback_months.data,
            retention_days=self.retention_days.data,
            categories=list(self.categories.data),
            languages=list(self.languages.data),
            embed_origins=parse_origins(self.embed_origins.data or ""),
            allow_exclusions=self.allow_exclusions.data,
        )


class InstitutionForm(SettingsForm):
    """The platform admin's view of an institution: profile and settings."""

    name_lt = _name(FIELD_LABELS["name_lt"])
    name_en = _name(FIELD_LABELS["name_en"])
    name_nb = _name(FIELD_LABELS["name_nb"])
    kind = SelectField(FIELD_LABELS["kind"],
                       choices=[SelectChoice(kind.value, label)
                                for kind, label in KIND_LABELS.items()],
                       validators=[DataRequired(_l("Choose one of the offered answers."))])
    jurisdiction = SelectField(FIELD_LABELS["jurisdiction"],
                               choices=[SelectChoice(code.value, label)
                                        for code, label in JURISDICTION_LABELS.items()],
                               validators=[DataRequired(_l("Choose one of the offered "
                                                           "answers."))])
    submit = SubmitField(_l("Save"))

    def fill(self, institution: Institution) -> None:
        """Show the institution's profile and settings."""
        super().fill(institution)
        for name, value in vars(InstitutionProfile.of(institution)).items():
            self[name].data = value.value if name in ("kind", "jurisdiction") else value

    def profile(self) -> InstitutionProfile:
        """The profile as entered."""
        return InstitutionProfile(name_lt=self.name_lt.data, name_en=self.name_en.data,
                                  name_nb=self.name_nb.data,
                                  kind=InstitutionKind(self.kind.data),
                                  jurisdiction=Jurisdiction(self.jurisdiction.data))


class NewInstitutionForm(InstitutionForm):
    """A new institution with its first administrator."""

    slug = StringField(
        _l("Address (slug)"),
        description=_l("Lower-case letters a–z, digits and hyphens, e.g. utena. The "
                       "reporting page will be /i/<address>/. It cannot be changed later."),
        validators=[DataRequired(_l("Enter the address.")),
                    Regexp(SLUG_PATTERN, message=_l("The address may use lower-case letters "
                                                    "a–z, digits and hyphens, up to 64 "
                                                    "characters."))],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"})
    admin_email = _email(_l("First administrator's e-mail address"))
    admin_name = _name(_l("First administrator's name"))
    submit = SubmitField(_l("Create institution"))


class AuditFilterForm(FlaskForm):
    """The audit log's filters, read from the query string (no CSRF: a GET changes nothing).
    The view fills the choices of person and action."""

    class Meta:
        csrf = False

    ref = case_reference_field()
    person = SelectField(_l("Person"))
    action = SelectField(_l("Action"))
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("Until"), validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        """The fields, then the date range; our own message for a day that is none (WTForms'
        has no Lithuanian translation)."""
        valid = super().validate(extra_validators)
        for day in (self.date_from, self.date_to):
            if day.errors:
                day.errors = [_l("Enter a day as year-month-day, for example 2026-03-31.")]
        if self.date_from.data and self.date_to.data and self.date_from.data > self.date_to.data:
            self.date_to.errors = [_l("The last day comes before the first day.")]
            valid = False
        return valid
