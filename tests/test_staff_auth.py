"""Staff sign-in (DESIGN.md, security model points 3 and 7): password and two-factor steps,
replay protection, throttling, server-side sessions and their timeouts, sign-out, password
changes, CSRF, safe redirects, cookie flags, and what the database keeps of a session."""

import base64
import json
import secrets
import sys
import time
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from sqlalchemy import func, select

from app.crypto import kdf
from app.crypto.kdf import KdfCost
from app.crypto.session_tokens import parse_token
from app.crypto.staff_keys import StaffKeyMaterial, load_private_key, unwrap_with_password
from app.extensions import db
from app.models import AuditEntry, Report, SessionStage, StaffSession
from app.services import audit
from app.services.accounts import staff_sessions, two_factor
from app.services.accounts.users import create_user, find_user
from app.services.casefile.sealing import officer_data_key
from app.services.demo.network import DEMO_PASSWORD
from tests.helpers import (
    CSRF,
    SETUP_KEY,
    catalogue_translation,
    csrf_token,
    forget_last_code,
    seed,
    send_report,
    staff_sign_in,
    text_of,
    totp_code,
)

OFFICER = "officer1.utena@demo.example.org"
COLLEAGUE = "officer2.utena@demo.example.org"
NOBODY = "nobody.utena@demo.example.org"
COOKIE = "skaidra_staff"  # TestConfig.STAFF_COOKIE_NAME
NEW_PASSWORD = "lantern orchard gravel tide"

WRONG_CREDENTIALS = "The e-mail address or the password is wrong."
WRONG_CODE = "This code is not right, or it has been used already."


# --- Steps of the sign-in, as a browser takes them ------------------------------------


def password_step(client, email: str, password: str = DEMO_PASSWORD, **fields):
    """Post the sign-in form (English pages)."""
    data = {"csrf_token": csrf_token(client, "/staff/login"), "email": email,
            "password": password, **fields}
    return client.post("/staff/login?lang=en", data=data)


def code_step(client, code: str, **fields):
    """Post a two-factor code for the browser's pending sign-in."""
    data = {"csrf_token": csrf_token(client, "/staff/login"), "code": code, **fields}
    return client.post("/staff/login/code?lang=en", data=data)


def enrolled(app, email: str = OFFICER) -> str:
    """Sign the account in once in a browser of its own (setting up two-factor); returns
    the secret. Clears the last used code so the test's own sign-in can use this step."""
    secret = staff_sign_in(app.test_client(), app, email, through_pages=True)
    forget_last_code(app, email)
    return secret


def wrong_code(secret: str) -> str:
    """A six-digit code no clock drift makes valid right now."""
    totp = pyotp.TOTP(secret)
    step = totp.timecode(time.time())
    valid = {totp.generate_otp(candidate) for candidate in range(step - 3, step + 4)}
    return next(code for code in (f"{digit}" * 6 for digit in range(10)) if code not in valid)


def staff_cookie(client) -> str | None:
    """The value of the browser's staff session cookie, if it holds one."""
    cookie = client.get_cookie(COOKIE)
    return cookie.value if cookie is not None else None


def location(response) -> tuple[str, dict[str, list[str]]]:
    """Path and query arguments of a redirect."""
    target = urlsplit(response.headers["Location"])
    assert target.netloc in ("", "localhost"), response.headers["Location"]
    return target.path, parse_qs(target.query)


def is_signed_in(client) -> bool:
    """True when the workspace opens; False when it sends the browser to sign in."""
    with client.get("/staff/overview?lang=en") as response:
        if response.status_code == 200:
            return True
        assert response.status_code == 302
        assert location(response)[0] == "/staff/login"
        return False


def actions_of(app, email: str | None) -> list[str]:
    """Audit actions recorded for an account (None: for no account), oldest first."""
    with app.app_context():
        actor = None if email is None else find_user(email).id
        query = select(AuditEntry.action).order_by(AuditEntry.id)
        query = query.where(AuditEntry.actor_id.is_(None) if actor is None
                            else AuditEntry.actor_id == actor)
        return list(db.session.scalars(query))


