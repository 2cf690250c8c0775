"""The staff workspace: sign-in and the officers' case work. Administration and statistics
are blueprints of their own (app/admin, app/insights) that share the guards and layout."""

from flask import Blueprint

bp = Blueprint("staff", __name__)

from app.services.casefile.sealing import unreadable_reports  # noqa: E402
from app.staff import auth, cases, inbox, registration  # noqa: E402, F401  (routes register on bp)
from app.web.navigation import administers, staff_navigation  # noqa: E402

bp.add_app_template_global(staff_navigation)
# The overview and every administration page warn of reports only the recovery code opens.
bp.add_app_template_global(unreadable_reports)
bp.add_app_template_global(administers)
