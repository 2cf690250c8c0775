"""The anonymous staff survey and the quick self-check.

A response is stored with its institution, questionnaire version and year and nothing else;
the respondent's own result page is made from their request alone; staff see figures only
from five responses (and a question's figure only from five answers); the quick self-check
stores nothing unless the person chooses to contribute.
"""

import html
import json
import logging
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from sqlalchemy import MetaData, Table, inspect, select

from app.extensions import db
from app.languages import LANGUAGES
from app.models import SurveyResponse
from app.services.accounts.users import find_user
from app.services.administration.institutions import find_institution
from app.services.assessment.lifecycle import finalise, save_area, start_assessment
from app.services.assessment.questionnaires import current, localized
from app.services.assessment.surveys import record_response
from app.services.demo.network import DEMO_DOMAIN
from tests.helpers import catalogue_translation, count, seed, staff_sign_in, text_of

SURVEY = current("staff-survey")
RISK = current("institutional-risk")
OFFICER = f"officer1.utena@{DEMO_DOMAIN}"
ADMIN = f"admin.utena@{DEMO_DOMAIN}"
ANALYST = f"analyst@{DEMO_DOMAIN}"

CSRF_FIELD = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
HIDDEN_FIELD = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
HEX_ID = re.compile(r"[0-9a-f]{32}")

# A respondent's answers, with the figures docs/assessment.md's formula gives:
# index = (mean − 1) / 4 × 100, rounded half up to a whole number.
OWN_ANSWERS = {
    "perceived-risk.procurement": "5",
    "tolerance.gift-from-supplier": "2",  # below the advice threshold (3, 4, 5)
    "tolerance.relative-application": "3",
    "tolerance.work-car": "3",  # tolerance mean 8/3: index 41.67 → 42, moderate
    "reporting.confidential-handling": "4",
    "reporting.real-action": "5",  # trust mean 4.5: index 87.5 → 88 (half up)
    "reporting.would-report": "5",  # willingness 100
    "awareness.gift-rules": "no",
}
OWN_STORED = {"perceived-risk.procurement": 5, "tolerance.gift-from-supplier": 2,
              "tolerance.relative-application": 3, "tolerance.work-car": 3,
              "reporting.confidential-handling": 4, "reporting.real-action": 5,
              "reporting.would-report": 5, "awareness.gift-rules": "no"}
# Values the scales lack, and fields the questionnaire does not have: dropped.
INVALID = {
    "tolerance.hiring-friend": "9",
    "tolerance.tender-information": "<b>",
    "tolerance.speed-payment": "0",
    "awareness.internal-channel": "maybe",
    "reporting.manager-protection": "4.5",
    "perceived-risk.permits": " 3",
    "name": "Jonas Jonaitis",
    "perceived-risk.unknown-area": "3",
    "comment": "free text the survey does not have",
}

# Canaries the client sends; none may end up stored or logged.
AGENT = "SkaidraSurveyCanaryAgent/7.3"
FORWARDED = "198.51.100.217"
REMOTE = "192.0.2.149"
ACCEPT_LANGUAGE = "en-GB-x-canarylang, nb;q=0.5"
CANARIES = (AGENT, FORWARDED, REMOTE, "canarylang")

HOSTILE = '"><script>alert("skaidra")</script><img src=x onerror=alert(1)>'
HOSTILE_MARKERS = ("<script>alert", "<img src=x", "onerror=alert")


# -- helpers ---------------------------------------------------------------------------------

def page_of(response) -> str:
    """A response body as text, entities resolved (as a reader sees it)."""
    return html.unescape(text_of(response))


def translated(message: str, language: str) -> str:
    """The catalogue's translation of an English message (English as is)."""
    if language == "en":
        return message
    try:
        found = catalogue_translation(message, language)
    except AttributeError:  # the catalogue lacks the message
        found = None
    assert found, f"no {language} translation of {message!r} in translations/"
    return found


def token_of(client, path: str) -> str:
    with client.get(path) as response:
        assert response.status_code == 200, path
        return CSRF_FIELD.search(text_of(response)).group(1)


def post_survey(client, answers: dict, slug: str = "utena", language: str = "en",
                with_token: bool = True):
    """The survey form posted as a browser without JavaScript does."""
    path = f"/i/{slug}/survey?lang={language}"
    data = dict(answers)
    if with_token:
        data["csrf_token"] = token_of(client, path)
    return client.post(path, data=data)


