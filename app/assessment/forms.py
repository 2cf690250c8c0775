"""Forms of the self-assessment pages with fixed fields. The questionnaire pages themselves
are built from the questionnaire files; their answers are checked by the services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from app.services.assessment.labels import ACTION_STATUSES
from app.web.forms import options


class DayField(DateField):
    """A date field whose error is translated with Skaidra's catalogues (WTForms ships no
    Lithuanian one)."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Enter the date as year-month-day, e.g. 2027-03-31.")) from None


class StartForm(FlaskForm):
    """Start an assessment with one of the published questionnaires."""

    questionnaire = SelectField(_l("Questionnaire"),
                                validators=[DataRequired(_l("Choose a questionnaire."))])
    carry_over = BooleanField(_l("Start from the answers of our latest final assessment with "
                                 "this questionnaire (where its questions carry over)"))
    submit = SubmitField(_l("Start the assessment"))


class ActionItemForm(FlaskForm):
    """A new measure for the action plan."""

    title = StringField(_l("Measure"), validators=[
        DataRequired(_l("Describe the measure.")),
        Length(max=300, message=_l("Keep the measure under 300 characters."))])
    owner_role = StringField(
        _l("Responsible (a role, not a name)"),
        description=_l("For example: head of procurement, integrity officer."),
        validators=[DataRequired(_l("Name the responsible role.")),
                    Length(max=120, message=_l("Keep the role under 120 characters."))])
    due_on = DayField(_l("Due date"), validators=[Optional()], format="%Y-%m-%d")
    area = SelectField(_l("Area"), validators=[Optional()])
    submit = SubmitField(_l("Add to the action plan"))


class ActionUpdateForm(FlaskForm):
    """Move a measure on."""

    status = SelectField(_l("Status"),
                         choices=options((status.value, label)
                                         for status, label in ACTION_STATUSES.items()))
    due_on = DayField(_l("Due date"), validators=[Optional()], format="%Y-%m-%d")
    submit = SubmitField(_l("Save"))