def sessions_of(app, email: str) -> list[StaffSession]:
    """The account's session rows."""
    with app.app_context():
        rows = db.session.scalars(select(StaffSession).where(
            StaffSession.user_id == find_user(email).id)).all()
        db.session.expunge_all()
        return list(rows)


def raw_private_key(app, email: str, password: str) -> bytes | None:
    """The 96 private key bytes the password unwraps, or None."""
    with app.app_context():
        user = find_user(email)
        material = StaffKeyMaterial(user.kdf_salt, KdfCost.from_dict(user.kdf_params),
                                    user.public_key, user.wrapped_private_key)
        return unwrap_with_password(material, password)


class Clock:
    """The staff sessions' clock (unix seconds), moved by hand."""

    def __init__(self) -> None:
        self.now = int(time.time())

    def __call__(self) -> int:
        return self.now

    def advance(self, *, minutes: int) -> None:
        self.now += 60 * minutes


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """Sessions see this clock; two-factor codes still follow the real time."""
    moved = Clock()
    monkeypatch.setattr(staff_sessions, "_now", moved)
    return moved


@pytest.fixture
def derivations(monkeypatch) -> list[KdfCost]:
    """The cost of every Argon2id derivation made during the test (counted, not replaced)."""
    made: list[KdfCost] = []
    original = kdf.derive_key

    def counted(secret, salt, cost, purpose):
        made.append(cost)
        return original(secret, salt, cost, purpose)

    for module in list(sys.modules.values()):
        if getattr(module, "derive_key", None) is original:
            monkeypatch.setattr(module, "derive_key", counted)
    return made


# --- Enrolment and the two-factor step -------------------------------------------------


def test_first_sign_in_sets_up_two_factor_with_a_qr_code_and_a_working_secret(seeded):
    client = seeded.test_client()
    with password_step(client, OFFICER) as response:
        assert response.status_code == 302
    with client.get("/staff/login/code?lang=en", follow_redirects=True) as response:
        assert response.request.path == "/staff/login/enrol"
        page = text_of(response)
    assert "<svg" in page and "</svg>" in page
    secret = SETUP_KEY.search(page).group(1)
    assert len(secret) >= 32
    with client.get("/staff/login/enrol?lang=en") as again:
        assert SETUP_KEY.search(text_of(again)).group(1) == secret

    data = {"csrf_token": CSRF.search(page).group(1), "code": totp_code(secret)}
    with client.post("/staff/login/enrol?lang=en", data=data) as response:
        assert response.status_code == 302
        assert location(response)[0] == "/staff/overview"
    assert is_signed_in(client)
    assert actions_of(seeded, OFFICER) == ["two_factor_enrolled", "login"]
    with seeded.app_context():
        sealed = find_user(OFFICER).totp_secret_sealed
        assert sealed is not None and secret.encode() not in sealed


def test_enrolment_with_a_wrong_code_enrols_nothing(seeded):
    client = seeded.test_client()
    password_step(client, OFFICER)
    page = text_of(client.get("/staff/login/enrol?lang=en"))
    secret = SETUP_KEY.search(page).group(1)
    data = {"csrf_token": CSRF.search(page).group(1), "code": wrong_code(secret)}
    with client.post("/staff/login/enrol?lang=en", data=data) as response:
        assert response.status_code == 200
        assert WRONG_CODE in text_of(response)
    assert not is_signed_in(client)
    with seeded.app_context():
        assert find_user(OFFICER).totp_secret_sealed is None


def test_sign_in_with_password_and_code(seeded):
    secret = enrolled(seeded)
    client = seeded.test_client()
    with password_step(client, OFFICER) as response:
        assert location(response)[0] == "/staff/login/code"
    assert not is_signed_in(client)
    with code_step(client, totp_code(secret)) as response:
        assert response.status_code == 302
        assert location(response)[0] == "/staff/overview"
    assert is_signed_in(client)
    assert actions_of(seeded, OFFICER)[-1] == "login"


def test_wrong_code_is_refused_and_audited(seeded):
    secret = enrolled(seeded)
    client = seeded.test_client()
    password_step(client, OFFICER)
    with code_step(client, wrong_code(secret)) as response:
        assert response.status_code == 200
        assert WRONG_CODE in text_of(response)
    assert not is_signed_in(client)
    assert actions_of(seeded, OFFICER)[-1] == "two_factor_failed"
    with code_step(client, totp_code(secret)) as response:
        assert response.status_code == 302
    assert is_signed_in(client)


