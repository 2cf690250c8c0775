"""Self-assessment pages: a team answers over several sittings, an institution admin
finalises, the result is read, printed, exported and turned into an action plan
(docs/assessment.md).

The team acts over HTTP as in a browser (the area form is submitted as a browser would send
it: every question's checked radio, every note); the outcome is checked in the database,
the audit log and the pages. State a test is not about is built through the services.
"""

import csv
import io
import json
import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from html import unescape
from html.parser import HTMLParser
from statistics import median

import pytest
from babel.dates import format_date
from markupsafe import escape
from sqlalchemy import select, update

from app.extensions import db
from app.models import (
    ActionItem,
    ActionStatus,
    Assessment,
    AssessmentAnswer,
    AssessmentStatus,
    AuditEntry,
)
from app.services.accounts.users import find_user
from app.services.administration.institutions import find_institution
from app.services.assessment.action_plan import add_action
from app.services.assessment.export import RISK_COLUMNS
from app.services.assessment.labels import RESILIENCE_BANDS
from app.services.assessment.lifecycle import (
    finalise,
    result_of,
    save_area,
    start_assessment,
)
from app.services.assessment.questionnaires import current
from app.services.assessment.scoring import CHECKLIST_SCORES, NOT_APPLICABLE
from tests.helpers import _catalogue, staff_csrf_token, staff_sign_in, text_of

DOMAIN = "demo.example.org"
OFFICER = f"officer1.utena@{DOMAIN}"
ADMIN = f"admin.utena@{DOMAIN}"
BIRZAI_OFFICER = f"officer1.birzai@{DOMAIN}"
ANALYST = f"analyst@{DOMAIN}"
PLATFORM_ADMIN = f"platform-admin@{DOMAIN}"
RISK = "institutional-risk"
CHECKLIST = "integrity-checklist"
SCRIPT = "<script>alert(1)</script>"

# Answer profiles of a risk area: likelihood, impact, every factor, every control.
HIGH = (5, 5, 2, 0)  # inherent 25 (capped), no control: residual 25.0, very high
MEDIUM = (3, 3, 0, 2)  # 9 × (1 − 3/16 · 2) = 5.625: residual 5.6, medium
LOW = (2, 2, 0, 1)  # 4 × (1 − 3/16) = 3.25: residual 3.3, low


# --- arranging -------------------------------------------------------------------------

def signed_in(app, email: str = OFFICER, language: str = "en"):
    """A browser of a staff member, signed in through the pages, reading ``language``."""
    client = app.test_client()
    staff_sign_in(client, app, email)
    client.get(f"/staff/overview?lang={language}")  # remembered for the rest of the visit
    return client


def risk_questionnaire():
    return current(RISK)


def profile_answers(area, likelihood: int, impact: int, factor: int, control: int) -> dict:
    """The form fields of a risk area answered with one profile."""
    value = {"likelihood": likelihood, "impact": impact, "factor": factor, "control": control}
    return {question.id: str(value[question.role]) for question in area.questions}


def prepared(app, slug: str = "utena", profiles: dict | None = None,
             rest_not_applicable: bool = False, final: bool = False) -> int:
    """A risk assessment of ``slug`` started by its admin, areas answered with
    ``profiles`` (area id -> profile), the other areas declared not applicable when asked,
    finalised when asked; returns its number."""
    with app.app_context():
        questionnaire = risk_questionnaire()
        admin = find_user(f"admin.{slug}@{DOMAIN}")
        assessment = start_assessment(find_institution(slug), questionnaire, admin)
        for area in questionnaire.areas:
            if area.id in (profiles or {}):
                save_area(assessment, area.id,
                          profile_answers(area, *profiles[area.id]), admin)
            elif rest_not_applicable:
                save_area(assessment, area.id, {}, admin, applicable=False)
        if final:
            assert finalise(assessment, admin) == []
        return assessment.id


def prepared_checklist(app, answers: dict, final: bool = False) -> int:
    """A checklist of utena answered with ``answers`` (question id -> value)."""
    with app.app_context():
        questionnaire = current(CHECKLIST)
        admin = find_user(ADMIN)
        assessment = start_assessment(find_institution("utena"), questionnaire, admin)
        for area in questionnaire.areas:
            save_area(assessment, area.id, {question.id: answers[question.id]
                                             for question in area.questions
                                             if question.id in answers}, admin)
        if final:
            assert finalise(assessment, admin) == []
        return assessment.id


def base(number: int, slug: str = "utena") -> str:
    return f"/staff/i/{slug}/assessments/{number}"


def area_url(number: int, area_id: str, slug: str = "utena") -> str:
    return f"{base(number, slug)}/areas/{area_id}"


