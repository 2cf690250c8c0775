"""Who may open which staff page: every route of the staff side (blueprints staff, admin,
insights and assessment) has a declared rule, the rule is the one decided here, and each
role gets what that rule promises (DESIGN.md, security model points 5 and 7).

A new staff route fails this suite until someone decides who may use it and writes the
decision into ACCESS_RULES below.
"""

from urllib.parse import parse_qs, urlsplit

from flask import Flask, url_for
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import AuditEntry, CaseEvent, CaseNote, Message, Report, ReportStatus, SealedKey
from app.services.accounts.users import find_user
from app.services.administration.institutions import find_institution
from app.services.assessment.action_plan import add_action
from app.services.assessment.lifecycle import start_assessment
from app.services.assessment.questionnaires import current
from config import TestConfig
from tests.helpers import csrf_token, send_report, staff_sign_in, text_of

STAFF_SIDE = ("staff", "admin", "insights", "assessment")

# The decision for every staff-side endpoint. The value must equal the rule its guard
# declares (``view.access_rule``, see app/web/guards.py).
ACCESS_RULES = {
    # Signing in, out, and account links: before anyone is known.
    "staff.login": "public",
    "staff.login_code": "public",
    "staff.enrol": "public",
    "staff.logout": "public",
    "staff.account_link": "public",
    # Every staff member.
    "staff.index": "signed_in",
    "staff.dashboard": "signed_in",
    "staff.account": "signed_in",
    "staff.account_language": "signed_in",
    # Accepting or declining a role offered to one's own account (the service checks that
    # the link names the signed-in account).
    "staff.accept_membership": "signed_in",
    "staff.decline_membership": "signed_in",
    "insights.index": "signed_in",
    # Statistics: counts only. An institution's own staff see its figures; analysts and
    # platform admins see every institution's and the network's.
    "insights.institution": "institution:statistics",
    "insights.institution_csv": "institution:statistics",
    "insights.network": "network:is_analyst|is_platform_admin",
    "insights.network_csv": "network:is_analyst|is_platform_admin",
    # The officers' case work.
    "staff.inbox": "institution:officer",
    # The inbox's full-text search: only over cases the officer's own key opens.
    "staff.inbox_search": "institution:officer",
    # Registering a report received another way: the institution's officers, who then
    # hold its key like any report's.
    "staff.register": "institution:officer",
    "staff.case": "case",
    "staff.case_file": "case",
    "staff.case_acknowledge": "case",
    "staff.case_reply": "case",
    "staff.case_note": "case",
    "staff.case_minutes": "case",
    "staff.case_minutes_signed": "case",
    "staff.case_meeting_handled": "case",
    "staff.case_status": "case",
    "staff.case_assign": "case",
    "staff.case_triage": "case",
    "staff.case_category": "case",
    "staff.case_grant": "case",
    "staff.case_recuse": "case",
    "staff.case_transfer": "case",
    "staff.case_reopen": "case",
    # An institution's administration.
    "admin.institution": "institution:institution_admin",
    "admin.invite": "institution:institution_admin",
    "admin.withdraw_invitation": "institution:institution_admin",
    "admin.member": "institution:institution_admin",
    "admin.member_roles": "institution:institution_admin",
    "admin.deactivate": "institution:institution_admin",
    "admin.reactivate": "institution:institution_admin",
    "admin.recover": "institution:institution_admin",
    "admin.settings": "institution:institution_admin",
    "admin.recovery_code": "institution:institution_admin",
    "admin.recovery_grant": "institution:institution_admin",
    "admin.audit_log": "institution:institution_admin",
    # The audit log as CSV: the same readers as its page; every download is audited.
    "admin.audit_log_csv": "institution:institution_admin",
    "admin.sharing": "institution:institution_admin",
    # The network.
    "admin.platform": "network:is_platform_admin",
    "admin.new_institution": "network:is_platform_admin",
    "admin.edit_institution": "network:is_platform_admin",
    # Self-assessment: the institution's officers and admins answer, read and export its
    # assessments and keep its action plan; only its admins finalise a result.
    "assessment.index": "institution:assessment",
    "assessment.start": "institution:assessment",
    "assessment.overview": "institution:assessment",
    "assessment.area": "institution:assessment",
    "assessment.finalise_assessment": "institution:institution_admin",
    "assessment.results": "institution:assessment",
    "assessment.report": "institution:assessment",
    "assessment.export": "institution:assessment",
    "assessment.action_plan": "institution:assessment",
    "assessment.add_measure": "institution:assessment",
    "assessment.update_measure": "institution:assessment",
    "assessment.survey_results": "institution:assessment",
}

