"""Administration: institution admins manage members, settings, the recovery code and read
the audit log; the platform admin creates institutions. Neither can read a report."""

import re
from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import select

from app.crypto.envelope import DecryptionError
from app.crypto.kdf import KdfCost
from app.crypto.recovery import new_recovery_code, recovery_public_key
from app.crypto.staff_keys import StaffKeyMaterial, unlock_staff_key
from app.extensions import db
from app.models import AuditEntry, Institution, Membership, Report, Role, SealedKey
from app.services import audit
from app.services.accounts.permissions import may_work_on
from app.services.accounts.users import find_user
from app.services.administration.institutions import find_institution
from app.services.casefile.sealing import officer_data_key, recovery_data_key
from app.services.demo.network import DEMO_PASSWORD, demo_recovery_code
from tests.helpers import (
    SETUP_KEY,
    _catalogue,
    csrf_token,
    follow,
    officer_private_key,
    seed,
    send_report,
    staff_sign_in,
    text_of,
    totp_code,
)
from tests.support.reporter import CSRF
from tests.support.server import demo_server
from tests.test_browser_staff import (
    assert_accessible,
    path_of,
    submit_code,
    submit_sign_in,
)

DOMAIN = "demo.example.org"
ADMIN = f"admin.utena@{DOMAIN}"
OFFICER1 = f"officer1.utena@{DOMAIN}"
OFFICER2 = f"officer2.utena@{DOMAIN}"
PLATFORM_ADMIN = f"platform-admin@{DOMAIN}"
ANALYST = f"analyst@{DOMAIN}"
NEW_PASSWORD = "quiet harbour lantern pebble"
ADMIN_PAGES = ("", "invite", "settings", "sharing", "audit", "recover", "recovery-code")

LINK = re.compile(r"/staff/link/([A-Za-z0-9_-]+)")
RECOVERY_CODE = re.compile(r'class="receipt recovery-code"><strong>([A-Z2-7-]+)</strong>')


def expected(message: str, language: str, **values) -> str:
    """A message as the page shows it: translated when the catalogue has it, HTML-escaped."""
    found = _catalogue(language).get(message)
    text = found.string if found is not None and found.string else message
    return str(escape(text % values if values else text))


def signed_in(app, email: str, **kwargs):
    """A fresh browser with a staff member signed in (pages in English)."""
    client = app.test_client()
    client.get("/staff/login?lang=en")
    staff_sign_in(client, app, email, **kwargs)
    return client


def post(client, path: str, data: dict, form_page: str | None = None):
    """Post a form with a CSRF token taken from the page that shows it."""
    token = csrf_token(client, form_page or path)
    return client.post(path, data={"csrf_token": token, **data})


def user_id(app, email: str) -> int:
    with app.app_context():
        return find_user(email).id


def entries(app, action: str, slug: str = "utena") -> list[AuditEntry]:
    """The institution's audit entries of one action, oldest first."""
    with app.app_context():
        institution = find_institution(slug)
        found = db.session.scalars(select(AuditEntry).where(
            AuditEntry.institution_id == institution.id, AuditEntry.action == action)
            .order_by(AuditEntry.id)).all()
        db.session.expunge_all()
        return list(found)


def reports_of(slug: str) -> list[Report]:
    return list(db.session.scalars(select(Report).join(Institution)
                                   .where(Institution.slug == slug)))


def complete_link(app, token: str, password: str = NEW_PASSWORD):
    """Open a one-time link in a new browser and set a password and two-factor; returns the
    response and the two-factor secret."""
    client = app.test_client()
    page = text_of(client.get(f"/staff/link/{token}?lang=en"))
    secret = SETUP_KEY.search(page).group(1)
    response = client.post(f"/staff/link/{token}?lang=en", data={
        "csrf_token": CSRF.search(page).group(1), "password": password,
        "password_again": password, "code": totp_code(secret)})
    return response, secret


def private_key_of(email: str, password: str):
    user = find_user(email)
    material = StaffKeyMaterial(user.kdf_salt, KdfCost.from_dict(user.kdf_params),
                                user.public_key, user.wrapped_private_key)
    return user, unlock_staff_key(material, password)