class BrowserForm(HTMLParser):
    """What a browser sends from the area page's form: the hidden token, the checked radio
    of every question and checkbox, every note; disabled fields are not sent."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, str] = {}
        self.inside = False
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and "assessment-form" in (attributes.get("class") or ""):
            self.inside = True
        if not self.inside or "disabled" in attributes:
            return
        if tag == "input":
            kind, value = attributes.get("type", "text"), attributes.get("value")
            if kind in ("radio", "checkbox"):
                if "checked" in attributes:
                    self.fields[attributes["name"]] = "on" if value is None else value
            else:
                self.fields[attributes["name"]] = value or ""
        elif tag == "textarea":
            self.textarea = attributes["name"]
            self.fields[self.textarea] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data):
        if self.inside and self.textarea:
            self.fields[self.textarea] += data


def form_of(page: str) -> dict[str, str]:
    parser = BrowserForm()
    parser.feed(page)
    return parser.fields


def submit_area(client, number: int, area_id: str, changes: dict, go_on: bool = False):
    """Open an area page, change some fields (None unticks a checkbox) and save it as a
    browser would; ``go_on`` presses "Save and go to the next area"."""
    with client.get(area_url(number, area_id)) as page:
        assert page.status_code == 200, text_of(page)
        fields = form_of(text_of(page))
    for name, value in changes.items():
        if value is None:
            fields.pop(name, None)
        else:
            fields[name] = value
    if go_on:
        fields["next"] = "1"
    return client.post(area_url(number, area_id), data=fields)


# --- observing -------------------------------------------------------------------------

def stored_answers(app, number: int) -> dict[str, tuple[str | None, str | None]]:
    """The answer rows of an assessment: question id -> (value, evidence note)."""
    with app.app_context():
        return {row.question_id: (row.value, row.evidence) for row in db.session.scalars(
            select(AssessmentAnswer).where(AssessmentAnswer.assessment_id == number))}


def stored_values(app, number: int) -> dict[str, str]:
    return {question_id: value for question_id, (value, _note)
            in stored_answers(app, number).items() if value is not None}


def assessment_state(app, number: int) -> dict:
    with app.app_context():
        assessment = db.session.get(Assessment, number)
        return {"status": assessment.status, "not_applicable": list(assessment.not_applicable),
                "snapshot": assessment.snapshot, "finalised_on": assessment.finalised_on}


def audit_entries(app, action: str) -> list[dict]:
    with app.app_context():
        return [{"actor": entry.actor_id, "institution": entry.institution_id,
                 "detail": entry.detail}
                for entry in db.session.scalars(select(AuditEntry).where(
                    AuditEntry.action == action).order_by(AuditEntry.id))]


def ids_of(app, email: str, slug: str) -> tuple[int, int]:
    with app.app_context():
        return find_user(email).id, find_institution(slug).id


def section(page: str, heading_id: str) -> str:
    """The HTML of the page's section labelled by ``heading_id``."""
    found = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', page, re.S)
    assert found, f"no section {heading_id}"
    return found.group(1)


def shown(message: str, language: str) -> str:
    """A message as a page in ``language`` shows it: translated once the catalogue has it,
    HTML-escaped."""
    found = _catalogue(language).get(message)
    return str(escape(found.string if found is not None and found.string else message))


def flashed(client, response) -> str:
    """The page a redirect leads to (where its flashed message shows)."""
    assert response.status_code == 302, text_of(response)
    with client.get(response.headers["Location"]) as page:
        return text_of(page)


# --- starting and answering over several sittings ----------------------------------------

def test_officer_starts_a_risk_assessment_and_answers_it_over_several_sittings(seeded):
    questionnaire = risk_questionnaire()
    procurement, permits = questionnaire.areas[0], questionnaire.areas[1]
    officer = signed_in(seeded)

    started = officer.post("/staff/i/utena/assessments", data={
        "csrf_token": staff_csrf_token(officer), "questionnaire": f"{RISK}:1"})
    assert started.status_code == 302
    number = int(re.search(r"/assessments/(\d+)$", started.headers["Location"]).group(1))
    state = assessment_state(seeded, number)
    assert (state["status"], state["snapshot"]) == (AssessmentStatus.DRAFT, None)
    assert [entry["detail"]["assessment"] for entry
            in audit_entries(seeded, "assessment_started")] == [number]

    # First sitting: likelihood and impact of procurement.
    saved = submit_area(officer, number, "procurement", {
        "procurement.likelihood": "4", "procurement.impact": "3"})
    assert saved.status_code == 302
    assert saved.headers["Location"].endswith(base(number))  # back to the overview
    assert stored_values(seeded, number) == {"procurement.likelihood": "4",
                                             "procurement.impact": "3"}
    with officer.get(base(number)) as overview:
        assert f"2 of {len(procurement.questions)}" in text_of(overview)

    # Second sitting, another day, signed in afresh: the answers are there, checked.
    officer = signed_in(seeded)
    with officer.get(area_url(number, "procurement")) as page:
        html = text_of(page)
    assert re.search(r'id="procurement-likelihood-4" name="procurement\.likelihood" '
                     r'value="4" checked', html)
    assert re.search(r'id="procurement-impact-3" name="procurement\.impact" value="3" checked',
                     html)
    assert re.search(r'id="procurement-factor-complexity-none"[^>]*value="" checked', html)

    # The factors, a changed impact, and a likelihood taken back ("Not answered yet").
    factors = {question.id: "1" for question in procurement.with_role("factor")}
    moved_on = submit_area(officer, number, "procurement", {
        **factors, "procurement.impact": "5", "procurement.likelihood": ""}, go_on=True)
    assert moved_on.status_code == 302
    assert moved_on.headers["Location"].endswith(area_url(number, permits.id))
    assert stored_values(seeded, number) == {**factors, "procurement.impact": "5"}
    assert stored_answers(seeded, number)["procurement.likelihood"] == (None, None)

    with officer.get(base(number)) as overview:
        page = text_of(overview)
    assert f"{1 + len(factors)} of {len(procurement.questions)}" in page
    assert f"0 of {len(permits.questions)}" in page
    with officer.get(area_url(number, "procurement")) as again:
        assert re.search(r'id="procurement-likelihood-none"[^>]*value="" checked',
                         text_of(again))


