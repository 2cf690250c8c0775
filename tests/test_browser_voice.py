"""Real Chromium: a reporter (JavaScript off) adds a voice message to a report, hears the
disguised version on the check page and sends it; the officer plays it in the case page with
the browser's own audio control (issue 16)."""

import time

import pytest

from tests.helpers import follow
from tests.support.server import demo_server
from tests.test_browser_reporting import fill_report_form, send_report
from tests.test_browser_staff import (
    assert_accessible,
    assert_shown,
    browsing,
    officer_enrols,
)
from tests.test_voice import TAGS, recording, speech

pytestmark = pytest.mark.browser

def duration_of(audio) -> float:
    """What the browser's own decoder makes of an <audio> element: its length in seconds,
    once it has read the sound. Page scripts are off, so no event handler can run: the
    element is asked to load and then polled (Playwright's evaluation still runs)."""
    audio.evaluate("audio => { audio.preload = 'metadata'; audio.load(); }")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        ready, duration, error = audio.evaluate(
            "audio => [audio.readyState, audio.duration, audio.error && audio.error.code]")
        assert error is None, f"the browser cannot play it (MediaError {error})"
        if ready >= 1:  # HAVE_METADATA
            return duration
        time.sleep(0.1)
    raise AssertionError("the browser did not load the sound within 15 s")


@pytest.fixture(scope="module")
def site(tmp_path_factory, demo_database):
    """A server of this module's own: its officer enrols two-factor here."""
    with demo_server(demo_database, tmp_path_factory.mktemp("voice-served")) as server:
        yield server


@pytest.mark.parametrize("language", ("lt", "en", "nb"))
def test_a_voice_message_is_heard_disguised_before_sending_and_played_by_the_officer(
        site, browser, axe, language, output_dir):
    slug = {"lt": "utena", "en": "birzai", "nb": "fleksibel-utdanning"}[language]
    memo = recording(speech(), "m4a", TAGS)
    with browsing(browser) as reporter, browsing(browser) as officer:
        reporter.goto(f"{site.base_url}/i/{slug}/report?lang={language}")
        fill_report_form(reporter, {"what_happened": "Listen to my voice message."})
        reporter.locator("input[type=file][name=voice]").set_input_files(files=[{
            "name": "memo.m4a", "mimeType": "audio/mp4", "buffer": memo}])
        follow(reporter, reporter.locator("main form button[type=submit]"))
        preview = reporter.locator("audio[src^='data:audio/mpeg;base64,']")
        assert preview.count() == 1, reporter.locator("main").inner_text()
        assert 2.0 < duration_of(preview) < 6.0  # about the three seconds spoken
        assert_shown(reporter.locator("dl.answers"), "Your voice message, disguised", language)
        assert_accessible(axe, reporter)
        reporter.screenshot(path=output_dir / f"voice-check-{language}.png", full_page=True)
        send_report(reporter, site)

        officer_enrols(officer, site, f"officer1.{slug}@demo.example.org", language)
        officer.goto(f"{site.base_url}/staff/i/{slug}/cases?lang={language}")
        follow(officer, officer.locator("table a[href^='/staff/cases/']").first)
        player = officer.locator("audio[controls]")
        assert player.count() == 1, officer.locator("main").inner_text()
        assert 2.0 < duration_of(player) < 6.0
        assert_accessible(axe, officer)
        officer.screenshot(path=output_dir / f"voice-case-{language}.png", full_page=True)
