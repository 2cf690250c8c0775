"""Real Chromium: every page of the URL map, public and staff, in lt, en and nb, fits a phone.

Each page is opened at 360 px and 390 px width and must not scroll sideways
(``document.documentElement.scrollWidth`` within the viewport: long words break, tables
scroll inside their own box); its title holds no markup; it passes axe at 390 px in one of
the three languages (they take turns). Screenshots of each page at 1280 px and 390 px land in
tests/output/layout/ for review.

The pages come from the application's own URL map: a GET endpoint the walk does not open
fails ``test_the_parts_of_the_walk_cover_every_page_of_the_url_map``, unless NOT_PAGES says
why it is no page (a download, a redirect, a machine answer). The walk is in parts (PARTS),
one test each, so that the suite's workers share it; each part names the endpoints it opens
and fails when it opens others.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pyotp
import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from app import create_app
from config import TestConfig
from tests.helpers import follow
from tests.support.reporter import REPORT_ANSWERS, Reporter
from tests.support.server import demo_server
from tests.test_browser_reporting import fill_report_form, send_report
from tests.test_browser_staff import (
    assert_accessible,
    browsing,
    path_of,
    submit_code,
    submit_sign_in,
)

pytestmark = pytest.mark.browser

LANGUAGES = ("lt", "en", "nb")
WIDTHS = (360, 390)
SLUG = "fleksibel-utdanning"  # Norwegian: its long compound words are the hardest to fit
# Endpoints that answer GET with something other than a page to lay out.
NOT_PAGES = {
    "static": "style sheet",
    "core.healthz": "machine answer for load balancers",
    "staff.index": "redirects to the overview or the sign-in page",
    "staff.case_file": "file download",
    "public.mailbox_file": "file download",
    "public.qr_code_png": "image",
    "public.qr_code_svg": "image",
    "public.poster": "image",
    "insights.institution_csv": "CSV download",
    "insights.network_csv": "CSV download",
    "assessment.export": "CSV/JSON download",
    "admin.audit_log_csv": "CSV download",
    "staff.logout": "POST only in practice (GET redirects)",
}
LONG_WORD = ("Varslingsrutineevalueringsrapportgjennomgangsmøtereferatet "
             "Savivaldybėsviešųjųpirkimųkomisijosposėdžioprotokolas")


@dataclass
class Layout:
    """What the walk found: overflowing pages, bad titles, and which endpoints it saw."""

    overflow: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    checked_axe: int = 0


@pytest.fixture(scope="module")
def site(tmp_path_factory, demo_database):
    """A server of its own (the officers here enrol two-factor on their first sign-in), with
    a reporter's report holding a file and an answer in the mailbox, so pages have content."""
    with demo_server(demo_database, tmp_path_factory.mktemp("layout-served")) as server:
        reporter = Reporter(server.base_url)
        receipt = reporter.submit_report(
            SLUG, {**REPORT_ANSWERS, "what_happened": LONG_WORD},
            [("møtereferat-fra-kommunestyret-2026.txt", b"Referat\n")])
        reporter.sign_in(receipt)
        reporter.send_message(f"Mer informasjon: {LONG_WORD}")
        server.receipt = receipt
        yield server


@pytest.fixture(scope="module")
def url_map():
    """The application's routes, to name the endpoint of every address opened."""
    return create_app(TestConfig).url_map.bind("127.0.0.1")


def endpoint_of(url_map, url: str) -> str:
    parts = urlsplit(url)
    try:
        endpoint, _args = url_map.match(parts.path, "GET")
    except RequestRedirect as redirect:
        endpoint, _args = url_map.match(urlsplit(redirect.new_url).path, "GET")
    except (NotFound, MethodNotAllowed):
        return "error page"
    return endpoint


def overflowing(page) -> list[str]:
    """The elements sticking out of the viewport's width, if the page scrolls sideways."""
    return page.evaluate("""() => {
      const root = document.documentElement;
      if (root.scrollWidth <= root.clientWidth) return [];
      const wide = [];
      for (const el of document.body.querySelectorAll('*')) {
        const box = el.getBoundingClientRect();
        if (box.right > root.clientWidth + 0.5 && el.closest('.table-scroll') === null) {
          wide.push(`${el.tagName.toLowerCase()}.${el.className} (${Math.round(box.right)}px)`);
        }
      }
      return [`scrollWidth ${root.scrollWidth} > ${root.clientWidth}`, ...wide.slice(-5)];
    }""")


