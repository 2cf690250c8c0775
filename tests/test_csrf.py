"""Every state-changing staff route refuses a form without a valid CSRF token, and the
refusal changes nothing (DESIGN.md, security model point 7).

The routes come from the app's URL map, and the roles, rules and sample arguments from
tests/test_access_matrix.py, so a new POST route is walked here as soon as the access
matrix knows it. Each route is posted by a member its rule lets in, so that nothing but the
token stands between the request and its effect.
"""

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry
from app.services.accounts.users import find_user
from tests.helpers import csrf_token, staff_sign_in, text_of
from tests.test_access_matrix import (
    ACCESS_RULES,
    ALLOWED,
    ROLES,
    expected_answer,
    sample_arguments,
    staff_side_rules,
    url_of,
)
from tests.test_reporter_times import every_row

EXPIRED_FORM = "The form has expired"  # the CSRF error page (app/errors.py)
# A form that keeps its typed text (app/web/forms.keeps_typed_text) shows its page again.
RENEWED_FORM = "this form had to be renewed"
ADMIN = ROLES["admin of utena"][0]
MEMBER = "officer2.utena@demo.example.org"


def post_rules(app) -> list:
    """The staff side's URL rules that accept a POST."""
    return [rule for rule in staff_side_rules(app) if "POST" in rule.methods]


def member_let_in(rule: str) -> str | None:
    """The e-mail of a demo member the access rule lets in; None for public routes."""
    if rule == "public":
        return None
    return next(email for email, traits in ROLES.values()
                if expected_answer(rule, traits) == ALLOWED)


def refused_by_csrf(response) -> bool:
    page = text_of(response)
    return response.status_code == 400 and (EXPIRED_FORM in page or RENEWED_FORM in page)


def is_active(app, email: str) -> bool:
    with app.app_context():
        return find_user(email).is_active


def test_every_staff_post_route_refuses_a_missing_or_foreign_token_and_changes_nothing(seeded):
    samples = sample_arguments(seeded)
    rules = post_rules(seeded)
    assert {"admin.deactivate", "admin.reactivate", "staff.case_reply", "staff.logout"} <= {
        rule.endpoint for rule in rules}
    posters = {rule.endpoint: member_let_in(ACCESS_RULES[rule.endpoint]) for rule in rules}
    browsers = {email: seeded.test_client() for email in set(posters.values())}
    for email, browser in browsers.items():
        if email is not None:
            staff_sign_in(browser, seeded, email)
    foreign_token = csrf_token(seeded.test_client(), "/staff/login")
    before = every_row(seeded)

    problems = []
    for rule in rules:
        email = posters[rule.endpoint]
        url = url_of(seeded, rule, samples) + "?lang=en"
        for kind, data in (("no token", {}), ("another browser's token",
                                              {"csrf_token": foreign_token})):
            with browsers[email].post(url, data=data) as response:
                if not refused_by_csrf(response):
                    problems.append(f"{email or 'anonymous'} POST {url} with {kind}: "
                                    f"{response.status_code}")
    assert problems == [], "\n".join(problems)
    assert every_row(seeded) == before


def test_deactivating_and_reactivating_without_a_token_leave_the_member_as_they_were(seeded):
    admin = seeded.test_client()
    staff_sign_in(admin, seeded, ADMIN)
    with seeded.app_context():
        member_id = find_user(MEMBER).id
        entries = db.session.scalars(select(AuditEntry.id)).all()
    members = f"/staff/i/utena/admin/members/{member_id}"

    with admin.post(f"{members}/deactivate?lang=en") as response:
        assert refused_by_csrf(response)
    assert is_active(seeded, MEMBER)

    with admin.post(f"{members}/deactivate?lang=en",
                    data={"csrf_token": csrf_token(admin, "/staff/account")}) as response:
        assert response.status_code == 302
    assert not is_active(seeded, MEMBER)
    with admin.post(f"{members}/reactivate?lang=en") as response:
        assert refused_by_csrf(response)
    assert not is_active(seeded, MEMBER)

    with seeded.app_context():
        actions = db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.id.not_in(entries))).all()
    assert actions.count("account_deactivated") == 1
    assert "account_reactivated" not in actions