def code_of_step(secret: str, offset: int) -> str:
    """The code an authenticator shows ``offset`` 30-second steps from now."""
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(time.time()) + offset)


def test_a_code_one_step_off_is_accepted_and_two_steps_off_refused():
    secret, at = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", 1_750_000_005.0
    totp = pyotp.TOTP(secret)
    step = totp.timecode(at)
    codes = {offset: totp.generate_otp(step + offset) for offset in range(-3, 4)}
    assert len(set(codes.values())) == len(codes)  # no two steps share a code here
    matched = {offset: two_factor.code_matches(secret, code, at=at)
               for offset, code in codes.items()}
    assert matched == {-3: None, -2: None, -1: step - 1, 0: step, 1: step + 1, 2: None,
                       3: None}


def test_sign_in_refuses_a_code_two_steps_old_and_accepts_the_next_steps_code(seeded):
    secret = enrolled(seeded)
    client = seeded.test_client()
    password_step(client, OFFICER)
    # Two steps back stays refused if the clock ticks meanwhile; one step ahead stays valid.
    with code_step(client, code_of_step(secret, -2)) as response:
        assert response.status_code == 200
        assert WRONG_CODE in text_of(response)
    assert actions_of(seeded, OFFICER)[-1] == "two_factor_failed"
    with code_step(client, code_of_step(secret, +1)) as response:
        assert response.status_code == 302
        assert location(response)[0] == "/staff/overview"
    assert is_signed_in(client)


def test_a_code_cannot_be_used_twice_from_two_browsers(seeded):
    secret = enrolled(seeded)
    first, second = seeded.test_client(), seeded.test_client()
    password_step(first, OFFICER)
    password_step(second, OFFICER)
    code = totp_code(secret)
    with code_step(first, code) as response:
        assert response.status_code == 302
    with code_step(second, code) as response:
        assert response.status_code == 200
        assert WRONG_CODE in text_of(response)
    assert is_signed_in(first)
    assert not is_signed_in(second)
    assert actions_of(seeded, OFFICER)[-1] == "two_factor_failed"


def test_a_code_cannot_be_used_twice_in_one_browser(seeded):
    secret = enrolled(seeded)
    client = seeded.test_client()
    code = totp_code(secret)
    password_step(client, OFFICER)
    with code_step(client, code) as response:
        assert response.status_code == 302
    client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/account")})
    password_step(client, OFFICER)
    with code_step(client, code) as response:
        assert response.status_code == 200
        assert WRONG_CODE in text_of(response)
    assert not is_signed_in(client)


def test_signing_in_gives_a_new_session_id_and_ends_the_pending_one(seeded):
    secret = enrolled(seeded)
    client = seeded.test_client()
    password_step(client, OFFICER)
    pending = staff_cookie(client)
    code_step(client, totp_code(secret))
    final = staff_cookie(client)

    assert pending and final and final != pending
    assert parse_token(final).row_id != parse_token(pending).row_id
    with seeded.app_context():
        assert db.session.get(StaffSession, parse_token(pending).row_id) is None
        assert db.session.get(StaffSession, parse_token(final).row_id).stage == \
            SessionStage.SIGNED_IN
    client.set_cookie(COOKIE, pending)
    assert not is_signed_in(client)


def test_pending_sign_in_expires_after_ten_minutes(seeded, clock):
    secret = enrolled(seeded)
    client = seeded.test_client()
    password_step(client, OFFICER)
    clock.advance(minutes=11)
    with code_step(client, totp_code(secret)) as response:
        assert response.status_code == 302
        assert location(response)[0] == "/staff/login"
    assert "Your sign-in has expired" in text_of(client.get("/staff/login?lang=en"))
    assert not is_signed_in(client)
    assert {row.stage for row in sessions_of(seeded, OFFICER)} == {SessionStage.SIGNED_IN}


# --- Wrong credentials tell nothing ----------------------------------------------------