class Walk:
    """Opens pages and measures each in the widths, checks titles, axe and screenshots."""

    def __init__(self, layout: Layout, url_map, axe, output_dir) -> None:
        self.layout, self.url_map, self.axe = layout, url_map, axe
        self.shots = output_dir / "layout"
        self.shots.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def measure(self, page, name: str, language: str, *, axe: bool = True,
                screenshots: bool = True) -> None:
        """The page now shown: fits 360 and 390 px, has a plain title; axe and screenshots."""
        self.layout.seen.add(endpoint_of(self.url_map, page.url))
        title = page.title()
        if "<" in title or not title.strip():
            self.layout.titles.append(f"{name} [{language}]: {title!r}")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            wide = overflowing(page)
            if wide:
                self.layout.overflow.append(f"{name} [{language}] at {width} px: {wide}")
        if axe:
            assert_accessible(self.axe, page)
            self.layout.checked_axe += 1
        if screenshots:
            stem = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
            page.screenshot(path=self.shots / f"{stem}-{language}-390.png", full_page=True)
            page.set_viewport_size({"width": 1280, "height": 900})
            page.screenshot(path=self.shots / f"{stem}-{language}-1280.png", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})

    def visit(self, page, base_url: str, path: str, name: str) -> None:
        """A page reached by its address, in every language; axe and screenshots in the
        language whose turn it is."""
        turn = LANGUAGES[self.count % len(LANGUAGES)]
        self.count += 1
        for language in LANGUAGES:
            separator = "&" if "?" in path else "?"
            page.goto(f"{base_url}{path}{separator}lang={language}")
            self.measure(page, name, language, axe=language == turn,
                         screenshots=language == turn)


def shown_in_english(language: str) -> dict[str, bool]:
    """Pages reached through a form are measured in every language, checked and
    photographed in English."""
    return {"axe": language == "en", "screenshots": language == "en"}


