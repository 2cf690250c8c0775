"""No report stays unreadable: an institution admin with the recovery code grants officers
access to chosen (or all) reports, respecting the reporter's exclusions, audited, the code
never stored; and deactivating (or taking the officer role from) the last officer who
holds some reports' keys first asks, naming those reports."""

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import CaseEvent, CaseEventKind, Report
from app.services import ServiceError
from app.services.accounts.users import find_user
from app.services.administration import recovery_grant
from app.services.administration.institutions import find_institution
from app.services.administration.recovery_grant import GrantScope, grant_with_recovery_code
from app.services.audit import verify_chain
from app.services.demo.network import demo_recovery_code
from tests.helpers import text_of
from tests.test_admin import entries, expected, post, signed_in
from tests.test_casework import (
    ADMIN,
    BIRZAI1,
    HOSTILE,
    NEWCOMER,
    OFFICER1,
    OFFICER2,
    add_officer,
    case_page,
    columns_containing,
    state,
    stored_report,
    user_id,
)
from tests.test_exclusions import allow_exclusions
from tests.test_unreadable_reports import deactivate_officers, unreadable

GRANT = "/staff/i/utena/admin/recovery-grant"
CODE = demo_recovery_code("utena")
WHAT_HAPPENED = "The head of permits takes cash for faster decisions."


@pytest.fixture
def admin(seeded):
    return signed_in(seeded, ADMIN)


def excluding(app, *emails: str) -> str:
    """A report whose reporter kept these officers out (exclusions switched on first)."""
    allow_exclusions(app)
    return stored_report(app, excluded=emails)


def active_readers(app, ref: str) -> list[str]:
    with app.app_context():
        return sorted(email for email in state(app, ref)["readers"]
                      if find_user(email).is_active)


def orphaned(app, count: int = 1, **entry) -> list[str]:
    """Reports no active officer can open: both officers of Utena leave, a newcomer joins
    (so holds no key to what arrived before)."""
    refs = [stored_report(app, **entry) for _ in range(count)]
    deactivate_officers(app, OFFICER1, OFFICER2)
    add_officer(app)
    assert unreadable(app) == count
    return refs


def grant(client, app, *, officers=(NEWCOMER,), scope="unreadable", reports=(),
          code=CODE, language="en"):
    return post(client, f"{GRANT}?lang={language}", {
        "officers": [str(user_id(app, email)) for email in officers], "scope": scope,
        "reports": list(reports), "recovery_code": code})


def test_the_admin_grants_a_new_officer_the_reports_nobody_could_read(seeded, admin):
    [ref] = orphaned(seeded)
    newcomer = signed_in(seeded, NEWCOMER)
    assert case_page(newcomer, ref).status_code == 403
    page = text_of(admin.get(f"{GRANT}?lang=en"))
    assert ref[:8] in page and "Integrity officer 3 (new)" in page

    response = grant(admin, seeded)

    assert response.status_code == 200, text_of(response)
    assert "1 report can now be opened by the officers you chose." in text_of(response)
    assert active_readers(seeded, ref) == [NEWCOMER]
    assert unreadable(seeded) == 0
    opened = case_page(newcomer, ref)
    assert opened.status_code == 200 and WHAT_HAPPENED in text_of(opened)
    assert "with the recovery code" in text_of(opened)  # the case history says how
    [entry] = entries(seeded, "recovery_grant")
    assert entry.report_ref == ref
    assert entry.actor_id == user_id(seeded, ADMIN)
    assert entry.detail == {"officers": [user_id(seeded, NEWCOMER)]}
    with seeded.app_context():
        [event] = db.session.scalars(select(CaseEvent).join(Report).where(
            Report.ref == ref, CaseEvent.kind == CaseEventKind.RECOVERY_GRANT)).all()
        assert event.change == {"officer": user_id(seeded, NEWCOMER)}
    # The code was used and forgotten: not in any column, in any form it may be typed.
    bare = CODE.replace("-", "")
    assert columns_containing(seeded, bare[:24]) == set()
    assert columns_containing(seeded, CODE[:24]) == set()


