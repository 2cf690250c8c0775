"""Each staff member's own language: chosen once on the account page, then used by the
workspace and by every e-mail they receive (docs/staff.md, "Your language")."""

import re

import pytest
from flask_babel import gettext
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, Role
from app.services.accounts import account_links
from app.services.accounts.users import find_user
from app.services.administration.institutions import find_institution
from tests.helpers import seed, send_report, staff_sign_in, text_of
from tests.test_notifications import inbox, mail_settings, notify  # noqa: F401  (fixture)

OFFICER = "officer1.utena@demo.example.org"
COLLEAGUE = "officer2.utena@demo.example.org"
ACCOUNT_CSRF = re.compile(r'name="lang-csrf_token" type="hidden" value="([^"]+)"')


def lang_of(response) -> str:
    return re.search(r'<html lang="(\w+)">', text_of(response)).group(1)


def choose(client, language: str, *, token: str | None = None, page_language: str = "en"):
    """Send the account page's language form (with its CSRF token unless one is given)."""
    if token is None:
        token = ACCOUNT_CSRF.search(text_of(client.get(f"/staff/account?lang={page_language}"))
                                    ).group(1)
    return client.post(f"/staff/account/language?lang={page_language}",
                       data={"lang-csrf_token": token, "lang-language": language})


def language_of(app, email: str) -> str:
    with app.app_context():
        return find_user(email).language


def signed_in_client(app, email: str = OFFICER):
    client = app.test_client()
    staff_sign_in(client, app, email)
    return client


def test_chosen_language_is_saved_audited_and_opens_the_workspace(seeded):
    client = signed_in_client(seeded)

    response = choose(client, "nb")

    assert response.status_code == 302
    assert language_of(seeded, OFFICER) == "nb"
    with seeded.app_context():
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "language_changed")).one()
        assert entry.actor_id == find_user(OFFICER).id
        assert entry.detail["new"] == "nb"
    # The explicit ?lang=en of the form page is forgotten: the setting now applies.
    assert lang_of(client.get("/staff/overview")) == "nb"
    # A browser that has picked nothing, whatever it prefers, opens the workspace in nb too.
    fresh = signed_in_client(seeded)
    assert lang_of(fresh.get("/staff/overview", headers={"Accept-Language": "en"})) == "nb"


def test_the_switcher_still_shows_a_staff_page_in_another_language(seeded):
    client = signed_in_client(seeded)
    choose(client, "nb")

    assert lang_of(client.get("/staff/overview?lang=lt")) == "lt"
    assert language_of(seeded, OFFICER) == "nb"  # the setting is not changed by it


def test_public_pages_do_not_follow_a_staff_members_language(seeded):
    client = signed_in_client(seeded)
    choose(client, "nb")
    fresh = signed_in_client(seeded)

    assert lang_of(fresh.get("/i/utena/", headers={"Accept-Language": "en"})) == "en"


def test_signing_in_from_a_browser_in_another_language_keeps_the_setting(seeded):
    client = signed_in_client(seeded)
    choose(client, "nb")
    other = seeded.test_client()
    other.get("/staff/login?lang=en")

    staff_sign_in(other, seeded, OFFICER)

    assert language_of(seeded, OFFICER) == "nb"


@pytest.mark.parametrize("language", ["de", ""])
def test_an_unknown_language_is_refused_with_a_translated_message(seeded, language):
    client = signed_in_client(seeded)

    response = choose(client, language, page_language="nb")

    assert response.status_code == 400
    with seeded.test_request_context("/?lang=nb"):
        message = gettext("Choose one of the languages of the list.")
    assert message in text_of(response)
    assert language_of(seeded, OFFICER) == "lt"


def test_the_language_form_needs_its_csrf_token(seeded):
    client = signed_in_client(seeded)

    response = choose(client, "nb", token="forged")

    assert response.status_code == 400
    assert language_of(seeded, OFFICER) == "lt"


def test_the_account_page_offers_the_three_languages_checked_as_set(seeded):
    client = signed_in_client(seeded)
    choose(client, "en")

    page = text_of(client.get("/staff/account"))

    assert re.search(r'<input checked id="lang-language-1" name="lang-language" type="radio" '
                     r'value="en">', page)
    assert "Norsk bokmål" in page and "Lietuvių" in page


def test_notices_follow_each_officers_chosen_language(make_app, inbox):  # noqa: F811
    app = make_app(**mail_settings(inbox.port))
    seed(app)
    choose(signed_in_client(app), "nb")
    send_report(app.test_client(), "utena").close()

    assert notify(app) == 2

    norwegian = inbox.to(OFFICER)
    lithuanian = inbox.to(COLLEAGUE)
    assert norwegian["Content-Language"] == "nb"
    assert "Administrasjonen i Utena distriktskommune" in norwegian.get_content()
    assert lithuanian["Content-Language"] == "lt"


def test_an_invited_colleague_starts_in_the_inviters_language(seeded):
    with seeded.app_context():
        admin = find_user("admin.utena@demo.example.org")
        admin.language = "en"
        account_links.invite(find_institution("utena"), "new.officer@example.org",
                             "New Officer", Role.OFFICER, by=admin)
        assert find_user("new.officer@example.org").language == "en"


def test_an_institution_set_up_from_outside_starts_in_its_countrys_language(seeded):
    with seeded.app_context():
        platform_admin = find_user("platform-admin@demo.example.org")
        platform_admin.language = "lt"
        account_links.invite(find_institution("fleksibel-utdanning"), "ny@example.org",
                             "Ny Leder", Role.INSTITUTION_ADMIN, by=platform_admin)
        account_links.invite(find_institution("birzai"), "naujas@example.org",
                             "Naujas", Role.OFFICER, by=None)
        assert find_user("ny@example.org").language == "nb"
        assert find_user("naujas@example.org").language == "lt"
