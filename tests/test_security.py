"""Security baseline: headers on every route, cookie flags, CSRF, no external assets."""

import re
from pathlib import Path

import pytest

from app.extensions import db
from app.services.administration.institutions import find_institution
from tests.helpers import catalogue_translation, seed, staff_sign_in, text_of

# A sample value for every URL argument of the app; a new argument must be added here, so
# no route escapes the header checks unnoticed.
SAMPLE_ARGUMENTS = {"slug": "birzai", "filename": "skaidra.css", "language": "lt",
                    "ref": "0" * 32, "file_ref": "0" * 32, "token": "t" * 43, "user_id": 1,
                    "number": 1, "area_id": "procurement", "kind": "csv", "item_id": 1}

APP_DIR = Path(__file__).resolve().parents[1] / "app"

# The whole policy, directive by directive: a directive dropped or loosened fails here.
# media-src: officers play voice messages from the case's file address, reporters hear the
# disguised message on the check page from a data: address (docs/security.md, section 6).
POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; media-src 'self' data:; "
          "font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors {}")
UNFRAMED_POLICY = POLICY.format("'none'")


def every_get_url(app) -> list[str]:
    """One concrete URL for each GET route of the app."""
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods:
                continue
            missing = rule.arguments - SAMPLE_ARGUMENTS.keys()
            assert not missing, f"add a sample value for {missing} of {rule.rule}"
            from flask import url_for

            urls.append(url_for(rule.endpoint, **{a: SAMPLE_ARGUMENTS[a] for a in rule.arguments}))
    return urls


def test_every_route_sends_the_security_headers(app, client):
    seed(app)
    urls = [*every_get_url(app), "/no-such-page"]
    assert "/" in urls and "/staff/login" in urls and "/healthz" in urls
    for url in urls:
        with client.get(url) as response:
            headers = response.headers
            assert headers["Content-Security-Policy"] == UNFRAMED_POLICY, url
            assert headers["X-Frame-Options"] == "DENY", url
            assert headers["Referrer-Policy"] == "no-referrer", url
            assert headers["X-Content-Type-Options"] == "nosniff", url
            assert headers["Cross-Origin-Opener-Policy"] == "same-origin", url
            assert headers["Cross-Origin-Resource-Policy"] == "same-origin", url
            assert "camera=()" in headers["Permissions-Policy"], url
            assert "Strict-Transport-Security" not in headers, url
            if not url.startswith("/static/"):
                assert headers["Cache-Control"] == "no-store", url


@pytest.mark.parametrize(
    ("origins", "expected"),
    [(["https://www.birzai.lt", "http://intranet.example:8080"],
      "frame-ancestors https://www.birzai.lt http://intranet.example:8080"),
     (["https://a.example; script-src *", "javascript:x", "*"], "frame-ancestors 'none'")],
)
def test_framing_allowlist_accepts_only_plain_origins(app, origins, expected):
    from flask import Response

    from app.security import allow_framing_by, set_security_headers

    with app.test_request_context("/"):
        allow_framing_by(origins)
        headers = set_security_headers(Response("x")).headers
    assert headers["Content-Security-Policy"] == POLICY.format(
        expected.removeprefix("frame-ancestors "))


def test_public_staff_and_embeddable_pages_send_exactly_the_whole_policy(seeded):
    with seeded.app_context():
        find_institution("utena").embed_origins = ["https://www.utena.lt",
                                                   "http://intranet.example:8080"]
        db.session.commit()
    visitor, officer = seeded.test_client(), seeded.test_client()
    staff_sign_in(officer, seeded, "officer1.utena@demo.example.org")
    policies = {}
    for client, url in ((visitor, "/i/utena/report?lang=en"), (visitor, "/staff/login?lang=en"),
                        (officer, "/staff/overview?lang=en"), (visitor, "/i/utena/embed?lang=en")):
        with client.get(url) as response:
            assert response.status_code == 200, url
            policies[url] = response.headers["Content-Security-Policy"]
    assert policies == {
        "/i/utena/report?lang=en": UNFRAMED_POLICY,
        "/staff/login?lang=en": UNFRAMED_POLICY,
        "/staff/overview?lang=en": UNFRAMED_POLICY,
        "/i/utena/embed?lang=en": POLICY.format(
            "https://www.utena.lt http://intranet.example:8080"),
    }


