"""The public surface: institution pages, the report form, the reporter's mailbox, sharing."""

from flask import Blueprint

from app.extensions import csrf

bp = Blueprint("public", __name__)
# Reporter forms check their CSRF token themselves (app/public/forms.py): an expired token
# then re-shows the form with everything typed so far, instead of an error page.
csrf.exempt(bp)

from app.public import mailbox, routes, sharing  # noqa: E402, F401  (register the views)
