"""Small helpers shared by the tests."""

import io
import re
from functools import cache
from pathlib import Path

import pyotp
from babel.messages.pofile import read_po
from sqlalchemy import func, select

from app.crypto.kdf import KdfCost
from app.crypto.staff_keys import StaffKeyMaterial, unlock_staff_key
from app.extensions import db
from app.models import SessionStage
from app.services.accounts import staff_sessions
from app.services.accounts.users import find_user
from app.services.demo.network import DEMO_PASSWORD, seed_demo_network
from tests.support.reporter import CSRF, RECEIPT, REPORT_ANSWERS, SUBMISSION
from tests.support.seeded import copy_template


def seed(app) -> None:
    """Load the demo network into the app's fresh database (a copy of the session's seeded
    template where one fits, see tests/support/seeded.py)."""
    if copy_template(app):
        return
    with app.app_context():
        seed_demo_network()
        db.session.remove()


def count(app, model) -> int:
    """How many rows of a model the app's database holds."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def officer_private_key(email: str):
    """A demo staff member and their private key, unlocked with the demo password."""
    user = find_user(email)
    material = StaffKeyMaterial(user.kdf_salt, KdfCost.from_dict(user.kdf_params),
                                user.public_key, user.wrapped_private_key)
    return user, unlock_staff_key(material, DEMO_PASSWORD)


def text_of(response) -> str:
    """A response body as text."""
    return response.get_data(as_text=True)

TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"


@cache
def _catalogue(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


def catalogue_translation(message: str, language: str) -> str:
    """The translation of an English message in a language's catalogue."""
    return _catalogue(language)[message].string


# The same page patterns and answers serve the test client and the HTTP reporter.
ANSWERS = REPORT_ANSWERS


def csrf_token(client, path: str = "/mailbox/") -> str:
    """A CSRF token of the client's session, taken from a page with a form."""
    with client.get(path) as response:
        return CSRF.search(text_of(response)).group(1)


def mailbox_form(client) -> dict:
    """The hidden fields of a signed-in reporter's message form: its CSRF token and its
    one-time submission token."""
    with client.get("/mailbox/") as response:
        page = text_of(response)
    return {"csrf_token": CSRF.search(page).group(1),
            "submission_token": SUBMISSION.search(page).group(1)}


def check_report(client, slug: str = "utena", **answers):
    """Step 1: post the form; returns the response (the check page when valid)."""
    data = {"csrf_token": csrf_token(client, f"/i/{slug}/report?lang=en"), **ANSWERS,
            **answers}
    return client.post(f"/i/{slug}/report?lang=en", data=data)