def test_hsts_is_sent_over_https(client):
    response = client.get("/healthz", base_url="https://skaidra.example.org")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=63072000")


def test_https_from_a_trusted_proxy_enables_hsts_but_client_address_is_ignored(make_app):
    app = make_app(TRUSTED_PROXY_COUNT=1)
    seen = {}

    @app.get("/_probe")
    def probe():
        from flask import request

        seen["scheme"] = request.scheme
        seen["address"] = request.remote_addr
        return "ok"

    response = app.test_client().get(
        "/_probe",
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.77"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert response.headers["Strict-Transport-Security"]
    assert seen == {"scheme": "https", "address": "127.0.0.1"}


def test_session_cookie_is_httponly_and_samesite_strict(client):
    response = client.get("/?lang=en")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("skaidra_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie


def test_production_session_cookie_is_secure_and_host_prefixed(make_app, database_url):
    from config import ProductionConfig

    settings = {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "k" * 48,
                "PUBLIC_BASE_URL": "https://skaidra.example.org"}
    app = make_app(config_class=type("Production", (ProductionConfig,), settings))
    cookie = app.test_client().get("/?lang=en", base_url="https://skaidra.example.org")
    header = cookie.headers["Set-Cookie"]
    assert header.startswith("__Host-skaidra_session=")
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Strict" in header
    assert "Domain=" not in header and "Path=/" in header


@pytest.mark.parametrize("language", ["lt", "en", "nb"])
def test_form_without_csrf_token_gets_translated_error_and_nothing_happens(client, language):
    title = catalogue_translation("The form has expired", language)
    assert language == "en" or title != "The form has expired"
    response = client.post(f"/staff/login?lang={language}",
                           data={"email": "a@example.org", "password": "x" * 12})
    assert response.status_code == 400
    page = text_of(response)
    assert title in page
    assert "Traceback" not in page


def test_form_with_valid_csrf_token_is_accepted(client):
    page = text_of(client.get("/staff/login?lang=en"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/staff/login?lang=en", data={
        "csrf_token": token, "email": "officer@example.org", "password": "x" * 12})
    assert response.status_code == 200  # past CSRF: the password step answered
    assert "The e-mail address or the password is wrong." in text_of(response)


def test_form_over_https_without_referer_is_accepted_in_production(make_app, database_url):
    """Browsers send no Referer (our policy) and Origin: null; the token alone must do."""
    from config import ProductionConfig

    settings = {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "k" * 48,
                "TRUSTED_PROXY_COUNT": 1, "PUBLIC_BASE_URL": "https://skaidra.example.org"}
    client = make_app(config_class=type("Production", (ProductionConfig,), settings)).test_client()
    https = {"X-Forwarded-Proto": "https"}
    page = text_of(client.get("/staff/login?lang=en", headers=https))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/staff/login?lang=en", headers={**https, "Origin": "null"}, data={
        "csrf_token": token, "email": "officer@example.org", "password": "x" * 12})
    assert response.status_code == 200  # past CSRF: the password step answered
    assert "The e-mail address or the password is wrong." in text_of(response)


def test_empty_login_fields_get_translated_messages(client):
    page = text_of(client.get("/staff/login?lang=en"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/staff/login?lang=en", data={"csrf_token": token})
    page = text_of(response)
    assert "Enter your e-mail address." in page
    assert "Enter your password." in page
    assert 'aria-invalid="true"' in page


def test_html_in_form_fields_is_escaped(client):
    page = text_of(client.get("/staff/login?lang=en"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    hostile = '"><script>alert(1)</script>'
    response = client.post("/staff/login?lang=en",
                           data={"csrf_token": token, "email": hostile, "password": ""})
    page = text_of(response)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page or "&#34;&gt;&lt;script&gt;" in page


def test_templates_and_stylesheets_load_nothing_from_other_origins():
    offenders = []
    for path in [*APP_DIR.rglob("*.html"), *APP_DIR.rglob("*.css")]:
        text = path.read_text(encoding="utf-8")
        for pattern in (r'(?:src|href)\s*=\s*["\']\s*(?:https?:)?//',
                        r'url\(\s*["\']?\s*(?:https?:)?//', r'@import'):
            if re.search(pattern, text, re.IGNORECASE):
                offenders.append(f"{path.name}: {pattern}")
    assert offenders == []
