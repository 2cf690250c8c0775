"""Public pages: the network home and each institution's landing page."""

import re

import pytest

from app.templating import filesize
from tests.helpers import catalogue_translation, text_of


def test_home_lists_all_thirteen_partner_institutions_from_the_database(seeded, client):
    page = text_of(client.get("/"))
    assert page.count('href="/i/') == 13
    for name in ("Biržų rajono savivaldybė", "Prienų globos namai", "Fleksibel utdanning Norge",
                 "Utenos A. ir M. Miškinių viešoji biblioteka"):
        assert name in page


@pytest.mark.parametrize(
    ("language", "name"),
    [("lt", "Druskininkų savivaldybė"), ("en", "Druskininkai Municipality"),
     ("nb", "Druskininkai kommune")],
)
def test_institution_names_follow_the_chosen_language(seeded, client, language, name):
    page = text_of(client.get(f"/?lang={language}"))
    assert f'<html lang="{language}">' in page
    assert name in page


def test_lithuanian_landing_page_names_prosecutor_and_stt_but_not_norwegian_authority(
    seeded, client
):
    page = text_of(client.get("/i/birzai/?lang=en"))
    assert "Prosecutor General" in page
    assert "Special Investigation Service" in page
    assert "Arbeidstilsynet" not in page
    assert "Biržai District Municipality" in page


def test_norwegian_landing_page_names_the_labour_inspection_authority(seeded, client):
    page = text_of(client.get("/i/fleksibel-utdanning/?lang=en"))
    assert "Arbeidstilsynet" in page
    assert "Prosecutor General" not in page


def test_landing_page_lists_the_institutions_categories(seeded, client):
    page = text_of(client.get("/i/prienai/?lang=en"))
    for label in ("Bribery", "Conflict of interest", "Procurement irregularity"):
        assert label in page


def test_unknown_institution_gets_a_translated_404(seeded, client):
    response = client.get("/i/no-such-place/?lang=nb")
    assert response.status_code == 404
    assert catalogue_translation("Page not found", "nb") in text_of(response)


def test_health_check_answers_ok_without_database_details(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_health_check_reports_unavailable_database_without_details(make_app, tmp_path):
    missing = tmp_path / "no-such-folder" / "db.sqlite3"
    app = make_app(tables=False, SQLALCHEMY_DATABASE_URI=f"sqlite:///{missing}")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}
    assert "sqlite" not in text_of(response).lower()


def test_staff_login_form_carries_csrf_token_and_autocomplete_hints(client):
    page = text_of(client.get("/staff/login?lang=en"))
    assert 'name="csrf_token"' in page
    assert 'autocomplete="current-password"' in page


@pytest.mark.parametrize(("language", "sizes"), [
    ("lt", ["45 baitai", "1 baitas", "1,5 kB", "12,3 MB"]),
    ("en", ["45 bytes", "1 byte", "1.5 kB", "12.3 MB"]),
    ("nb", ["45 byte", "1 byte", "1,5 kB", "12,3 MB"]),
])
def test_file_sizes_are_written_in_the_page_language(app, language, sizes):
    with app.test_request_context(f"/?lang={language}"):
        shown = [filesize(size) for size in (45, 1, 1_500, 12_300_000)]
    assert [text.replace("\xa0", " ") for text in shown] == sizes


def test_no_page_title_holds_markup(seeded, client):
    for path in ("/", "/i/birzai/", "/i/birzai/report", "/mailbox", "/staff/login",
                 "/self-check"):
        page = text_of(client.get(path, follow_redirects=True))
        title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
        assert "<" not in title and "Skaidra" in title, (path, title)