def staff_member(browser, site, walk: "Walk", email: str):
    """A signed-in browsing context for one demo account, enrolled on the way; the pages of
    signing in are measured too (enrolment now, the code page at a second sign-in)."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    language = LANGUAGES[walk.count % len(LANGUAGES)]
    walk.count += 1
    page.goto(f"{site.base_url}/staff/login?lang={language}")
    submit_sign_in(page, email)
    walk.measure(page, "Two-factor set-up", language)
    authenticator = pyotp.TOTP(page.locator("code.setup-key#setup-key").inner_text().strip())
    submit_code(page, authenticator.now())
    assert path_of(page) == "/staff/overview", page.locator("main").inner_text()
    with browsing(browser) as again:
        again.goto(f"{site.base_url}/staff/login?lang={language}")
        submit_sign_in(again, email)
        walk.measure(again, "Two-factor code", language)
    return context, page


def reporter_pages(walk: Walk, site, browser) -> None:
    """The public pages, a report sent in each language and the mailbox; JavaScript off."""
    base = site.base_url
    with browsing(browser) as page:
        for path, name in (("/", "Home"), (f"/i/{SLUG}/", "Institution"),
                           (f"/i/{SLUG}/report", "Report form"), (f"/i/{SLUG}/share", "Share"),
                           (f"/i/{SLUG}/embed", "Embed card"), (f"/i/{SLUG}/survey", "Survey"),
                           ("/self-check", "Self-check"), ("/mailbox/", "Mailbox sign-in"),
                           ("/staff/login", "Staff sign-in"), ("/i/no-such-place/", "Not found")):
            walk.visit(page, base, path, name)
        for language in LANGUAGES:
            page.goto(f"{base}/i/{SLUG}/report?lang={language}")
            fill_report_form(page, {"what_happened": f"{LONG_WORD} ({language})"})
            follow(page, page.locator("main form button[type=submit]"))
            walk.measure(page, "Report check", language, **shown_in_english(language))
            send_report(page, site)
            walk.measure(page, "Receipt", language, **shown_in_english(language))
            page.goto(f"{base}/mailbox/?lang={language}")
            page.locator("input[name=receipt]").fill(site.receipt)
            follow(page, page.locator("main form button[type=submit]").first)
            walk.measure(page, "Mailbox", language, **shown_in_english(language))
            follow(page, page.locator("form[action$='/mailbox/sign-out'] button"))
            page.goto(f"{base}/self-check?lang={language}")
            follow(page, page.locator("main form [type=submit]").last)
            walk.measure(page, "Self-check result", language, **shown_in_english(language))


def officer_pages(walk: Walk, site, browser) -> None:
    """An officer's workspace: overview, inbox, a case answered, statistics, assessments."""
    base = site.base_url
    context, page = staff_member(browser, site, walk, f"officer1.{SLUG}@demo.example.org")
    with context:
        page.goto(f"{base}/staff/i/{SLUG}/cases?lang=en")
        case_path = urlsplit(page.locator("table a[href^='/staff/cases/']").first
                             .get_attribute("href")).path
        page.goto(f"{base}{case_path}?lang=en")
        form = page.locator("form#reply")
        form.locator("textarea[name=text]").fill(f"Takk. {LONG_WORD}")
        follow(page, form.locator("[type=submit]"))
        page.goto(f"{base}/staff/i/{SLUG}/assessments?lang=en")
        follow(page, page.locator("main form [type=submit]").last)
        assessment = path_of(page)
        page.goto(f"{base}{assessment}?lang=en")
        area = urlsplit(page.locator(f"a[href^='{assessment}/areas/']").first
                        .get_attribute("href")).path
        for path, name in (("/staff/overview", "Overview"), (f"/staff/i/{SLUG}/cases", "Inbox"),
                           (case_path, "Case"), ("/staff/account", "Account"),
                           ("/staff/statistics/", "Statistics"),
                           (f"/staff/i/{SLUG}/statistics", "Institution statistics"),
                           (f"/staff/i/{SLUG}/assessments", "Assessments"),
                           (assessment, "Assessment overview"), (area, "Assessment area"),
                           (f"{assessment}/results", "Assessment results"),
                           (f"{assessment}/report", "Assessment report"),
                           (f"/staff/i/{SLUG}/action-plan", "Action plan"),
                           (f"/staff/i/{SLUG}/survey-results", "Survey results"),
                           (f"/staff/i/{SLUG}/cases/register", "Register a report")):
            walk.visit(page, base, path, name)
        receipt, registered_case = register_a_call(page, base)
        walk.measure(page, "Hand-over sheet", "en")
        walk.visit(page, base, registered_case, "Case with minutes")

    with browsing(browser) as page:  # the caller reads the minutes, JavaScript off
        for language in LANGUAGES:
            page.goto(f"{base}/mailbox/?lang={language}")
            page.locator("input[name=receipt]").fill(receipt)
            follow(page, page.locator("main form button[type=submit]").first)
            walk.measure(page, "Mailbox with minutes", language,
                         **shown_in_english(language))
            follow(page, page.locator("form[action$='/mailbox/sign-out'] button"))


def register_a_call(page, base: str) -> tuple[str, str]:
    """An officer registers a telephone report with long words; its receipt and case."""
    page.goto(f"{base}/staff/i/{SLUG}/cases/register?lang=en")
    form = page.locator("form.register-form")
    form.locator("input[name=channel][value=telephone]").check()
    form.locator("select[name=category]").select_option(index=1)
    form.locator("select[name=language]").select_option("nb")
    form.locator("textarea[name=record]").fill(f"Referat av samtalen: {LONG_WORD}")
    follow(page, form.locator("[type=submit]"))
    receipt = page.locator(".handover-sheet .receipt strong").inner_text().strip()
    case = urlsplit(page.locator("a[href^='/staff/cases/']").first.get_attribute("href")).path
    return receipt, case


