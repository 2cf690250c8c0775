"""Real Chromium: a new institution's first report is never lost.

The platform admin creates an institution; a reporter sends it a report before it has any
officer (the channel is open and looks as always); its first administrator, set up through
the invitation link, is warned that a report nobody can read is waiting, invites an officer
and, with the recovery code handed over on paper, grants the officer access; the officer
reads the report. On the way, deactivating that only officer asks first and names the case,
and a reply typed when the officer's session had ended is kept. Every new page passes axe.
"""

import re
import secrets
import time

import pyotp
import pytest

from tests.helpers import follow
from tests.test_browser_staff import (
    assert_accessible,
    browsing,
    case_links,
    path_of,
    report_concern,
    submit_code,
    submit_sign_in,
)

pytestmark = pytest.mark.browser

PLATFORM_ADMIN = "platform-admin@demo.example.org"
PASSWORD = "a long passphrase of several words"


def enrol_with_demo_password(page, served, email: str) -> None:
    """A demo account's first sign-in: the password, then two-factor set up."""
    page.goto(f"{served.base_url}/staff/login?lang=en")
    submit_sign_in(page, email)
    assert path_of(page) == "/staff/login/enrol", page.locator("main").inner_text()
    secret = page.locator("code.setup-key#setup-key").inner_text().strip()
    submit_code(page, pyotp.TOTP(secret).now())
    assert path_of(page) == "/staff/overview", page.locator("main").inner_text()


def set_up_from_link(page, link: str, email: str) -> None:
    """Open a one-time invitation link, choose a password and two-factor, then sign in.

    The link's page takes the current code; the sign-in takes the next step's, which lies
    within the allowed drift and is newer, so no test waits for the clock."""
    page.goto(link + "?lang=en")
    secret = page.locator("code.setup-key#setup-key").inner_text().strip()
    authenticator = pyotp.TOTP(secret)
    form = page.locator("main form", has=page.locator("input[name=password_again]"))
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("input[name=password_again]").fill(PASSWORD)
    form.locator("input[name=code]").fill(authenticator.now())
    follow(page, form.locator("[type=submit]"))
    assert path_of(page) == "/staff/login", page.locator("main").inner_text()
    form = page.locator("main form", has=page.locator("input[name=password]"))
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=password]").fill(PASSWORD)
    follow(page, form.locator("[type=submit]"))
    submit_code(page, authenticator.at(time.time() + 30))
    assert path_of(page).startswith("/staff/"), page.locator("main").inner_text()
    assert page.locator("nav.workspace-nav").count() == 1, page.locator("main").inner_text()


def create_institution(page, served, slug: str, admin_email: str) -> tuple[str, str]:
    """The platform admin creates an institution; returns its recovery code and the first
    administrator's invitation link, as the page shows them once."""
    page.goto(f"{served.base_url}/staff/platform/institutions/new?lang=en")
    form = page.locator("main form", has=page.locator("input[name=slug]"))
    form.locator("input[name=slug]").fill(slug)
    for language, name in (("lt", "Naujoji savivaldybė"), ("en", "New Municipality"),
                           ("nb", "Ny kommune")):
        form.locator(f"input[name=name_{language}]").fill(name)
    form.locator("select[name=kind]").select_option(value="municipality")
    form.locator("select[name=jurisdiction]").select_option(value="LT")
    form.locator("input[name=admin_email]").fill(admin_email)
    form.locator("input[name=admin_name]").fill("First Administrator")
    follow(page, form.locator("[type=submit]"))
    code = page.locator(".recovery-code strong").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){11}", code), page.locator("main").inner_text()
    return code, page.locator("textarea#account-link").input_value().strip()


def invite_officer(page, served, slug: str, email: str) -> str:
    """The institution admin invites an officer; returns the link shown to pass on."""
    page.goto(f"{served.base_url}/staff/i/{slug}/admin/invite?lang=en")
    form = page.locator("main form", has=page.locator("input[name=display_name]"))
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=display_name]").fill("Ona Officer")
    form.locator("input[name=role][value=officer]").check()
    follow(page, form.locator("[type=submit]"))
    return page.locator("textarea#account-link").input_value().strip()


