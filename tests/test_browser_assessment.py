"""Real Chromium with JavaScript off: the self-assessment, in every language.

Staff answer the anonymous survey from their institution's page and see their own result;
anyone takes the quick self-check and adds the answers to an institution's survey. An
institution admin signs in, answers the institutional risk assessment area by area (one
area not applicable, an evidence note full of markup), finalises it, reads the result with
its heat map and recommendations, prints the report and puts a recommendation into the
action plan. Every page on the way passes axe, and no page ever opens a dialog.

The helpers of tests/test_browser_staff.py are reused: its ``workspace`` fixture (a
gunicorn of this module's own on SQLite, seeded with the demo network), signing in with a
TOTP code through the pages, and ``assert_accessible``.
"""

import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest

from app.languages import LANGUAGES
from app.services.assessment.questionnaires import current, localized
from tests.helpers import follow
from tests.test_browser_staff import (
    assert_accessible,
    assert_language,
    browsing,
    notice,
    officer_enrols,
    path_of,
    shown_text,
    submit_code,
    submit_sign_in,
    watch_dialogs,
    workspace,  # noqa: F401  (the fixture: this module's own served app)
)

pytestmark = pytest.mark.browser

SLUG = "utena"
ADMIN = f"admin.{SLUG}@demo.example.org"
SURVEY = current("staff-survey")
RISK = current("institutional-risk")
# Answered "not applicable" instead of question by question.
NOT_APPLICABLE = "municipal-companies"
EVIDENCE = "<script>alert(1)</script>"


def assert_text(locator, message: str, language: str) -> None:
    """The element holds the message in the language, when the catalogue translates it."""
    expected = shown_text(message, language)
    text = locator.inner_text()
    assert text.strip(), f"{locator} shows no text"
    if expected:
        assert expected in text, f"{expected!r} is not in {text!r}"


def assert_no_dialog(dialogs: list[str]) -> None:
    assert dialogs == [], f"a page opened a dialog: {dialogs}"


@pytest.fixture(scope="module")
def axe_dialogs(axe) -> list[str]:
    """Dialogs the axe page (scripts on, policy bypassed) opens on the pages it checks."""
    return watch_dialogs(axe)


# --- the survey and the self-check --------------------------------------------------------

# Per section, the option (by its position in the scale) clicked in the first questions:
# "moderate" risk, "sometimes acceptable" (which calls for advice), "neither", "not sure".
CHOSEN_OPTION = 2
QUESTIONS_PER_SECTION = 2


def answer_survey_form(page) -> dict[str, str]:
    """Click the labels of a few answers in every section; returns question id → value."""
    chosen = {}
    sections = page.locator("form.assessment-form section")
    assert sections.count() == len(SURVEY.areas)
    for index, area in enumerate(SURVEY.areas):
        section = sections.nth(index)
        assert section.locator("h2").inner_text().strip() == localized(
            area.title, page.locator("html").get_attribute("lang"))
        fieldsets = section.locator("fieldset.question")
        assert fieldsets.count() == len(area.questions)
        for position in range(QUESTIONS_PER_SECTION):
            fieldset, question = fieldsets.nth(position), area.questions[position]
            skip = fieldset.locator("input[type=radio][value='']")
            assert skip.is_checked(), "a question is not skipped until answered"
            option = fieldset.locator(".choice").nth(min(CHOSEN_OPTION,
                                                         len(question.scale.options) - 1))
            option.locator("label").click()
            radio = option.locator("input[type=radio]")
            assert radio.is_checked(), "clicking the label did not choose the answer"
            assert radio.get_attribute("name") == question.id
            assert not skip.is_checked()
            chosen[question.id] = radio.get_attribute("value")
    return chosen


def expected_advice(chosen: dict[str, str], language: str) -> list[str]:
    """The advice texts the questionnaire gives for the chosen answers, in the language."""
    texts = []
    for question_id, raw in chosen.items():
        question = SURVEY.question(question_id)
        advice = question.recommendation_for(question.parse(raw))
        if advice is not None:
            texts.append(localized(advice.text, language))
    return texts


