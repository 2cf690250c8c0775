"""Forms of the staff workspace: sign-in, two-factor, account links, password change."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, RadioField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length

from app.languages import LANGUAGE_NAMES, LANGUAGES
from app.services.accounts.users import MAX_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    """Staff sign-in, first step: e-mail and password."""

    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(_l("Enter your e-mail address.")),
                    Length(max=254, message=_l("This e-mail address is too long."))],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")),
                    Length(max=MAX_PASSWORD_LENGTH, message=_l("This password is too long."))],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


def _code_field() -> StringField:
    return StringField(
        _l("Six-digit code from your authenticator app"),
        validators=[DataRequired(_l("Enter the code.")),
                    Length(max=16, message=_l("Enter the six digits of the code."))],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class CodeForm(FlaskForm):
    """Second step: a TOTP code (also used to confirm enrolment)."""

    code = _code_field()
    next = HiddenField()
    submit = SubmitField(_l("Continue"))


def _new_password_fields():
    new = PasswordField(
        _l("New password (at least 12 characters)"),
        validators=[DataRequired(_l("Enter a new password.")),
                    Length(max=MAX_PASSWORD_LENGTH, message=_l("This password is too long."))],
        render_kw={"autocomplete": "new-password"},
    )
    repeat = PasswordField(
        _l("New password again"),
        validators=[DataRequired(_l("Enter the new password again.")),
                    EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
    return new, repeat


class AccountLinkForm(FlaskForm):
    """An invitation or recovery link: choose a password and confirm two-factor."""

    password, password_again = _new_password_fields()
    code = _code_field()
    submit = SubmitField(_l("Save and continue to sign-in"))


class PasswordChangeForm(FlaskForm):
    """Change one's own password (every session ends afterwards)."""

    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password.")),
                    Length(max=MAX_PASSWORD_LENGTH, message=_l("This password is too long."))],
        render_kw={"autocomplete": "current-password"},
    )
    password, password_again = _new_password_fields()
    submit = SubmitField(_l("Change password"))


class LanguageForm(FlaskForm):
    """The language of one's own workspace and e-mails (each named in its own language)."""

    language = RadioField(
        _l("Language of your workspace and e-mails"),
        choices=[SelectChoice(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        validate_choice=False,
        validators=[AnyOf(LANGUAGES, message=_l("Choose one of the languages of the list."))],
    )
    submit_language = SubmitField(_l("Save language"))
