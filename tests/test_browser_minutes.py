"""Real Chromium, in each language: an officer registers a report taken by telephone, hands
over the receipt, the caller (JavaScript off) reads the minutes and asks for a correction,
the officer revises them, and the caller approves the new version (issue 16)."""

import secrets
from urllib.parse import urlsplit

import pytest

from tests.helpers import follow
from tests.support.server import demo_server
from tests.test_browser_staff import (
    assert_accessible,
    assert_language,
    assert_shown,
    browsing,
    officer_enrols,
    path_of,
    reporter_signs_in,
    shown_text,
)

pytestmark = pytest.mark.browser

# One institution and officer per language: each officer enrols once per server.
INSTITUTION = {"lt": "utena", "en": "birzai", "nb": "fleksibel-utdanning"}


@pytest.fixture(scope="module")
def office(tmp_path_factory, demo_database):
    """A server of this module's own: its officers enrol two-factor here."""
    with demo_server(demo_database, tmp_path_factory.mktemp("minutes-served")) as server:
        yield server


def register_call(page, base: str, slug: str, language: str, minutes: str) -> tuple[str, str]:
    """The officer registers a telephone report; the receipt on the sheet and the case."""
    follow(page, page.locator(f"a[href='/staff/i/{slug}/cases/register']"))
    assert path_of(page) == f"/staff/i/{slug}/cases/register"
    form = page.locator("form.register-form")
    form.locator("input[name=channel][value=telephone]").check()
    form.locator("select[name=category]").select_option(index=1)
    form.locator("select[name=language]").select_option(language)
    form.locator("textarea[name=record]").fill(minutes)
    follow(page, form.locator("[type=submit]"))
    sheet = page.locator("article.handover-sheet")
    assert sheet.get_attribute("lang") == language, page.locator("main").inner_text()
    receipt = sheet.locator(".receipt strong").inner_text().strip()
    case = urlsplit(page.locator("a[href^='/staff/cases/']").first.get_attribute("href")).path
    return receipt, case


@pytest.mark.parametrize("language", ("lt", "en", "nb"))
def test_a_phone_report_is_registered_corrected_and_approved(office, browser, axe, language,
                                                             output_dir):
    slug, base = INSTITUTION[language], office.base_url
    marker = secrets.token_hex(6)
    first = f"The caller said the contract went to a cousin ({marker}); the sum was 500 euros."
    second = f"The caller said the contract went to a cousin ({marker}); the sum was 5 000 euros."
    with browsing(browser) as officer, browsing(browser) as caller:
        officer_enrols(officer, office, f"officer1.{slug}@demo.example.org", language)
        officer.goto(f"{base}/staff/i/{slug}/cases?lang={language}")
        receipt, case = register_call(officer, base, slug, language, first)
        assert_language(officer, language)
        assert_accessible(axe, officer)
        officer.emulate_media(media="print")  # on paper: the sheet alone
        assert not officer.locator(".no-print").first.is_visible()
        assert officer.locator("article.handover-sheet").is_visible()
        officer.emulate_media(media="screen")
        officer.screenshot(path=output_dir / f"minutes-handover-{language}.png", full_page=True)

        # The caller reads the minutes and asks for a correction, JavaScript off.
        caller.goto(f"{base}/mailbox/?lang={language}")
        reporter_signs_in(caller, office, receipt)
        section = caller.locator("section.minutes")
        assert first in section.inner_text()
        assert_accessible(axe, caller)
        correction = caller.locator("form.minutes-correct")
        correction.locator("textarea[name=correction-text]").fill("It was 5 000 euros, not 500.")
        follow(caller, correction.locator("[type=submit]"))
        assert path_of(caller) == "/mailbox/"
        assert "5 000 euros, not 500" in caller.locator("section.minutes").inner_text()

        # The officer sees the request and revises the minutes.
        officer.goto(f"{base}{case}?lang={language}")
        assert "5 000 euros, not 500" in officer.locator("#record").inner_text()
        revise = officer.locator("form#minutes")
        revise.locator("textarea[name=text]").fill(second)
        revise.locator("textarea[name=change]").fill("Corrected the sum.")
        follow(officer, revise.locator("[type=submit]"))
        assert second in officer.locator("#record").inner_text()
        assert_accessible(axe, officer)
        officer.screenshot(path=output_dir / f"minutes-case-{language}.png", full_page=True)

        # The caller approves the new version.
        caller.goto(f"{base}/mailbox/?lang={language}")
        assert second in caller.locator("section.minutes").inner_text()
        follow(caller, caller.locator("form.minutes-approve [type=submit]"))
        assert_shown(caller.locator("[role=status]").first,
                     "Thank you: you have approved the minutes. The integrity officers will "
                     "see it.", language)
        assert caller.locator("form.minutes-approve").count() == 0
        caller.screenshot(path=output_dir / f"minutes-mailbox-{language}.png", full_page=True)

        officer.goto(f"{base}{case}?lang={language}")
        assert officer.locator("#record .badge-status").count() == 1  # approved
        approved = shown_text("Approved version %(num)d of the minutes in the mailbox",
                              language)
        assert approved % {"num": 2} in officer.locator("ol.history").inner_text()
