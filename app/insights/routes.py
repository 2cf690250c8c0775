"""Statistics pages (being built)."""

from app.insights import bp
from app.staff.guards import signed_in


@bp.get("/statistics/")
@signed_in
def index():
    """Which statistics the staff member may see."""
    return "statistics"
