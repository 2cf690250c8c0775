"""Real Chromium with JavaScript off: pages load in each language, switch, and pass axe."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.helpers import catalogue_translation, follow

pytestmark = pytest.mark.browser

# Each language's page links to the next language, so every switch is exercised once.
LANGUAGES = {
    "lt": {"switch_to": "English", "switched": "en"},
    "en": {"switch_to": "Norsk bokmål", "switched": "nb"},
    "nb": {"switch_to": "Lietuvių", "switched": "lt"},
}


@pytest.fixture
def page(browser):
    """A fresh browsing context with JavaScript disabled, as in Tor Browser's Safest mode."""
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()


def assert_accessible(browser, url: str) -> None:
    """axe-core finds no serious or critical violation on the page."""
    # axe is itself JavaScript: it runs in a separate context with scripts on, which the
    # page's CSP would otherwise block from being injected.
    context = browser.new_context(bypass_csp=True)
    axe_page = context.new_page()
    axe_page.goto(url)
    results = Axe().run(axe_page)
    context.close()
    assert results.response["passes"], "axe did not run on the page"
    serious = [v for v in results.response["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == [], results.generate_report()


@pytest.mark.parametrize("language", LANGUAGES)
def test_home_page_loads_switches_language_and_is_accessible(served, browser, page, language,
                                                             output_dir):
    expected = LANGUAGES[language]
    page.goto(f"{served.base_url}/?lang={language}")
    assert page.locator("html").get_attribute("lang") == language
    heading = catalogue_translation("Report corruption safely", language)
    assert page.locator("h1").inner_text() == heading
    assert page.locator(".institution-list a").count() == 13
    page.screenshot(path=output_dir / f"home-{language}.png", full_page=True)
    assert_accessible(browser, page.url)

    follow(page, page.get_by_role("navigation").get_by_role("link", name=expected["switch_to"]))
    switched = expected["switched"]
    assert page.locator("html").get_attribute("lang") == switched
    assert page.locator("h1").inner_text() == catalogue_translation(
        "Report corruption safely", switched)


@pytest.mark.parametrize("language", LANGUAGES)
def test_institution_landing_page_loads_and_is_accessible(served, browser, page, language,
                                                          output_dir):
    page.goto(f"{served.base_url}/?lang={language}")
    follow(page, page.locator(".institution-list a", has_text="Bir").first)
    assert page.url.startswith(f"{served.base_url}/i/birzai")
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("h1").inner_text().startswith("Bir")
    assert page.locator("section h2").count() >= 4
    page.screenshot(path=output_dir / f"institution-{language}.png", full_page=True)
    assert_accessible(browser, page.url)


def test_staff_sign_in_page_is_accessible(served, browser, page, output_dir):
    page.goto(f"{served.base_url}/staff/login?lang=en")
    assert page.get_by_label("E-mail address").is_visible()
    page.screenshot(path=output_dir / "staff-login-en.png", full_page=True)
    assert_accessible(browser, page.url)