def self_check(client, answers: dict, language: str = "en"):
    path = f"/self-check?lang={language}"
    return client.post(path, data={"csrf_token": token_of(client, path), **answers})


def contribute(client, fields: dict, language: str = "en"):
    return client.post(f"/self-check/contribute?lang={language}",
                       data={"csrf_token": token_of(client, f"/self-check?lang={language}"),
                             **fields})


def stored(app) -> list[SurveyResponse]:
    with app.app_context():
        rows = list(db.session.scalars(select(SurveyResponse)))
        db.session.expunge_all()
        db.session.remove()
        return rows


def store(app, slug: str, responses: list[dict], year: int | None = None) -> None:
    """Responses added through the service (this year) or as rows of another year."""
    with app.app_context():
        institution = find_institution(slug)
        for answers in responses:
            if year is None:
                assert record_response(institution, SURVEY, answers)
            else:
                db.session.add(SurveyResponse(institution_id=institution.id,
                                              questionnaire_id=SURVEY.id,
                                              version=SURVEY.version, year=year,
                                              answers=answers))
        db.session.commit()
        db.session.remove()


def this_year() -> int:
    return datetime.now(UTC).year


def index_of(values: list[int]) -> Decimal:
    """(mean − 1) / 4 × 100, half up to a whole number, as the documentation says."""
    exact = (Fraction(sum(values), len(values)) - 1) / 4 * 100
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        Decimal(1), rounding=ROUND_HALF_UP)


def _cell(value) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("latin-1")
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    return str(value)


def database_rows(app) -> dict[str, Counter]:
    """Every row of every table (found by reflection), as text, per table."""
    with app.app_context():
        rows = {}
        with db.engine.connect() as connection:
            metadata = MetaData()
            for name in inspect(connection).get_table_names():
                table = Table(name, metadata, autoload_with=connection)
                rows[name] = Counter(tuple(_cell(value) for value in row)
                                     for row in connection.execute(select(table)))
        db.session.remove()
        return rows


def added_rows(before: dict[str, Counter], after: dict[str, Counter]) -> dict[str, Counter]:
    changed = {}
    for name in before.keys() | after.keys():
        added = after.get(name, Counter()) - before.get(name, Counter())
        removed = before.get(name, Counter()) - after.get(name, Counter())
        if added or removed:
            changed[name] = added
            assert not removed, f"rows of {name} changed or vanished"
    return changed


def minutes_between(start: datetime, end: datetime) -> set[str]:
    """Every hour:minute (UTC and local) from start to end."""
    found, moment = set(), start - timedelta(minutes=1)
    while moment <= end + timedelta(minutes=1):
        found.add(moment.strftime("%H:%M"))
        found.add(moment.astimezone().strftime("%H:%M"))
        moment += timedelta(minutes=1)
    return found


def section_of(page: str, year: int) -> str:
    """One year's section of the survey-results page."""
    found = re.search(rf'<section aria-labelledby="year-{year}-{SURVEY.version}">(.*?)'
                      r"</section>", page, re.DOTALL)
    assert found, f"no section for {year}"
    return found.group(1)


def visible_text(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def question_row(section: str, question_id: str, language: str = "en") -> tuple[str, str]:
    """The Answers and Figure cells of one question's row."""
    text = localized(SURVEY.question(question_id).text, language)
    found = re.search(rf'<th scope="row">{re.escape(text)}</th>\s*<td>(.*?)</td>\s*'
                      r"<td>(.*?)</td></tr>", section, re.DOTALL)
    assert found, question_id
    return found.group(1).strip(), found.group(2).strip()


def results_page(client, language: str = "en") -> str:
    with client.get(f"/staff/i/utena/survey-results?lang={language}") as response:
        assert response.status_code == 200
        return page_of(response)


def signed_in(app, email: str = OFFICER):
    client = app.test_client()
    staff_sign_in(client, app, email)
    return client


# -- the form --------------------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path, action", [("/i/utena/survey", "/i/utena/survey"),
                                          ("/self-check", "/self-check")])
