"""Rate limits that need no client address.

An anonymous service cannot tell one attacker from many reporters by address, and must not
try. Counters are keyed by what the request is for (an institution's form, the receipt
sign-in) and, where a browser session exists, by a digest of its random CSRF secret. Browsers
without a session cookie share one bucket, so dropping cookies buys an attacker nothing.
"""

import hashlib
import hmac

from flask import current_app, request, session

from app.services.institutions import SLUG_PATTERN


def report_limit() -> str:
    """Reports per institution (REPORT_RATE_LIMIT)."""
    return current_app.config["REPORT_RATE_LIMIT"]


def receipt_limit() -> str:
    """Receipt sign-ins across the whole service (RECEIPT_RATE_LIMIT)."""
    return current_app.config["RECEIPT_RATE_LIMIT"]


def receipt_session_limit() -> str:
    """Receipt sign-ins per browser session (RECEIPT_SESSION_RATE_LIMIT)."""
    return current_app.config["RECEIPT_SESSION_RATE_LIMIT"]


def message_limit() -> str:
    """Reporter messages per browser session (MESSAGE_RATE_LIMIT)."""
    return current_app.config["MESSAGE_RATE_LIMIT"]


def survey_limit() -> str:
    """Survey responses per institution (SURVEY_RATE_LIMIT)."""
    return current_app.config["SURVEY_RATE_LIMIT"]


def survey_session_limit() -> str:
    """Survey responses per browser session (SURVEY_SESSION_RATE_LIMIT)."""
    return current_app.config["SURVEY_SESSION_RATE_LIMIT"]


def per_surveyed_institution() -> str:
    """One counter per institution a survey response goes to, whether named by the address
    (the survey) or by the self-check's form, so neither door avoids the other's count."""
    slug = (request.view_args or {}).get("slug") or request.form.get("institution", "")
    return f"survey:{slug if SLUG_PATTERN.fullmatch(slug) else '-'}"


def per_institution() -> str:
    """One counter per institution address (malformed addresses share one)."""
    slug = (request.view_args or {}).get("slug", "")
    return f"report:{slug if SLUG_PATTERN.fullmatch(slug) else '-'}"


def whole_service() -> str:
    """One counter for the endpoint."""
    return f"all:{request.endpoint}"


def per_browser_session() -> str:
    """A digest of the session's random CSRF secret; "none" for cookie-less clients."""
    secret = session.get("csrf_token")
    if not secret:
        return f"session:none:{request.endpoint}"
    digest = hashlib.sha256(f"rate-limit:{secret}".encode()).hexdigest()[:32]
    return f"session:{digest}:{request.endpoint}"


def staff_login_limit() -> str:
    """Staff sign-in attempts per account (STAFF_LOGIN_RATE_LIMIT)."""
    return current_app.config["STAFF_LOGIN_RATE_LIMIT"]


def per_account() -> str:
    """A keyed digest of the e-mail address typed in, known account or not, so the counter
    neither reveals which addresses exist nor stores what was typed."""
    from app.services import ServiceError
    from app.services.accounts import normalise_email

    typed = request.form.get("email", "")
    try:
        typed = normalise_email(typed)
    except ServiceError:
        typed = typed.strip().lower()
    key = current_app.config["SECRET_KEY"].encode()
    return "account:" + hmac.new(key, typed.encode(), hashlib.sha256).hexdigest()[:32]


def per_pending_session() -> str:
    """The half-finished sign-in's account, so two-factor guesses are limited per account."""
    from app.models import SessionStage
    from app.services.staff_sessions import resume

    cookie = request.cookies.get(current_app.config["STAFF_COOKIE_NAME"])
    access = resume(cookie, stage=SessionStage.PASSWORD)
    return f"two-factor:{access.user.id if access else 'none'}"
