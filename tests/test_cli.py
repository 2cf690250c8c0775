"""Operator commands: seed-demo, create-institution, create-user."""

import re

from sqlalchemy import select

from app.crypto.recovery import recovery_public_key
from app.extensions import db
from app.models import Institution, Membership, Role, User
from app.services.accounts.users import find_user, password_unlocks
from app.services.demo.network import DEMO_PASSWORD
from tests.helpers import count


def test_seed_demo_creates_the_network_and_prints_logins(app, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert count(app, Institution) == 13
    assert count(app, User) == 2 + 13 * 3
    assert count(app, Membership) == 13 * 3
    assert DEMO_PASSWORD in result.output
    assert "admin.birzai@demo.example.org" in result.output
    assert "platform-admin@demo.example.org" in result.output


def test_seed_demo_is_idempotent(app, runner):
    runner.invoke(args=["seed-demo"])
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert count(app, Institution) == 13
    assert count(app, User) == 41
    assert count(app, Membership) == 39


def test_demo_passwords_really_unlock_the_demo_accounts(app, runner):
    runner.invoke(args=["seed-demo"])
    with app.app_context():
        officer = find_user("officer1.utena@demo.example.org")
        assert password_unlocks(officer, DEMO_PASSWORD)
        assert not password_unlocks(officer, DEMO_PASSWORD + "x")
        roles = {(m.institution.slug, m.role) for m in officer.memberships}
        assert roles == {("utena", Role.OFFICER)}
        assert find_user("platform-admin@demo.example.org").is_platform_admin


def test_seed_demo_is_refused_where_demo_data_is_not_allowed(make_app):
    app = make_app(SKAIDRA_ALLOW_DEMO=False)
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "refused" in result.output
    assert count(app, User) == 0


def test_create_institution(app, runner):
    result = runner.invoke(args=[
        "create-institution", "--slug", "kaunas", "--name-lt", "Kauno miesto savivaldybė",
        "--name-en", "Kaunas City Municipality", "--name-nb", "Kaunas bykommune",
        "--kind", "municipality", "--jurisdiction", "LT",
        "--category", "bribery", "--category", "procurement",
    ])
    assert result.exit_code == 0, result.output
    code = re.search(r"((?:[A-Z2-7]{4}-){11}[A-Z2-7]{4})", result.output).group(1)
    with app.app_context():
        kaunas = db.session.scalar(select(Institution).where(Institution.slug == "kaunas"))
        assert kaunas.recovery_public_key == recovery_public_key(code)
        assert code.encode() not in repr(kaunas.__dict__).encode()
        assert kaunas.categories == ["bribery", "procurement"]
        assert kaunas.acknowledgement_days == 7
        assert kaunas.feedback_months == 3


def test_create_institution_rejects_a_bad_slug_and_writes_nothing(app, runner):
    result = runner.invoke(args=[
        "create-institution", "--slug", "Bad Slug!", "--name-lt", "a", "--name-en", "b",
        "--name-nb", "c", "--kind", "municipality", "--jurisdiction", "LT",
    ])
    assert result.exit_code != 0
    assert "lower-case" in result.output or "raidės" in result.output
    assert count(app, Institution) == 0


def test_create_user_with_role(app, runner):
    runner.invoke(args=["seed-demo"])
    result = runner.invoke(args=[
        "create-user", "--email", "New.Officer@Example.org", "--name", "New Officer",
        "--institution", "prienai", "--role", "officer",
    ], input="a-long-enough-password\na-long-enough-password\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = find_user("new.officer@example.org")
        assert user is not None
        assert password_unlocks(user, "a-long-enough-password")
        assert [m.institution.slug for m in user.memberships] == ["prienai"]


def test_create_user_rejects_short_password_and_unknown_institution(app, runner):
    short = runner.invoke(args=["create-user", "--email", "a@example.org", "--name", "A",
                                "--password", "short"])
    assert short.exit_code != 0
    unknown = runner.invoke(args=["create-user", "--email", "b@example.org", "--name", "B",
                                  "--password", "long-enough-password",
                                  "--institution", "atlantis", "--role", "officer"])
    assert unknown.exit_code != 0
    assert "atlantis" in unknown.output
    assert count(app, User) == 0


def test_invite_prints_a_one_time_link_that_opens_the_set_up_page(seeded):
    result = seeded.test_cli_runner().invoke(args=[
        "invite", "--institution", "utena", "--email", "new.officer@example.org",
        "--name", "New Officer"])

    assert result.exit_code == 0, result.output
    link = result.output.strip().splitlines()[-1]
    assert link.startswith("http://127.0.0.1:8000/staff/link/")
    page = seeded.test_client().get(link.removeprefix("http://127.0.0.1:8000"))
    assert page.status_code == 200
    assert "new.officer@example.org" in page.get_data(as_text=True)


def test_invite_refuses_an_unknown_institution(seeded):
    result = seeded.test_cli_runner().invoke(args=[
        "invite", "--institution", "nowhere", "--email", "a@example.org", "--name", "A"])

    assert result.exit_code != 0
    assert "No institution" in result.output