def test_form_lists_every_question_with_skip_checked_and_needs_no_script(
        seeded, language, path, action):
    with seeded.test_client().get(f"{path}?lang={language}") as response:
        raw = text_of(response)
    page = html.unescape(raw)
    assert response.status_code == 200
    assert "<script" not in raw  # a plain form: nothing needs JavaScript
    assert f'<form method="post" action="{action}"' in raw
    assert CSRF_FIELD.search(raw)
    assert f'lang="{language}"' in raw
    if path.startswith("/i/"):
        assert localized(SURVEY.title, language) in page
    assert translated("Skip / don't know", language) in page
    for question in SURVEY.questions:
        assert localized(question.text, language) in page, question.id
        for option in question.scale.options:
            assert re.search(rf'name="{re.escape(question.id)}" value="{option.value}">',
                             raw), (question.id, option.value)
            assert localized(option.label, language) in page
        assert re.search(rf'name="{re.escape(question.id)}" value="" checked>', raw), \
            f"{question.id}: skip is not checked by default"
    assert raw.count(" checked>") == len(SURVEY.questions)  # nothing else preselected


# -- storing a response ----------------------------------------------------------------------

def test_a_response_stores_its_valid_answers_and_nothing_about_the_client(seeded, caplog):
    before = database_rows(seeded)
    client = seeded.test_client()
    client.environ_base.update(REMOTE_ADDR=REMOTE, HTTP_USER_AGENT=AGENT,
                               HTTP_X_FORWARDED_FOR=FORWARDED, HTTP_X_REAL_IP=FORWARDED,
                               HTTP_ACCEPT_LANGUAGE=ACCEPT_LANGUAGE)
    second = {"perceived-risk.permits": "2", "awareness.anonymous-reporting": "unsure"}
    started = datetime.now(UTC)
    with caplog.at_level(logging.DEBUG):
        with post_survey(client, {**OWN_ANSWERS, **INVALID}, language="") as response:
            assert response.status_code == 200
        with post_survey(client, second, language="") as response:
            assert response.status_code == 200
    ended = datetime.now(UTC)
    after = database_rows(seeded)

    # Exactly two rows are new, both in survey_response; nothing else was written.
    changed = added_rows(before, after)
    assert set(changed) == {"survey_response"}
    assert sum(changed["survey_response"].values()) == 2

    # The table has the documented columns and no others.
    with seeded.app_context():
        columns = {column["name"] for column in inspect(db.engine).get_columns(
            "survey_response")}
        utena_id = find_institution("utena").id
        db.session.remove()
    assert columns == {"id", "institution_id", "questionnaire_id", "version", "year",
                       "answers"}
    rows = {json.dumps(row.answers, sort_keys=True): row for row in stored(seeded)}
    first = rows[json.dumps(OWN_STORED, sort_keys=True)]  # invalid and unknown: dropped
    other = rows[json.dumps({"perceived-risk.permits": 2,
                             "awareness.anonymous-reporting": "unsure"}, sort_keys=True)]
    for row in (first, other):
        assert HEX_ID.fullmatch(row.id)
        assert not row.id.isdigit()
        assert (row.institution_id, row.questionnaire_id, row.version, row.year) == (
            utena_id, "staff-survey", 1, this_year())
    assert first.id != other.id
    assert abs(int(first.id, 16) - int(other.id, 16)) > 2 ** 64  # no order to be read

    # Nothing of the client anywhere in the database, no time in what was added.
    everything = "\n".join(" ".join(row) for table in after.values() for row in table)
    for canary in CANARIES:
        assert canary.lower() not in everything.lower(), canary
    added = "\n".join(" ".join(row) for row in changed["survey_response"])
    for minute in minutes_between(started, ended):
        assert minute not in added, minute
    assert started.date().isoformat() not in added
    assert ended.date().isoformat() not in added

    # Nor in the logs.
    for record in caplog.records:
        logged = f"{record.getMessage()} {record.args!r} {record.exc_text or ''}".lower()
        for canary in CANARIES:
            assert canary.lower() not in logged, (canary, record.getMessage())


