"""Real Chromium with JavaScript off: a reporter's whole journey, in every language.

A reporter opens an institution's page, fills in the report form, checks it, adds a photo
whose location is removed, keeps the receipt, signs in to the mailbox, reads an integrity
officer's reply, answers with a file and signs out. Every page on the way passes axe.
"""

import io
import re
import secrets
from contextlib import contextmanager

import pytest
from axe_playwright_python.sync_playwright import Axe
from PIL import Image
from sqlalchemy import select

from app import create_app
from app.crypto.kdf import KdfCost
from app.crypto.staff_keys import StaffKeyMaterial, unlock_staff_key
from app.extensions import db
from app.languages import LANGUAGES
from app.models import Institution, MessageKind, Report
from app.services.accounts.users import find_user
from app.services.casefile.content import read_content
from app.services.casefile.sealing import officer_data_key
from app.services.casework.commands import send_officer_message
from app.services.casework.opened_case import OpenedCase
from app.services.demo.network import DEMO_PASSWORD
from config import TestConfig
from tests.helpers import catalogue_translation, follow

pytestmark = pytest.mark.browser

INSTITUTION = "utena"
OFFICER = f"officer1.{INSTITUTION}@demo.example.org"
RECEIPT = re.compile(r"\d{4}( \d{4}){6}")
# A few letters of each language, so the texts also travel through encryption intact.
LETTERS = {"lt": "ąčęėįšųūž", "en": "plain English", "nb": "æøå"}


@pytest.fixture
def page(browser):
    """A fresh browsing context with JavaScript disabled, as in Tor Browser's Safest mode."""
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()


# --- expectations -----------------------------------------------------------------------

def shown_text(message: str, language: str) -> str | None:
    """What a page shows for an English message, when the catalogue tells.

    English is the source language, so an empty English entry shows the message itself. An
    empty Lithuanian or Norwegian entry is a missing translation: no text is expected then.
    """
    translation = catalogue_translation(message, language)
    if translation:
        return translation
    return message if language == "en" else None


def assert_removed_metadata(file_item, language: str) -> None:
    """A file's entry says that its location and camera details were removed."""
    removal = file_item.locator("p:not(.hint)")
    assert removal.count() == 1, "no line says what was removed from the file"
    line = removal.inner_text()
    for label in ("location (GPS coordinates)", "camera and photo details (EXIF)"):
        expected = shown_text(label, language)
        if expected:
            assert expected in line
    assert line.strip()


# --- files ------------------------------------------------------------------------------

def photo_with_location(image_format: str) -> bytes:
    """A small picture whose EXIF block names a camera and where it was taken."""
    image = Image.new("RGB", (48, 32), (0, 110, 120))
    exif = Image.Exif()
    exif[0x010F] = "Skaidra test camera"  # Make
    exif[0x8825] = {1: "N", 2: (55.0, 29.0, 50.0), 3: "E", 4: (25.0, 35.0, 58.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, format=image_format, exif=exif.tobytes())
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825), "the test photo has no GPS"
    return data


def attach(file_input, name: str, mime_type: str, data: bytes) -> None:
    """Choose a file held in memory in a file input."""
    file_input.set_input_files(files=[{"name": name, "mimeType": mime_type, "buffer": data}])


# --- accessibility ----------------------------------------------------------------------

