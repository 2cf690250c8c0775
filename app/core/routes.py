"""Routes every surface serves: the health check."""

from flask import Blueprint
from sqlalchemy import text

from app.extensions import db, limiter

bp = Blueprint("core", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """Liveness and database reachability for load balancers; reveals no details."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        return {"status": "unavailable"}, 503
    return {"status": "ok"}