def test_own_result_page_shows_own_figures_and_advice_but_no_link_to_the_row(seeded):
    with post_survey(seeded.test_client(), OWN_ANSWERS) as response:
        raw = text_of(response)
    page = html.unescape(raw)
    assert response.status_code == 200
    assert "Location" not in response.headers  # rendered, not a redirect to a stored page
    tolerance = index_of([2, 3, 3])
    trust = index_of([4, 5])
    willingness = index_of([5])
    assert (tolerance, trust, willingness) == (42, 88, 100)
    assert re.search(rf"<dt>Your tolerance of irregular practices \(0–100\)</dt>"
                     rf"<dd>{tolerance} · Moderate</dd>", page)
    assert f"<dt>Your trust in reporting (0–100)</dt><dd>{trust}</dd>" in page
    assert f"<dt>Your willingness to report (0–100)</dt><dd>{willingness}</dd>" in page
    procurement = localized(SURVEY.question("perceived-risk.procurement").text, "en")
    assert f"{procurement} <strong>Very high</strong>" in page
    for advised in ("tolerance.relative-application", "tolerance.work-car"):
        advice = SURVEY.question(advised).recommendation_for(3)
        assert localized(advice.text, "en") in page, advised
    gift_advice = SURVEY.question("tolerance.gift-from-supplier").recommendations[0]
    assert localized(gift_advice.text, "en") not in page  # answered 2: no advice called for

    [row] = stored(seeded)
    assert row.id not in raw
    assert not HEX_ID.search(raw)
    assert "/self-check/contribute" not in raw  # already stored: nothing more to send


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("answers", [
    {question.id: "" for question in SURVEY.questions},  # every question skipped
    {},
    {"tolerance.work-car": "9", "awareness.gift-rules": "<b>", "name": "Jonas"},
], ids=["skipped", "nothing", "only-invalid"])
def test_an_empty_response_is_refused_and_not_stored(seeded, language, answers):
    with post_survey(seeded.test_client(), answers, language=language) as response:
        page = page_of(response)
    assert response.status_code == 400
    assert translated("Answer at least one question, or close the page to leave without "
                      "answering.", language) in page
    assert count(seeded, SurveyResponse) == 0


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_a_response_without_a_valid_csrf_token_is_refused(seeded, token):
    client = seeded.test_client()
    token_of(client, "/i/utena/survey?lang=lt")  # a session exists, its token is not sent
    data = dict(OWN_ANSWERS) if token is None else {**OWN_ANSWERS, "csrf_token": token}
    with client.post("/i/utena/survey?lang=lt", data=data) as response:
        page = page_of(response)
    assert response.status_code == 400
    assert translated("The form has expired", "lt") in page
    assert count(seeded, SurveyResponse) == 0


def test_a_browser_session_may_answer_only_so_often(make_app):
    app = make_app(SURVEY_SESSION_RATE_LIMIT="2 per hour")
    seed(app)
    client = app.test_client()
    for _answer in range(2):
        with post_survey(client, OWN_ANSWERS, language="nb") as response:
            assert response.status_code == 200
    with post_survey(client, OWN_ANSWERS, language="nb") as response:
        page = page_of(response)
    assert response.status_code == 429
    assert translated("Too many requests", "nb") in page
    assert translated("Too many requests arrived in a short time. Wait a few minutes and "
                      "try again.", "nb") in page
    assert count(app, SurveyResponse) == 2
    # Another browser session has its own allowance (no address is keyed on).
    with post_survey(app.test_client(), OWN_ANSWERS) as response:
        assert response.status_code == 200
    assert count(app, SurveyResponse) == 3


def test_a_flood_from_fresh_sessions_is_capped_per_institution_through_either_door(make_app):
    """New browser sessions cost nothing, so SURVEY_RATE_LIMIT caps one institution's
    responses whether they come through its survey or through the self-check."""
    app = make_app(SURVEY_RATE_LIMIT="2 per hour")
    seed(app)
    for _answer in range(2):
        with post_survey(app.test_client(), OWN_ANSWERS) as response:
            assert response.status_code == 200
    with post_survey(app.test_client(), OWN_ANSWERS) as response:
        assert response.status_code == 429
    with contribute(app.test_client(), {**OWN_ANSWERS, "institution": "utena"}) as response:
        assert response.status_code == 429, "the self-check bypasses SURVEY_RATE_LIMIT"
    assert count(app, SurveyResponse) == 2


# -- the quick self-check --------------------------------------------------------------------

def contribute_fields(raw: str) -> dict[str, str]:
    """The hidden answers of the contribute form."""
    form = re.search(r'<form method="post" action="/self-check/contribute">(.*?)</form>',
                     raw, re.DOTALL)
    assert form, "no contribute form"
    return {name: value for name, value in HIDDEN_FIELD.findall(form.group(1))
            if name != "csrf_token"}