def password_step(app, email: str, password: str) -> int:
    """The status of the password step of signing in (302: accepted)."""
    client = app.test_client()
    token = csrf_token(client, "/staff/login")
    return client.post("/staff/login", data={"csrf_token": token, "email": email,
                                             "password": password}).status_code


@pytest.fixture
def admin(seeded):
    """A browser with utena's institution admin signed in."""
    return signed_in(seeded, ADMIN)


@pytest.fixture
def reporter(seeded):
    """A reporter's browser."""
    return seeded.test_client()


# --- Inviting ---------------------------------------------------------------------------------


def invite(admin, email: str, role: str = "officer", name: str = "New Officer"):
    return post(admin, "/staff/i/utena/admin/invite?lang=en",
                {"email": email, "display_name": name, "role": role})


def test_invitation_link_lets_the_new_officer_set_up_and_sign_in(seeded, admin):
    response = invite(admin, "new.officer@utena.example.org")

    assert response.status_code == 200
    token = LINK.search(text_of(response)).group(1)
    assert token not in text_of(admin.get("/staff/i/utena/admin/?lang=en"))
    accepted, secret = complete_link(seeded, token)
    assert accepted.status_code == 302
    signed_in(seeded, "new.officer@utena.example.org", password=NEW_PASSWORD,
              secrets={(id(seeded), "new.officer@utena.example.org"): secret})
    with seeded.app_context():
        user = find_user("new.officer@utena.example.org")
        assert user.public_key is not None
        assert {m.role for m in user.memberships} == {Role.OFFICER}
    [sent] = entries(seeded, "invitation_sent")
    assert sent.actor_id == user_id(seeded, ADMIN)
    assert sent.detail == {"email": "new.officer@utena.example.org", "name": "New Officer",
                           "role": "officer"}


def test_invitation_link_refuses_a_weak_or_common_password(seeded, admin):
    token = LINK.search(text_of(invite(admin, "new.officer@utena.example.org"))).group(1)

    for weak in ("password1234", "new.officer-at-utena", "aaaaaaaaaaaaaaaa", "short"):
        response, _secret = complete_link(seeded, token, weak)
        assert response.status_code == 200
        assert 'class="error"' in text_of(response)

    with seeded.app_context():
        assert find_user("new.officer@utena.example.org").public_key is None


def test_inviting_an_existing_account_only_offers_the_role(seeded, admin):
    # The account holder accepts while signed in (tests/test_account_takeover.py).
    response = invite(admin, f"officer1.birzai@{DOMAIN}")

    assert LINK.search(text_of(response)) is not None
    with seeded.app_context():
        roles = {(m.institution.slug, m.role) for m in find_user(
            f"officer1.birzai@{DOMAIN}").memberships}
    assert roles == {("birzai", Role.OFFICER)}


def test_inviting_a_member_grants_another_role_without_a_link(seeded, admin):
    response = invite(admin, OFFICER1, role="institution_admin")

    assert LINK.search(text_of(response)) is None
    assert "is a member of the institution already" in text_of(response)
    with seeded.app_context():
        roles = {m.role for m in find_user(OFFICER1).memberships}
    assert roles == {Role.OFFICER, Role.INSTITUTION_ADMIN}


@pytest.mark.parametrize("language", ["en", "lt"])
def test_invitation_with_invalid_address_gets_translated_error(seeded, admin, language):
    response = post(admin, f"/staff/i/utena/admin/invite?lang={language}",
                    {"email": "not an address", "display_name": "X", "role": "officer"})

    assert response.status_code == 200
    page = text_of(response)
    assert expected("Enter a valid e-mail address.", language) in page
    assert 'aria-describedby="email-error"' in page
    assert 'value="not an address"' in page


# --- Deactivation and roles -------------------------------------------------------------------


def test_deactivating_an_officer_ends_their_sessions_and_blocks_sign_in(seeded, admin):
    officer = signed_in(seeded, OFFICER1)
    assert officer.get("/staff/i/utena/cases").status_code == 200
    target = user_id(seeded, OFFICER1)

    response = post(admin, f"/staff/i/utena/admin/members/{target}/deactivate", {},
                    f"/staff/i/utena/admin/members/{target}")

    assert response.status_code == 302
    assert officer.get("/staff/i/utena/cases").status_code == 302  # back to sign-in
    assert password_step(seeded, OFFICER1, DEMO_PASSWORD) == 200  # refused
    [entry] = entries(seeded, "account_deactivated")
    assert entry.detail == {"user": target, "left_unreadable": 0}
    post(admin, f"/staff/i/utena/admin/members/{target}/reactivate", {},
         f"/staff/i/utena/admin/members/{target}")
    assert password_step(seeded, OFFICER1, DEMO_PASSWORD) == 302
    assert len(entries(seeded, "account_reactivated")) == 1


