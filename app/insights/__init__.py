"""Statistics for institutions and the network, for staff and analysts. Counts only: no page
here decrypts anything."""

from flask import Blueprint

bp = Blueprint("insights", __name__)

from app.insights import routes  # noqa: E402, F401  (routes register on bp)
