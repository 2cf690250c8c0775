"""A flood of wrong sign-in attempts cannot lock a staff member out (docs/security.md,
section 7, "Throttling"): a browser that has signed the account in before holds a device
cookie and counts on its own, while every other client still shares the account's limit."""

import re

from app.services.demo.network import DEMO_PASSWORD
from config import ProductionConfig
from tests.helpers import CSRF, SETUP_KEY, forget_last_code, staff_sign_in, text_of, totp_code
from tests.test_staff_auth import (
    COLLEAGUE,
    NEW_PASSWORD,
    OFFICER,
    attempt,
    change_password,
    clock,  # noqa: F401  (the staff sessions' clock, a fixture)
    code_step,
    is_signed_in,
    password_step,
    throttled,  # noqa: F401  (three attempts per account and minute, a fixture)
    wrong_code,
)

DEVICE_COOKIE = "skaidra_staff_device"  # TestConfig.STAFF_DEVICE_COOKIE_NAME
FLOOD = 12  # four times the limit of the throttled app


def own_browser(app, email: str = OFFICER):
    """The staff member's usual browser: it has signed in (enrolling two-factor) and out.
    Returns the browser and the account's TOTP secret."""
    browser = app.test_client()
    secret = staff_sign_in(browser, app, email, through_pages=True)
    browser.post("/staff/logout", data={"csrf_token": CSRF.search(
        text_of(browser.get("/staff/account"))).group(1)})
    assert not is_signed_in(browser)
    assert browser.get_cookie(DEVICE_COOKIE) is not None
    return browser, secret


def flood_passwords(app, email: str = OFFICER) -> list[int]:
    """Wrong passwords for an address, each from a new browser without a device cookie, as
    anyone who knows the address can send them; returns the status codes."""
    statuses = []
    for number in range(FLOOD):
        with attempt(app.test_client(), email, f"wrong password {number}") as response:
            statuses.append(response.status_code)
    return statuses


def sign_in_fully(client, app, secret: str, email: str = OFFICER) -> tuple[int, int]:
    """Password and code; returns the status codes of both steps."""
    forget_last_code(app, email)
    with password_step(client, email) as response:
        first = response.status_code
    with code_step(client, totp_code(secret)) as response:
        return first, response.status_code


def device_cookie_of(client) -> str:
    return client.get_cookie(DEVICE_COOKIE).value


def with_device_cookie(app, value: str):
    """A new browser presenting the given device cookie."""
    client = app.test_client()
    client.set_cookie(DEVICE_COOKIE, value)
    return client


def test_officer_signs_in_from_their_usual_browser_while_a_flood_locks_their_address(
        throttled):  # noqa: F811
    browser, secret = own_browser(throttled)
    statuses = flood_passwords(throttled)
    assert statuses[-(FLOOD - 3):] == [429] * (FLOOD - 3)

    assert sign_in_fully(browser, throttled, secret) == (302, 302)
    assert is_signed_in(browser)


def test_a_flood_of_wrong_codes_by_someone_with_the_password_does_not_lock_the_officer_out(
        throttled):  # noqa: F811
    browser, secret = own_browser(throttled)
    intruder = throttled.test_client()
    forget_last_code(throttled, OFFICER)
    with password_step(intruder, OFFICER) as response:
        assert response.status_code == 302
    statuses = []
    for _ in range(FLOOD):
        with code_step(intruder, wrong_code(secret)) as response:
            statuses.append(response.status_code)
    assert statuses[-(FLOOD - 3):] == [429] * (FLOOD - 3)
    with code_step(intruder, totp_code(secret)) as response:
        assert response.status_code == 429
    assert not is_signed_in(intruder)

    assert sign_in_fully(browser, throttled, secret) == (302, 302)
    assert is_signed_in(browser)


def test_after_a_flood_a_browser_without_a_device_cookie_is_refused_even_the_right_password(
        throttled):  # noqa: F811
    own_browser(throttled)
    flood_passwords(throttled)
    stranger = throttled.test_client()
    with attempt(stranger, OFFICER, DEMO_PASSWORD) as response:
        assert response.status_code == 429
    assert not is_signed_in(stranger)


def test_the_usual_browser_has_a_limit_of_its_own(throttled):  # noqa: F811
    browser, _ = own_browser(throttled)
    for number in range(3):
        with attempt(browser, OFFICER, f"mistyped {number}") as response:
            assert response.status_code == 200
    with attempt(browser, OFFICER, DEMO_PASSWORD) as response:
        assert response.status_code == 429
    # Its mistakes were its own: other browsers still have the account's attempts.
    with attempt(throttled.test_client(), OFFICER, DEMO_PASSWORD) as response:
        assert response.status_code == 302


def test_another_accounts_device_cookie_does_not_lift_the_limit(throttled):  # noqa: F811
    colleague, _ = own_browser(throttled, COLLEAGUE)
    flood_passwords(throttled)
    with attempt(with_device_cookie(throttled, device_cookie_of(colleague)), OFFICER,
                 DEMO_PASSWORD) as response:
        assert response.status_code == 429