def test_deactivated_officer_gets_no_key_to_new_reports(seeded, admin, reporter):
    target = user_id(seeded, OFFICER1)
    post(admin, f"/staff/i/utena/admin/members/{target}/deactivate", {},
         f"/staff/i/utena/admin/members/{target}")

    send_report(reporter, "utena")

    with seeded.app_context():
        holders = set(db.session.scalars(select(SealedKey.user_id)))
    assert target not in holders
    assert user_id(seeded, OFFICER2) in holders


def test_admin_cannot_deactivate_own_account(seeded, admin):
    me = user_id(seeded, ADMIN)

    response = post(admin, f"/staff/i/utena/admin/members/{me}/deactivate?lang=en", {},
                    f"/staff/i/utena/admin/members/{me}")

    assert response.status_code == 400
    assert "You cannot deactivate your own account" in text_of(response)
    with seeded.app_context():
        assert find_user(ADMIN).is_active


def roles_path(app, email: str) -> str:
    return f"/staff/i/utena/admin/members/{user_id(app, email)}/roles?lang=en"


def test_roles_change_and_losing_the_officer_role_removes_case_keys(seeded, admin, reporter):
    send_report(reporter, "utena")
    target = user_id(seeded, OFFICER2)
    page = f"/staff/i/utena/admin/members/{target}"

    post(admin, roles_path(seeded, OFFICER2), {"officer": "y", "institution_admin": "y"}, page)
    with seeded.app_context():
        assert {m.role for m in find_user(OFFICER2).memberships} == {
            Role.OFFICER, Role.INSTITUTION_ADMIN}
    post(admin, roles_path(seeded, OFFICER2), {"institution_admin": "y"}, page)

    with seeded.app_context():
        user = find_user(OFFICER2)
        assert {m.role for m in user.memberships} == {Role.INSTITUTION_ADMIN}
        assert db.session.scalars(select(SealedKey).where(SealedKey.user_id == user.id)
                                  ).all() == []
    added, removed = entries(seeded, "role_changed")
    assert added.detail["added"] == ["institution_admin"]
    assert removed.detail["removed"] == ["officer"]
    assert removed.detail["keys_removed"] == 1


def test_last_admin_cannot_remove_own_admin_role(seeded, admin):
    me = user_id(seeded, ADMIN)

    response = post(admin, roles_path(seeded, ADMIN), {"officer": "y"},
                    f"/staff/i/utena/admin/members/{me}")

    assert response.status_code == 400
    assert "at least one active administrator" in text_of(response)
    assert 'aria-describedby="roles-error"' in text_of(response)
    with seeded.app_context():
        assert {m.role for m in find_user(ADMIN).memberships} == {Role.INSTITUTION_ADMIN}
    assert entries(seeded, "role_changed") == []


# --- Settings ---------------------------------------------------------------------------------

SETTINGS = "/staff/i/utena/admin/settings"
GOOD_SETTINGS = {
    "acknowledgement_days": "5", "feedback_months": "2", "retention_days": "730",
    "categories": ["bribery", "fraud"], "languages": ["lt", "en"],
    "embed_origins": "https://www.utena.lt/\r\nhttps://intranet.utena.lt:8443",
    "allow_exclusions": "y",
}