def test_a_wrong_code_grants_nothing_and_keeps_the_choices(seeded, admin):
    [ref] = orphaned(seeded)
    wrong = demo_recovery_code("birzai")

    response = grant(admin, seeded, code=wrong, language="lt")

    assert response.status_code == 200
    page = text_of(response)
    assert expected("This is not the institution's recovery code.", "lt") in page
    [box] = re.findall(rf'<input[^>]*value="{user_id(seeded, NEWCOMER)}"[^>]*>', page)
    assert "checked" in box
    assert wrong not in page  # the code is not echoed back
    assert active_readers(seeded, ref) == []
    assert entries(seeded, "recovery_grant") == []


@pytest.mark.parametrize("typed", [HOSTILE, "", "A" * 300])
def test_hostile_or_missing_codes_are_refused_with_a_translated_error(seeded, admin, typed):
    orphaned(seeded)
    response = grant(admin, seeded, code=typed, language="nb")
    page = text_of(response)
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in page
    messages = ["This is not the institution's recovery code.", "Enter the recovery code."]
    assert any(expected(message, "nb") in page for message in messages)
    assert unreadable(seeded) == 1


def test_officers_the_reporter_excluded_get_no_access_whatever_the_admin_chooses(seeded,
                                                                                 admin):
    add_officer(seeded)
    ref = excluding(seeded, NEWCOMER)
    deactivate_officers(seeded, OFFICER1, OFFICER2)
    assert unreadable(seeded) == 1

    response = grant(admin, seeded, scope="all")

    assert "the reporter asked to keep that officer out" in text_of(response)
    assert active_readers(seeded, ref) == []
    assert entries(seeded, "recovery_grant") == []


def test_only_the_ticked_reports_are_granted(seeded, admin):
    first, second = orphaned(seeded, 2)

    response = grant(admin, seeded, scope="chosen", reports=[second])

    assert response.status_code == 200
    assert active_readers(seeded, first) == []
    assert active_readers(seeded, second) == [NEWCOMER]
    nothing = grant(admin, seeded, scope="chosen")
    assert "Choose at least one report." in text_of(nothing)


def test_every_report_scope_reaches_reports_other_officers_can_read(seeded, admin):
    ref = stored_report(seeded)
    add_officer(seeded)
    assert unreadable(seeded) == 0
    grant(admin, seeded, scope="unreadable")
    assert NEWCOMER not in state(seeded, ref)["readers"]

    grant(admin, seeded, scope="all")

    assert state(seeded, ref)["readers"] == sorted([OFFICER1, OFFICER2, NEWCOMER])
    again = grant(admin, seeded, scope="all")  # nothing left to do, nothing doubled
    assert "No report needed a grant" in text_of(again)
    assert len(entries(seeded, "recovery_grant")) == 1


def test_access_goes_only_to_active_officers_of_the_institution(seeded, admin):
    orphaned(seeded)
    for email in (BIRZAI1, OFFICER1, ADMIN):  # elsewhere; deactivated; not an officer
        response = grant(admin, seeded, officers=[email], language="lt")
        assert response.status_code == 200
        message = "Access can be granted only to active officers of the institution."
        assert expected(message, "lt") in text_of(response)
    assert unreadable(seeded) == 1
    with seeded.test_request_context("/?lang=en"):
        institution = find_institution("utena")
        with pytest.raises(ServiceError):
            grant_with_recovery_code(institution, CODE, [find_user(BIRZAI1).id],
                                     GrantScope.ALL, (), find_user(ADMIN))
        with pytest.raises(ServiceError):
            grant_with_recovery_code(institution, CODE, [], GrantScope.ALL, (),
                                     find_user(ADMIN))


