"""When what a reporter sent cannot be taken now (the database cannot store it: disk full,
read-only, restarting; or too many key derivations wait in line, app/crypto/kdf.py): the same
page again with everything typed, a translated notice, 503 and ``Retry-After``.

A report or message is stored in one transaction, so it is either there completely or not
at all; what the reporter typed lives only in this response, never on the server.
"""

from collections.abc import Callable

from flask import current_app, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError, InternalError, OperationalError

from app.crypto.kdf import DerivationsBusy
from app.extensions import db

# What databases raise when they cannot write now: lost connections, a full disk and a
# read-only database (OperationalError); PostgreSQL's read-only transaction (InternalError).
STORAGE_ERRORS = (OperationalError, InternalError)
# What a page that keeps the typed text answers: those, a conflict with a concurrent write
# that the service did not resolve (trying again resolves it), and a full line of derivations.
NOT_TAKEN = (*STORAGE_ERRORS, IntegrityError, DerivationsBusy)
RETRY_AFTER_SECONDS = 30
# A burst passes within seconds: sooner than a database that is being restarted.
BUSY_RETRY_AFTER_SECONDS = 10
NOT_STORED_TITLE = _l("Nothing was sent")
NOT_STORED = _l("The service could not store it just now. Nothing was sent, and "
                "everything you wrote is still here: try again in a moment.")
# When the page itself cannot be built again (the database cannot even be read).
NOT_STORED_BACK = _l("The service could not store it just now, and nothing was sent. Go "
                     "back with your browser's Back button: what you wrote is still on the "
                     "previous page. Try again in a moment.")
BUSY_TITLE = _l("The service is busy")
BUSY_BACK = _l("Many people are sending at this moment, and nothing was sent. Go back with "
               "your browser's Back button: what you wrote is still on the previous page. "
               "Try again in a moment.")


def not_stored(error: Exception, page: Callable[[str], object]):
    """The response to what could not be taken now: ``page(reason)`` (a body, or body and
    status) rebuilt after a rollback, as 503. ``reason`` is "busy" or "storage", for the
    page's notice."""
    db.session.rollback()
    busy = isinstance(error, DerivationsBusy)
    # The class only: a database's message can quote the statement's parameters.
    current_app.logger.warning("%s at %s: %s", "busy" if busy else "storage failed",
                               request.endpoint, type(error).__name__)
    try:
        response = make_response(page("busy" if busy else "storage"))
    except STORAGE_ERRORS:
        db.session.rollback()
        response = make_response(render_template(
            "errors/error.html", code=503, title=NOT_STORED_TITLE, message=NOT_STORED_BACK))
    response.status_code = 503
    response.headers["Retry-After"] = str(BUSY_RETRY_AFTER_SECONDS if busy
                                          else RETRY_AFTER_SECONDS)
    return response


def busy_page(_error: Exception):
    """A full line of derivations on a page that keeps nothing typed (staff sign-in, a
    password change), or more uploads than fit in memory: 503, come back in a moment."""
    response = make_response(render_template("errors/error.html", code=503, title=BUSY_TITLE,
                                             message=BUSY_BACK), 503)
    response.headers["Retry-After"] = str(BUSY_RETRY_AFTER_SECONDS)
    return response