@pytest.mark.parametrize("language", ["en", "lt"])
def test_settings_errors_are_translated_and_keep_everything_typed(seeded, admin, language):
    response = post(admin, f"{SETTINGS}?lang={language}", {
        "acknowledgement_days": "0", "feedback_months": "13", "retention_days": "soon",
        "languages": ["en"],
        "embed_origins": "https://www.utena.lt\r\nhttps://evil.example/path",
        "allow_exclusions": "y"}, SETTINGS)

    page = text_of(response)
    assert response.status_code == 200
    range_message = "Enter a whole number from %(min)s to %(max)s."
    assert expected(range_message, language, min=1, max=90) in page
    assert expected(range_message, language, min=1, max=12) in page
    assert expected(range_message, language, min=30, max=3650) in page
    assert expected("Choose at least one category.", language) in page
    assert expected("Line %(number)d is not a website address like https://www.example.lt: "
                    "%(line)s", language, number=2, line="https://evil.example/path") in page
    assert 'value="0"' in page and 'value="13"' in page and 'value="soon"' in page
    assert "https://www.utena.lt\r\nhttps://evil.example/path</textarea>" in page
    assert re.search(r'checked id="languages-1"|id="languages-1"[^>]*checked', page)
    assert re.search(r'id="allow_exclusions"[^>]*checked|checked[^>]*id="allow_exclusions"',
                     page)
    assert 'aria-describedby="embed_origins-hint embed_origins-error"' in page
    with seeded.app_context():
        institution = find_institution("utena")
        assert institution.acknowledgement_days == 7
        assert institution.embed_origins == []
    assert entries(seeded, "settings_changed") == []


def test_valid_settings_are_saved_and_the_changed_fields_audited(seeded, admin):
    response = post(admin, SETTINGS, GOOD_SETTINGS)

    assert response.status_code == 302
    with seeded.app_context():
        institution = find_institution("utena")
        assert (institution.acknowledgement_days, institution.feedback_months,
                institution.retention_days) == (5, 2, 730)
        assert institution.categories == ["bribery", "fraud"]
        assert institution.languages == ["lt", "en"]
        assert institution.embed_origins == ["https://www.utena.lt",
                                             "https://intranet.utena.lt:8443"]
        assert institution.allow_exclusions is True
    [entry] = entries(seeded, "settings_changed")
    assert sorted(entry.detail["fields"]) == sorted(GOOD_SETTINGS)
    assert "https" not in str(entry.detail)


def test_deadline_change_moves_the_due_date_of_open_cases(seeded, admin, reporter):
    send_report(reporter, "utena")
    with seeded.app_context():
        [report] = reports_of("utena")
        received = report.received_on
        assert report.due_on == received + timedelta(days=7)

    post(admin, SETTINGS, {**GOOD_SETTINGS, "acknowledgement_days": "3"})

    with seeded.app_context():
        [report] = reports_of("utena")
        assert report.due_on == received + timedelta(days=3)


# --- Recovery code ----------------------------------------------------------------------------

RECOVERY_PAGE = "/staff/i/utena/admin/recovery-code?lang=en"


def test_new_recovery_code_opens_every_report_and_the_old_one_none(seeded, admin, reporter):
    for _ in range(2):
        send_report(reporter, "utena")
    old_code = demo_recovery_code("utena")

    response = post(admin, RECOVERY_PAGE, {"current_code": old_code.lower()})

    assert response.status_code == 200
    new_code = RECOVERY_CODE.search(text_of(response)).group(1)
    assert new_code != old_code
    with seeded.app_context():
        assert find_institution("utena").recovery_public_key == recovery_public_key(new_code)
        reports = reports_of("utena")
        assert len(reports) == 2
        user, private_key = officer_private_key(OFFICER1)
        for report in reports:
            assert recovery_data_key(report, new_code) == officer_data_key(report, user,
                                                                           private_key)
            with pytest.raises(DecryptionError):
                recovery_data_key(report, old_code)
    [entry] = entries(seeded, "recovery_code_regenerated")
    assert entry.detail == {"cases": 2}
    assert new_code not in text_of(admin.get("/staff/i/utena/admin/audit?lang=en"))


def test_wrong_recovery_code_is_refused_and_nothing_changes(seeded, admin, reporter):
    send_report(reporter, "utena")
    with seeded.app_context():
        before = [(r.ref, r.recovery_key) for r in reports_of("utena")]

    response = post(admin, RECOVERY_PAGE, {"current_code": new_recovery_code()})

    assert response.status_code == 200
    assert "This is not the institution&#39;s recovery code." in text_of(response)
    assert RECOVERY_CODE.search(text_of(response)) is None
    with seeded.app_context():
        assert [(r.ref, r.recovery_key) for r in reports_of("utena")] == before
        assert find_institution("utena").recovery_public_key == recovery_public_key(
            demo_recovery_code("utena"))
    assert entries(seeded, "recovery_code_regenerated") == []