def test_self_check_stores_nothing_and_offers_to_contribute_the_same_answers(seeded):
    before = database_rows(seeded)
    client = seeded.test_client()
    with self_check(client, {**OWN_ANSWERS, **INVALID}) as response:
        raw = text_of(response)
    page = html.unescape(raw)
    assert response.status_code == 200
    assert database_rows(seeded) == before  # nothing stored, nothing else either
    assert "This result is made from the answers on this page only. Nothing has been " \
           "stored." in page
    assert f"<dd>{index_of([2, 3, 3])} · Moderate</dd>" in page
    assert contribute_fields(raw) == OWN_ANSWERS  # the valid answers only
    assert '<option value="utena">' in raw

    with contribute(client, {**contribute_fields(raw), "institution": "utena"}) as response:
        page = page_of(response)
    assert response.status_code == 200
    assert "Your answers are in the anonymous survey of" in page
    [row] = stored(seeded)
    assert row.answers == OWN_STORED
    assert row.year == this_year()
    with seeded.app_context():
        assert row.institution_id == find_institution("utena").id
    assert row.id not in page


@pytest.mark.parametrize("institution", ["", "no-such-institution", HOSTILE])
def test_contributing_without_an_institution_is_refused(seeded, institution):
    client = seeded.test_client()
    with contribute(client, {**OWN_ANSWERS, "institution": institution},
                    language="lt") as response:
        raw = text_of(response)
    page = html.unescape(raw)
    assert response.status_code == 400
    assert translated("Choose your institution.", "lt") in page
    assert 'aria-invalid="true"' in raw
    assert contribute_fields(raw) == OWN_ANSWERS  # the answers are kept for another try
    assert count(seeded, SurveyResponse) == 0
    for marker in HOSTILE_MARKERS:
        assert marker not in raw


def test_tampered_hidden_answers_are_dropped_when_contributing(seeded):
    client = seeded.test_client()
    tampered = {**OWN_ANSWERS, "perceived-risk.procurement": "6",
                "tolerance.work-car": HOSTILE, "awareness.gift-rules": "maybe",
                "tolerance.hiring-friend": "-1", "secret": "x", "institution": "utena"}
    with contribute(client, tampered) as response:
        assert response.status_code == 200
    [row] = stored(seeded)
    assert row.answers == {key: value for key, value in OWN_STORED.items()
                           if key not in {"perceived-risk.procurement", "tolerance.work-car",
                                          "awareness.gift-rules"}}
    # Nothing valid left: nothing stored.
    with contribute(client, {"tolerance.work-car": "9", "institution": "utena"}) as response:
        assert response.status_code == 400
    assert count(seeded, SurveyResponse) == 1


# -- k-anonymity -----------------------------------------------------------------------------

FIVE = [  # five respondents; permits is answered by four of them only
    {"perceived-risk.procurement": 5, "perceived-risk.permits": 2,
     "tolerance.gift-from-supplier": 1, "reporting.would-report": 5, "awareness.gift-rules": "yes"},
    {"perceived-risk.procurement": 4, "perceived-risk.permits": 2,
     "tolerance.gift-from-supplier": 2, "reporting.would-report": 5, "awareness.gift-rules": "yes"},
    {"perceived-risk.procurement": 4, "perceived-risk.permits": 3,
     "tolerance.gift-from-supplier": 2, "reporting.would-report": 4, "awareness.gift-rules": "no"},
    {"perceived-risk.procurement": 4, "perceived-risk.permits": 3,
     "tolerance.gift-from-supplier": 2, "reporting.would-report": 4,
     "awareness.gift-rules": "unsure"},
    {"perceived-risk.procurement": 3,
     "tolerance.gift-from-supplier": 1, "reporting.would-report": 4, "awareness.gift-rules": "yes"},
]
SURVEY_MARKERS = ("staff-survey", "perceived-risk.", "tolerance.", "reporting.", "awareness.",
                  "survey")


def assert_nothing_shown(section: str) -> None:
    text = visible_text(section)
    assert "Fewer than five responses so far: no figures are shown." in text
    assert re.findall(r"\d+", text) == [str(this_year())]  # no count, mean or index
    assert "mean" not in text and "Responses" not in text and "%" not in text


