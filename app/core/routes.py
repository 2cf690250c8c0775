"""Routes every surface serves: the health check."""

from flask import Blueprint

from app.extensions import limiter
from app.services.health import database_reachable

bp = Blueprint("core", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """Liveness and database reachability for load balancers; reveals no details."""
    if not database_reachable():
        return {"status": "unavailable"}, 503
    return {"status": "ok"}
