"""Sharing an institution's channel: link, button, iframe for allowlisted sites, QR posters."""

import io
import os
import re
import subprocess
import sys

import pytest
from PIL import Image

from app.extensions import db
from app.services.administration.institutions import find_institution
from config import ConfigError, ProductionConfig
from tests.helpers import catalogue_translation, seed, text_of
from tests.support.server import REPO

FORGED = "phishing.example"
SHARED = ("/i/utena/share?lang=en", "/i/utena/qr-lt.svg", "/i/utena/qr-lt.png",
          "/i/utena/poster-lt.svg")


def allow(app, origins: list[str]) -> None:
    with app.app_context():
        find_institution("utena").embed_origins = origins
        db.session.commit()


def test_share_page_offers_link_and_script_free_button_but_no_iframe_without_allowlist(seeded):
    with seeded.test_client().get("/i/utena/share?lang=en") as response:
        page = text_of(response)
    assert "http://localhost/i/utena/?lang=lt" in page
    assert "&lt;a href=&#34;http://localhost/i/utena/?lang=en&#34;" in page
    assert "&lt;script" not in page
    assert "&lt;iframe" not in page
    assert "No website may embed this channel yet" in page


def test_public_base_url_is_used_for_every_snippet(make_app):
    app = make_app(PUBLIC_BASE_URL="https://report.example.lt")
    seed(app)
    with app.test_client().get("/i/utena/share?lang=en") as response:
        assert "https://report.example.lt/i/utena/?lang=nb" in text_of(response)


def test_snippets_qr_codes_and_posters_name_only_an_allowlisted_host(make_app):
    unconfigured = make_app()
    seed(unconfigured)
    for path in SHARED:
        with unconfigured.test_client().get(path, base_url=f"http://{FORGED}") as forged:
            assert forged.status_code == 400
            assert FORGED not in forged.get_data(as_text=True)
    listed = make_app(ALLOWED_HOSTS=["report.example.lt"])
    with listed.test_client().get(SHARED[0], base_url="https://report.example.lt") as page:
        assert "https://report.example.lt/i/utena/?lang=nb" in text_of(page)


def test_production_starts_only_with_public_base_url_or_allowed_hosts(make_app, database_url):
    def production(**settings):
        return type("Production", (ProductionConfig,), {
            "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "k" * 48, **settings})

    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        make_app(config_class=production())
    with pytest.raises(ConfigError, match="ALLOWED_HOSTS"):
        make_app(config_class=production(ALLOWED_HOSTS=["https://report.example.lt"]))
    make_app(config_class=production(PUBLIC_BASE_URL="https://report.example.lt"))
    guarded = make_app(config_class=production(ALLOWED_HOSTS=["report.example.lt"]))
    client = guarded.test_client()
    assert client.get("/?lang=en", base_url="https://report.example.lt").status_code == 200
    with client.get("/?lang=en", base_url=f"https://{FORGED}") as forged:
        assert forged.status_code == 400
        assert "The request could not be understood" in text_of(forged)
    assert client.get("/healthz", base_url="https://10.0.0.5").status_code == 200


def test_allowed_hosts_are_read_from_a_comma_separated_environment_variable():
    env = dict(os.environ, ALLOWED_HOSTS=" report.example.lt, .example.lt ,")
    printed = subprocess.run(
        [sys.executable, "-c", "import config; print(config.Config.ALLOWED_HOSTS)"],
        cwd=REPO, env=env, check=True, capture_output=True, text=True, timeout=60).stdout
    assert printed.strip() == "['report.example.lt', '.example.lt']"


def test_allowlisted_origin_gets_an_iframe_snippet_and_may_frame_the_card(seeded):
    allow(seeded, ["https://www.utena.lt", "javascript:alert(1)"])
    client = seeded.test_client()
    with client.get("/i/utena/share?lang=en") as response:
        page = text_of(response)
    assert "&lt;iframe src=&#34;http://localhost/i/utena/embed?lang=en&#34;" in page
    assert "https://www.utena.lt" in page and "javascript:" not in page
    with client.get("/i/utena/embed") as card:
        csp = card.headers["Content-Security-Policy"]
        assert csp.endswith("frame-ancestors https://www.utena.lt")
        assert "X-Frame-Options" not in card.headers
        assert 'target="_blank"' in text_of(card)
    with client.get("/i/utena/report") as form:  # the form itself is never framed
        assert form.headers["Content-Security-Policy"].endswith("frame-ancestors 'none'")
        assert form.headers["X-Frame-Options"] == "DENY"


def test_embed_card_cannot_be_framed_without_allowlist(seeded):
    with seeded.test_client().get("/i/utena/embed") as card:
        assert card.headers["Content-Security-Policy"].endswith("frame-ancestors 'none'")
        assert card.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("language", ["lt", "en", "nb"])
def test_qr_codes_and_poster_exist_in_each_language(seeded, language):
    client = seeded.test_client()
    with client.get(f"/i/utena/qr-{language}.png") as png:
        assert png.mimetype == "image/png"
        image = Image.open(io.BytesIO(png.data))
        assert image.width == image.height >= 200
    with client.get(f"/i/utena/qr-{language}.svg") as svg:
        assert svg.mimetype == "image/svg+xml"
        assert f"http://localhost/i/utena/?lang={language}" in svg.get_data(as_text=True)
    with client.get(f"/i/utena/poster-{language}.svg") as poster:
        text = poster.get_data(as_text=True)
    assert f'lang="{language}"' in text
    assert catalogue_translation("Report corruption safely", language) in text
    assert f"/i/utena/?lang={language}" in text
    assert "<script" not in text and not re.search(r"\son\w+=", text)


def test_qr_for_an_unknown_language_or_institution_is_404(seeded):
    client = seeded.test_client()
    with client.get("/i/utena/qr-de.png") as unknown_language:
        assert unknown_language.status_code == 404
    with client.get("/i/nowhere/poster-lt.svg") as unknown_institution:
        assert unknown_institution.status_code == 404


def test_landing_page_links_to_the_share_page(seeded):
    with seeded.test_client().get("/i/utena/?lang=en") as response:
        assert 'href="/i/utena/share"' in text_of(response)