def keys_and_strings(value) -> list[str]:
    if isinstance(value, dict):
        return [*value.keys(), *(item for v in value.values() for item in keys_and_strings(v))]
    if isinstance(value, list):
        return [item for v in value for item in keys_and_strings(v)]
    return [value] if isinstance(value, str) else []


def test_figures_appear_only_from_five_responses_and_five_answers(seeded):
    store(seeded, "utena", FIVE[:4])
    officer = signed_in(seeded)
    page = results_page(officer)
    assert_nothing_shown(section_of(page, this_year()))
    assert "Tolerance of irregular practices" not in page

    store(seeded, "utena", FIVE[4:])
    section = section_of(results_page(officer), this_year())
    text = visible_text(section)
    assert "Fewer than five responses" not in text
    assert "Responses 5" in text
    tolerance = index_of([1, 2, 2, 2, 1])  # 1.6 → 15
    willingness = index_of([5, 5, 4, 4, 4])  # 4.4 → 85
    assert (tolerance, willingness) == (15, 85)
    assert f"Tolerance of irregular practices (0–100) {tolerance} · Low" in text
    assert f"Willingness to report (0–100) {willingness}" in text
    assert "Trust in reporting (0–100) —" in text  # nobody answered
    assert question_row(section, "perceived-risk.procurement") == ("5", "mean 4.0 of 5")
    assert question_row(section, "awareness.gift-rules") == ("5", "60% answered yes")
    # Four of five answered permits: no figure, and the four is not shown either.
    assert question_row(section, "perceived-risk.permits") == ("fewer than 5", "—")
    assert question_row(section, "reporting.confidential-handling") == ("fewer than 5", "—")


def test_the_fewer_than_five_notice_is_translated(seeded):
    store(seeded, "utena", FIVE[:4])
    officer = signed_in(seeded)
    for language in ("lt", "nb"):
        section = section_of(results_page(officer, language), this_year())
        assert translated("Fewer than five responses so far: no figures are shown.",
                          language) in visible_text(section)


def test_survey_figures_are_on_no_other_page_or_export(seeded):
    store(seeded, "utena", FIVE)
    with seeded.app_context():
        admin, utena = find_user(ADMIN), find_institution("utena")
        assessment = start_assessment(utena, RISK, admin)
        area = RISK.areas[0]
        save_area(assessment, area.id, {q.id: "1" if q.role != "control" else "2"
                                        for q in area.questions}, admin)
        number = assessment.id
        db.session.remove()
    officer = signed_in(seeded)
    assert "Tolerance of irregular practices" in results_page(officer)  # the one place

    with officer.get(f"/staff/i/utena/assessments/{number}/export.json") as response:
        assert response.status_code == 200
        exported = keys_and_strings(json.loads(response.get_data(as_text=True)))
    assert exported
    for item in exported:
        assert not any(marker in item.lower() for marker in SURVEY_MARKERS), item
    with officer.get(f"/staff/i/utena/assessments/{number}/export.csv?lang=en") as response:
        assert response.status_code == 200
        csv_text = response.get_data(as_text=True).lower()
    assert csv_text
    assert not any(marker in csv_text for marker in SURVEY_MARKERS)

    analyst = signed_in(seeded, ANALYST)
    pages = [(officer, "/staff/i/utena/statistics"), (officer, "/staff/i/utena/statistics.csv"),
             (officer, "/staff/statistics/"), (analyst, "/staff/statistics/network"),
             (analyst, "/staff/statistics/network.csv"), (analyst, "/staff/i/utena/statistics"),
             (officer, "/staff/overview"), (officer, "/i/utena/"), (officer, "/")]
    for client, path in pages:
        for language in LANGUAGES:
            with client.get(f"{path}?lang={language}") as response:
                assert response.status_code == 200, path
                body = page_of(response)
            assert localized(SURVEY.title, language) not in body, path
            for label in ("Tolerance of irregular practices", "Trust in reporting",
                          "Willingness to report", "mean 4.0 of 5", "answered yes"):
                assert label not in body, (path, label)
            if "statistics" in path:
                assert "survey" not in body.lower(), path


