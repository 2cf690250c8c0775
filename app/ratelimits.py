"""Rate limits that need no client address.

An anonymous service cannot tell one attacker from many reporters by address, and must not
try. Counters are keyed by what the request is for (an institution's form, the receipt
sign-in) and, where a browser session exists, by a digest of its random CSRF secret. Browsers
without a session cookie share one bucket, so dropping cookies buys an attacker nothing.
"""

import hashlib
import hmac

from flask import current_app, g, request, session
from limits import parse

from app.extensions import limiter
from app.services.administration.institutions import SLUG_PATTERN


def report_limit() -> str:
    """Reports per institution before they are marked as a possible flood
    (REPORT_RATE_LIMIT)."""
    return current_app.config["REPORT_RATE_LIMIT"]


def report_session_limit() -> str:
    """Reports per browser session, refused beyond (REPORT_SESSION_RATE_LIMIT)."""
    return current_app.config["REPORT_SESSION_RATE_LIMIT"]


def count_report() -> bool:
    """Count a report that came through a real round trip of the form (a valid CSRF token
    and an unused check-page token of this browser session); True when its institution is
    past REPORT_RATE_LIMIT, so the report is to be marked as a possible flood.

    The institution's limit refuses nothing, so a flood cannot close the channel; the hard
    ceiling is the browser session's (``report_was_counted``), which cannot keep out a
    reporter in their own browser (docs/security.md, section 9, "Floods of reports").
    """
    g.report_counted = True
    if not limiter.enabled:
        return False
    # limiter.limiter is the in-process fallback while the shared store is unreachable: the
    # route's own session limit is checked first and finds that out
    # (tests/test_rate_limit_storage.py sends a report with Redis down).
    return not limiter.limiter.hit(parse(report_limit()), per_institution())


def report_was_counted(_response) -> bool:
    """Whether this request's report was counted (``count_report``): only such requests
    use up the session's REPORT_SESSION_RATE_LIMIT, so forged ones cost nothing."""
    return g.get("report_counted", False)


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


def _device_cookie() -> str | None:
    return request.cookies.get(current_app.config["STAFF_DEVICE_COOKIE_NAME"])


def per_account() -> str:
    """A keyed digest of the e-mail address typed in, known account or not, so the counter
    neither reveals which addresses exist nor stores what was typed.

    A browser holding a valid device cookie of that account (one that signed it in before)
    counts on its own instead, so wrong attempts typed elsewhere cannot lock the account
    holder out, while everyone else still shares the account's one counter."""
    from app.services import ServiceError
    from app.services.accounts.staff_sessions import trusted_device
    from app.services.accounts.users import find_user, normalise_email

    typed = request.form.get("email", "")
    cookie = _device_cookie()
    device = trusted_device(cookie, find_user(typed)) if cookie else None
    if device:
        return f"device:{device}"
    try:
        typed = normalise_email(typed)
    except ServiceError:
        typed = typed.strip().lower()
    key = current_app.config["SECRET_KEY"].encode()
    return "account:" + hmac.new(key, typed.encode(), hashlib.sha256).hexdigest()[:32]


def per_pending_session() -> str:
    """The half-finished sign-in's account, so two-factor guesses are limited per account;
    a browser with a valid device cookie of that account counts on its own, as above."""
    from app.models import SessionStage
    from app.services.accounts.staff_sessions import resume, trusted_device

    cookie = request.cookies.get(current_app.config["STAFF_COOKIE_NAME"])
    access = resume(cookie, stage=SessionStage.PASSWORD)
    if access is None:
        return "two-factor:none"
    device = trusted_device(_device_cookie(), access.user)
    return f"two-factor-device:{device}" if device else f"two-factor:{access.user.id}"
