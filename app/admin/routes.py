"""Administration pages (being built)."""

from app.admin import bp
from app.models import Role
from app.staff.guards import institution_role, network_role


@bp.get("/i/<slug>/admin/")
@institution_role(Role.INSTITUTION_ADMIN)
def institution(institution):
    """The institution's administration overview."""
    return institution.slug


@bp.get("/platform/")
@network_role("is_platform_admin")
def platform():
    """The institutions of the network."""
    return "platform"
