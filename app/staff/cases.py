"""The officers' case work: overview, inbox, case page and what officers do on it."""

from flask import render_template

from app.staff import bp
from app.models import Role
from app.staff.guards import institution_role, signed_in


@bp.get("/overview")
@signed_in
def dashboard():
    """Deadlines and warnings across the staff member's institutions."""
    return render_template("staff/dashboard.html")


@bp.get("/i/<slug>/cases")
@institution_role(Role.OFFICER)
def inbox(institution):
    """The institution's cases (being built)."""
    return institution.slug