def forgeries(genuine: str) -> list[str]:
    """Device cookies an intruder could make up, or make from a genuine one."""
    issued, nonce, mac = genuine.split(".")
    other_hex = "0" if mac[-1] != "0" else "1"
    return [
        f"{issued}.{nonce}.{mac[:-1]}{other_hex}",        # the signature altered
        f"{issued}.{'a' * 32}.{mac}",                      # another nonce, same signature
        f"{int(issued) + 1}.{nonce}.{mac}",                # another day
        f"{issued}.{nonce}",                               # no signature
        "1",                                               # junk
        f"{issued}.{nonce}.{mac}.{mac}",                   # too many parts
    ]


def test_forged_or_altered_device_cookies_do_not_lift_the_limit(throttled):  # noqa: F811
    browser, secret = own_browser(throttled)
    genuine = device_cookie_of(browser)
    flood_passwords(throttled)
    for forged in forgeries(genuine):
        with attempt(with_device_cookie(throttled, forged), OFFICER, DEMO_PASSWORD) as response:
            assert response.status_code == 429, forged
    # The genuine cookie, in any browser, is what counts apart.
    assert sign_in_fully(with_device_cookie(throttled, genuine), throttled, secret) == (302, 302)


def test_a_password_change_voids_the_accounts_device_cookies(throttled):  # noqa: F811
    browser, _ = own_browser(throttled)
    forget_last_code(throttled, OFFICER)
    staff_sign_in(browser, throttled, OFFICER, through_pages=True)
    old_cookie = device_cookie_of(browser)
    with change_password(browser, DEMO_PASSWORD, NEW_PASSWORD) as response:
        assert response.status_code == 302
    flood_passwords(throttled)
    with attempt(with_device_cookie(throttled, old_cookie), OFFICER, NEW_PASSWORD) as response:
        assert response.status_code == 429


def test_device_cookies_expire_after_ninety_days(throttled, clock):  # noqa: F811
    browser, _ = own_browser(throttled)
    clock.advance(minutes=90 * 24 * 60)
    flood_passwords(throttled)
    with attempt(browser, OFFICER, DEMO_PASSWORD) as response:
        assert response.status_code == 429


def test_device_cookie_is_httponly_samesite_strict_and_holds_no_personal_data(throttled):  # noqa: F811
    browser = throttled.test_client()
    forget_last_code(throttled, OFFICER)
    with password_step(browser, OFFICER) as response:
        assert response.status_code == 302
        assert not device_headers(response, DEVICE_COOKIE)
    page = text_of(browser.get("/staff/login/enrol"))
    data = {"csrf_token": CSRF.search(page).group(1),
            "code": totp_code(SETUP_KEY.search(page).group(1))}
    with browser.post("/staff/login/enrol", data=data) as response:
        assert response.status_code == 302
        [header] = device_headers(response, DEVICE_COOKIE)
    assert "HttpOnly" in header and "SameSite=Strict" in header
    assert "Path=/;" in header or header.endswith("Path=/")
    assert "Domain=" not in header and f"Max-Age={90 * 86400}" in header
    value = device_cookie_of(browser)
    assert re.fullmatch(r"\d+\.[0-9a-f]{32}\.[0-9a-f]{64}", value), value
    assert "officer1" not in value


def device_headers(response, name: str) -> list[str]:
    return [value for value in response.headers.getlist("Set-Cookie")
            if value.startswith(f"{name}=")]


def test_production_device_cookie_is_secure_and_host_prefixed(make_app, database_url):
    from app.services.accounts.users import create_user

    https = "https://skaidra.example.org"
    settings = {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "k" * 48,
                "PUBLIC_BASE_URL": https}
    app = make_app(config_class=type("Production", (ProductionConfig,), settings))
    with app.app_context():
        create_user("officer@example.org", "Officer", NEW_PASSWORD)
    client = app.test_client()
    page = text_of(client.get("/staff/login?lang=en", base_url=https))
    data = {"csrf_token": CSRF.search(page).group(1), "email": "officer@example.org",
            "password": NEW_PASSWORD}
    with client.post("/staff/login?lang=en", data=data, base_url=https) as response:
        assert response.status_code == 302
    page = text_of(client.get("/staff/login/enrol?lang=en", base_url=https))
    data = {"csrf_token": CSRF.search(page).group(1),
            "code": totp_code(SETUP_KEY.search(page).group(1))}
    with client.post("/staff/login/enrol?lang=en", data=data, base_url=https) as response:
        assert response.status_code == 302
        [header] = device_headers(response, "__Host-skaidra_staff_device")
    assert ProductionConfig.STAFF_DEVICE_COOKIE_NAME == "__Host-skaidra_staff_device"
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Strict" in header
    assert "Path=/" in header and "Domain=" not in header
