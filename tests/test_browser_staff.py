"""Real Chromium: integrity officers work cases in the staff workspace, with reporters.

An officer signs in with a password and a TOTP code (setting up two-factor the first time),
finds a new report in the inbox, acknowledges it and writes to the reporter; the reporter
reads both in the mailbox and answers; the officer closes the case and the reporter sees it
closed. Every staff page on the way passes axe. Reports full of markup never run a script in
an officer's browser, and attachments are always downloaded, never shown as a page.
"""

import re
import secrets
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from PIL import Image
from playwright.sync_api import Error as PlaywrightError

from app.services.casefile.attachments import safe_filename
from app.services.demo.network import DEMO_PASSWORD
from tests.helpers import catalogue_translation, follow
from tests.support.server import demo_server
from tests.test_browser_reporting import photo_with_location, send_report, sign_in_form

pytestmark = pytest.mark.browser

LETTERS = {"lt": "ąčęėįšųūž", "en": "plain English", "nb": "æøå"}
# The reporter writes in one language; the officer works in another, so the acknowledgement
# is seen to follow the reporter's language, not the officer's. Each language is still the
# workspace language of one run.
OFFICER_LANGUAGE = {"lt": "en", "en": "nb", "nb": "lt"}
# One institution and officer per run: each officer signs in (and enrols) once per server.
INSTITUTION = {"lt": "utena", "en": "birzai", "nb": "fleksibel-utdanning"}
ACKNOWLEDGEMENT = (
    "Thank you. Your report has been received and registered by %(institution)s. An integrity "
    "officer will assess it and tell you here, by %(date)s at the latest, what is being done. "
    "You can add information or answer questions here at any time.")


def officer_of(slug: str) -> str:
    """The demo network's first integrity officer of an institution."""
    return f"officer1.{slug}@demo.example.org"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, demo_database):
    """Real gunicorn with the demo network, as `served`, but for this module alone.

    Two-factor is set up on an officer's first sign-in and its secret is shown only then: a
    server shared with other modules could hold officers enrolled elsewhere, whose codes this
    module could not compute, and inboxes full of other modules' reports.
    """
    with demo_server(demo_database, tmp_path_factory.mktemp("staff-served")) as server:
        assert urlsplit(server.base_url).hostname == "127.0.0.1"
        yield server


@contextmanager
def browsing(browser, *, javascript: bool = False, **options):
    """A page in a fresh browsing context; JavaScript off unless asked for."""
    context = browser.new_context(java_script_enabled=javascript, **options)
    try:
        yield context.new_page()
    finally:
        context.close()


# --- expectations -----------------------------------------------------------------------

def shown_text(message: str, language: str) -> str | None:
    """What a page shows for an English message, when the catalogue tells.

    As in tests/test_browser_reporting.py; a message not yet extracted into a catalogue
    counts as untranslated too, so no text is expected for it in Lithuanian or Norwegian.
    """
    try:
        translation = catalogue_translation(message, language)
    except AttributeError:  # not in the catalogue at all
        translation = ""
    if translation:
        return translation
    return message if language == "en" else None


def assert_shown(locator, message: str, language: str) -> None:
    """The element shows the message in the language, when the catalogue translates it."""
    expected = shown_text(message, language)
    text = locator.inner_text()
    assert text.strip(), f"{locator} shows no text"
    if expected:
        assert expected in text, f"{expected!r} is not in {text!r}"