def assert_own_result(page, chosen: dict[str, str], language: str) -> None:
    """The own-result page lists the perceived risks and the advice, in the language."""
    assert_language(page, language)
    assert page.locator("main h1").is_visible()
    assert page.locator("dl.status").is_visible()
    perceived = page.locator("main ul", has=page.locator("strong")).first.inner_text()
    for question_id, raw in chosen.items():
        question = SURVEY.question(question_id)
        if question.area_id == "perceived-risk":
            assert localized(question.text, language) in perceived
            assert localized(question.scale.label(question.parse(raw)), language) in perceived
    advice = [text.strip() for text in page.locator("ul.advice li").all_inner_texts()]
    expected = expected_advice(chosen, language)
    assert expected, "the chosen answers call for no advice: choose others"
    assert sorted(advice) == sorted(expected)


@pytest.mark.parametrize("language", LANGUAGES)
def test_staff_survey_and_self_check(workspace, browser, axe, axe_dialogs,  # noqa: F811
                                    language):
    base = workspace.base_url
    with browsing(browser) as page:
        dialogs = watch_dialogs(page)

        # From the institution's page to its survey.
        page.goto(f"{base}/i/{SLUG}/?lang={language}")
        assert_language(page, language)
        follow(page, page.locator(f'main a[href="/i/{SLUG}/survey"]'))
        assert path_of(page) == f"/i/{SLUG}/survey"
        assert_language(page, language)
        assert page.locator("main h1").inner_text().strip() == localized(SURVEY.title, language)
        assert_accessible(axe, page)

        # A few answers in every section, chosen by their labels; the rest skipped.
        chosen = answer_survey_form(page)
        follow(page, page.locator("form.assessment-form button[type=submit]"))
        assert path_of(page) == f"/i/{SLUG}/survey", page.locator("main").inner_text()
        assert page.locator("fieldset.question").count() == 0, page.locator("main").inner_text()
        assert_own_result(page, chosen, language)
        assert page.locator("main .notice[role=status]").is_visible(), "no word it was stored"
        assert page.locator("form[action='/self-check/contribute']").count() == 0
        assert_accessible(axe, page)

        # The quick self-check: the same questions, a result, then the answers contributed.
        page.goto(f"{base}/self-check?lang={language}")
        assert_language(page, language)
        assert_accessible(axe, page)
        chosen = answer_survey_form(page)
        follow(page, page.locator("form.assessment-form button[type=submit]"))
        assert path_of(page) == "/self-check", page.locator("main").inner_text()
        assert_own_result(page, chosen, language)
        contribute = page.locator("form[action='/self-check/contribute']")
        for question_id, value in chosen.items():
            assert contribute.locator(f'input[type=hidden][name="{question_id}"]'
                                      ).get_attribute("value") == value
        assert_accessible(axe, page)
        name = contribute.locator(f"select#institution option[value={SLUG}]").inner_text()
        contribute.locator("select#institution").select_option(value=SLUG)
        follow(page, contribute.locator("button[type=submit]"))
        assert path_of(page) == "/self-check/contribute", page.locator("main").inner_text()
        assert_language(page, language)
        assert_text(page.locator("main h1"), "Thank you", language)
        assert name.strip() in page.locator("main").inner_text()
        assert page.locator(f'main a[href="/i/{SLUG}/"]').count() == 1
        assert_accessible(axe, page)
        assert_no_dialog(dialogs)
    assert_no_dialog(axe_dialogs)


# --- the institutional risk assessment ---------------------------------------------------

@dataclass
class Account:
    """The institution admin, enrolled once per server: a fresh code for each sign-in."""

    authenticator: pyotp.TOTP
    last_step: int

    def fresh_code(self) -> str:
        """A code newer than the last one accepted, and within the allowed drift (±1)."""
        step = max(self.authenticator.timecode(time.time()), self.last_step + 1)
        while step > self.authenticator.timecode(time.time()) + 1:
            time.sleep(0.5)
        self.last_step = step
        return self.authenticator.generate_otp(step)