# --- Account recovery -------------------------------------------------------------------------


def test_recovered_officer_opens_earlier_reports_with_the_new_password(seeded, admin, reporter):
    send_report(reporter, "utena")
    target = user_id(seeded, OFFICER1)

    response = post(admin, "/staff/i/utena/admin/recover?lang=en",
                    {"person": str(target), "recovery_code": demo_recovery_code("utena")})

    assert response.status_code == 200
    token = LINK.search(text_of(response)).group(1)
    assert password_step(seeded, OFFICER1, DEMO_PASSWORD) == 200  # the old key is gone
    accepted, secret = complete_link(seeded, token)
    assert accepted.status_code == 302
    with seeded.app_context():
        [report] = reports_of("utena")
        user, private_key = private_key_of(OFFICER1, NEW_PASSWORD)
        assert officer_data_key(report, user, private_key) == recovery_data_key(
            report, demo_recovery_code("utena"))
        ref = report.ref
    officer = signed_in(seeded, OFFICER1, password=NEW_PASSWORD,
                        secrets={(id(seeded), OFFICER1): secret})
    assert officer.get(f"/staff/cases/{ref}").status_code == 200
    [entry] = entries(seeded, "account_recovered")
    assert entry.actor_id == user_id(seeded, ADMIN)
    assert entry.detail == {"user": target, "cases": 1}


def test_account_recovery_with_a_wrong_code_is_refused(seeded, admin):
    target = user_id(seeded, OFFICER1)

    response = post(admin, "/staff/i/utena/admin/recover?lang=en",
                    {"person": str(target), "recovery_code": demo_recovery_code("birzai")})

    assert response.status_code == 200
    assert 'aria-describedby="recovery_code-hint recovery_code-error"' in text_of(response)
    assert LINK.search(text_of(response)) is None
    assert password_step(seeded, OFFICER1, DEMO_PASSWORD) == 302
    assert entries(seeded, "account_recovered") == []


# --- Audit log --------------------------------------------------------------------------------


def test_audit_log_is_paginated_newest_first_with_accessible_page_links(seeded, admin):
    with seeded.app_context():
        institution = find_institution("utena")
        actor = find_user(OFFICER1)
        for number in range(60):
            audit.record("case_viewed", actor=actor, institution=institution,
                         report_ref=f"ref{number:05d}".ljust(32, "0"))
        db.session.commit()

    first = text_of(admin.get("/staff/i/utena/admin/audit?lang=en"))
    second = text_of(admin.get("/staff/i/utena/admin/audit?page=2&lang=en"))

    assert first.index("ref00059") < first.index("ref00058") < first.index("ref00010")
    assert "Paulius Kazlauskas" in first and "Opened and decrypted case" in first
    assert '<nav class="pages" aria-label="Pages of the audit log">' in first
    assert re.search(r'page=1[^"]*" aria-current="page">1<', first)
    assert re.search(r'page=2[^"]*" aria-current="page">2<', second)
    assert "ref00009" in second and "ref00000" in second and "ref00010" not in second
    assert admin.get("/staff/i/utena/admin/audit?page=3").status_code == 404


# --- Platform administration ------------------------------------------------------------------

NEW_INSTITUTION = {
    "slug": "kaunas-test", "name_lt": "Kauno bandymas", "name_en": "Kaunas test",
    "name_nb": "Kaunas-test", "kind": "municipality", "jurisdiction": "LT",
    **GOOD_SETTINGS,
    "admin_email": "first.admin@kaunas.example.org", "admin_name": "First Admin",
}


