"""Administration: institution admins (officers, settings, recovery code, audit log, embed
material) and the platform admin (the institutions of the network). Neither reads reports."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from app.admin import audit, routes  # noqa: E402, F401  (routes register on bp)