def assert_accessible(browser, page) -> None:
    """axe-core finds no serious or critical violation in the page the reporter sees.

    axe is itself JavaScript: it runs in a separate context with scripts on, where the page's
    CSP would otherwise block it from being injected (bypass_csp=True). That context does not
    fetch the page again, because the check page and the receipt answer a POST (repeating it
    would send the report twice, and a receipt is shown only once) and the mailbox needs the
    reporter's session. Instead a route answers the page's own URL with the document the
    reporter's browser holds, and only that URL: the stylesheet and images still come from the
    served app, so colour contrast and layout are checked exactly as the reporter sees them.
    """
    url, html = page.url, page.content()
    context = browser.new_context(bypass_csp=True)
    try:
        context.route(lambda requested: requested == url,
                      lambda route: route.fulfill(status=200, body=html,
                                                  content_type="text/html; charset=utf-8"))
        axe_page = context.new_page()
        axe_page.goto(url)
        results = Axe().run(axe_page)
    finally:
        context.close()
    assert results.response["passes"], f"axe did not run on {url}"
    serious = [v for v in results.response["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == [], f"{url}\n{results.generate_report()}"


# --- the reporter's steps ---------------------------------------------------------------

def open_report_form(page, base_url: str, language: str) -> None:
    """From the institution's landing page, follow the link to the report form."""
    page.goto(f"{base_url}/i/{INSTITUTION}/?lang={language}")
    assert page.locator("html").get_attribute("lang") == language
    follow(page, page.locator(f'main a[href="/i/{INSTITUTION}/report"]'))
    assert page.url == f"{base_url}/i/{INSTITUTION}/report"
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("form select[name=category]").is_visible()


def fill_report_form(page, answers: dict[str, str]) -> dict[str, str]:
    """Fill in the form; return the labels the chosen options are shown with."""
    page.locator("select[name=category]").select_option(value="bribery")
    for name, text in answers.items():
        page.locator(f"textarea#{name}[name={name}]").fill(text)
    chosen = {"reported_elsewhere": "no", "urgency": "urgent", "identity_choice": "anonymous"}
    labels = {"category": page.locator("select[name=category] option[value=bribery]")
              .inner_text().strip()}
    for name, value in chosen.items():
        radio = page.locator(f"input[type=radio][name={name}][value={value}]")
        radio.check()
        labels[name] = page.locator(f'label[for="{radio.get_attribute("id")}"]').inner_text()
    return labels


def continue_to_check(page, base_url: str) -> None:
    """Send the form to the check page (nothing is stored yet)."""
    follow(page, page.locator("main form button[type=submit]"))
    assert page.url == f"{base_url}/i/{INSTITUTION}/report"
    errors = page.locator(".error").all_inner_texts()
    assert page.locator("form input[type=file][name=attachments]").count() == 1, errors


def assert_answers_shown(page, answers: dict[str, str], labels: dict[str, str]) -> None:
    """The check page shows every answer and every chosen option."""
    shown = page.locator("dl.answers").inner_text()
    for text in (*answers.values(), labels["category"], labels["reported_elsewhere"],
                 labels["urgency"]):
        assert text.strip() in shown, f"{text!r} is missing from the check page"


def send_report(page, served) -> str:
    """Press the send button (not the one that goes back to edit); return the receipt."""
    with page.expect_navigation() as navigation:
        page.locator("button[type=submit]:not([name=edit])").click()
    response = navigation.value
    assert response is not None and response.status == 200, (
        f"sending the report answered {response and response.status}\n{served.log()[-3000:]}")
    receipt = page.locator(".receipt strong").inner_text().strip()
    assert RECEIPT.fullmatch(receipt), f"not a receipt: {receipt!r}"
    return receipt


def sign_in_form(page):
    """The mailbox's sign-in form."""
    return page.locator("form", has=page.locator("input[name=receipt]"))


def sign_in(page, receipt: str) -> None:
    """Open the mailbox with the receipt."""
    form = sign_in_form(page)
    form.locator("input[name=receipt]").fill(receipt)
    follow(page, form.locator("button[type=submit]"))
    page.locator("dl.status").wait_for(state="visible", timeout=15_000)


def write_to_officers(page, text: str, name: str, mime_type: str, data: bytes) -> None:
    """Send a message with one file from the mailbox."""
    form = page.locator("form", has=page.locator("textarea[name=text]"))
    form.locator("textarea[name=text]").fill(text)
    attach(form.locator("input[type=file][name=attachments]"), name, mime_type, data)
    follow(page, form.locator("button[type=submit]"))


def sign_out(page) -> None:
    """Press the sign-out button."""
    follow(page, page.locator("form.sign-out button[type=submit]"))


# --- the integrity officer, through the service layer -----------------------------------

def officer_replies(served, marker: str, text: str) -> None:
    """officer1 of the institution answers the report whose description holds the marker.

    The served gunicorn has its own database file: an app built in this process on the same
    file opens the officer's key with the demo password, as the staff workspace would.
    """
    config = type("ServedDatabaseConfig", (TestConfig,),
                  {"SQLALCHEMY_DATABASE_URI": served.env["DATABASE_URL"]})
    application = create_app(config)
    with application.app_context():
        try:
            officer = find_user(OFFICER)
            private_key = unlock_staff_key(StaffKeyMaterial(
                salt=officer.kdf_salt, cost=KdfCost.from_dict(officer.kdf_params),
                public_key=officer.public_key, wrapped_private_key=officer.wrapped_private_key,
            ), DEMO_PASSWORD)
            assert private_key is not None, "the demo password did not open the officer's key"
            # Other tests may report to the same institution: take the newest report that is
            # this one, recognised by the marker in its description.
            reports = db.session.scalars(
                select(Report).join(Institution).where(Institution.slug == INSTITUTION)
                .order_by(Report.id.desc()).limit(20))
            for report in reports:
                data_key = officer_data_key(report, officer, private_key)
                assert data_key is not None, "the report was not sealed to the officer"
                content, _identity = read_content(report, data_key)
                if marker in content["what_happened"]:
                    send_officer_message(OpenedCase(report, officer, data_key), text,
                                         MessageKind.QUESTION)
                    break
            else:
                pytest.fail(f"no report of {INSTITUTION} holds {marker!r}")
        finally:
            db.session.remove()
            db.engine.dispose()


# --- the tests --------------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_reporter_sends_a_report_reads_the_reply_and_answers(served, browser, page, language,
                                                             output_dir):
    base = served.base_url
    marker = f"{language}-{secrets.token_hex(6)}"
    letters = LETTERS[language]
    answers = {
        "what_happened": f"Report {marker}: the head of procurement took money ({letters}).",
        "when_where": "In March, at the town hall, second floor.",
        "people_involved": "The head of procurement; a supplier's manager.",
        "how_known": f"I saw the envelope myself ({letters}).",
    }

    # 1. The report form, reached from the institution's page.
    open_report_form(page, base, language)
    assert_accessible(browser, page)
    labels = fill_report_form(page, answers)
    page.screenshot(path=output_dir / f"report-{language}.png", full_page=True)

    # The check page shows the answers; a photo with its location is added there.
    continue_to_check(page, base)
    assert_answers_shown(page, answers, labels)
    assert_accessible(browser, page)
    attach(page.locator("input[type=file][name=attachments]"), "photo.png", "image/png",
           photo_with_location("PNG"))
    page.screenshot(path=output_dir / f"review-{language}.png", full_page=True)

    # The receipt page shows the receipt once, and what was removed from the photo.
    receipt = send_report(page, served)
    photo = page.locator("ul.files > li", has=page.locator(".filename", has_text="photo.png"))
    assert photo.count() == 1
    assert_removed_metadata(photo, language)
    assert page.locator('a[href="/mailbox/"]').count() == 1
    page.screenshot(path=output_dir / f"receipt-{language}.png", full_page=True)
    assert_accessible(browser, page)

    # 2. The mailbox opens with the receipt; nobody has written yet.
    page.goto(f"{base}/mailbox/")
    assert page.locator("html").get_attribute("lang") == language
    assert sign_in_form(page).is_visible()
    assert_accessible(browser, page)
    sign_in(page, receipt)
    assert page.url == f"{base}/mailbox/"
    assert labels["category"] in page.locator("dl.status").inner_text()
    assert page.locator("ol.conversation .message").count() == 0
    no_messages = shown_text("No messages yet. The integrity officers will write here.",
                             language)
    if no_messages:
        assert no_messages in page.locator("main").inner_text()

    # 3. An integrity officer replies.
    question = f"Officer {marker}: which supplier was it?"
    officer_replies(served, marker, question)

    # 4. The reporter reads the reply and answers it with a file.
    page.reload()
    assert page.locator(".message-officer .text").inner_text() == question
    answer = f"Reporter {marker}: Supplier Ltd. The invoice is attached ({letters})."
    write_to_officers(page, answer, "invoice.jpg", "image/jpeg", photo_with_location("JPEG"))
    assert page.url == f"{base}/mailbox/"
    sent = shown_text("Your message has been sent.", language)
    confirmation = page.locator("main .notice[role=status]")
    assert confirmation.is_visible()
    if sent:
        assert sent in confirmation.inner_text()
    assert page.locator(".message-officer .text").inner_text() == question
    mine = page.locator("ol.conversation .message-reporter")
    assert mine.count() == 1
    assert mine.locator(".text").inner_text() == answer
    invoice = mine.locator("ul.files > li", has=page.locator(".filename", has_text="invoice.jpg"))
    assert invoice.count() == 1
    assert_removed_metadata(invoice, language)
    page.screenshot(path=output_dir / f"mailbox-{language}.png", full_page=True)
    assert_accessible(browser, page)

    # After signing out the mailbox asks for the receipt again and shows nothing of the report.
    sign_out(page)
    assert page.url == f"{base}/mailbox/"
    assert sign_in_form(page).is_visible()
    assert page.locator("dl.status").count() == 0
    assert marker not in page.content()



@pytest.mark.parametrize("language", LANGUAGES)
def test_mistakes_are_explained_next_to_the_fields_and_pass_axe(served, browser, page,
                                                               language):
    # The form sent empty comes back with the error tied to the field that needs it.
    open_report_form(page, served.base_url, language)
    follow(page, page.locator("main form button[type=submit]"))
    described = page.locator("textarea#what_happened[aria-invalid=true]")
    assert described.count() == 1
    error = page.locator("#what_happened-error")
    assert error.inner_text() == shown_text("Describe what happened, or add a voice message.",
                                            language)
    assert "what_happened-error" in described.get_attribute("aria-describedby").split()
    assert page.locator("select#category[aria-invalid=true]").count() == 1
    assert_accessible(browser, page)

    # A wrong receipt is refused with an explanation on the receipt field.
    page.goto(f"{served.base_url}/mailbox/")
    sign_in_form(page).locator("input[name=receipt]").fill("0000 0000 0000 0000")
    follow(page, sign_in_form(page).locator("button[type=submit]"))
    receipt = page.locator("input#receipt[aria-invalid=true]")
    assert receipt.count() == 1
    assert receipt.input_value() == "", "a receipt is never written back into a page"
    assert page.locator("#receipt-error").inner_text().strip()
    assert_accessible(browser, page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_share_page_shows_the_stable_links_and_is_accessible(served, browser, page, language):
    page.goto(f"{served.base_url}/i/{INSTITUTION}/share?lang={language}")
    assert page.locator("html").get_attribute("lang") == language
    for code in LANGUAGES:
        link = f"{served.base_url}/i/{INSTITUTION}/?lang={code}"
        assert page.locator(f'main a[href="{link}"]', has_text=link).count() == 1
    assert_accessible(browser, page)


INTRANET = "https://intranet.example/"


@contextmanager
def intranet_page(browser, embed_url: str):
    """A page of another origin, an intranet, that puts the embed card in an iframe.

    The intranet page is https (a secure context) and the browser may reach the local network:
    otherwise Chromium's Local Network Access checks refuse a frame from 127.0.0.1 inside a
    page of a public address before the request even reaches Skaidra, and the test would pass
    without frame-ancestors being checked at all.
    """
    context = browser.new_context(java_script_enabled=False,
                                  permissions=["local-network-access"])
    html = ('<!doctype html><html lang="en"><head><title>Intranet</title></head><body>'
            f'<h1>Intranet</h1><iframe title="Reporting channel" src="{embed_url}"></iframe>'
            "</body></html>")
    try:
        page = context.new_page()
        page.route(INTRANET, lambda route: route.fulfill(
            status=200, body=html, content_type="text/html; charset=utf-8"))
        yield page
    finally:
        context.close()


def without_framing_headers(route) -> None:
    """Pass Skaidra's answer on without its Content-Security-Policy and X-Frame-Options."""
    response = route.fetch()
    headers = {name: value for name, value in response.headers.items()
               if name.lower() not in ("content-security-policy", "x-frame-options")}
    route.fulfill(response=response, headers=headers)


def embedded_frame(page):
    """The intranet page's only iframe."""
    frames = page.main_frame.child_frames
    assert len(frames) == 1
    return frames[0]


def test_embed_card_is_refused_inside_a_page_of_another_origin(served, browser):
    embed_url = f"{served.base_url}/i/{INSTITUTION}/embed?lang=en"

    def is_embed(url: str) -> bool:
        return url == embed_url

    # Control: the same card without its framing headers does show inside the intranet page,
    # so nothing else in this setup (another origin, a loopback frame) keeps it out.
    with intranet_page(browser, embed_url) as page:
        page.route(is_embed, without_framing_headers)
        page.goto(INTRANET)
        assert embedded_frame(page).locator(".embed-card h1").count() == 1

    # As served: demo institutions allowlist no website, so the card comes with
    # frame-ancestors 'none' and the browser refuses to show it.
    with intranet_page(browser, embed_url) as page:
        with (page.expect_response(lambda response: is_embed(response.url)) as answered,
              page.expect_console_message(lambda message: "frame-ancestors" in message.text)):
            page.goto(INTRANET)
        response = answered.value
        assert response.status == 200
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"
        assert page.locator("h1").inner_text() == "Intranet"
        frame = embedded_frame(page)
        assert frame.url != embed_url
        assert frame.locator(".embed-card").count() == 0
