"""No institution admin can take over an account that serves anywhere else (issue 11).

The attack the external review ran: an admin of one institution (1) invites the e-mail of an
existing account of another institution or of the network, which added the role at once;
(2) recovers that "member" with their own institution's recovery code; (3) opens the
recovery link, setting a new password and two-factor; (4) signs in as the victim and reads
the other institution's future reports. Each step that should refuse is tested here, and so
is the consent flow that replaces step 1, the audit trail in every institution the account
belongs to, and the e-mail its holder receives.
"""

import re

import pytest
from sqlalchemy import select

from app.admin.routes import account_link_url
from app.extensions import db
from app.models import AccountLink, LinkPurpose, Membership, Role
from app.services.accounts.account_links import _new_link
from app.services.accounts.users import find_user
from app.services.administration.institutions import find_institution
from app.services.demo.network import DEMO_PASSWORD, demo_recovery_code
from tests.helpers import follow, seed, staff_csrf_token, text_of, totp_code
from tests.test_admin import (
    ADMIN,
    ANALYST,
    DOMAIN,
    LINK,
    NEW_PASSWORD,
    OFFICER1,
    PLATFORM_ADMIN,
    admin_workspace,  # noqa: F401 (fixture)
    browser_sign_in,
    complete_link,
    entries,
    invite,
    password_step,
    post,
    private_key_of,
    signed_in,
    submit,
    user_id,
)
from tests.test_browser_staff import assert_accessible, path_of, submit_code, submit_sign_in
from tests.test_notifications import body, inbox, mail_settings, set_language  # noqa: F401

BIRZAI_OFFICER = f"officer1.birzai@{DOMAIN}"
BIRZAI_ADMIN = f"admin.birzai@{DOMAIN}"
VICTIMS = (BIRZAI_OFFICER, PLATFORM_ADMIN, ANALYST)


def memberships_of(app, email: str) -> set[tuple[str, Role]]:
    with app.app_context():
        return {(m.institution.slug, m.role) for m in find_user(email).memberships}


def public_key_of(app, email: str) -> bytes:
    with app.app_context():
        return find_user(email).public_key


def recover(admin, app, email: str, slug: str = "utena"):
    """The admin's recovery form, posted for an account id (whatever the form offers)."""
    return post(admin, f"/staff/i/{slug}/admin/recover?lang=en",
                {"person": str(user_id(app, email)), "recovery_code": demo_recovery_code(slug)})


def offer_link(response) -> str:
    return LINK.search(text_of(response)).group(1)


def accept(client, token: str, action: str = "accept"):
    """A signed-in staff member answers a role offered by a link."""
    return client.post(f"/staff/link/{token}/{action}?lang=en",
                       data={"csrf_token": staff_csrf_token(client)})


@pytest.fixture
def admin(seeded):
    """Utena's institution admin, the attacker of the review."""
    return signed_in(seeded, ADMIN)


# --- The chain is refused at its first step ----------------------------------------------------


@pytest.mark.parametrize("victim", VICTIMS)
def test_the_takeover_chain_is_refused_at_the_invitation(seeded, admin, victim):
    before = memberships_of(seeded, victim), public_key_of(seeded, victim)

    invited = invite(admin, victim)
    recovered = recover(admin, seeded, victim)

    assert invited.status_code == 200
    assert memberships_of(seeded, victim) == before[0]  # step 1: no role without consent
    # Step 2: not a member, so the recovery form does not even offer the account.
    assert recovered.status_code == 200
    assert LINK.search(text_of(recovered)) is None
    # Step 3: the offered link sets no password; step 4: the victim's own password works.
    page = seeded.test_client().get(f"/staff/link/{offer_link(invited)}?lang=en")
    assert 'name="password"' not in text_of(page)
    assert public_key_of(seeded, victim) == before[1]
    assert password_step(seeded, victim, DEMO_PASSWORD) == 302


def test_an_account_with_roles_elsewhere_is_never_recovered_here(seeded, admin):
    officer = signed_in(seeded, BIRZAI_OFFICER)
    assert accept(officer, offer_link(invite(admin, BIRZAI_OFFICER))).status_code == 302
    assert ("utena", Role.OFFICER) in memberships_of(seeded, BIRZAI_OFFICER)
    key = public_key_of(seeded, BIRZAI_OFFICER)

    response = recover(admin, seeded, BIRZAI_OFFICER)

    assert response.status_code == 200
    assert "cannot be recovered here" in text_of(response)
    assert LINK.search(text_of(response)) is None
    assert public_key_of(seeded, BIRZAI_OFFICER) == key
    assert password_step(seeded, BIRZAI_OFFICER, DEMO_PASSWORD) == 302
    assert entries(seeded, "account_recovered") == []