def assert_accessible(axe, page) -> None:
    """axe-core finds no serious or critical violation in the page the user sees.

    As in tests/test_browser_reporting.py, axe runs in a page with scripts on and the policy
    bypassed, on the document the user's browser holds (staff pages need the officer's
    session, and some answer a POST): a route answers the page's address with it. The
    address loses its fragment ("#reply"), which a browser never sends.
    """
    url, html = urldefrag(page.url).url, page.content()

    def answer(route) -> None:
        route.fulfill(status=200, body=html, content_type="text/html; charset=utf-8")

    def is_page(requested: str) -> bool:
        return requested == url

    axe.route(is_page, answer)
    try:
        axe.goto(url)
        assert axe.title() == page.title(), f"axe opened another page than {url}"
        results = Axe().run(axe)
    finally:
        axe.unroute(is_page, answer)
    assert results.response["passes"], f"axe did not run on {url}"
    serious = [v for v in results.response["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == [], f"{url}\n{results.generate_report()}"


def path_of(page) -> str:
    """The path of the page's address (no query, no fragment)."""
    return urlsplit(page.url).path


def assert_language(page, language: str) -> None:
    """The page is in the language."""
    assert page.locator("html").get_attribute("lang") == language, page.url


def notice(page):
    """The flashed confirmation at the top of the page."""
    return page.locator("main .notice[role=status]")


# --- the reporter -----------------------------------------------------------------------

def report_concern(page, served, slug: str, language: str, answers: dict[str, str], *,
                   identity: tuple[str, str] | None = None,
                   files: tuple[tuple[str, str, bytes], ...] = ()) -> str:
    """Fill in the report form, check it, add files, send it; returns the receipt."""
    page.goto(f"{served.base_url}/i/{slug}/report?lang={language}")
    assert_language(page, language)
    page.locator("select[name=category]").select_option(value="bribery")
    for name, text in answers.items():
        page.locator(f"textarea[name={name}]").fill(text)
    elsewhere = "yes" if "elsewhere_details" in answers else "no"
    page.locator(f"input[type=radio][name=reported_elsewhere][value={elsewhere}]").check()
    if identity:
        page.locator("input[type=radio][name=identity_choice][value=confidential]").check()
        page.locator("input[name=name]").fill(identity[0])
        page.locator("input[name=contact]").fill(identity[1])
    follow(page, page.locator("main form button[type=submit]"))
    files_input = page.locator("form input[type=file][name=attachments]")
    assert files_input.count() == 1, page.locator(".error").all_inner_texts()
    if files:
        files_input.set_input_files(files=[{"name": name, "mimeType": mime, "buffer": data}
                                           for name, mime, data in files])
    return send_report(page, served)


def reporter_signs_in(page, served, receipt: str) -> None:
    """Open the mailbox with the receipt."""
    page.goto(f"{served.base_url}/mailbox/")
    form = sign_in_form(page)
    form.locator("input[name=receipt]").fill(receipt)
    follow(page, form.locator("button[type=submit]"))
    assert page.locator("dl.status").is_visible(), page.locator("main").inner_text()


def write_to_officers(page, text: str, files: tuple[tuple[str, str, bytes], ...] = ()) -> None:
    """Send a message, with files, from the mailbox."""
    form = page.locator("form", has=page.locator("textarea[name=text]"))
    form.locator("textarea[name=text]").fill(text)
    form.locator("input[type=file][name=attachments]").set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": data} for name, mime, data in files])
    follow(page, form.locator("button[type=submit]"))
    assert path_of(page) == "/mailbox/", page.locator("main").inner_text()


def officer_messages(page) -> list[str]:
    """The texts of the officers' messages in a conversation, oldest first."""
    return [text.strip() for text in
            page.locator("ol.conversation .message-officer .text").all_inner_texts()]


# --- the officer ------------------------------------------------------------------------

def submit_sign_in(page, email: str) -> None:
    """Step one of signing in: e-mail address and password."""
    form = page.locator("main form", has=page.locator("input[name=password]"))
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=password]").fill(DEMO_PASSWORD)
    follow(page, form.locator("[type=submit]"))


def submit_code(page, code: str) -> None:
    """Step two: the code from the authenticator app."""
    form = page.locator("main form", has=page.locator("input[name=code]"))
    form.locator("input[name=code]").fill(code)
    follow(page, form.locator("[type=submit]"))


def officer_enrols(page, served, email: str, language: str, axe=None
                   ) -> tuple[pyotp.TOTP, str]:
    """First sign-in: password, then two-factor set up from the page's key; with ``axe``,
    both pages are checked for accessibility.

    Returns the authenticator and the code used, which is now spent.
    """
    page.goto(f"{served.base_url}/staff/login?lang={language}")
    assert_language(page, language)
    if axe is not None:
        assert_accessible(axe, page)
    submit_sign_in(page, email)
    assert path_of(page) == "/staff/login/enrol", page.locator("main").inner_text()
    assert_language(page, language)
    assert page.locator("figure.qr-preview svg").count() == 1, "no QR code to scan"
    secret = page.locator("code.setup-key#setup-key").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
    if axe is not None:
        assert_accessible(axe, page)
    authenticator = pyotp.TOTP(secret)
    code = authenticator.now()
    submit_code(page, code)
    assert path_of(page) == "/staff/overview", page.locator("main").inner_text()
    return authenticator, code


def officer_signs_in_again(axe, page, served, email: str, language: str,
                           authenticator: pyotp.TOTP, spent: str, destination: str) -> None:
    """A later sign-in: the code page refuses the spent code, then takes a fresh one.

    The spent code is refused whatever the clock says: within the allowed drift its step is
    not newer than the last one accepted, and beyond the drift it is no longer valid. The
    next step's code lies within the drift and is newer, so no test waits 30 seconds.
    """
    submit_sign_in(page, email)
    assert path_of(page) == "/staff/login/code", page.locator("main").inner_text()
    assert_language(page, language)
    submit_code(page, spent)
    assert path_of(page) == "/staff/login/code"
    assert page.locator("input#code[aria-invalid=true]").count() == 1, "a spent code was taken"
    assert page.locator("#code-error").inner_text().strip()
    assert_accessible(axe, page)
    submit_code(page, authenticator.at(time.time() + 30))
    assert path_of(page) == destination, page.locator("main").inner_text()


def open_inbox(page, slug: str) -> None:
    """Follow the workspace navigation to the institution's cases."""
    follow(page, page.locator(f'nav.workspace-nav a[href="/staff/i/{slug}/cases"]'))
    assert path_of(page) == f"/staff/i/{slug}/cases"


def case_links(page) -> list[str]:
    """The case pages the inbox links to, in its order."""
    links = page.locator('table.cases a[href^="/staff/cases/"]')
    return [links.nth(index).get_attribute("href") for index in range(links.count())]


def open_case_holding(page, served, marker: str) -> str:
    """From the inbox, open the listed case whose report holds the marker; returns its path."""
    for href in case_links(page):
        page.goto(served.base_url + href)
        if marker in page.locator("dl.answers").inner_text():
            return href
    pytest.fail(f"no case in the inbox holds {marker!r}")


def act(page, form_id: str, fields: dict[str, str] | None = None, *, select=None,
        check=None) -> None:
    """Fill in one of the case page's forms and submit it; the page comes back to it."""
    form = page.locator(f"form#{form_id}")
    for name, value in (check or {}).items():
        form.locator(f"input[name={name}][value={value}]").check()
    for name, value in (select or {}).items():
        form.locator(f"select[name={name}]").select_option(value=value)
    for name, value in (fields or {}).items():
        form.locator(f"[name={name}]").fill(value)
    case_path = form.get_attribute("action").rsplit("/", 1)[0]
    follow(page, form.locator("[type=submit]"))
    errors = page.locator(".error").all_inner_texts()
    assert path_of(page) == case_path and urlsplit(page.url).fragment == form_id, errors


# --- 1. a case worked from both sides ---------------------------------------------------

@pytest.mark.parametrize("language", ("lt", "en", "nb"))
def test_officer_and_reporter_work_a_case_together(workspace, browser, axe, language,
                                                    output_dir):
    slug, desk = INSTITUTION[language], OFFICER_LANGUAGE[language]
    marker = f"{language}-{secrets.token_hex(6)}"
    letters = LETTERS[language]
    answers = {
        "what_happened": f"Report {marker}: the head of procurement took money ({letters}).",
        "when_where": "In March, at the town hall.",
        "people_involved": "The head of procurement.",
        "how_known": f"I saw the envelope myself ({letters}).",
    }
    with browsing(browser) as reporter, browsing(browser) as officer:
        # A reporter sends a report with JavaScript off.
        receipt = report_concern(reporter, workspace, slug, language, answers)

        # The officer signs in for the first time: password, then two-factor set up.
        email = officer_of(slug)
        authenticator, spent = officer_enrols(officer, workspace, email, desk, axe)
        assert_language(officer, desk)
        assert officer.locator(f"#overview-{slug}").count() == 1
        assert_accessible(axe, officer)

        # The new report is in the inbox, waiting to be acknowledged.
        open_inbox(officer, slug)
        assert_language(officer, desk)
        assert len(case_links(officer)) >= 1
        officer.screenshot(path=output_dir / f"staff-inbox-{desk}.png", full_page=True)
        assert_accessible(axe, officer)
        case_path = open_case_holding(officer, workspace, marker)
        assert_language(officer, desk)
        shown = officer.locator("dl.answers").inner_text()
        for text in answers.values():
            assert text in shown
        assert_shown(officer.locator("dl.status dd").first,
                     "Received, waiting to be acknowledged", desk)
        assert officer.locator("ol.conversation").count() == 0
        assert_accessible(axe, officer)

        # It acknowledges the report; the form to do so disappears.
        act(officer, "acknowledge")
        assert_shown(notice(officer), "The report is acknowledged; the reporter has been told.",
                     desk)
        assert officer.locator("form#acknowledge").count() == 0
        assert_shown(officer.locator("dl.status dd").first, "Acknowledged", desk)
        assert len(officer_messages(officer)) == 1

        # It asks the reporter a question.
        question = f"Officer {marker}: which supplier was it? ({letters})"
        act(officer, "reply", {"text": question}, check={"kind": "question"})
        assert_shown(notice(officer), "Your message has been sent to the reporter's mailbox.",
                     desk)
        assert officer_messages(officer)[-1] == question
        officer.screenshot(path=output_dir / f"staff-case-{desk}.png", full_page=True)
        assert_accessible(axe, officer)

        # The reporter reads the acknowledgement, in the reporter's language, and the question.
        reporter_signs_in(reporter, workspace, receipt)
        assert_language(reporter, language)
        acknowledgement, asked = officer_messages(reporter)
        assert asked == question
        own_name = reporter.locator("dl.status dd").first.inner_text().strip()
        assert own_name in acknowledgement, "the acknowledgement names the institution"
        officers_name = officer.locator(".breadcrumb .case-institution").inner_text().strip()
        if officers_name != own_name:
            assert officers_name not in acknowledgement, "written in the officer's language"
        expected = shown_text(ACKNOWLEDGEMENT, language)
        if expected:
            assert acknowledgement.startswith(expected.split("%(")[0])

        # The reporter answers with a photo.
        answer = f"Reporter {marker}: Supplier Ltd. The invoice is attached ({letters})."
        write_to_officers(reporter, answer,
                          (("invoice.jpg", "image/jpeg", photo_with_location("JPEG")),))
        assert reporter.locator("ol.conversation .message-reporter .text").inner_text() == answer

        # The officer sees the answer and its file, whose location was removed.
        officer.goto(workspace.base_url + case_path)
        mine = officer.locator("ol.conversation .message-reporter")
        assert mine.locator(".text").inner_text() == answer
        invoice = mine.locator("ul.files > li", has=officer.locator("a.filename",
                                                                    has_text="invoice.jpg"))
        assert invoice.count() == 1
        assert invoice.locator(".hint").count() >= 1, "nothing says what was removed"

        # It moves the case to assessment, then closes it as substantiated, with reasons.
        assessing = f"Assessment {marker}: the invoice is checked."
        act(officer, "status", {"reason": assessing}, select={"status": "assessment"})
        assert_shown(notice(officer), "The status has been changed.", desk)
        assert_shown(officer.locator("dl.status dd").first, "Being assessed", desk)
        # Closing needs an outcome: without one the form comes back with the reason kept.
        closing = f"Closing {marker}: the payment is proven ({letters})."
        status = officer.locator("form#status")
        status.locator("select[name=status]").select_option(value="closed")
        status.locator("textarea[name=reason]").fill(closing)
        follow(officer, status.locator("[type=submit]"))
        assert path_of(officer) == f"{case_path}/status"
        assert_shown(status.locator("[role=alert]"), "Choose the outcome of the case.", desk)
        assert status.locator("textarea[name=reason]").input_value() == closing
        assert_shown(officer.locator("dl.status dd").first, "Being assessed", desk)
        assert_accessible(axe, officer)
        act(officer, "status", {"reason": closing},
            select={"status": "closed", "outcome": "substantiated"})
        assert_shown(officer.locator("dl.status dd").first, "Closed", desk)
        assert_shown(officer.locator("dl.status dd").first, "Substantiated", desk)
        assert officer.locator("form#status").count() == 0, "a closed case moves no further"
        history = officer.locator("ol.history").inner_text()
        assert assessing in history and closing in history
        officer.screenshot(path=output_dir / f"staff-case-closed-{desk}.png", full_page=True)
        assert_accessible(axe, officer)

        # The reporter sees the case closed; the reasons stay among the officers.
        reporter.reload()
        assert_shown(reporter.locator("dl.status dd strong"), "Closed", language)
        assert closing not in reporter.locator("main").inner_text()
        assert officer_messages(reporter) == [acknowledgement, question]

        # The officer's account page, switched to the reporter's language with the header's
        # links; the choice holds for signing out and in again with the code page.
        follow(officer, officer.locator('nav.workspace-nav a[href="/staff/account"]'))
        assert path_of(officer) == "/staff/account"
        assert_language(officer, desk)
        follow(officer, officer.locator(f'nav.languages a[hreflang="{language}"]'))
        assert path_of(officer) == "/staff/account"
        assert_language(officer, language)
        assert_accessible(axe, officer)
        follow(officer, officer.locator("nav.workspace-nav form button[type=submit]"))
        assert path_of(officer) == "/staff/login"
        assert_language(officer, language)
        assert_shown(notice(officer), "You have signed out.", language)
        officer.goto(workspace.base_url + case_path)
        assert path_of(officer) == "/staff/login", "a signed-out officer still opens the case"
        # Signed in again, the officer is back on the case page asked for.
        officer_signs_in_again(axe, officer, workspace, email, language, authenticator, spent,
                               case_path)
        assert_language(officer, language)
        assert marker in officer.locator("dl.answers").inner_text()


# --- 2. markup in a report stays text ---------------------------------------------------

PWNED = "window.__pwned"
PAYLOADS = (
    f"<script>{PWNED}=1</script>",
    f'"><img src=x onerror="{PWNED}=1">',
    f'<svg onload="{PWNED}=1">',
    f"javascript:{PWNED}=1",
    "'><img src=x onerror=alert('pwned')>",
)
PAYLOAD = " ".join(PAYLOADS)
FILE_PAYLOAD = f"<img src=x onerror={PWNED}=1>.png"


def assert_no_script_ran(page, dialogs: list[str]) -> None:
    """No payload became markup: nothing ran, and nothing could run on a click."""
    assert page.evaluate(PWNED) is None, "a stored payload ran in the officer's browser"
    assert dialogs == [], f"a stored payload opened a dialog: {dialogs}"
    assert page.locator("script, main img, main svg").count() == 0
    assert page.locator("[onerror], [onload], a[href^='javascript:' i]").count() == 0


def watch_dialogs(page) -> list[str]:
    """Record (and dismiss) every alert, confirm or prompt the page opens."""
    opened: list[str] = []

    def record(dialog) -> None:
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    return opened


def csp_directives(header: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as directive name → values."""
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name.lower()] = values
    return directives


def test_stored_script_never_runs_in_the_officers_browser(workspace, browser):
    slug = "prienai"
    marker = f"xss-{secrets.token_hex(6)}"
    answers = {name: f"{name} {marker} {PAYLOAD}" for name in (
        "what_happened", "when_where", "people_involved", "how_known", "elsewhere_details")}
    identity = (f"name {PAYLOADS[0]} {PAYLOADS[2]}", f"contact {PAYLOADS[1]} {PAYLOADS[3]}")
    follow_up = f"follow-up {marker} {PAYLOAD}"
    note, reason = f"note {marker} {PAYLOAD}", f"reason {marker} {PAYLOAD}"
    reply = f"reply {marker} {PAYLOAD}"
    with (browsing(browser) as reporter,
          browsing(browser, javascript=True) as officer):
        receipt = report_concern(reporter, workspace, slug, "en", answers, identity=identity,
                                 files=((FILE_PAYLOAD, "image/png", photo_with_location("PNG")),))
        reporter_signs_in(reporter, workspace, receipt)
        write_to_officers(reporter, follow_up, ((FILE_PAYLOAD.replace(".png", ".jpg"),
                                                 "image/jpeg", photo_with_location("JPEG")),))

        # The officer's browser runs JavaScript; the case page is opened and worked on.
        dialogs = watch_dialogs(officer)
        officer_enrols(officer, workspace, officer_of(slug), "en")
        open_inbox(officer, slug)
        case_path = open_case_holding(officer, workspace, marker)
        act(officer, "acknowledge")
        act(officer, "note", {"text": note})
        act(officer, "reply", {"text": reply}, check={"kind": "feedback"})
        act(officer, "status", {"reason": reason}, select={"status": "assessment"})

        response = officer.goto(workspace.base_url + case_path)
        assert response.status == 200
        assert_no_script_ran(officer, dialogs)

        # Every payload is on the page as the text that was typed.
        for name, text in answers.items():
            if name == "elsewhere_details":  # shown after the answer to "reported elsewhere?"
                text = f"Yes: {text}"
            assert officer.get_by_text(text, exact=True).count() == 1, name
        assert officer.get_by_text(f"{identity[0]} · {identity[1]}", exact=True).count() == 1
        for text in (follow_up, note, reply):
            assert officer.get_by_text(text, exact=True).count() == 1, text
        assert officer.locator("ol.history .text", has_text=reason).count() == 1
        assert officer.get_by_text(PAYLOADS[0]).first.is_visible()
        for name in (FILE_PAYLOAD, FILE_PAYLOAD.replace(".png", ".jpg")):
            assert officer.locator("a.filename", has_text=safe_filename(name)).count() == 1

        # The policy allows no script at all: default-src 'none' and no script-src.
        policy = csp_directives(response.headers["content-security-policy"])
        assert policy["default-src"] == ["'none'"]
        assert "script-src" not in policy and "script-src-elem" not in policy
        assert not any("unsafe" in value for values in policy.values() for value in values)

        # Even a script that did get into the page would not run: Chromium enforces the policy.
        def injected(route) -> None:
            answer = route.fetch()
            body = answer.text().replace("</body>", f"<script>{PWNED}=2</script></body>")
            route.fulfill(response=answer, body=body)

        officer.route(workspace.base_url + case_path, injected)
        with officer.expect_console_message(lambda message: "inline script" in message.text
                                            and "Content Security Policy" in message.text):
            officer.reload()
        assert officer.locator("script").count() == 1, "the script was not put into the page"
        assert officer.evaluate(PWNED) is None, "the policy let an inline script run"
        officer.unroute(workspace.base_url + case_path)

        # Without the policy the payloads still stay text: they are escaped, not just blocked.
        cookies = officer.context.cookies()
        with browsing(browser, javascript=True, bypass_csp=True) as unguarded:
            unguarded.context.add_cookies(cookies)
            unguarded_dialogs = watch_dialogs(unguarded)
            unguarded.goto(workspace.base_url + case_path)
            assert unguarded.locator("dl.answers").inner_text().count(marker) == len(answers)
            assert_no_script_ran(unguarded, unguarded_dialogs)

            # The same holds in the reporter's mailbox, which shows the officer's reply.
            unguarded.context.add_cookies(reporter.context.cookies())
            unguarded.goto(f"{workspace.base_url}/mailbox/")
            assert unguarded.get_by_text(reply, exact=True).count() == 1
            assert_no_script_ran(unguarded, unguarded_dialogs)


# --- 3. attachments are files, never pages ----------------------------------------------

# File names as reporters in Lithuania and Norway write them.
LOCAL_NAMES = ("sąskaita už įrangą.png", "kvittering fra Ålesund, 3 × 2.png")


def download_by_click(page, name: str):
    """Click the case page's link to a file; the download that starts (the page stays)."""
    url = page.url
    link = page.locator("a.filename", has_text=name)
    assert link.count() == 1, page.locator("ul.files").inner_text()
    with page.expect_download() as downloading:
        link.click()
    assert page.url == url
    return downloading.value


def assert_clean_photo(path) -> None:
    """A PNG without the location the test photo was taken with."""
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert not image.getexif().get_ifd(0x8825), "the location came back"


def test_case_attachments_are_downloaded_never_shown_as_pages(workspace, browser):
    slug = "druskininkai"
    marker = f"files-{secrets.token_hex(6)}"
    page_file = f"<html><body><script>{PWNED}=1</script><h1>{marker}</h1></body></html>"
    files = (("evidence.png", "image/png", photo_with_location("PNG")),
             ("evidence.html", "text/html", page_file.encode()),
             *((name, "image/png", photo_with_location("PNG")) for name in LOCAL_NAMES))
    with browsing(browser) as reporter, browsing(browser, javascript=True) as officer:
        report_concern(reporter, workspace, slug, "en",
                       {"what_happened": f"Report {marker} with evidence."}, files=files)
        officer_enrols(officer, workspace, officer_of(slug), "en")
        open_inbox(officer, slug)
        case_path = open_case_holding(officer, workspace, marker)

        # A click on the photo's link downloads it, its location removed; the page stays.
        photo = download_by_click(officer, "evidence.png")
        assert photo.failure() is None
        assert photo.suggested_filename == "evidence.png"
        assert_clean_photo(photo.path())

        # The server itself says "attachment", so even without the link's download attribute
        # a browser opening the address directly saves the file instead of showing it.
        saved = {}
        for name, content_type in (("evidence.png", "image/png"),
                                   ("evidence.html", "text/plain")):
            href = officer.locator("a.filename", has_text=name).get_attribute("href")
            assert href.startswith(f"{case_path}/files/")
            answer = officer.context.request.get(workspace.base_url + href)
            assert answer.status == 200
            headers = answer.headers
            assert headers["content-disposition"].startswith("attachment"), headers
            assert name in headers["content-disposition"]
            assert headers["content-type"].split(";")[0] == content_type
            assert headers["x-content-type-options"] == "nosniff"
            assert "sandbox" in csp_directives(headers["content-security-policy"])
            with (officer.expect_download() as downloading,
                  pytest.raises(PlaywrightError, match=r"Download is starting|ERR_ABORTED")):
                officer.goto(workspace.base_url + href)
            assert downloading.value.suggested_filename == name
            saved[name] = Path(downloading.value.path()).read_bytes()

        # The page a reporter sent arrives as the same bytes, and never ran here.
        assert saved["evidence.html"] == page_file.encode()
        assert saved["evidence.png"].startswith(b"\x89PNG")
        assert officer.evaluate(PWNED) is None

        # Names with Lithuanian and Norwegian letters arrive as they were sent (the header
        # must carry them in RFC 6266's filename*, as a header is Latin-1 at most).
        downloaded = {}
        for name in LOCAL_NAMES:
            download = download_by_click(officer, name)
            downloaded[name] = download.failure() or download.suggested_filename
            if download.failure() is None:
                assert_clean_photo(download.path())
        assert downloaded == {name: name for name in LOCAL_NAMES}, workspace.log()[-1500:]