def test_a_report_to_an_institution_without_officers_is_granted_and_read(served, browser,
                                                                         axe, output_dir):
    slug = f"nauja-{secrets.token_hex(3)}"
    admin_email, officer_email = f"admin@{slug}.example.org", f"ona@{slug}.example.org"
    marker = f"Cash for permits {secrets.token_hex(8)}"
    with (browsing(browser) as platform, browsing(browser) as reporter,
          browsing(browser) as admin, browsing(browser) as officer):
        enrol_with_demo_password(platform, served, PLATFORM_ADMIN)
        code, admin_link = create_institution(platform, served, slug, admin_email)

        # No officer yet: the channel takes the report all the same.
        receipt = report_concern(reporter, served, slug, "en", {"what_happened": marker})
        assert receipt

        set_up_from_link(admin, admin_link, admin_email)
        admin.goto(f"{served.base_url}/staff/i/{slug}/admin/?lang=en")
        warning = admin.locator("main .notice-warning[role=alert]")
        assert "1 report can be read by no active officer" in warning.inner_text()
        assert_accessible(axe, admin)
        officer_link = invite_officer(admin, served, slug, officer_email)

        set_up_from_link(officer, officer_link, officer_email)
        officer.goto(f"{served.base_url}/staff/overview?lang=en")
        assert "1 report can be read by no active officer" in officer.locator(
            "main").inner_text()
        officer.goto(f"{served.base_url}/staff/i/{slug}/cases?lang=en")
        assert case_links(officer) == []  # holds no key yet

        follow(admin, warning.locator(f'a[href="/staff/i/{slug}/admin/recovery-grant"]'))
        assert path_of(admin) == f"/staff/i/{slug}/admin/recovery-grant"
        [ref] = [box.get_attribute("value")
                 for box in admin.locator("input[name=reports]").all()]
        assert officer.goto(f"{served.base_url}/staff/cases/{ref}").status == 403
        assert_accessible(axe, admin)
        admin.screenshot(path=output_dir / "recovery-grant.png", full_page=True)
        form = admin.locator("main form", has=admin.locator("input[name=recovery_code]"))
        form.get_by_label("Ona Officer").check()
        form.locator("input[name=recovery_code]").fill(code.lower().replace("-", " "))
        follow(admin, form.locator("[type=submit]"))
        assert "1 report can now be opened" in admin.locator("main").inner_text()
        assert_accessible(axe, admin)
        admin.screenshot(path=output_dir / "recovery-granted.png", full_page=True)

        officer.goto(f"{served.base_url}/staff/i/{slug}/cases?lang=en")
        assert case_links(officer) == [f"/staff/cases/{ref}"]
        opened = officer.goto(f"{served.base_url}/staff/cases/{ref}?lang=en")
        assert opened.status == 200
        assert marker in officer.locator("dl.answers").inner_text()
        assert "with the recovery code" in officer.locator("main").inner_text()

        # The only officer holding the key: deactivating them asks first, naming the case.
        admin.goto(f"{served.base_url}/staff/i/{slug}/admin/?lang=en")
        follow(admin, admin.get_by_role("link", name="Ona Officer"))
        follow(admin, admin.get_by_role("button", name="Deactivate account"))
        assert "is the only active officer who can open 1 report" in admin.locator(
            "main").inner_text()
        assert ref[:8] in admin.locator("main table").inner_text()
        assert_accessible(axe, admin)
        admin.screenshot(path=output_dir / "confirm-unreadable.png", full_page=True)
        follow(admin, admin.get_by_role("link", name="Cancel"))
        assert "Deactivate account" in admin.locator("main").inner_text()  # still active

        # A reply typed while the session ended elsewhere is kept, unsent.
        reply = officer.locator("form#reply textarea[name=text]")
        reply.fill(f"Kept reply {marker}")
        other = officer.context.new_page()
        other.goto(f"{served.base_url}/staff/overview?lang=en")
        follow(other, other.locator("form.inline-form [type=submit]"))  # sign out
        with officer.expect_navigation() as navigation:
            officer.locator("form#reply [type=submit]").click()
        assert navigation.value.status == 401
        assert f"Kept reply {marker}" in officer.locator("main").inner_text()
        assert_accessible(axe, officer)