def test_unknown_address_wrong_password_and_deactivated_account_look_the_same(seeded):
    with seeded.app_context():
        find_user(COLLEAGUE).is_active = False
        db.session.commit()
    client = seeded.test_client()
    attempts = {NOBODY: "any password at all", OFFICER: "not the password",
                COLLEAGUE: DEMO_PASSWORD}
    answers = []
    for email, password in attempts.items():
        with password_step(client, email, password) as response:
            page = text_of(response)
            assert WRONG_CREDENTIALS in page
            assert staff_cookie(client) is None
            answers.append((response.status_code,
                            CSRF.sub("TOKEN", page.replace(email, "ADDRESS"))))
    assert answers[0][0] == 200
    assert answers[0] == answers[1] == answers[2]
    assert actions_of(seeded, None) == ["login_failed"]
    assert actions_of(seeded, OFFICER) == ["login_failed"]
    assert actions_of(seeded, COLLEAGUE) == ["login_failed"]


def test_unknown_address_costs_the_same_derivation_as_a_known_one(seeded, derivations):
    configured = KdfCost.from_config(seeded.config)
    client = seeded.test_client()
    costs = {}
    for label, email, password in [("unknown", NOBODY, DEMO_PASSWORD),
                                   ("wrong password", OFFICER, "not the password"),
                                   ("right password", OFFICER, DEMO_PASSWORD)]:
        derivations.clear()
        password_step(client, email, password)
        costs[label] = list(derivations)
    assert costs == {"unknown": [configured], "wrong password": [configured],
                     "right password": [configured]}


# --- Throttling per account ------------------------------------------------------------


@pytest.fixture
def throttled(make_app):
    """The demo network with three sign-in attempts per account and minute."""
    app = make_app(STAFF_LOGIN_RATE_LIMIT="3 per minute")
    seed(app)
    return app


def assert_too_many_requests(response, language: str = "lt") -> None:
    assert response.status_code == 429
    page = text_of(response)
    title = catalogue_translation("Too many requests", language)
    assert title != "Too many requests"
    assert title in page and f'<html lang="{language}">' in page


def attempt(client, email: str, password: str, language: str = "lt"):
    data = {"csrf_token": csrf_token(client, "/staff/login"), "email": email,
            "password": password}
    return client.post(f"/staff/login?lang={language}", data=data)


def test_password_attempts_are_throttled_per_account(throttled):
    client = throttled.test_client()
    for _ in range(3):
        with attempt(client, OFFICER, "not the password") as response:
            assert response.status_code == 200
    with attempt(client, OFFICER, DEMO_PASSWORD) as response:
        assert_too_many_requests(response)
    with attempt(throttled.test_client(), OFFICER.upper(), DEMO_PASSWORD) as response:
        assert_too_many_requests(response)
    assert staff_cookie(client) is None
    with attempt(client, COLLEAGUE, DEMO_PASSWORD) as response:
        assert response.status_code == 302


def test_attempts_for_an_unknown_address_are_throttled_too(throttled):
    client = throttled.test_client()
    for _ in range(3):
        with attempt(client, NOBODY, "any password at all") as response:
            assert response.status_code == 200
    with attempt(client, NOBODY, "any password at all") as response:
        assert_too_many_requests(response)
    with attempt(client, OFFICER, DEMO_PASSWORD) as response:
        assert response.status_code == 302


def test_two_factor_attempts_are_throttled_per_account(throttled):
    secret = enrolled(throttled)
    client = throttled.test_client()
    password_step(client, OFFICER)
    for _ in range(3):
        with code_step(client, wrong_code(secret)) as response:
            assert response.status_code == 200
    with code_step(client, totp_code(secret)) as response:
        assert response.status_code == 429
    assert not is_signed_in(client)


# --- Sessions: timeouts and sign-out ---------------------------------------------------


def test_session_ends_after_thirty_idle_minutes(seeded, clock):
    client = seeded.test_client()
    staff_sign_in(client, seeded, OFFICER, through_pages=True)
    clock.advance(minutes=29)
    assert is_signed_in(client)
    clock.advance(minutes=29)
    assert is_signed_in(client)
    clock.advance(minutes=31)
    assert not is_signed_in(client)
    assert sessions_of(seeded, OFFICER) == []