def test_save_and_continue_on_the_last_area_returns_to_the_overview(seeded):
    number = prepared(seeded)
    last = risk_questionnaire().areas[-1]
    officer = signed_in(seeded)

    response = submit_area(officer, number, last.id, {f"{last.id}.likelihood": "2"}, go_on=True)

    assert response.headers["Location"].endswith(base(number))
    assert stored_values(seeded, number) == {f"{last.id}.likelihood": "2"}


def test_starting_with_a_questionnaire_not_offered_is_refused(seeded):
    officer = signed_in(seeded)

    response = officer.post("/staff/i/utena/assessments", data={
        "csrf_token": staff_csrf_token(officer), "questionnaire": "staff-survey:1"})

    assert response.status_code == 400
    with seeded.app_context():
        assert db.session.scalars(select(Assessment)).all() == []


def test_invalid_answers_are_named_and_every_other_answer_is_saved(seeded):
    number = prepared(seeded)
    questionnaire = risk_questionnaire()
    procurement = questionnaire.area("procurement")
    officer = signed_in(seeded)
    assert submit_area(officer, number, "procurement",
                       {"procurement.likelihood": "3"}).status_code == 302
    controls = [question.id for question in procurement.with_role("control")]

    response = submit_area(officer, number, "procurement", {
        "procurement.likelihood": "7",  # not on the scale: keeps the earlier 3
        "procurement.impact": "<script>",
        "procurement.factor.complexity": "2",
        controls[0]: "4",
        f"{controls[0]}.evidence": "Procurement plan 2025, published 2 February.",
        "procurement.nonsense": "1",  # unknown fields are ignored
        "permits.likelihood": "5",  # another area's question is not this page's
    })

    assert response.status_code == 400
    page = text_of(response)
    assert "Some answers were not saved" in page
    for question_id in ("procurement.likelihood", "procurement.impact"):
        legend = escape(questionnaire.question(question_id).text["en"])
        error_id = f"{question_id.replace('.', '-')}-error"
        assert re.search(rf'<fieldset class="field question has-error" aria-describedby="'
                         rf'[^"]*{error_id}">\s*<legend>{re.escape(str(legend))}</legend>'
                         rf'(?:(?!</fieldset>).)*<p class="error" id="{error_id}">'
                         r"Choose one of the answers\.</p>", page, re.S), question_id
    assert page.count("Choose one of the answers.") == 2
    assert "<script>" not in page
    assert stored_answers(seeded, number) == {
        "procurement.likelihood": ("3", None),
        "procurement.factor.complexity": ("2", None),
        controls[0]: ("4", "Procurement plan 2025, published 2 February."),
    }
    # The page shows what is saved: the valid answers checked, the note kept.
    assert re.search(rf'id="{controls[0].replace(".", "-")}-4"[^>]*checked', page)
    assert "Procurement plan 2025, published 2 February.</textarea>" in page

    # In the other languages the same refusal is explained in that language.
    impact = questionnaire.question("procurement.impact")
    for language in ("lt", "nb"):
        fields = {**form_of(page), "procurement.impact": "9"}
        refused = officer.post(f"{area_url(number, 'procurement')}?lang={language}",
                               data=fields)
        assert refused.status_code == 400, language
        translated = text_of(refused)
        assert re.search(rf"<legend>{re.escape(str(escape(impact.text[language])))}</legend>"
                         rf'(?:(?!</fieldset>).)*<p class="error" id="procurement-impact-error">'
                         rf"{re.escape(shown('Choose one of the answers.', language))}</p>",
                         translated, re.S), language
    assert stored_values(seeded, number)["procurement.factor.complexity"] == "2"


def test_evidence_notes_are_kept_to_2000_characters_and_shown_escaped(seeded):
    number = prepared(seeded, profiles={"procurement": LOW}, rest_not_applicable=True)
    controls = [q.id for q in risk_questionnaire().area("procurement").with_role("control")]
    officer = signed_in(seeded)

    response = submit_area(officer, number, "procurement", {
        f"{controls[0]}.evidence": f"{SCRIPT} Decision 12/2025",
        f"{controls[1]}.evidence": "x" * 2500})

    assert response.status_code == 302
    stored = stored_answers(seeded, number)
    assert stored[controls[0]][1] == f"{SCRIPT} Decision 12/2025"
    assert stored[controls[1]][1] == "x" * 2000
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt; Decision 12/2025"
    for path in (area_url(number, "procurement"), f"{base(number)}/report"):
        with officer.get(path) as page:
            html = text_of(page)
        assert page.status_code == 200, path
        assert escaped in html, path
        assert "<script>alert" not in html, path
    with officer.get(f"{base(number)}/report") as report:
        note = re.search(r"Evidence: (x+)</span>", text_of(report)).group(1)
    assert len(note) == 2000


# --- not applicable --------------------------------------------------------------------

def test_an_area_marked_not_applicable_leaves_the_result_until_unmarked(seeded):
    number = prepared(seeded, profiles={"procurement": HIGH, "permits": MEDIUM})
    officer = signed_in(seeded)
    with officer.get(f"{base(number)}/results") as before:
        assert "<strong>15.3</strong> / 25" in text_of(before)  # (25.0 + 5.6) / 2

    marked = submit_area(officer, number, "procurement", {"not_applicable": "1"})

    assert marked.status_code == 302
    assert assessment_state(seeded, number)["not_applicable"] == ["procurement"]
    assert len(stored_values(seeded, number)) == 24  # the answers stay, only left out
    with officer.get(f"{base(number)}/results") as excluded:
        page = text_of(excluded)
    assert "<strong>5.6</strong> / 25" in page
    assert re.search(r"1\. Public procurement</th>\s*<td colspan=\"7\">Not applicable</td>",
                     page)
    with officer.get(base(number)) as overview:
        assert re.search(r"Public procurement</a></td>\s*<td>Not applicable</td>",
                         text_of(overview))
    with officer.get(area_url(number, "procurement")) as area_page:
        assert 'name="not_applicable" value="1" checked' in text_of(area_page)

    restored = submit_area(officer, number, "procurement", {"not_applicable": None})

    assert restored.status_code == 302
    assert assessment_state(seeded, number)["not_applicable"] == []
    with officer.get(f"{base(number)}/results") as after:
        assert "<strong>15.3</strong> / 25" in text_of(after)