@pytest.fixture(scope="module")
def admin(workspace, browser):  # noqa: F811
    """The admin's first sign-in sets up two-factor; its secret is shown only then."""
    with browsing(browser) as page:
        authenticator, code = officer_enrols(page, workspace, ADMIN, "en")
    now = authenticator.timecode(time.time())
    step = next(candidate for candidate in (now, now - 1, now + 1, now - 2)
                if authenticator.generate_otp(candidate) == code)
    return Account(authenticator, step)


def admin_signs_in(page, served, account: Account, language: str) -> None:
    """Password, then a fresh code, on pages in the language."""
    page.goto(f"{served.base_url}/staff/login?lang={language}")
    assert_language(page, language)
    submit_sign_in(page, ADMIN)
    assert path_of(page) == "/staff/login/code", page.locator("main").inner_text()
    assert_language(page, language)
    submit_code(page, account.fresh_code())
    assert path_of(page) == "/staff/overview", page.locator("main").inner_text()
    assert_language(page, language)


def answer_area(page, area, language: str, evidence: str | None) -> None:
    """Click the first answer's label of every question; an evidence note if given."""
    fieldsets = page.locator("form.assessment-form fieldset.question")
    legends = [text.strip() for text in fieldsets.locator("legend").all_inner_texts()]
    assert legends == [localized(question.text, language) for question in area.questions]
    for index in range(len(area.questions)):
        fieldsets.nth(index).locator(".choice label").first.click()
    # Each click checked its question's first answer (read in one round trip, not 120).
    first_checked = page.evaluate("""() => [...document.querySelectorAll(
        'form.assessment-form fieldset.question')].map(set => set.querySelector(
        '.choice input[type=radio]').checked)""")
    assert first_checked == [True] * len(area.questions)
    if evidence is not None:
        notes = page.locator("fieldset.question textarea")
        assert notes.count() >= 1, "no evidence note in the area"
        notes.first.fill(evidence)