def test_session_ends_eight_hours_after_sign_in_however_busy(seeded, clock):
    client = seeded.test_client()
    staff_sign_in(client, seeded, OFFICER, through_pages=True)
    for _ in range(19):
        clock.advance(minutes=25)
        assert is_signed_in(client)
    clock.advance(minutes=10)  # 8 hours and 5 minutes after signing in
    assert not is_signed_in(client)


def test_expired_session_sends_to_sign_in_and_back_to_the_page(seeded, clock):
    secret = enrolled(seeded)
    client = seeded.test_client()
    password_step(client, OFFICER)
    code_step(client, totp_code(secret))
    clock.advance(minutes=31)
    with client.get("/staff/i/utena/cases?status=all") as response:
        assert response.status_code == 302
        path, query = location(response)
    assert path == "/staff/login"
    assert query["next"] == ["/staff/i/utena/cases?status=all"]

    forget_last_code(seeded, OFFICER)
    with password_step(client, OFFICER, next=query["next"][0]) as response:
        path, query = location(response)
    with code_step(client, totp_code(secret), next=query["next"][0]) as response:
        assert location(response) == ("/staff/i/utena/cases", {"status": ["all"]})


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "/\\evil.example",
                                    "/staff//evil.example", "/staff/\\\\evil.example",
                                    "javascript:alert(1)"])
def test_next_cannot_lead_off_site(seeded, target):
    secret = enrolled(seeded)
    client = seeded.test_client()
    with password_step(client, OFFICER, next=target) as response:
        assert "evil" not in response.headers["Location"]
    with code_step(client, totp_code(secret), next=target) as response:
        assert response.status_code == 302
        assert location(response)[0] == "/staff/overview"
        assert "evil" not in response.headers["Location"]


def test_sign_out_ends_every_session_of_the_account(seeded):
    first, second, colleague = (seeded.test_client() for _ in range(3))
    staff_sign_in(first, seeded, OFFICER, through_pages=True)
    staff_sign_in(second, seeded, OFFICER, through_pages=True)
    staff_sign_in(colleague, seeded, COLLEAGUE, through_pages=True)
    assert len(sessions_of(seeded, OFFICER)) == 2

    with first.post("/staff/logout", data={"csrf_token": csrf_token(first, "/staff/account")}
                    ) as response:
        assert response.status_code == 302
        assert location(response)[0] == "/staff/login"
    assert staff_cookie(first) is None
    assert not is_signed_in(first)
    assert not is_signed_in(second)
    assert sessions_of(seeded, OFFICER) == []
    assert is_signed_in(colleague)
    assert actions_of(seeded, OFFICER)[-1] == "logout"


def test_cancelling_a_pending_sign_in_ends_it(seeded):
    secret = enrolled(seeded)
    client = seeded.test_client()
    password_step(client, OFFICER)
    pending = staff_cookie(client)
    with client.post("/staff/logout",
                     data={"csrf_token": csrf_token(client, "/staff/login")}) as response:
        assert location(response)[0] == "/staff/login"
    with seeded.app_context():
        assert db.session.get(StaffSession, parse_token(pending).row_id) is None
    client.set_cookie(COOKIE, pending)
    with code_step(client, totp_code(secret)) as response:
        assert location(response)[0] == "/staff/login"
    assert not is_signed_in(client)


def test_deactivating_an_account_ends_its_live_session(seeded):
    client = seeded.test_client()
    staff_sign_in(client, seeded, OFFICER, through_pages=True)
    with seeded.app_context():
        find_user(OFFICER).is_active = False
        db.session.commit()
    assert not is_signed_in(client)
    assert sessions_of(seeded, OFFICER) == []


# --- CSRF ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["lt", "nb"])
def test_sign_in_without_csrf_token_gets_translated_400_and_opens_no_session(seeded, language):
    client = seeded.test_client()
    with client.post(f"/staff/login?lang={language}",
                     data={"email": OFFICER, "password": DEMO_PASSWORD}) as response:
        assert response.status_code == 400
        assert catalogue_translation("The form has expired", language) in text_of(response)
    assert staff_cookie(client) is None
    assert sessions_of(seeded, OFFICER) == []
    assert actions_of(seeded, OFFICER) == []