# What an anonymous visitor gets from each public page, with the sample arguments below and
# no sign-in under way. None of them may send the visitor to sign in "to continue" (?next=).
PUBLIC_ANSWERS = {
    "staff.login": 200,
    "staff.login_code": 302,  # no pending sign-in: back to the first step
    "staff.enrol": 302,
    "staff.logout": 302,
    "staff.account_link": 404,  # the sample token is no link
}

# The signed-in roles, and what each of them is in the demo network.
ROLES = {
    "officer of utena": ("officer1.utena@demo.example.org", {"officer:utena"}),
    "officer of birzai": ("officer1.birzai@demo.example.org", {"officer:birzai"}),
    "admin of utena": ("admin.utena@demo.example.org", {"admin:utena"}),
    "admin of birzai": ("admin.birzai@demo.example.org", {"admin:birzai"}),
    "platform admin": ("platform-admin@demo.example.org", {"is_platform_admin"}),
    "analyst": ("analyst@demo.example.org", {"is_analyst"}),
}

ALLOWED = "allowed"
# What "allowed" may look like: a page, a redirect onwards, or a refused (empty) form.
ALLOWED_STATUSES = {200, 302, 400}


def expected_answer(rule: str, traits: set[str]) -> str | int:
    """ALLOWED, 403 or 404 for a signed-in member with these traits, by the rule."""
    if rule == "signed_in":
        return ALLOWED
    if rule.startswith("network:"):
        return ALLOWED if traits & set(rule.removeprefix("network:").split("|")) else 403
    if rule in ("case", "institution:officer"):
        return ALLOWED if "officer:utena" in traits else 404
    if rule == "institution:institution_admin":
        return ALLOWED if "admin:utena" in traits else 404
    if rule == "institution:assessment":
        return ALLOWED if traits & {"officer:utena", "admin:utena"} else 404
    if rule == "institution:statistics":
        readers = {"officer:utena", "admin:utena", "is_platform_admin", "is_analyst"}
        return ALLOWED if traits & readers else 404
    raise AssertionError(f"no expectation for the rule {rule!r}: teach expected_answer() it")


def staff_side_rules(app: Flask) -> list:
    """URL rules of the staff-side blueprints, GET routes first (POSTs may change things)."""
    rules = [rule for rule in app.url_map.iter_rules()
             if rule.endpoint.split(".")[0] in STAFF_SIDE]
    return sorted(rules, key=lambda rule: ("GET" not in rule.methods, rule.rule))


def routing_app() -> Flask:
    """The application, for its routes only (no database needed)."""
    return create_app(TestConfig)


# --- Every route has a decision ------------------------------------------------------------


def test_every_staff_side_view_declares_an_access_rule():
    app = routing_app()
    undeclared = [rule.endpoint for rule in staff_side_rules(app)
                  if not getattr(app.view_functions[rule.endpoint], "access_rule", None)]
    assert undeclared == [], (
        "these staff views have no guard from app/web/guards.py: " + ", ".join(undeclared))