@pytest.mark.parametrize("flag", ["is_platform_admin", "is_analyst"])
def test_a_network_account_holding_a_role_here_is_never_recovered_here(seeded, admin, flag):
    # Such an account can exist from before the consent rule, or be made by an operator.
    with seeded.app_context():
        user = find_user(OFFICER1)
        setattr(user, flag, True)
        db.session.commit()

    response = recover(admin, seeded, OFFICER1)

    assert "cannot be recovered here" in text_of(response)
    assert password_step(seeded, OFFICER1, DEMO_PASSWORD) == 302


def test_deactivating_an_account_with_roles_elsewhere_stays_refused(seeded, admin):
    officer = signed_in(seeded, BIRZAI_OFFICER)
    accept(officer, offer_link(invite(admin, BIRZAI_OFFICER)))
    target = user_id(seeded, BIRZAI_OFFICER)

    response = post(admin, f"/staff/i/utena/admin/members/{target}/deactivate?lang=en", {},
                    form_page=f"/staff/i/utena/admin/members/{target}?lang=en")

    assert response.status_code == 400
    with seeded.app_context():
        assert find_user(BIRZAI_OFFICER).is_active


# --- The invitation form tells nobody which addresses have accounts ---------------------------


def test_the_invitation_answer_is_the_same_for_an_existing_and_a_new_address(seeded, admin):
    def normalised(response, email: str) -> str:
        page = text_of(response).replace(email, "EMAIL")
        page = re.sub(r"/staff/link/[A-Za-z0-9_-]+", "/staff/link/TOKEN", page)
        return re.sub(r'name="csrf_token"[^>]*>', "", page)

    existing = invite(admin, BIRZAI_OFFICER)
    new = invite(admin, "someone.new@utena.example.org")
    network = invite(admin, PLATFORM_ADMIN)  # refused as an officer only when accepting

    assert existing.status_code == new.status_code == network.status_code == 200
    assert normalised(existing, BIRZAI_OFFICER) == normalised(
        new, "someone.new@utena.example.org") == normalised(network, PLATFORM_ADMIN)


# --- The account holder decides ---------------------------------------------------------------


def test_the_holder_accepts_the_role_while_signed_in(seeded, admin):
    token = offer_link(invite(admin, BIRZAI_OFFICER))
    officer = signed_in(seeded, BIRZAI_OFFICER)

    offer = officer.get(f"/staff/link/{token}?lang=en")
    accepted = accept(officer, token)

    assert "Accept the role" in text_of(offer)
    assert accepted.status_code == 302
    assert memberships_of(seeded, BIRZAI_OFFICER) == {("birzai", Role.OFFICER),
                                                      ("utena", Role.OFFICER)}
    assert officer.get("/staff/i/utena/cases?lang=en").status_code == 200
    # Both institutions see it in their own log.
    [in_utena] = entries(seeded, "membership_accepted", "utena")
    [in_birzai] = entries(seeded, "membership_accepted", "birzai")
    assert in_utena.actor_id == in_birzai.actor_id == user_id(seeded, BIRZAI_OFFICER)
    [offered] = entries(seeded, "invitation_sent", "utena")
    assert offered.actor_id == user_id(seeded, ADMIN)
    assert accept(officer, token).status_code == 302  # used up: a second answer changes nothing
    assert len(entries(seeded, "membership_accepted", "utena")) == 1


def test_the_admin_sees_the_invitations_not_answered_yet(seeded, admin):
    token = offer_link(invite(admin, BIRZAI_OFFICER))

    listed = text_of(admin.get("/staff/i/utena/admin/?lang=en"))
    accept(signed_in(seeded, BIRZAI_OFFICER), token)
    after = text_of(admin.get("/staff/i/utena/admin/?lang=en"))

    assert "Invitations not answered yet" in listed
    assert BIRZAI_OFFICER in listed
    assert "Invitations not answered yet" not in after
    assert BIRZAI_OFFICER in after  # now a member