# --- finalising ------------------------------------------------------------------------

def test_an_officer_cannot_finalise(seeded):
    number = prepared(seeded, profiles={"procurement": LOW}, rest_not_applicable=True)
    officer = signed_in(seeded)
    with officer.get(base(number)) as overview:
        page = text_of(overview)
    assert "Finalise the assessment" not in page
    assert "An institution admin finalises the assessment" in page

    response = officer.post(f"{base(number)}/finalise",
                            data={"csrf_token": staff_csrf_token(officer)})

    assert response.status_code == 404
    state = assessment_state(seeded, number)
    assert (state["status"], state["snapshot"]) == (AssessmentStatus.DRAFT, None)
    assert audit_entries(seeded, "assessment_finalised") == []


def test_finalising_with_unanswered_areas_lists_them_and_changes_nothing(seeded):
    questionnaire = risk_questionnaire()
    number = prepared(seeded, profiles={"procurement": LOW, "permits": MEDIUM})
    with seeded.app_context():  # half of inspections answered
        inspections = questionnaire.area("inspections")
        save_area(db.session.get(Assessment, number), "inspections",
                  dict(list(profile_answers(inspections, *LOW).items())[:6]),
                  find_user(ADMIN))
    admin = signed_in(seeded, ADMIN)

    response = admin.post(f"{base(number)}/finalise",
                          data={"csrf_token": staff_csrf_token(admin)})

    assert response.headers["Location"].endswith(base(number))
    page = flashed(admin, response)
    unfinished = [area.title["en"] for area in questionnaire.areas[2:]]
    listed = re.search(r"Answer every question first \(or mark an area as not applicable\): "
                       r"([^<]*)\.", page)
    assert listed and unescape(listed.group(1)).split(", ") == unfinished
    state = assessment_state(seeded, number)
    assert (state["status"], state["snapshot"], state["finalised_on"]) == (
        AssessmentStatus.DRAFT, None, None)
    assert audit_entries(seeded, "assessment_finalised") == []


def test_a_final_assessment_is_frozen(seeded):
    number = prepared(seeded, profiles={"procurement": HIGH, "permits": LOW},
                      rest_not_applicable=True)
    answers = stored_values(seeded, number)
    admin = signed_in(seeded, ADMIN)

    response = admin.post(f"{base(number)}/finalise",
                          data={"csrf_token": staff_csrf_token(admin)})

    assert response.headers["Location"].endswith(f"{base(number)}/results")
    assert "The assessment is final. Its result will not change any more." in flashed(
        admin, response)
    state = assessment_state(seeded, number)
    assert state["status"] == AssessmentStatus.FINAL
    assert state["finalised_on"] is not None
    snapshot = state["snapshot"]
    assert {key: str(value) for key, value in snapshot["answers"].items()} == answers
    assert sorted(snapshot["not_applicable"]) == sorted(
        area.id for area in risk_questionnaire().areas[2:])
    assert snapshot["result"]["overall"] == "14.2"  # (25.0 + 3.3) / 2, rounded half up
    admin_id, utena_id = ids_of(seeded, ADMIN, "utena")
    assert audit_entries(seeded, "assessment_finalised") == [{
        "actor": admin_id, "institution": utena_id,
        "detail": {"assessment": number, "questionnaire": RISK, "version": 1}}]
    with admin.get(f"{base(number)}/results") as results:
        page = text_of(results)
    figures = [section(page, heading) for heading in ("summary-heading", "areas-heading")]
    assert "This is a draft" not in page

    # Answers sent afterwards change nothing, and the page says why.
    late = admin.post(area_url(number, "procurement"), data={
        "csrf_token": staff_csrf_token(admin), "procurement.likelihood": "1",
        "procurement.impact": "1", "not_applicable": "1"})
    assert "This assessment is final: its answers can no longer change." in flashed(admin, late)
    assert stored_values(seeded, number) == answers
    assert assessment_state(seeded, number)["snapshot"] == snapshot
    with admin.get(area_url(number, "procurement")) as area_page:
        html = text_of(area_page)
    assert "This assessment is final: its answers can no longer change." in html
    assert 'value="5" checked disabled' in html
    assert "Save and go to the next area" not in html
    with admin.get(base(number)) as overview:
        assert "Finalise the assessment" not in text_of(overview)
    again = admin.post(f"{base(number)}/finalise", data={"csrf_token": staff_csrf_token(admin)})
    assert "This assessment is already final." in flashed(admin, again)
    assert len(audit_entries(seeded, "assessment_finalised")) == 1

    # Even the stored answers changed behind the application's back move nothing.
    with seeded.app_context():
        db.session.execute(update(AssessmentAnswer).where(
            AssessmentAnswer.assessment_id == number).values(value="1"))
        db.session.commit()
    with admin.get(f"{base(number)}/results") as results:
        page = text_of(results)
    assert [section(page, heading) for heading in ("summary-heading", "areas-heading")] \
        == figures
    assert "<dd><strong>14.2</strong> / 25" in figures[0]
    assert "<td><strong>25.0</strong></td>" in figures[1]


