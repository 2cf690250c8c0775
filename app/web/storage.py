"""When the database cannot store what a reporter sent (disk full, read-only, restarting):
the same page again with everything typed, a translated notice, 503 and ``Retry-After``.

A report or message is stored in one transaction, so it is either there completely or not
at all; what the reporter typed lives only in this response, never on the server.
"""

from collections.abc import Callable

from flask import current_app, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import InternalError, OperationalError

from app.extensions import db

# What databases raise when they cannot write now: lost connections, a full disk and a
# read-only database (OperationalError); PostgreSQL's read-only transaction (InternalError).
STORAGE_ERRORS = (OperationalError, InternalError)
RETRY_AFTER_SECONDS = 30
NOT_STORED_TITLE = _l("Nothing was sent")
NOT_STORED = _l("The service could not store it just now. Nothing was sent, and "
                "everything you wrote is still here: try again in a moment.")
# When the page itself cannot be built again (the database cannot even be read).
NOT_STORED_BACK = _l("The service could not store it just now, and nothing was sent. Go "
                     "back with your browser's Back button: what you wrote is still on the "
                     "previous page. Try again in a moment.")


def not_stored(error: Exception, page: Callable[[], object]):
    """The response to a failed write: ``page()`` (a body, or body and status) rebuilt after
    a rollback, as 503."""
    db.session.rollback()
    # The class only: a database's message can quote the statement's parameters.
    current_app.logger.warning("storage failed at %s: %s", request.endpoint,
                               type(error).__name__)
    try:
        response = make_response(page())
    except STORAGE_ERRORS:
        db.session.rollback()
        response = make_response(render_template(
            "errors/error.html", code=503, title=NOT_STORED_TITLE, message=NOT_STORED_BACK))
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