def test_every_staff_side_route_is_decided_in_the_table():
    app = routing_app()
    endpoints = {rule.endpoint for rule in staff_side_rules(app)}
    undecided = sorted(endpoints - ACCESS_RULES.keys())
    assert undecided == [], (
        f"new staff routes {undecided}: decide who may use them and add them to the table "
        "ACCESS_RULES in tests/test_access_matrix.py")
    assert sorted(ACCESS_RULES.keys() - endpoints) == [], (
        "routes gone: remove them from ACCESS_RULES in tests/test_access_matrix.py")


def test_each_view_declares_the_rule_decided_in_the_table():
    app = routing_app()
    declared = {rule.endpoint: getattr(app.view_functions[rule.endpoint], "access_rule", None)
                for rule in staff_side_rules(app)}
    differing = {endpoint: (rule, ACCESS_RULES.get(endpoint))
                 for endpoint, rule in declared.items() if rule != ACCESS_RULES.get(endpoint)}
    assert differing == {}, "declared rule vs. the table's decision"
    assert {endpoint for endpoint, rule in ACCESS_RULES.items() if rule == "public"} \
        == PUBLIC_ANSWERS.keys()


# --- Each role gets what the rule promises --------------------------------------------------


def utena_case(app: Flask) -> tuple[str, str]:
    """Send a report with a file to utena; its reference and the file's."""
    with send_report(app.test_client(), "utena", files=[("a.txt", b"hello")]) as sent:
        assert sent.status_code == 200, text_of(sent)
    with app.app_context():
        report = db.session.scalars(select(Report)).one()
        return report.ref, report.attachments[0].ref


def sample_arguments(app: Flask) -> dict:
    """A value for every URL argument of the staff side, pointing into utena."""
    ref, file_ref = utena_case(app)
    with app.app_context():
        # Member pages point at the utena admin themself: the rules then refuse to let the
        # POST routes remove the institution's last admin, so the matrix changes no roles.
        admin = find_user(ROLES["admin of utena"][0])
        admin_id = admin.id
        utena = find_institution("utena")
        # An assessment and a measure of utena: the matrix's empty forms change neither
        # (finalising an unanswered assessment only lists its unfinished areas).
        number = start_assessment(utena, current("institutional-risk"), admin).id
        item_id = add_action(utena, admin, "Rotate the procurement committee",
                             "head of procurement", None).id
    return {"slug": "utena", "ref": ref, "file_ref": file_ref, "token": "no-such-link-token",
            "user_id": admin_id, "language": "en", "number": number,
            "area_id": "procurement", "kind": "csv", "item_id": item_id,
            "link_id": 0}


def url_of(app: Flask, rule, samples: dict) -> str:
    missing = rule.arguments - samples.keys()
    assert not missing, (f"add a sample value for {sorted(missing)} of {rule.rule} to "
                         "sample_arguments() in tests/test_access_matrix.py")
    with app.test_request_context():
        return url_for(rule.endpoint, **{name: samples[name] for name in rule.arguments})


def redirect_target(response) -> tuple[str, dict]:
    target = urlsplit(response.headers.get("Location", ""))
    return target.path, parse_qs(target.query)


def sends_to_sign_in(response) -> bool:
    return response.status_code == 302 and redirect_target(response)[0] == "/staff/login"


def fetch(client, method: str, url: str, token: str):
    """GET the page, or POST an empty form that carries only a valid CSRF token."""
    if method == "GET":
        return client.get(url)
    return client.post(url, data={"csrf_token": token})