# --- the result ------------------------------------------------------------------------

def test_results_show_the_overall_score_the_worst_area_a_heat_map_and_ranked_advice(seeded):
    # In the questionnaire: procurement, permits, inspections. By residual risk: permits,
    # inspections, procurement.
    number = prepared(seeded, profiles={"procurement": LOW, "permits": HIGH,
                                        "inspections": MEDIUM})
    questionnaire = risk_questionnaire()
    with seeded.app_context():
        result = result_of(db.session.get(Assessment, number))
    scored = sorted(result.scored, key=lambda area: -area.residual)
    assert [(area.area_id, area.residual) for area in scored] == [
        ("permits", Decimal("25.0")), ("inspections", Decimal("5.6")),
        ("procurement", Decimal("3.3"))]
    assert result.overall == Decimal("11.3")  # (25.0 + 5.6 + 3.3) / 3
    officer = signed_in(seeded)

    with officer.get(f"{base(number)}/results") as response:
        page = text_of(response)

    assert response.status_code == 200
    summary = section(page, "summary-heading")
    assert "<dd><strong>11.3</strong> / 25 · High</dd>" in summary
    assert re.search(r"Highest-risk area</dt>\s*<dd><strong>Permits and licences</strong>: "
                     r"25\.0 / 25 · Very high\.", summary)
    heat = section(page, "heat-heading")
    assert re.search(r'<svg [^>]*role="img"', heat)
    assert heat.count('role="img"') == 2  # the heat map and the bars
    assert "This is a draft" in page

    advice = section(page, "advice-heading")
    titles = [unescape(title) for title in re.findall(r"<li>\s*<p><strong>([^<]+)</strong> ·",
                                                        advice)]
    expected = [questionnaire.area(area.area_id).title["en"] for area in scored]
    assert list(dict.fromkeys(titles)) == expected  # highest residual risk first
    assert titles == sorted(titles, key=expected.index)  # each area's advice together

    link = unescape(re.search(r'<a href="(/staff/i/utena/action-plan\?[^"]+)">'
                              r"Add to the action plan", advice).group(1))
    with officer.get(link) as plan:
        form = text_of(plan)
    advice_text = first_advice_text(questionnaire, "permits")
    assert str(escape(advice_text)) in advice
    assert f'value="{escape(advice_text[:300])}"' in form
    assert f'<option selected value="{RISK}:permits">' in form


def first_advice_text(questionnaire, area_id: str) -> str:
    """The first recommendation an area's answers (controls at 0) call for, in English."""
    ranked = sorted((question for question in questionnaire.area(area_id).questions
                     if question.recommendation_for(0) is not None),
                    key=lambda question: -question.weight)
    return ranked[0].recommendation_for(0).text["en"]


def test_the_printable_report_carries_the_result_answers_and_methods(seeded):
    number = prepared(seeded, profiles={"procurement": MEDIUM}, rest_not_applicable=True)
    questionnaire = risk_questionnaire()
    officer = signed_in(seeded)

    with officer.get(f"{base(number)}/report") as response:
        page = text_of(response)

    assert response.status_code == 200
    assert "<strong>5.6</strong> / 25" in page
    assert "Add to the action plan" not in page
    likelihood = questionnaire.question("procurement.likelihood")
    assert str(escape(likelihood.scale.label(3)["en"])) in page
    assert all(str(escape(method.name["en"])) in page
               for method in questionnaire.methods.values())


# --- exports ---------------------------------------------------------------------------

def test_csv_export_has_a_row_per_area_and_an_overall_row_and_is_audited(seeded,
                                                                         monkeypatch):
    number = prepared(seeded, profiles={"procurement": HIGH, "permits": LOW},
                      rest_not_applicable=True, final=True)
    questionnaire = risk_questionnaire()
    officer = signed_in(seeded)

    with officer.get(f"{base(number)}/export.csv") as response:
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        assert response.headers["Content-Disposition"] == (
            f"attachment; filename=skaidra-utena-assessment-{number}.csv")
        rows = list(csv.reader(io.StringIO(text_of(response))))

    assert rows[0] == list(RISK_COLUMNS)
    assert [row[0] for row in rows[1:]] == [area.id for area in questionnaire.areas] + [
        "overall"]
    assert rows[1] == ["procurement", "Public procurement", "yes", "5", "5", "1.00", "25.0",
                       "0.00", "25.0", "very-high"]
    assert rows[3][:3] == ["inspections", "Inspections and enforcement", "no"]
    assert rows[-1][-2:] == ["14.2", "high"]
    officer_id, utena_id = ids_of(seeded, OFFICER, "utena")
    assert audit_entries(seeded, "exported") == [{
        "actor": officer_id, "institution": utena_id,
        "detail": {"what": "assessment:csv", "assessment": number}}]

    # A title a spreadsheet would read as a formula (a future translation) stays text.
    monkeypatch.setattr("app.services.assessment.export.localized",
                        lambda text, language: "=HYPERLINK(\"http://evil.example\")")
    with officer.get(f"{base(number)}/export.csv") as response:
        hostile = list(csv.reader(io.StringIO(text_of(response))))
    assert {row[1] for row in hostile[1:-1]} == {"'=HYPERLINK(\"http://evil.example\")"}