def test_sign_out_without_csrf_token_gets_translated_400_and_ends_nothing(seeded):
    client = seeded.test_client()
    staff_sign_in(client, seeded, OFFICER, through_pages=True)
    with client.post("/staff/logout?lang=lt") as response:
        assert response.status_code == 400
        assert catalogue_translation("The form has expired", "lt") in text_of(response)
    assert is_signed_in(client)
    assert "logout" not in actions_of(seeded, OFFICER)


# --- Password change ----------------------------------------------------------------------


def change_password(client, current: str, new: str, again: str | None = None):
    data = {"csrf_token": csrf_token(client, "/staff/account"), "current_password": current,
            "password": new, "password_again": new if again is None else again}
    return client.post("/staff/account?lang=en", data=data)


def test_password_change_rewraps_the_same_key_so_sealed_reports_still_open(seeded):
    with send_report(seeded.test_client(), "utena") as sent:
        assert sent.status_code == 200
    before = raw_private_key(seeded, OFFICER, DEMO_PASSWORD)
    with seeded.app_context():
        report = db.session.scalars(select(Report)).one()
        ref = report.ref
        data_key = officer_data_key(report, find_user(OFFICER), load_private_key(before))
    client, elsewhere = seeded.test_client(), seeded.test_client()
    staff_sign_in(client, seeded, OFFICER, through_pages=True)
    staff_sign_in(elsewhere, seeded, OFFICER, through_pages=True)

    with change_password(client, DEMO_PASSWORD, NEW_PASSWORD) as response:
        assert response.status_code == 302
        assert location(response)[0] == "/staff/login"

    assert not is_signed_in(client) and not is_signed_in(elsewhere)
    assert sessions_of(seeded, OFFICER) == []
    assert raw_private_key(seeded, OFFICER, DEMO_PASSWORD) is None
    after = raw_private_key(seeded, OFFICER, NEW_PASSWORD)
    assert after == before
    with seeded.app_context():
        report = db.session.scalars(select(Report)).one()
        assert officer_data_key(report, find_user(OFFICER), load_private_key(after)) == data_key
    assert actions_of(seeded, OFFICER)[-1] == "password_changed"

    with password_step(client, OFFICER, DEMO_PASSWORD) as response:
        assert WRONG_CREDENTIALS in text_of(response)
    staff_sign_in(client, seeded, OFFICER, NEW_PASSWORD, through_pages=True)
    with client.get(f"/staff/cases/{ref}?lang=en") as case_page:
        assert case_page.status_code == 200
        assert "An official asked for money" in text_of(case_page)


