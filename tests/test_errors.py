"""Every error a visitor can meet has a calm, translated page without a stack trace."""

import pytest
from flask import abort

from app.extensions import limiter
from tests.helpers import catalogue_translation, text_of

TITLES = {
    400: {"en": "The request could not be understood"},
    403: {"en": "Access denied"},
    404: {"en": "Page not found"},
    405: {"en": "Method not allowed"},
    413: {"en": "Too much data"},
    429: {"en": "Too many requests"},
    500: {"en": "Something went wrong"},
}


@pytest.fixture
def failing_app(make_app):
    """The app plus routes that fail in each way, registered before the first request."""
    app = make_app(MAX_CONTENT_LENGTH=1024, PROPAGATE_EXCEPTIONS=False)

    @app.get("/_forbidden")
    def forbidden():
        abort(403)

    @app.get("/_bad")
    def bad():
        abort(400)

    @app.get("/_crash")
    def crash():
        raise RuntimeError("secret internals: SELECT * FROM report")

    @app.get("/_limited")
    @limiter.limit("1 per minute")
    def limited():
        return "ok"

    @app.post("/_upload")
    def upload():
        from flask import request

        return str(len(request.form))

    return app


def assert_error_page(response, code: int, language: str = "en") -> None:
    assert response.status_code == code
    page = text_of(response)
    assert f'<html lang="{language}">' in page
    assert "Traceback" not in page and "RuntimeError" not in page and "SELECT" not in page
    if language == "en":
        assert TITLES[code]["en"] in page


def test_400_page(failing_app):
    assert_error_page(failing_app.test_client().get("/_bad?lang=en"), 400)


def test_403_page(failing_app):
    assert_error_page(failing_app.test_client().get("/_forbidden?lang=en"), 403)


def test_404_page(failing_app):
    assert_error_page(failing_app.test_client().get("/missing?lang=en"), 404)


def test_405_page_names_the_allowed_methods(failing_app):
    response = failing_app.test_client().delete("/healthz?lang=en")
    assert_error_page(response, 405)
    assert "GET" in response.headers["Allow"]


def test_413_page_when_the_body_is_too_large(failing_app):
    response = failing_app.test_client().post("/_upload?lang=en", data={"x": "y" * 4096})
    assert_error_page(response, 413)


def test_429_page_when_a_limit_is_exceeded(failing_app):
    client = failing_app.test_client()
    assert client.get("/_limited").status_code == 200
    assert_error_page(client.get("/_limited?lang=en"), 429)


def test_unlisted_http_errors_get_a_translated_page_too(failing_app):
    response = failing_app.test_client().get(
        "/static/skaidra.css?lang=en", headers={"Range": "bytes=999999-"})
    assert response.status_code == 416
    assert TITLES[400]["en"] in text_of(response)


def test_trailing_slash_redirect_is_not_turned_into_an_error(failing_app):
    response = failing_app.test_client().get("/staff")
    assert response.status_code == 308
    assert response.headers["Location"].endswith("/staff/")


def test_500_page_hides_internals_and_logs_them(failing_app, caplog):
    response = failing_app.test_client().get("/_crash?lang=en")
    assert_error_page(response, 500)
    assert any("RuntimeError" in (record.exc_text or str(record.exc_info))
               for record in caplog.records)


@pytest.mark.parametrize("language", ["lt", "nb"])
@pytest.mark.parametrize("code", sorted(TITLES))
def test_error_texts_are_translated(code, language):
    title = catalogue_translation(TITLES[code]["en"], language)
    assert title != TITLES[code]["en"]


@pytest.mark.parametrize("language", ["lt", "nb"])
def test_error_pages_speak_the_visitors_language(failing_app, language):
    response = failing_app.test_client().get(f"/missing?lang={language}")
    assert_error_page(response, 404, language)
    assert catalogue_translation("Page not found", language) in text_of(response)