# --- Nor do the admin's own pages -------------------------------------------------------------


def rows(page: str, heading: str) -> list[str]:
    """The rows of the table that follows a heading (or caption) on a page."""
    table = page[page.index(heading):]
    body = table[table.index("<tbody>"):table.index("</tbody>")]
    return re.findall(r"<tr>.*?</tr>", body, re.S)


def uniform(row: str, email: str, name: str) -> str:
    row = row.replace(email, "EMAIL").replace(name, "NAME")
    row = re.sub(r"invitations/\d+/withdraw", "invitations/ID/withdraw", row)
    return re.sub(r'<time[^<]*</time>|name="csrf_token"[^>]*>', "", row)


@pytest.mark.parametrize("existing", [BIRZAI_OFFICER, PLATFORM_ADMIN, ANALYST])
def test_pending_invitations_look_alike_for_existing_accounts_and_new_addresses(
        seeded, admin, existing):
    new = "nobody.yet@utena.example.org"
    invite(admin, existing, name="Typed Name One")
    invite(admin, new, name="Typed Name Two")

    members = text_of(admin.get("/staff/i/utena/admin/?lang=en"))
    log = text_of(admin.get("/staff/i/utena/admin/audit?lang=en"))

    [to_new, to_existing] = rows(members, "Invitations not answered yet")
    assert uniform(to_new, new, "Typed Name Two") == uniform(
        to_existing, existing, "Typed Name One")
    to_new, to_existing = rows(log, "audit-caption")[:2]
    assert "Typed Name Two" in to_new and new in to_new
    assert uniform(to_new, new, "Typed Name Two") == uniform(
        to_existing, existing, "Typed Name One")
    # Nothing else on the members page names the existing account.
    with seeded.app_context():
        own_name = find_user(existing).display_name
    assert own_name not in members and own_name not in log


def test_a_new_address_becomes_a_member_only_once_its_account_is_set_up(seeded, admin):
    token = offer_link(invite(admin, "new.person@utena.example.org"))
    assert memberships_of(seeded, "new.person@utena.example.org") == set()

    accepted, _secret = complete_link(seeded, token)

    assert accepted.status_code == 302
    assert memberships_of(seeded, "new.person@utena.example.org") == {("utena", Role.OFFICER)}
    [joined] = entries(seeded, "invitation_accepted", "utena")
    assert joined.actor_id == user_id(seeded, "new.person@utena.example.org")


def withdraw(admin, slug: str, link_id: int):
    return admin.post(f"/staff/i/{slug}/admin/invitations/{link_id}/withdraw?lang=en",
                      data={"csrf_token": staff_csrf_token(admin)})


def test_the_admin_withdraws_an_invitation_and_its_link_stops_working(seeded, admin):
    token = offer_link(invite(admin, "wrong.address@utena.example.org"))
    with seeded.app_context():
        link_id = db.session.scalars(select(AccountLink.id)).all()[-1]

    withdrawn = withdraw(admin, "utena", link_id)
    page = text_of(admin.get("/staff/i/utena/admin/?lang=en"))
    again = withdraw(admin, "utena", link_id)

    assert withdrawn.status_code == again.status_code == 302
    assert seeded.test_client().get(f"/staff/link/{token}").status_code == 404
    assert "has been withdrawn" in page and "Invitations not answered yet" not in page
    assert "answered, has expired or was withdrawn already" in text_of(
        admin.get(again.headers["Location"]))
    assert len(entries(seeded, "invitation_withdrawn", "utena")) == 1


def test_an_admin_cannot_withdraw_another_institutions_invitation(seeded, admin):
    birzai_admin = signed_in(seeded, BIRZAI_ADMIN)
    token = offer_link(post(birzai_admin, "/staff/i/birzai/admin/invite?lang=en",
                            {"email": "new.birzai@birzai.example.org", "display_name": "N",
                             "role": "officer"}))
    with seeded.app_context():
        link_id = db.session.scalars(select(AccountLink.id)).all()[-1]

    refused = withdraw(admin, "utena", link_id)

    assert refused.status_code == 302

    assert seeded.test_client().get(f"/staff/link/{token}").status_code == 200
    assert entries(seeded, "invitation_withdrawn") == []


