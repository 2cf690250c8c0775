"""Forms of the staff workspace."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Length

from app.services.accounts import MAX_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    """Staff sign-in: e-mail and password (two-factor follows in the workspace issue)."""

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
    submit = SubmitField(_l("Sign in"))