def test_platform_admin_creates_an_institution_with_its_first_admin(seeded):
    platform = signed_in(seeded, PLATFORM_ADMIN)

    response = post(platform, "/staff/platform/institutions/new?lang=en", NEW_INSTITUTION)

    assert response.status_code == 200
    page = text_of(response)
    code = RECOVERY_CODE.search(page).group(1)
    token = LINK.search(page).group(1)
    with seeded.app_context():
        institution = find_institution("kaunas-test")
        assert institution.recovery_public_key == recovery_public_key(code)
        assert institution.acknowledgement_days == 5
        assert institution.embed_origins == ["https://www.utena.lt",
                                             "https://intranet.utena.lt:8443"]
        assert find_user(PLATFORM_ADMIN).memberships == []
    [created] = entries(seeded, "institution_created", "kaunas-test")
    assert created.actor_id == user_id(seeded, PLATFORM_ADMIN)
    _accepted, secret = complete_link(seeded, token)
    first_admin = signed_in(seeded, "first.admin@kaunas.example.org", password=NEW_PASSWORD,
                            secrets={(id(seeded), "first.admin@kaunas.example.org"): secret})
    assert first_admin.get("/staff/i/kaunas-test/admin/").status_code == 200


def test_new_institution_form_refuses_a_taken_address_and_keeps_the_input(seeded):
    platform = signed_in(seeded, PLATFORM_ADMIN)

    response = post(platform, "/staff/platform/institutions/new?lang=en",
                    {**NEW_INSTITUTION, "slug": "utena"})

    assert "exists already" in text_of(response)
    assert 'value="first.admin@kaunas.example.org"' in text_of(response)
    with seeded.app_context():
        assert find_user("first.admin@kaunas.example.org") is None


def test_platform_admin_edits_an_institution(seeded):
    platform = signed_in(seeded, PLATFORM_ADMIN)
    form = {key: value for key, value in NEW_INSTITUTION.items()
            if key not in ("slug", "admin_email", "admin_name")}

    response = post(platform, "/staff/platform/institutions/utena", form)

    assert response.status_code == 302
    with seeded.app_context():
        institution = find_institution("utena")
        assert institution.name_en == "Kaunas test"
        assert institution.feedback_months == 2
    [entry] = entries(seeded, "settings_changed")
    assert "name_en" in entry.detail["fields"]


def test_platform_admin_holds_no_keys_and_cannot_open_any_report(seeded, reporter):
    platform = signed_in(seeded, PLATFORM_ADMIN)
    send_report(reporter, "utena")
    send_report(reporter, "birzai")

    with seeded.app_context():
        user, private_key = officer_private_key(PLATFORM_ADMIN)
        assert db.session.scalars(select(SealedKey).where(SealedKey.user_id == user.id)
                                  ).all() == []
        assert db.session.scalars(select(Membership).where(Membership.user_id == user.id)
                                  ).all() == []
        reports = db.session.scalars(select(Report)).all()
        for report in reports:
            assert not may_work_on(user, report)
            assert officer_data_key(report, user, private_key) is None
        refs = [report.ref for report in reports]
    for ref in refs:
        assert platform.get(f"/staff/cases/{ref}").status_code == 404


def test_no_admin_page_shows_report_content(seeded, admin, reporter):
    marker = "Marker-5b1f0c content that stays sealed"
    send_report(reporter, "utena", what_happened=marker, people_involved=marker)
    platform = signed_in(seeded, PLATFORM_ADMIN)
    member_pages = [f"members/{user_id(seeded, email)}" for email in (ADMIN, OFFICER1)]

    responses = [admin.get(f"/staff/i/utena/admin/{page}")
                 for page in (*ADMIN_PAGES, *member_pages)]
    responses += [platform.get(path) for path in
                  ("/staff/platform/", "/staff/platform/institutions/utena")]

    assert [response.status_code for response in responses] == [200] * len(responses)
    assert not any("Marker-5b1f0c" in text_of(response) for response in responses)


# --- Who may see administration ---------------------------------------------------------------


def test_sharing_page_links_to_posters_and_qr_codes(seeded, admin):
    page = text_of(admin.get("/staff/i/utena/admin/sharing?lang=en"))

    for link in ("/i/utena/share", "/i/utena/poster-lt.svg", "/i/utena/qr-en.png"):
        assert f'href="{link}"' in page


def test_admin_of_utena_gets_404_on_birzai_administration(seeded, admin):
    for page in ADMIN_PAGES:
        assert admin.get(f"/staff/i/birzai/admin/{page}").status_code == 404
    birzai_officer = user_id(seeded, f"officer1.birzai@{DOMAIN}")
    assert admin.get(f"/staff/i/utena/admin/members/{birzai_officer}").status_code == 404


