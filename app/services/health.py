"""Whether this node can serve: used by load balancers through /healthz."""

from sqlalchemy import text

from app.extensions import db


def database_reachable() -> bool:
    """True when a trivial query succeeds; failures are for the log, not the caller."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        return False
    return True
