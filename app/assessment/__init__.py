"""Self-assessment: the institution's assessments and action plan on the staff side
(``assessment``), the anonymous survey and quick self-check on the public side (``survey``)."""

from flask import Blueprint

bp = Blueprint("assessment", __name__)
survey_bp = Blueprint("survey", __name__)

from app.assessment import routes, survey  # noqa: E402, F401  (routes register on the blueprints)
