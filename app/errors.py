"""Calm, translated error pages; no stack trace ever reaches a visitor."""

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

ERROR_TEXTS = {
    400: (_l("The request could not be understood"),
          _l("Something in what was sent was malformed. Go back, check the form and try "
             "again.")),
    403: (_l("Access denied"),
          _l("You do not have permission to open this page.")),
    404: (_l("Page not found"),
          _l("There is no page at this address. Check the link, or start again from the "
             "home page.")),
    405: (_l("Method not allowed"),
          _l("This page cannot be used in that way. Start again from the home page.")),
    413: (_l("Too much data"),
          _l("What you sent is larger than this service accepts. Send smaller or fewer "
             "files. Nothing was saved.")),
    429: (_l("Too many requests"),
          _l("Too many requests arrived in a short time. Wait a few minutes and try again.")),
    500: (_l("Something went wrong"),
          _l("The service could not complete your request. Nothing you sent has been "
             "shown to anyone. Please try again later.")),
}

CSRF_TEXTS = (
    _l("The form has expired"),
    _l("For your security, forms are valid for a limited time and only on this site. "
       "Reload the page, fill the form in again and send it."),
)


def render_error(code: int, title: str, message: str):
    """The error page with a status code."""
    return render_template("errors/error.html", code=code, title=title, message=message), code


def handle_http_error(error: HTTPException):
    """Every HTTP error gets a translated page: its own text, or the generic 400/500 one."""
    code = error.code or 500
    if code < 400:  # routing redirects (e.g. the trailing slash) are HTTPExceptions too
        return error
    title, message = ERROR_TEXTS.get(code) or ERROR_TEXTS[400 if code < 500 else 500]
    response = render_error(code, title, message)
    if code == 405 and getattr(error, "valid_methods", None):
        return (*response, {"Allow": ", ".join(error.valid_methods)})
    return response


def handle_csrf_error(_error: CSRFError):
    """A missing or stale CSRF token: explain, and lose nothing the server kept."""
    return render_error(400, *CSRF_TEXTS)


def handle_unexpected_error(_error: InternalServerError):
    """Unexpected failures: Flask has logged the exception; the visitor sees a calm page."""
    return render_error(500, *ERROR_TEXTS[500])


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(InternalServerError, handle_unexpected_error)
    app.register_error_handler(HTTPException, handle_http_error)