def test_other_institutions_and_other_years_never_count(seeded):
    last_year = this_year() - 1
    mine = [{"perceived-risk.procurement": 2}] * 4
    store(seeded, "utena", mine)
    store(seeded, "birzai", [{"perceived-risk.procurement": 5}] * 5)
    store(seeded, "utena", [{"perceived-risk.procurement": 4}] * 5, year=last_year)
    officer = signed_in(seeded)
    page = results_page(officer)
    assert_nothing_shown(section_of(page, this_year()))
    earlier = section_of(page, last_year)
    assert "Responses 5" in visible_text(earlier)
    assert question_row(earlier, "perceived-risk.procurement") == ("5", "mean 4.0 of 5")

    store(seeded, "utena", [{"perceived-risk.procurement": 2}])
    section = section_of(results_page(officer), this_year())
    assert "Responses 5" in visible_text(section)
    assert question_row(section, "perceived-risk.procurement") == ("5", "mean 2.0 of 5")


# -- perception gap --------------------------------------------------------------------------

LOW_RISK = {"likelihood": "1", "impact": "1", "factor": "0", "control": "4"}


def finalise_low_procurement_risk(app) -> None:
    """A final risk assessment of Utena: procurement residual risk 0.3 (low), every other
    area not applicable."""
    with app.app_context():
        admin, utena = find_user(ADMIN), find_institution("utena")
        assessment = start_assessment(utena, RISK, admin)
        for area in RISK.areas:
            if area.id == "procurement":
                assert save_area(assessment, area.id, {q.id: LOW_RISK[q.role]
                                                       for q in area.questions}, admin) == []
            else:
                save_area(assessment, area.id, {}, admin, applicable=False)
        assert finalise(assessment, admin) == []
        db.session.remove()


@pytest.mark.parametrize("rating, flagged", [(5, True), (1, False)])
def test_perception_gap_is_flagged_where_staff_and_management_differ(seeded, rating, flagged):
    finalise_low_procurement_risk(seeded)
    store(seeded, "utena", [{"perceived-risk.procurement": rating}] * 4)
    officer = signed_in(seeded)
    page = results_page(officer)
    assert "Staff perception and management" not in page  # four responses: no gap either

    store(seeded, "utena", [{"perceived-risk.procurement": rating}])
    section = section_of(results_page(officer), this_year())
    assert "Staff perception and management" in section
    row = re.search(r'<th scope="row">Public procurement</th><td>(.*?)</td><td>(.*?)</td>\s*'
                    r"<td>(.*?)</td></tr>", section, re.DOTALL)
    assert row, "no gap row for procurement"
    staff, management, difference = (visible_text(cell) for cell in row.groups())
    assert (staff, management) == (f"{rating}.0", "0.5")  # √0.3 on the 1–5 scale
    if flagged:
        assert difference == "4.5 perception gap: staff see more risk"
    else:
        assert difference == "0.5"
        assert "perception gap:" not in section


# -- hostile input ---------------------------------------------------------------------------

def test_hostile_values_are_never_reflected_unescaped(seeded):
    hostile = {question.id: HOSTILE for question in SURVEY.questions}
    hostile[HOSTILE] = HOSTILE
    mixed = {**hostile, "perceived-risk.procurement": "4", "tolerance.work-car": "3"}
    client = seeded.test_client()
    responses = [
        post_survey(client, hostile),  # nothing valid: the form again, 400
        post_survey(client, mixed),  # stored, own result
        self_check(client, hostile),  # 400
        self_check(client, mixed),  # own result with the contribute form
        contribute(client, {**mixed, "institution": HOSTILE}),  # 400, answers kept
        contribute(client, {**mixed, "institution": "utena"}),  # stored
        client.get(f"/i/utena/survey?lang=en&x={HOSTILE}"),
        client.get(f"/self-check?lang={HOSTILE}"),
    ]
    statuses = [response.status_code for response in responses]
    assert statuses == [400, 200, 400, 200, 400, 200, 200, 200]
    for response in responses:
        raw = text_of(response)
        response.close()
        for marker in HOSTILE_MARKERS:
            assert marker not in raw, (response.request.path, marker)
    assert [row.answers for row in stored(seeded)] == [
        {"perceived-risk.procurement": 4, "tolerance.work-car": 3}] * 2
    store(seeded, "utena", [{"perceived-risk.procurement": 4}] * 3)
    with signed_in(seeded).get("/staff/i/utena/survey-results?lang=en") as response:
        raw = text_of(response)
    assert "mean 4.0 of 5" in html.unescape(raw)
    for marker in HOSTILE_MARKERS:
        assert marker not in raw