def test_officer_gets_404_on_administration(seeded):
    officer = signed_in(seeded, OFFICER1)

    for page in ADMIN_PAGES:
        assert officer.get(f"/staff/i/utena/admin/{page}").status_code == 404


@pytest.mark.parametrize("email", [ANALYST, ADMIN, OFFICER1])
def test_only_the_platform_admin_sees_platform_pages(seeded, email):
    client = signed_in(seeded, email)

    for path in ("/staff/platform/", "/staff/platform/institutions/new",
                 "/staff/platform/institutions/utena"):
        assert client.get(path).status_code == 403


def test_administration_needs_sign_in(seeded):
    client = seeded.test_client()

    for path in ("/staff/i/utena/admin/", "/staff/platform/"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/staff/login" in response.headers["Location"]


def test_sharing_page_on_a_staff_only_node_points_to_the_public_site(make_app):
    staff_only = make_app(SKAIDRA_SURFACE="staff")
    seed(staff_only)
    admin = signed_in(staff_only, ADMIN)

    response = admin.get("/staff/i/utena/admin/sharing?lang=en")

    assert response.status_code == 200
    assert "/i/utena/share on the public reporting site" in text_of(response)


# --- In a real browser ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def admin_workspace(tmp_path_factory, demo_database):
    """Real gunicorn with the demo network for this module: two-factor secrets are shown
    only at the first sign-in, so no other module may have signed these admins in."""
    with demo_server(demo_database, tmp_path_factory.mktemp("admin-served")) as server:
        yield server


def browser_sign_in(page, served, email: str) -> None:
    """First sign-in in the browser, enrolling two-factor from the page's key."""
    page.goto(f"{served.base_url}/staff/login?lang=en")
    submit_sign_in(page, email)
    secret = page.locator("code.setup-key#setup-key").inner_text().strip()
    submit_code(page, totp_code(secret))
    assert path_of(page) == "/staff/overview", page.locator("main").inner_text()


def submit(page, fields: dict[str, str]) -> None:
    """Fill in the page's main form (JavaScript off) and send it."""
    form = page.locator("main form[novalidate]")
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    follow(page, form.locator("[type=submit]"))


@pytest.mark.browser
def test_institution_administration_pages_pass_axe(admin_workspace, browser, axe):
    served = admin_workspace
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    browser_sign_in(page, served, ADMIN)
    base = f"{served.base_url}/staff/i/utena/admin"

    for path in ("/", "/sharing", "/audit", "/recover", "/recovery-code"):
        page.goto(base + path + "?lang=en")
        assert_accessible(axe, page)
    page.goto(f"{base}/?lang=en")
    follow(page, page.locator("main table a").first)
    assert page.locator("main h2#roles-heading").count() == 1
    assert_accessible(axe, page)
    page.goto(f"{base}/settings?lang=en")
    submit(page, {"acknowledgement_days": "0", "embed_origins": "ftp://files.example"})
    assert page.locator("#acknowledgement_days[aria-invalid=true]").count() == 1
    assert page.locator("#embed_origins-error").inner_text().startswith("Line 1")
    assert_accessible(axe, page)
    page.goto(f"{base}/invite?lang=en")
    submit(page, {"email": "new.officer@utena.example.org", "display_name": "New Officer"})
    assert "/staff/link/" in page.locator("#account-link").input_value()
    assert_accessible(axe, page)
    context.close()


@pytest.mark.browser
def test_platform_pages_pass_axe(admin_workspace, browser, axe):
    served = admin_workspace
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    browser_sign_in(page, served, PLATFORM_ADMIN)

    page.goto(f"{served.base_url}/staff/platform/?lang=en")
    assert_accessible(axe, page)
    page.goto(f"{served.base_url}/staff/platform/institutions/new?lang=en")
    submit(page, {"slug": "Not A Slug", "name_lt": "Bandymas"})
    assert page.locator("#slug[aria-invalid=true]").count() == 1
    assert_accessible(axe, page)
    submit(page, {"slug": "browser-test", "name_en": "Browser test", "name_nb": "Nettleser",
                  "admin_email": "first.admin@browser.example.org",
                  "admin_name": "First Admin"})
    assert page.locator(".recovery-code").count() == 1, page.locator("main").inner_text()
    assert_accessible(axe, page)
    context.close()