def test_json_export_holds_answers_evidence_and_the_result_and_is_audited(seeded):
    number = prepared(seeded, profiles={"procurement": MEDIUM})
    control = risk_questionnaire().area("procurement").with_role("control")[0].id
    with seeded.app_context():
        assessment = db.session.get(Assessment, number)
        save_area(assessment, "procurement", {
            **profile_answers(risk_questionnaire().area("procurement"), *MEDIUM),
            f"{control}.evidence": "Procurement plan 2025"}, find_user(ADMIN))
    officer = signed_in(seeded)

    with officer.get(f"{base(number)}/export.json") as response:
        assert response.status_code == 200
        assert response.mimetype == "application/json"
        assert response.headers["Content-Disposition"] == (
            f"attachment; filename=skaidra-utena-assessment-{number}.json")
        exported = json.loads(text_of(response))

    assert exported["institution"] == "utena"
    assert exported["status"] == "draft"
    assert exported["questionnaire"] == RISK
    assert exported["answers"]["procurement.likelihood"] == 3
    assert exported["answers"][control] == 2
    assert len(exported["answers"]) == 12
    assert exported["evidence"] == {control: "Procurement plan 2025"}
    assert exported["result"]["overall"] == "5.6"
    assert exported["result"]["areas"][0]["residual"] == "5.6"
    assert [entry["detail"] for entry in audit_entries(seeded, "exported")] == [
        {"what": "assessment:json", "assessment": number}]


# --- checklist -------------------------------------------------------------------------