def test_with_mail_configured_the_link_goes_to_the_address_and_is_not_shown(
        make_app, inbox):  # noqa: F811 (fixture)
    app = make_app(**mail_settings(inbox.port))
    seed(app)
    admin = signed_in(app, ADMIN)

    answers = [invite(admin, email) for email in (BIRZAI_OFFICER, "new.one@utena.example.org")]

    for answer in answers:
        assert answer.status_code == 200
        assert LINK.search(text_of(answer)) is None
        assert "has been e-mailed to" in text_of(answer)
    mails = {message["To"]: body(message) for message in inbox.messages()}
    assert mails.keys() == {BIRZAI_OFFICER, "new.one@utena.example.org"}
    for text in mails.values():
        [token] = re.findall(r"/staff/link/([A-Za-z0-9_-]+)", text)
        assert app.test_client().get(f"/staff/link/{token}").status_code == 200
    # The same text for both, but for the link itself.
    first, second = (re.sub(r"/staff/link/[A-Za-z0-9_-]+", "", text) for text in mails.values())
    assert first == second


def test_the_invitation_mail_is_in_the_invitees_language_not_the_admins_page(
        make_app, inbox):  # noqa: F811 (fixture)
    app = make_app(**mail_settings(inbox.port))
    seed(app)
    set_language(app, "nb", BIRZAI_OFFICER)  # an account that chose Norwegian
    set_language(app, "lt", ADMIN)
    admin = signed_in(app, ADMIN)

    for email in (BIRZAI_OFFICER, "new.one@utena.example.org"):
        assert invite(admin, email).status_code == 200  # the admin's page is in English

    mails = {message["To"]: body(message) for message in inbox.messages()}
    assert "med rollen: Varslingsmottaker" in mails[BIRZAI_OFFICER]
    # A new address starts in the inviting colleague's own language.
    assert ("vaidmeniu: Už korupcijos prevenciją atsakingas asmuo"
            in mails["new.one@utena.example.org"])


def test_when_the_invitation_mail_fails_the_admin_is_told_and_no_link_is_shown(make_app):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=9, MAIL_USE_TLS=False,
                   MAIL_DEFAULT_SENDER="skaidra@example.org", MAIL_TIMEOUT_SECONDS=2)
    seed(app)
    admin = signed_in(app, ADMIN)

    answer = invite(admin, "new.one@utena.example.org")

    assert answer.status_code == 200
    assert "could not be sent" in text_of(answer)
    assert LINK.search(text_of(answer)) is None


def test_a_visitor_who_is_not_signed_in_is_asked_to_sign_in(seeded, admin):
    token = offer_link(invite(admin, BIRZAI_OFFICER))

    page = text_of(seeded.test_client().get(f"/staff/link/{token}?lang=en"))

    assert "Sign in with the account the role is offered to" in page
    assert "Accept the role" not in page
    assert BIRZAI_OFFICER not in page


def test_another_account_cannot_accept_the_role(seeded, admin):
    token = offer_link(invite(admin, BIRZAI_OFFICER))
    other = signed_in(seeded, BIRZAI_ADMIN)

    page = text_of(other.get(f"/staff/link/{token}?lang=en"))
    response = accept(other, token)

    assert "this link is not for" in page
    assert response.status_code == 302
    assert memberships_of(seeded, BIRZAI_ADMIN) == {("birzai", Role.INSTITUTION_ADMIN)}
    assert memberships_of(seeded, BIRZAI_OFFICER) == {("birzai", Role.OFFICER)}
    assert entries(seeded, "membership_accepted", "utena") == []


def test_a_network_account_cannot_accept_officer_rights(seeded, admin):
    token = offer_link(invite(admin, PLATFORM_ADMIN))
    platform_admin = signed_in(seeded, PLATFORM_ADMIN)

    response = accept(platform_admin, token)

    assert response.status_code == 302
    page = text_of(platform_admin.get(response.headers["Location"]))
    assert "cannot be integrity officers" in page
    assert memberships_of(seeded, PLATFORM_ADMIN) == set()


def test_the_holder_can_decline(seeded, admin):
    token = offer_link(invite(admin, BIRZAI_OFFICER))
    officer = signed_in(seeded, BIRZAI_OFFICER)

    assert accept(officer, token, "decline").status_code == 302

    assert memberships_of(seeded, BIRZAI_OFFICER) == {("birzai", Role.OFFICER)}
    assert len(entries(seeded, "membership_declined", "utena")) == 1
    assert accept(officer, token).status_code == 302
    assert memberships_of(seeded, BIRZAI_OFFICER) == {("birzai", Role.OFFICER)}