def admin_pages(walk: Walk, site, browser) -> None:
    """An institution admin's pages, an invitation, and the account link it makes."""
    base = site.base_url
    context, page = staff_member(browser, site, walk, f"admin.{SLUG}@demo.example.org")
    with context:
        page.goto(f"{base}/staff/i/{SLUG}/admin/?lang=en")
        member = urlsplit(page.locator("a[href*='/admin/members/']").first
                          .get_attribute("href")).path
        for path, name in ((f"/staff/i/{SLUG}/admin/", "Administration"),
                           (f"/staff/i/{SLUG}/admin/audit", "Audit log"),
                           (f"/staff/i/{SLUG}/admin/invite", "Invite"),
                           (member, "Member"), (f"/staff/i/{SLUG}/admin/settings", "Settings"),
                           (f"/staff/i/{SLUG}/admin/sharing", "Sharing"),
                           (f"/staff/i/{SLUG}/admin/recover", "Recover"),
                           (f"/staff/i/{SLUG}/admin/recovery-code", "Recovery code"),
                           (f"/staff/i/{SLUG}/admin/recovery-grant", "Recovery grant")):
            walk.visit(page, base, path, name)
        page.goto(f"{base}/staff/i/{SLUG}/admin/invite?lang=nb")
        form = page.locator("main form", has=page.locator("input[name=email]"))
        form.locator("input[name=email]").fill("ny.medarbeider@demo.example.org")
        form.locator("input[name=display_name]").fill("Kari Nordmann-Bjørnstjernesen")
        follow(page, form.locator("[type=submit]"))
        walk.measure(page, "Invited", "nb")
        link = page.locator("textarea#account-link").input_value()

    with browsing(browser) as page:
        for language in LANGUAGES:
            page.goto(f"{link}?lang={language}")
            walk.measure(page, "Account link", language, **shown_in_english(language))


def network_pages(walk: Walk, site, browser) -> None:
    """The platform admin's and the analyst's pages."""
    base = site.base_url
    context, page = staff_member(browser, site, walk, "platform-admin@demo.example.org")
    with context:
        for path, name in (("/staff/platform/", "Network institutions"),
                           ("/staff/platform/institutions/new", "New institution"),
                           (f"/staff/platform/institutions/{SLUG}", "Edit institution")):
            walk.visit(page, base, path, name)
    context, page = staff_member(browser, site, walk, "analyst@demo.example.org")
    with context:
        walk.visit(page, base, "/staff/statistics/network", "Network statistics")


# The walk in parts that run side by side (one per test, so that the suite's workers share
# them), each with the endpoints it opens: the parts together must cover the URL map.
PARTS = {
    "reporter": (reporter_pages, {
        "public.home", "public.institution", "public.report", "public.share", "public.embed",
        "survey.survey", "survey.self_check", "public.mailbox", "staff.login",
        "error page"}),
    "officer": (officer_pages, {
        "staff.enrol", "staff.login_code", "staff.dashboard", "staff.inbox", "staff.case",
        "staff.account", "insights.index", "insights.institution", "assessment.index",
        "assessment.overview", "assessment.area", "assessment.results", "assessment.report",
        "assessment.action_plan", "assessment.survey_results", "staff.register",
        "public.mailbox"}),
    "admin": (admin_pages, {
        "staff.enrol", "staff.login_code", "admin.institution", "admin.audit_log",
        "admin.invite", "admin.member", "admin.settings", "admin.sharing", "admin.recover",
        "admin.recovery_code", "admin.recovery_grant", "staff.account_link"}),
    "network": (network_pages, {
        "staff.enrol", "staff.login_code", "admin.platform", "admin.new_institution",
        "admin.edit_institution", "insights.network"}),
}


@pytest.fixture(scope="module")
def url_map_pages(url_map) -> set[str]:
    """The endpoints of the URL map that are pages to lay out."""
    return {rule.endpoint for rule in url_map.map.iter_rules()
            if "GET" in rule.methods} - set(NOT_PAGES)


@pytest.mark.parametrize("part", PARTS)
def test_pages_fit_a_phone_have_plain_titles_and_pass_axe(part, site, browser, axe, url_map,
                                                          output_dir):
    found = Layout()
    walk_part, expected = PARTS[part]
    walk_part(Walk(found, url_map, axe, output_dir), site, browser)

    assert found.overflow == [], "\n".join(found.overflow)
    assert found.titles == [], "\n".join(found.titles)
    assert found.seen == expected, f"PARTS[{part!r}] names other pages: {sorted(found.seen)}"
    assert found.checked_axe >= len(expected)


def test_the_parts_of_the_walk_cover_every_page_of_the_url_map(url_map_pages):
    walked = set().union(*(endpoints for _walk, endpoints in PARTS.values()))
    assert url_map_pages - walked == set()
    assert walked - url_map_pages <= {"error page"}