@pytest.mark.parametrize(("current", "new", "again", "message"), [
    (DEMO_PASSWORD, "too-short-1", None, "The password must have at least 12 characters."),
    (DEMO_PASSWORD, "qwerty123456", None, "This password is too common."),
    (DEMO_PASSWORD, "Password1234!", None, "This password is too common."),
    (DEMO_PASSWORD, "officer1.utena-rides-bikes", None,
     "The password must not contain your e-mail address."),
    (DEMO_PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!", "The two passwords differ."),
    ("not the password", NEW_PASSWORD, None, "The current password is wrong."),
], ids=["short", "common", "common-with-suffix", "e-mail", "mismatch", "wrong-current"])
def test_unacceptable_password_change_is_refused_with_a_reason(seeded, current, new, again,
                                                               message):
    client = seeded.test_client()
    staff_sign_in(client, seeded, OFFICER, through_pages=True)
    with seeded.app_context():
        wrapped = find_user(OFFICER).wrapped_private_key
    with change_password(client, current, new, again) as response:
        assert response.status_code == 200
        assert message in text_of(response)
    with seeded.app_context():
        assert find_user(OFFICER).wrapped_private_key == wrapped
    assert raw_private_key(seeded, OFFICER, DEMO_PASSWORD) is not None
    assert is_signed_in(client)
    assert "password_changed" not in actions_of(seeded, OFFICER)


# --- Cookie and what the database keeps ----------------------------------------------------


def staff_set_cookie(response, name: str = COOKIE) -> str:
    headers = [value for value in response.headers.getlist("Set-Cookie")
               if value.startswith(f"{name}=")]
    assert len(headers) == 1, response.headers.getlist("Set-Cookie")
    return headers[0]


def test_staff_cookie_is_httponly_samesite_strict_and_host_wide(seeded):
    with password_step(seeded.test_client(), OFFICER) as response:
        header = staff_set_cookie(response)
    assert "HttpOnly" in header
    assert "SameSite=Strict" in header
    assert "Path=/;" in header or header.endswith("Path=/")
    assert "Domain=" not in header


def test_production_staff_cookie_is_secure_and_host_prefixed(make_app, database_url):
    from config import ProductionConfig

    assert ProductionConfig.STAFF_COOKIE_NAME.startswith("__Host-")
    settings = {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "k" * 48,
                "PUBLIC_BASE_URL": "https://skaidra.example.org"}
    app = make_app(config_class=type("Production", (ProductionConfig,), settings))
    with app.app_context():
        create_user("officer@example.org", "Officer", NEW_PASSWORD)
    client = app.test_client()
    https = "https://skaidra.example.org"
    page = text_of(client.get("/staff/login?lang=en", base_url=https))
    data = {"csrf_token": CSRF.search(page).group(1), "email": "officer@example.org",
            "password": NEW_PASSWORD}
    with client.post("/staff/login?lang=en", data=data, base_url=https) as response:
        assert response.status_code == 302
        header = staff_set_cookie(response, ProductionConfig.STAFF_COOKIE_NAME)
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Strict" in header
    assert "Path=/" in header and "Domain=" not in header


def every_stored_value(app):
    """Every value of every row of every table."""
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(table.select()):
                yield from row


def test_private_key_is_nowhere_in_the_database_in_the_clear(seeded):
    raw = raw_private_key(seeded, OFFICER, DEMO_PASSWORD)
    assert len(raw) == 96
    forms = [raw, base64.b64encode(raw), base64.urlsafe_b64encode(raw).rstrip(b"="),
             raw.hex().encode()]
    pending, signed_in = seeded.test_client(), seeded.test_client()
    password_step(pending, OFFICER)
    staff_sign_in(signed_in, seeded, OFFICER, through_pages=True)
    assert {row.stage for row in sessions_of(seeded, OFFICER)} == {
        SessionStage.PASSWORD, SessionStage.SIGNED_IN}

    for value in every_stored_value(seeded):
        if isinstance(value, (dict, list)):
            value = json.dumps(value)
        if isinstance(value, str):
            value = value.encode()
        if isinstance(value, (bytes, memoryview)):
            assert not any(form in bytes(value) for form in forms)


def test_cookie_with_a_wrong_key_opens_nothing(seeded):
    client = seeded.test_client()
    staff_sign_in(client, seeded, OFFICER, through_pages=True)
    genuine = staff_cookie(client)
    session_id = genuine.split(".")[0]
    forged = session_id + "." + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode() \
        .rstrip("=")
    assert parse_token(forged).row_id == parse_token(genuine).row_id

    client.set_cookie(COOKIE, forged)
    assert not is_signed_in(client)
    with seeded.app_context():
        assert staff_sessions.resume(forged) is None
    with client.get("/staff/account?lang=en") as response:
        assert response.status_code == 302


# --- The audit trail -------------------------------------------------------------------------


def test_sign_in_events_are_audited_and_the_chain_holds(seeded):
    client = seeded.test_client()
    password_step(client, OFFICER, "not the password")
    secret = staff_sign_in(client, seeded, OFFICER, through_pages=True)
    client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/account")})
    forget_last_code(seeded, OFFICER)
    password_step(client, OFFICER)
    code_step(client, wrong_code(secret))
    code_step(client, totp_code(secret))
    change_password(client, DEMO_PASSWORD, NEW_PASSWORD)

    assert actions_of(seeded, OFFICER) == [
        "login_failed", "two_factor_enrolled", "login", "logout", "two_factor_failed",
        "login", "password_changed"]
    with seeded.app_context():
        assert audit.verify_chain().broken is None
        entries = db.session.scalars(select(AuditEntry)).all()
        assert all(entry.report_ref is None for entry in entries)
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 7