def send_report(client, slug: str = "utena", files=(), **answers):
    """Steps 1 and 2; returns the response to sending (the receipt page when accepted)."""
    with check_report(client, slug, **answers) as checked:
        page = text_of(checked)
    data = {"csrf_token": CSRF.search(page).group(1),
            "submission_token": SUBMISSION.search(page).group(1), **ANSWERS, **answers,
            "attachments": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(f"/i/{slug}/report/send?lang=en", data=data,
                       content_type="multipart/form-data")


def receipt_of(response) -> str:
    """The receipt shown on a receipt page."""
    return RECEIPT.search(text_of(response)).group(1)


def sign_in(client, receipt: str):
    """Post a receipt to the mailbox sign-in form."""
    return client.post("/mailbox/?lang=en",
                       data={"csrf_token": csrf_token(client), "receipt": receipt})


SETUP_KEY = re.compile(r'<code class="setup-key" id="setup-key">([A-Z2-7]+)</code>')


def totp_code(secret: str) -> str:
    """The current code of an authenticator app holding this secret."""
    return pyotp.TOTP(secret).now()


def forget_last_code(app, email: str) -> None:
    """Let the next sign-in reuse the current time step. Replay protection refuses a code
    of a step already used; tests that sign in several times within 30 seconds clear it
    (tests/test_staff_auth.py proves the protection itself)."""
    with app.app_context():
        find_user(email).totp_last_step = None
        db.session.commit()
        db.session.remove()


def staff_sign_in(client, app, email: str, password: str = DEMO_PASSWORD,
                  secrets: dict = {},  # noqa: B006  (a cache of enrolled secrets)
                  *, through_pages: bool = False) -> str:
    """Sign a demo staff member in (enrolling two-factor the first time) and give the client
    the session cookie; returns their TOTP secret.

    By default through the sign-in services, which every sign-in page calls: the pages
    themselves, their limits and the device cookie are tested in tests/test_staff_auth.py
    and tests/test_staff_lockout.py, which pass ``through_pages=True``.
    """
    if through_pages:
        return _staff_sign_in_through_pages(client, app, email, password, secrets)
    forget_last_code(app, email)
    # The browser's session, for the language it chose: signing in records it for e-mails.
    browser_session = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    headers = {"Cookie": f"{browser_session.key}={browser_session.value}"} \
        if browser_session else {}
    with app.test_request_context("/staff/login/code", headers=headers):
        cookie = staff_sessions.sign_in_with_password(email, password)
        access = staff_sessions.resume(cookie, stage=SessionStage.PASSWORD)
        if staff_sessions.needs_enrolment(access):
            secret = secrets[(id(app), email)] = staff_sessions.enrolment_secret(access)
            cookie = staff_sessions.complete_enrolment(access, totp_code(secret))
        else:
            secret = secrets[(id(app), email)]
            cookie = staff_sessions.complete_sign_in(access, totp_code(secret))
        db.session.remove()
    client.set_cookie(app.config["STAFF_COOKIE_NAME"], cookie)
    return secret


def _staff_sign_in_through_pages(client, app, email: str, password: str,
                                 secrets: dict) -> str:
    """Sign in as a person does: the password page, then the code or enrolment page."""
    forget_last_code(app, email)
    token = csrf_token(client, "/staff/login")
    response = client.post("/staff/login", data={"csrf_token": token, "email": email,
                                                 "password": password})
    assert response.status_code == 302, text_of(response)
    page = client.get(response.headers["Location"], follow_redirects=True)
    body = text_of(page)
    found = SETUP_KEY.search(body)
    if found:
        secrets[(id(app), email)] = found.group(1)
        action = "/staff/login/enrol"
    else:
        action = "/staff/login/code"
    secret = secrets[(id(app), email)]
    response = client.post(action, data={"csrf_token": CSRF.search(body).group(1),
                                         "code": totp_code(secret)})
    assert response.status_code == 302, text_of(response)
    return secret


def send_report_in(client, language: str, slug: str = "utena", files=(), **answers):
    """Steps 1 and 2 of the public form in one language (``?lang=``); returns the
    response to sending (the receipt page when accepted)."""
    path = f"/i/{slug}/report?lang={language}"
    data = {"csrf_token": csrf_token(client, path), **ANSWERS, **answers}
    with client.post(path, data=data) as checked:
        page = text_of(checked)
    data.update(csrf_token=CSRF.search(page).group(1),
                submission_token=SUBMISSION.search(page).group(1),
                attachments=[(io.BytesIO(content), name) for name, content in files])
    return client.post(f"/i/{slug}/report/send?lang={language}", data=data,
                       content_type="multipart/form-data")


STAFF_CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def staff_csrf_token(client) -> str:
    """A CSRF token of a signed-in staff member's session (from the page layout)."""
    with client.get("/staff/overview") as response:
        return STAFF_CSRF.search(text_of(response)).group(1)


def follow(page, control) -> None:
    """Click a link or button and wait until the page it leads to has loaded.

    A bare click returns once the next page has started loading; what a test reads right
    after it could still be the old page, or half of the new one.
    """
    with page.expect_navigation():
        control.click()