def half_up(value: Fraction) -> Decimal:
    """Two places, rounded half up as docs/assessment.md says."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_checklist_result_shows_the_resilience_index_with_its_band_leaving_out_na(seeded):
    questionnaire = current(CHECKLIST)
    assert questionnaire is not None, "app/data/questionnaires/integrity-checklist/1.yaml"
    first = questionnaire.areas[0]
    answers = {question.id: "yes" for question in questionnaire.questions}
    answers[first.questions[0].id] = "no"
    answers[first.questions[1].id] = NOT_APPLICABLE
    answers[first.questions[2].id] = "partly"
    number = prepared_checklist(seeded, answers)

    def index(questions) -> Decimal:
        pairs = [(Fraction(str(q.weight)), CHECKLIST_SCORES[answers[q.id]])
                 for q in questions if answers[q.id] != NOT_APPLICABLE]
        return half_up(sum(w * s for w, s in pairs) / sum(w for w, _s in pairs))

    overall, section_index = index(questionnaire.questions), index(first.questions)
    counted_as_no = sum(Fraction(str(q.weight)) * CHECKLIST_SCORES.get(answers[q.id], 0)
                        for q in first.questions) / sum(Fraction(str(q.weight))
                                                         for q in first.questions)
    assert section_index != half_up(counted_as_no)
    with seeded.app_context():
        result = result_of(db.session.get(Assessment, number))
    officer = signed_in(seeded)

    with officer.get(f"{base(number)}/results") as response:
        page = text_of(response)

    assert response.status_code == 200
    assert (result.index, result.sections[0].index) == (overall, section_index)
    summary = section(page, "summary-heading")
    with seeded.test_request_context("/?lang=en"):
        band = str(RESILIENCE_BANDS[result.band])
    assert f"<dd><strong>{overall}</strong> · {band}</dd>" in summary
    assert re.search(rf"Weakest section</dt><dd><strong>{re.escape(first.title['en'])}"
                     rf"</strong>: {section_index} · ", summary)
    sections = section(page, "areas-heading")
    assert re.search(rf"<th scope=\"row\">{re.escape(str(escape(first.title['en'])))}</th>"
                     rf"<td>{len(first.questions)}</td><td>{len(first.questions) - 1}</td>\s*"
                     rf"<td>{section_index}</td>", sections)
    with officer.get(area_url(number, first.id)) as area_page:
        html = text_of(area_page)
    assert 'name="not_applicable"' not in html  # checklist items say "na" themselves
    assert re.search(rf'name="{re.escape(first.questions[1].id)}" value="na" checked', html)


# --- trend and network -----------------------------------------------------------------

def test_two_final_risk_assessments_show_a_trend_with_both_dates(seeded, monkeypatch):
    last_year = date(2025, 3, 14)
    monkeypatch.setattr("app.services.assessment.lifecycle.today", lambda: last_year)
    earlier = prepared(seeded, profiles={"procurement": HIGH}, rest_not_applicable=True,
                       final=True)
    monkeypatch.undo()
    later = prepared(seeded, profiles={"procurement": MEDIUM}, rest_not_applicable=True,
                     final=True)
    this_day = assessment_state(seeded, later)["finalised_on"]
    assert assessment_state(seeded, earlier)["finalised_on"] == last_year
    officer = signed_in(seeded)

    with officer.get(f"{base(later)}/results") as response:
        trend = section(text_of(response), "trend-heading")

    days = re.findall(r'<th scope="col">([^<]+)</th>', trend)
    assert days == ["Area", format_date(last_year, "medium", locale="en"),
                    format_date(this_day, "medium", locale="en")]
    assert re.search(r'<th scope="row">Overall</th><td>25\.0</td><td>5\.6</td>', trend)
    assert re.search(r'<th scope="row">Public procurement</th><td>25\.0</td><td>5\.6</td>',
                     trend)


def test_one_final_assessment_shows_no_trend(seeded):
    number = prepared(seeded, profiles={"procurement": LOW}, rest_not_applicable=True,
                      final=True)
    officer = signed_in(seeded)
    with officer.get(f"{base(number)}/results") as response:
        assert "Trend across final assessments" not in text_of(response)


def test_the_network_median_appears_from_three_institutions(seeded):
    utena = prepared(seeded, "utena", {"procurement": HIGH}, rest_not_applicable=True,
                     final=True)
    prepared(seeded, "birzai", {"procurement": MEDIUM}, rest_not_applicable=True, final=True)
    prepared(seeded, "prienai", {"procurement": LOW}, rest_not_applicable=True)  # a draft
    officer = signed_in(seeded)
    with officer.get(f"{base(utena)}/results") as response:
        page = text_of(response)
    assert ("The network median appears once at least three institutions have a final "
            "result of this questionnaire.") in page
    assert "Network median" not in page

    prepared(seeded, "prienai", {"procurement": LOW}, rest_not_applicable=True, final=True)
    middle = median([Decimal("25.0"), Decimal("5.6"), Decimal("3.3")])
    with officer.get(f"{base(utena)}/results") as response:
        page = text_of(response)

    assert "The network median appears once" not in page
    assert re.search(rf"Network median \(3 institutions\)</dt>\s*<dd>{middle} / 25</dd>",
                     page)
    assert re.search(rf"1\. Public procurement</th>.*?<td>{middle}</td>\s*</tr>",
                     section(page, "areas-heading"), re.S)


# --- action plan -----------------------------------------------------------------------

def plan_url(slug: str = "utena") -> str:
    return f"/staff/i/{slug}/action-plan"


def plan_items(app, slug: str = "utena") -> list[tuple]:
    with app.app_context():
        return [(item.title, item.owner_role, item.due_on, item.status)
                for item in db.session.scalars(select(ActionItem).where(
                    ActionItem.institution_id == find_institution(slug).id)
                    .order_by(ActionItem.id))]


def test_a_measure_is_added_and_moved_on(seeded):
    officer = signed_in(seeded)
    token = staff_csrf_token(officer)

    added = officer.post(plan_url(), data={
        "csrf_token": token, "title": "Publish the procurement plan",
        "owner_role": "head of procurement", "due_on": "2027-03-31",
        "area": f"{RISK}:procurement"})

    assert added.headers["Location"].endswith(plan_url())
    page = flashed(officer, added)
    assert "The measure is in the action plan." in page
    risk_title = risk_questionnaire().title["en"]
    assert re.search(r'<th scope="row">Publish the procurement plan</th>\s*'
                     rf"<td>{re.escape(risk_title)} · Public procurement</td>\s*"
                     r"<td>head of procurement</td>", page)
    assert plan_items(seeded) == [("Publish the procurement plan", "head of procurement",
                                   date(2027, 3, 31), ActionStatus.PLANNED)]
    with seeded.app_context():
        item_id = db.session.scalar(select(ActionItem.id))
    officer_id, utena_id = ids_of(seeded, OFFICER, "utena")
    assert audit_entries(seeded, "action_plan_changed") == [{
        "actor": officer_id, "institution": utena_id,
        "detail": {"item": item_id, "status": "planned"}}]

    moved = officer.post(f"{plan_url()}/{item_id}", data={
        "csrf_token": token, f"item-{item_id}-status": "in_progress",
        f"item-{item_id}-due_on": "2027-06-30"})

    assert "The measure is updated." in flashed(officer, moved)
    assert plan_items(seeded)[0][2:4] == (date(2027, 6, 30), ActionStatus.IN_PROGRESS)
    assert [entry["detail"]["status"] for entry
            in audit_entries(seeded, "action_plan_changed")] == ["planned", "in_progress"]


def test_a_measure_can_be_tied_to_the_areas_with_the_longest_keys(seeded):
    """The longest area keys too (e.g. institutional-risk:confidential-information)."""
    officer = signed_in(seeded)
    token = staff_csrf_token(officer)
    keys = [f"{questionnaire.id}:{area.id}" for questionnaire in
            (risk_questionnaire(), current(CHECKLIST)) for area in questionnaire.areas]
    longest = sorted(keys, key=len, reverse=True)[:2]

    for key in longest:
        response = officer.post(plan_url(), data={
            "csrf_token": token, "title": f"Measure for {key}", "owner_role": "director",
            "area": key})
        assert response.status_code == 302, key

    with officer.get(plan_url()) as plan:
        page = text_of(plan)
    for key in longest:
        questionnaire_id, _sep, area_id = key.partition(":")
        area_title = current(questionnaire_id).area(area_id).title["en"]
        assert re.search(rf'<th scope="row">Measure for {re.escape(key)}</th>\s*'
                         rf"<td>[^<]* · {re.escape(str(escape(area_title)))}</td>", page), key


def test_measure_errors_are_explained_and_keep_what_was_typed(seeded):
    officer = signed_in(seeded)
    token = staff_csrf_token(officer)
    typed = 'Rotate the <b>committee</b> "yearly"'

    bad_date = officer.post(plan_url(), data={
        "csrf_token": token, "title": typed, "owner_role": "mayor's office",
        "due_on": "31.03.2027", "area": ""})

    assert bad_date.status_code == 400
    page = text_of(bad_date)
    assert "Enter the date as year-month-day, e.g. 2027-03-31." in page
    assert f'value="{escape(typed)}"' in page
    assert "<b>committee</b>" not in page

    no_title = officer.post(plan_url(), data={
        "csrf_token": token, "title": "  ", "owner_role": "head of procurement"})

    assert no_title.status_code == 400
    assert "Describe the measure." in text_of(no_title)
    assert plan_items(seeded) == []
    assert audit_entries(seeded, "action_plan_changed") == []

    officer.post(plan_url(), data={"csrf_token": token, "title": typed,
                                   "owner_role": "mayor's office"})
    with officer.get(plan_url()) as plan:
        listed = text_of(plan)
    assert f'<th scope="row">{escape(typed)}</th>' in listed
    assert "<b>committee</b>" not in listed
    assert plan_items(seeded)[0][0] == typed

    with seeded.app_context():
        item_id = db.session.scalar(select(ActionItem.id))
    bad_update = officer.post(f"{plan_url()}/{item_id}", data={
        "csrf_token": token, f"item-{item_id}-status": "done",
        f"item-{item_id}-due_on": "tomorrow"})
    assert bad_update.status_code == 400
    assert "Enter the date as year-month-day, e.g. 2027-03-31." in text_of(bad_update)
    in_norwegian = officer.post(f"{plan_url()}?lang=nb", data={
        "csrf_token": token, "title": typed, "owner_role": "director", "due_on": "31.03."})
    assert in_norwegian.status_code == 400
    assert shown("Enter the date as year-month-day, e.g. 2027-03-31.", "nb") in text_of(
        in_norwegian)
    assert plan_items(seeded)[0][2:4] == (None, ActionStatus.PLANNED)


def test_another_institutions_measure_is_not_found(seeded):
    with seeded.app_context():
        birzai_item = add_action(find_institution("birzai"), find_user(f"admin.birzai@{DOMAIN}"),
                                 "Birzai's own measure", "director", None).id
    officer = signed_in(seeded)
    token = staff_csrf_token(officer)

    for path in (f"{plan_url()}/{birzai_item}", f"{plan_url('birzai')}/{birzai_item}"):
        response = officer.post(path, data={"csrf_token": token,
                                            f"item-{birzai_item}-status": "dropped"})
        assert response.status_code == 404, path

    assert plan_items(seeded, "birzai") == [("Birzai's own measure", "director", None,
                                             ActionStatus.PLANNED)]
    with officer.get(plan_url()) as plan:
        assert "Birzai&#39;s own measure" not in text_of(plan)


# --- who may -----------------------------------------------------------------------------

def assessment_pages(number: int, slug: str = "utena") -> list[str]:
    return [f"/staff/i/{slug}/assessments", base(number, slug),
            area_url(number, "procurement", slug), f"{base(number, slug)}/results",
            f"{base(number, slug)}/report", f"{base(number, slug)}/export.csv",
            f"{base(number, slug)}/export.json", plan_url(slug),
            f"/staff/i/{slug}/survey-results"]


@pytest.mark.parametrize("email", [BIRZAI_OFFICER, ANALYST, PLATFORM_ADMIN])
def test_staff_outside_the_institution_get_404_on_its_assessments(seeded, email):
    number = prepared(seeded, profiles={"procurement": HIGH})
    answers = stored_values(seeded, number)
    outsider = signed_in(seeded, email)
    token = staff_csrf_token(outsider)

    for path in assessment_pages(number):
        with outsider.get(path) as response:
            assert response.status_code == 404, path
    for path, fields in ((area_url(number, "procurement"), {"procurement.likelihood": "1"}),
                         (f"{base(number)}/finalise", {}), ("/staff/i/utena/assessments",
                                                            {"questionnaire": f"{RISK}:1"}),
                         (plan_url(), {"title": "Outside", "owner_role": "outsider"})):
        response = outsider.post(path, data={"csrf_token": token, **fields})
        assert response.status_code == 404, path

    assert stored_values(seeded, number) == answers
    assert assessment_state(seeded, number)["status"] == AssessmentStatus.DRAFT
    assert plan_items(seeded) == []
    assert audit_entries(seeded, "exported") == []
    with seeded.app_context():
        assert len(db.session.scalars(select(Assessment)).all()) == 1


def test_an_assessment_of_another_institution_is_not_found_at_ones_own_address(seeded):
    birzai = prepared(seeded, "birzai", {"procurement": HIGH})
    officer = signed_in(seeded)

    for path in (base(birzai), area_url(birzai, "procurement"), f"{base(birzai)}/results",
                 f"{base(birzai)}/export.json"):
        with officer.get(path) as response:
            assert response.status_code == 404, path
    with officer.get(area_url(prepared(seeded), "no-such-area")) as response:
        assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(seeded):
    number = prepared(seeded)
    visitor = seeded.test_client()

    for path in assessment_pages(number):
        with visitor.get(path) as response:
            assert response.status_code == 302, path
            assert response.headers["Location"].startswith("/staff/login"), path


def test_saving_an_area_without_a_csrf_token_is_refused_and_saves_nothing(seeded):
    number = prepared(seeded)
    officer = signed_in(seeded)

    response = officer.post(area_url(number, "procurement"), data={
        "procurement.likelihood": "4", "procurement.impact": "4", "not_applicable": "1"})

    assert response.status_code == 400
    assert "The form has expired" in text_of(response)
    assert stored_answers(seeded, number) == {}
    assert assessment_state(seeded, number)["not_applicable"] == []


# --- languages -------------------------------------------------------------------------

def test_the_area_page_speaks_the_chosen_language(seeded):
    number = prepared(seeded)
    question = risk_questionnaire().question("procurement.likelihood")
    area = risk_questionnaire().area("procurement")
    officer = signed_in(seeded)

    for language in ("en", "nb", "lt"):
        with officer.get(f"{area_url(number, 'procurement')}?lang={language}") as response:
            page = text_of(response)
        assert str(escape(question.text[language])) in page, language
        assert f"<h1>{escape(area.title[language])}</h1>" in page, language
        assert str(escape(question.scale.label(5)[language])) in page, language
        others = [text for code, text in question.text.items() if code != language]
        assert not any(str(escape(text)) in page for text in others), language