def test_a_new_offer_replaces_the_unused_one_of_the_same_institution_only(seeded, admin):
    first = offer_link(invite(admin, BIRZAI_OFFICER))
    second = offer_link(invite(admin, BIRZAI_OFFICER, role="institution_admin"))
    with seeded.app_context():
        offers = db.session.scalars(select(AccountLink).where(
            AccountLink.purpose == LinkPurpose.MEMBERSHIP)).all()
        assert [(link.role, link.institution.slug) for link in offers] == [
            (Role.INSTITUTION_ADMIN, "utena")]

    assert seeded.test_client().get(f"/staff/link/{first}").status_code == 404
    assert seeded.test_client().get(f"/staff/link/{second}").status_code == 200


def test_a_new_address_and_a_pending_member_still_get_a_set_up_link(seeded, admin):
    first = offer_link(invite(admin, "new.person@utena.example.org"))
    again = offer_link(invite(admin, "new.person@utena.example.org"))

    assert seeded.test_client().get(f"/staff/link/{first}").status_code == 404
    accepted, _secret = complete_link(seeded, again)
    assert accepted.status_code == 302
    assert memberships_of(seeded, "new.person@utena.example.org") == {("utena", Role.OFFICER)}


def test_another_institution_cannot_claim_an_account_that_has_not_been_set_up(seeded, admin):
    # Utena invited a new person; Biržai's admin invites the same address before they set
    # up their account. Biržai's link must not set the password of Utena's new officer.
    utena_link = offer_link(invite(admin, "new.person@utena.example.org"))
    birzai_admin = signed_in(seeded, BIRZAI_ADMIN)

    response = post(birzai_admin, "/staff/i/birzai/admin/invite?lang=en",
                    {"email": "new.person@utena.example.org", "display_name": "X",
                     "role": "officer"})

    birzai_link = offer_link(response)
    page = text_of(seeded.test_client().get(f"/staff/link/{birzai_link}?lang=en"))
    assert 'name="password"' not in page
    complete_link(seeded, utena_link)
    assert memberships_of(seeded, "new.person@utena.example.org") == {("utena", Role.OFFICER)}
    page = text_of(seeded.test_client().get(f"/staff/link/{birzai_link}?lang=en"))
    assert "Sign in with the account the role is offered to" in page


def test_set_up_links_of_other_institutions_become_offers_once_the_account_is_set_up(
        seeded, admin):
    # After the person sets up through Biržai's link, Utena's is an offer to accept.
    birzai_admin = signed_in(seeded, BIRZAI_ADMIN)
    birzai_link = offer_link(post(birzai_admin, "/staff/i/birzai/admin/invite?lang=en",
                                  {"email": "two.places@example.org", "display_name": "T",
                                   "role": "officer"}))
    with seeded.app_context():
        # Both set-up links out at once, as when two admins invite at the same moment.
        user = find_user("two.places@example.org")
        _link, utena_link = _new_link(user, LinkPurpose.INVITATION, None,
                                      find_institution("utena"), Role.OFFICER, "T")
        db.session.commit()

    complete_link(seeded, birzai_link)

    page = text_of(seeded.test_client().get(f"/staff/link/{utena_link}?lang=en"))
    assert 'name="password"' not in page
    assert "Sign in with the account the role is offered to" in page
    assert memberships_of(seeded, "two.places@example.org") == {("birzai", Role.OFFICER)}


def test_inviting_a_member_whose_recovery_is_pending_keeps_the_recovery_link(seeded, admin):
    token = offer_link(recover(admin, seeded, OFFICER1))

    again = invite(admin, OFFICER1, role="institution_admin")

    assert LINK.search(text_of(again)) is None
    accepted, _secret = complete_link(seeded, token)
    assert accepted.status_code == 302
    with seeded.app_context():
        user, private_key = private_key_of(OFFICER1, NEW_PASSWORD)
        assert private_key is not None
        assert {m.role for m in user.memberships} == {Role.OFFICER, Role.INSTITUTION_ADMIN}


def test_account_links_use_the_public_address_when_no_staff_address_is_set(make_app):
    app = make_app(PUBLIC_BASE_URL="https://report.example.lt")

    # The admin's own host is not allowed (ALLOWED_HOSTS is empty), yet the link is made.
    with app.test_request_context("/", base_url="https://integrity.internal"):
        link = account_link_url("T0KEN")

    assert link == "https://report.example.lt/staff/link/T0KEN"