@pytest.mark.parametrize("language", LANGUAGES)
def test_institutional_risk_assessment(workspace, browser, axe, axe_dialogs,  # noqa: F811
                                       admin, language):
    base = workspace.base_url
    marker = f"{EVIDENCE} {language}-{time.time_ns()}"
    with browsing(browser) as page:
        dialogs = watch_dialogs(page)
        admin_signs_in(page, workspace, admin, language)

        # The workspace navigation leads to the self-assessment; an assessment is started.
        follow(page, page.locator(f'nav.workspace-nav a[href="/staff/i/{SLUG}/assessments"]'))
        assert path_of(page) == f"/staff/i/{SLUG}/assessments"
        assert_language(page, language)
        start = page.locator("section.panel form")
        start.locator("select[name=questionnaire]").select_option(
            value=f"{RISK.id}:{RISK.version}")
        follow(page, start.locator("[type=submit]"))
        overview = path_of(page)
        assert overview.startswith(f"/staff/i/{SLUG}/assessments/"), (
            page.locator("main").inner_text())
        assert localized(RISK.title, language) in page.locator("main h1").inner_text()

        # Every area in turn, with "Save and go to the next area".
        follow(page, page.locator("main table a").first)
        evidence_area = RISK.areas[0]
        for area in RISK.areas:
            assert path_of(page) == f"{overview}/areas/{area.id}", page.locator("main").inner_text()
            assert_language(page, language)
            assert page.locator("main h1").inner_text().strip() == localized(area.title,
                                                                             language)
            if area.id == NOT_APPLICABLE:
                page.locator('label[for="not_applicable"]').click()
                assert page.locator("input#not_applicable").is_checked()
            else:
                answer_area(page, area, language, marker if area is evidence_area else None)
            if area is evidence_area:
                assert_accessible(axe, page)
            follow(page, page.locator("form.assessment-form button[name=next]"))
            errors = page.locator("main [role=alert], main .error").all_inner_texts()
            assert not errors, errors
            assert_text(notice(page), "Saved.", language)
        assert path_of(page) == overview, "the last area does not lead back to the overview"
        rows = page.locator("main table tbody tr")
        assert rows.count() == len(RISK.areas)
        for index, area in enumerate(RISK.areas):
            cell = rows.nth(index).locator("td").nth(1)
            assert_text(cell, "Not applicable" if area.id == NOT_APPLICABLE else "complete",
                        language)

        # The evidence note is kept as the text typed.
        page.goto(f"{base}{overview}/areas/{evidence_area.id}")
        assert page.locator("fieldset.question textarea").first.input_value() == marker
        assert page.locator("script").count() == 0

        # Finalised, the result shows the heat map and the recommendations.
        page.goto(base + overview)
        follow(page, page.locator(f'form[action="{overview}/finalise"] button[type=submit]'))
        assert path_of(page) == f"{overview}/results", page.locator("main").inner_text()
        assert_language(page, language)
        assert_text(notice(page), "The assessment is final. Its result will not change any more.",
                    language)
        heat_map = page.locator("section[aria-labelledby=heat-heading] .chart svg[role=img]")
        assert heat_map.count() == 2 and heat_map.first.is_visible()
        advice = page.locator("section[aria-labelledby=advice-heading] ol.advice > li")
        assert advice.count() >= 1, "no recommendation for the weakest controls"
        recommendations = {localized(item.text, language) for question in RISK.questions
                           for item in question.recommendations}
        first_advice = advice.first.locator("p").nth(1).inner_text().strip()
        assert first_advice in recommendations, first_advice
        key = page.locator("ol.area-key").inner_text()
        assert localized(RISK.area(NOT_APPLICABLE).title, language) not in key
        assert localized(evidence_area.title, language) in key
        assert_accessible(axe, page)

        # Printed, the result page leaves out the workspace's navigation and links.
        page.emulate_media(media="print")
        assert not page.locator("nav.workspace-nav").is_visible()
        assert not page.locator("ul.actions-list").is_visible()
        assert heat_map.first.is_visible()
        page.emulate_media(media="screen")
        assert page.locator("nav.workspace-nav").is_visible()

        # The printable report: the answers with the evidence note as text, no navigation.
        follow(page, page.locator(f'ul.actions-list a[href="{overview}/report"]'))
        assert path_of(page) == f"{overview}/report"
        assert_language(page, language)
        report = page.locator("article.printable-report")
        assert localized(RISK.title, language) in report.locator("h1").inner_text()
        assert marker in report.locator("dl.answers").first.inner_text()
        assert page.locator("script").count() == 0
        assert report.locator("section[aria-labelledby=heat-heading] svg").first.is_visible()
        assert page.locator(f'a[href^="/staff/i/{SLUG}/action-plan"]').count() == 0
        assert_accessible(axe, page)
        page.emulate_media(media="print")
        assert not page.locator("nav.workspace-nav").is_visible()
        assert not page.locator("header.site-header").is_visible()
        assert not page.locator(".no-print").first.is_visible()
        assert report.locator("dl.answers").first.is_visible()
        page.emulate_media(media="screen")

        # A recommendation's link starts a measure in the action plan.
        follow(page, page.locator(f'.no-print a[href="{overview}/results"]'))
        link = page.locator("ol.advice > li").first.locator(
            f'a[href^="/staff/i/{SLUG}/action-plan?"]')
        chosen_area = parse_qs(urlsplit(link.get_attribute("href")).query)["area"][0]
        follow(page, link)
        assert path_of(page) == f"/staff/i/{SLUG}/action-plan"
        assert_language(page, language)
        form = page.locator("section[aria-labelledby=new-heading] form")
        title = form.locator("input[name=title]")
        assert title.input_value() == first_advice[:300]
        assert form.locator("select[name=area]").input_value() == chosen_area
        form.locator("input[name=owner_role]").fill(f"integrity officer {language}")
        form.locator("input[name=due_on]").fill("2031-03-31")
        follow(page, form.locator("[type=submit]"))
        assert path_of(page) == f"/staff/i/{SLUG}/action-plan", page.locator("main").inner_text()
        assert_text(notice(page), "The measure is in the action plan.", language)
        row = page.locator("table.admin-table tbody tr",
                           has=page.locator(f"td:text-is('integrity officer {language}')"))
        assert row.count() == 1
        assert row.locator("th[scope=row]").inner_text().strip() == first_advice[:300]
        assert_accessible(axe, page)
        assert_no_dialog(dialogs)
    assert_no_dialog(axe_dialogs)