def test_every_staff_route_answers_each_role_as_its_rule_says(seeded):
    app = seeded
    samples = sample_arguments(app)
    anonymous = app.test_client()
    anonymous_token = csrf_token(anonymous, "/staff/login")
    members = {}
    for role, (email, traits) in ROLES.items():
        client = app.test_client()
        staff_sign_in(client, app, email)
        members[role] = (client, csrf_token(client, "/staff/account"), traits)

    problems = []
    for rule in staff_side_rules(app):
        url = url_of(app, rule, samples)
        method = "GET" if "GET" in rule.methods else "POST"
        decided = ACCESS_RULES.get(rule.endpoint)
        if decided is None:
            problems.append(f"{rule.endpoint}: not in ACCESS_RULES")
            continue
        with fetch(anonymous, method, url, anonymous_token) as response:
            if decided == "public":
                if (response.status_code != PUBLIC_ANSWERS[rule.endpoint]
                        or "next" in redirect_target(response)[1]):
                    problems.append(f"anonymous {method} {url}: {response.status_code} "
                                    f"{response.headers.get('Location', '')}")
                continue
            if not sends_to_sign_in(response):
                problems.append(f"anonymous {method} {url}: {response.status_code}, "
                                "expected a redirect to /staff/login")
        for role, (client, token, traits) in members.items():
            expected = expected_answer(decided, traits)
            with fetch(client, method, url, token) as response:
                got = response.status_code
                if expected == ALLOWED:
                    ok = got in ALLOWED_STATUSES and not sends_to_sign_in(response)
                else:
                    ok = got == expected
                if not ok:
                    problems.append(f"{role} {method} {url} ({decided}): got {got} "
                                    f"{response.headers.get('Location', '')}, "
                                    f"expected {expected}")
    assert problems == [], "\n".join(problems)


# --- What the rules protect -----------------------------------------------------------------


CASE_ACTIONS = {
    "acknowledge": {},
    "status": {"status": "acknowledged", "reason": "Moving on."},
    "note": {"text": "A note from outside."},
    "reply": {"text": "A message from outside.", "kind": "question"},
    "triage": {"likelihood": "5", "impact": "5"},
    "category": {"category": "fraud"},
    "assign": {"assignee": ""},
    "recuse": {"reason": "Conflict of interest."},
    "transfer": {"institution": "birzai", "reason": "Ours now.", "keep_access": "y"},
    "reopen": {"reason": "Reopened from outside."},
}


def test_officer_of_another_institution_changes_nothing_on_a_case(seeded):
    ref, file_ref = utena_case(seeded)
    client = seeded.test_client()
    staff_sign_in(client, seeded, ROLES["officer of birzai"][0])
    token = csrf_token(client, "/staff/account")
    with seeded.app_context():
        before = db.session.scalars(select(Report)).one()
        state = (before.status, before.category, before.institution_id, before.likelihood,
                 before.assignee_id)
        keys = len(before.sealed_keys)

    for action, fields in CASE_ACTIONS.items():
        with client.post(f"/staff/cases/{ref}/{action}",
                         data={"csrf_token": token, **fields}) as response:
            assert response.status_code == 404, action
    with client.get(f"/staff/cases/{ref}/files/{file_ref}") as response:
        assert response.status_code == 404
        assert b"hello" not in response.data

    with seeded.app_context():
        after = db.session.scalars(select(Report)).one()
        assert (after.status, after.category, after.institution_id, after.likelihood,
                after.assignee_id) == state
        assert after.status == ReportStatus.NEW
        assert len(after.sealed_keys) == keys
        for model in (CaseNote, CaseEvent, Message):
            assert db.session.scalars(select(model)).all() == [], model.__name__
        assert db.session.scalars(select(AuditEntry).where(
            AuditEntry.report_ref == ref)).all() == []


def test_only_the_institutions_officers_hold_keys_to_its_reports(seeded):
    utena_case(seeded)
    with seeded.app_context():
        report = db.session.scalars(select(Report)).one()
        holders = {key.user.email for key in report.sealed_keys}
        assert holders == {"officer1.utena@demo.example.org", "officer2.utena@demo.example.org"}
        for role in ("platform admin", "analyst", "admin of utena"):
            user = find_user(ROLES[role][0])
            assert db.session.scalars(select(SealedKey).where(
                SealedKey.user_id == user.id)).all() == [], role