# --- Every credential change is visible where it matters -------------------------------------


def serving_two_institutions(app, email: str = BIRZAI_OFFICER) -> None:
    with app.app_context():
        user = find_user(email)
        user.memberships.append(Membership(institution=find_institution("utena"),
                                           role=Role.OFFICER))
        db.session.commit()


def test_a_password_change_is_recorded_in_every_institution_of_the_account(seeded):
    serving_two_institutions(seeded)
    officer = signed_in(seeded, BIRZAI_OFFICER)

    response = post(officer, "/staff/account?lang=en", {
        "current_password": DEMO_PASSWORD, "password": NEW_PASSWORD,
        "password_again": NEW_PASSWORD})

    assert response.status_code == 302
    for slug in ("birzai", "utena"):
        [entry] = entries(seeded, "password_changed", slug)
        assert entry.detail == {"user": user_id(seeded, BIRZAI_OFFICER)}


def test_completing_a_recovery_is_recorded_in_the_institution(seeded, admin):
    token = offer_link(recover(admin, seeded, OFFICER1))

    accepted, _secret = complete_link(seeded, token)

    assert accepted.status_code == 302
    [entry] = entries(seeded, "password_changed", "utena")
    assert entry.actor_id == user_id(seeded, OFFICER1)


@pytest.fixture
def mailing(make_app, inbox):  # noqa: F811
    """The demo network on an app that sends mail to a real SMTP server."""
    app = make_app(**mail_settings(inbox.port))
    seed(app)
    set_language(app, "en", OFFICER1)
    return app


def test_the_holder_is_emailed_when_an_admin_recovers_the_account(mailing, inbox):  # noqa: F811
    admin = signed_in(mailing, ADMIN)

    recover(admin, mailing, OFFICER1)

    [message] = inbox.messages()
    assert message["To"] == OFFICER1
    assert "issued a recovery link for your account" in body(message)
    assert "/staff/account" in body(message)
    inbox.clear()
    accepted, _secret = complete_link(mailing, offer_link(recover(admin, mailing, OFFICER1)))
    assert accepted.status_code == 302
    assert [m["To"] for m in inbox.messages()] == [OFFICER1, OFFICER1]
    assert "new password, two-factor sign-in and keys" in body(inbox.messages()[-1])


def test_the_holder_is_emailed_when_their_password_changes(mailing, inbox):  # noqa: F811
    officer = signed_in(mailing, OFFICER1)

    post(officer, "/staff/account?lang=en", {
        "current_password": DEMO_PASSWORD, "password": NEW_PASSWORD,
        "password_again": NEW_PASSWORD})

    [message] = inbox.messages()
    assert message["To"] == OFFICER1
    assert "The password of your account was changed." in body(message)


# --- In a real browser ------------------------------------------------------------------------


@pytest.mark.browser
def test_an_officer_of_another_institution_accepts_a_role_in_chromium(
        admin_workspace, browser, axe):  # noqa: F811
    served = admin_workspace
    admin_context = browser.new_context(java_script_enabled=False)
    admin_page = admin_context.new_page()
    browser_sign_in(admin_page, served, ADMIN)
    admin_page.goto(f"{served.base_url}/staff/i/utena/admin/invite?lang=en")
    submit(admin_page, {"email": BIRZAI_OFFICER, "display_name": "Someone"})
    link = admin_page.locator("#account-link").input_value()
    admin_context.close()

    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(link + "?lang=en")
    assert page.locator("main a.button").inner_text() == "Sign in"
    assert_accessible(axe, page)
    follow(page, page.locator("main a.button"))
    submit_sign_in(page, BIRZAI_OFFICER)
    secret = page.locator("code.setup-key#setup-key").inner_text().strip()
    submit_code(page, totp_code(secret))
    assert path_of(page).startswith("/staff/link/"), page.locator("main").inner_text()
    assert_accessible(axe, page)
    follow(page, page.get_by_role("button", name="Accept the role"))

    assert path_of(page) == "/staff/overview"
    assert "You have accepted the role" in page.locator("main").inner_text()
    assert page.locator("nav a[href='/staff/i/utena/cases']").count() == 1
    context.close()