def test_a_large_grant_is_done_in_batches(seeded, admin, monkeypatch):
    monkeypatch.setattr(recovery_grant, "MAX_REPORTS_PER_GRANT", 2)
    refs = orphaned(seeded, 3)

    first = text_of(grant(admin, seeded))

    assert "1 more report is left: grant again to continue." in first
    assert unreadable(seeded) == 1
    grant(admin, seeded)
    assert unreadable(seeded) == 0
    assert all(active_readers(seeded, ref) == [NEWCOMER] for ref in refs)


def test_with_no_officer_to_receive_access_the_page_says_what_to_do(seeded, admin):
    stored_report(seeded)
    deactivate_officers(seeded, OFFICER1, OFFICER2)
    page = text_of(admin.get(f"{GRANT}?lang=en"))
    assert "The institution has no active officer who could receive access." in page
    assert 'name="recovery_code"' not in page


def test_the_warning_links_admins_to_the_grant(seeded, admin):
    orphaned(seeded)
    page = text_of(admin.get("/staff/i/utena/admin/?lang=en"))
    assert "can be read by no active officer" in page
    assert 'href="/staff/i/utena/admin/recovery-grant"' in page
    officer = signed_in(seeded, NEWCOMER)
    overview = text_of(officer.get("/staff/overview?lang=en"))
    assert "can be read by no active officer" in overview
    assert "recovery-grant" not in overview  # an officer who is no admin gets no link


# --- Leaving the last key behind --------------------------------------------------------

def member_path(app, email: str) -> str:
    return f"/staff/i/utena/admin/members/{user_id(app, email)}"


def test_deactivating_the_last_key_holder_asks_first_and_names_the_reports(seeded, admin):
    only_theirs = excluding(seeded, OFFICER2)
    shared = stored_report(seeded)
    path = member_path(seeded, OFFICER1)

    response = post(admin, f"{path}/deactivate?lang=en", {}, path)

    assert response.status_code == 200
    page = text_of(response)
    with seeded.app_context():
        name = find_user(OFFICER1).display_name
    assert f"{name} is the only active officer who can open 1 report." in page
    assert only_theirs[:8] in page and shared[:8] not in page
    assert WHAT_HAPPENED not in page  # metadata only
    with seeded.app_context():
        assert find_user(OFFICER1).is_active
    assert entries(seeded, "account_deactivated") == []

    confirmed = post(admin, f"{path}/deactivate?lang=en", {"confirmed": "y"}, path)

    assert confirmed.status_code == 302
    with seeded.app_context():
        assert not find_user(OFFICER1).is_active
    [entry] = entries(seeded, "account_deactivated")
    assert entry.detail["left_unreadable"] == 1
    assert unreadable(seeded) == 1


def test_taking_the_officer_role_from_the_last_key_holder_asks_first(seeded, admin):
    ref = excluding(seeded, OFFICER2)
    path = member_path(seeded, OFFICER1)

    response = post(admin, f"{path}/roles?lang=en", {}, path)  # both roles unticked

    assert response.status_code == 200
    assert ref[:8] in text_of(response)
    assert state(seeded, ref)["readers"] == [OFFICER1]
    confirmed = post(admin, f"{path}/roles?lang=en", {"confirmed": "y"}, path)
    assert confirmed.status_code == 302
    assert state(seeded, ref)["readers"] == []


def test_no_question_when_another_active_officer_holds_the_keys(seeded, admin):
    stored_report(seeded)
    path = member_path(seeded, OFFICER1)
    response = post(admin, f"{path}/deactivate?lang=en", {}, path)
    assert response.status_code == 302


def test_a_grant_of_many_reports_keeps_the_audit_chain_whole(seeded, admin):
    orphaned(seeded, 2)
    grant(admin, seeded)
    assert len(entries(seeded, "recovery_grant")) == 2
    with seeded.app_context():
        assert verify_chain().broken is None
