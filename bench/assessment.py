"""Self-assessment scoring and survey aggregation, as functions and through the database.

Pure scoring (in process, no database): survey_result() over 10 000 staff-survey responses;
risk_result() and recommendations() over a complete answer set of the shipped
institutional-risk questionnaire; checklist_result() over the newest published checklist
(skipped, with a note, when none is shipped).

Through the services, on SQLite (a file in a temporary folder) and on a throwaway PostgreSQL
cluster (skipped, with a note, when PostgreSQL's binaries are missing), each with the demo
network: survey_period() for Utena's current year with 10 000 responses, beside 10 000 noise
responses (Utena's two earlier years, the other institutions this year), all bulk-inserted.
Responses are drawn from a seeded generator, so both backends and every run hold the same
ones: each question is skipped with probability 0.15 and the answers lean as staff surveys
do (little tolerance of irregular practice, moderate trust). Then finalise() of a fully
answered risk draft (the answers saved area by area with save_area(), untimed apart from
their own line; the drafts go round the demo institutions, so each holds about one final
result and the network median is shown), result_of() of a final assessment (the snapshot
rebuilt) and of a draft (scored from its answer rows), and, through the test client signed
in as Utena's institution admin, the results page of the final and of the draft and the
survey results page.

Prints p50 / p95 / max per measurement in milliseconds after untimed warm-up runs. Asserts
no timing; fails only on errors. Run with `make bench`.
"""

import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select, text

from app import create_app
from app.extensions import db
from app.models import Assessment, AssessmentStatus, Institution, SurveyResponse
from app.services.accounts.users import find_user
from app.services.administration.institutions import find_institution
from app.services.assessment.lifecycle import (
    finalise,
    find_assessment,
    result_of,
    save_area,
    start_assessment,
)
from app.services.assessment.questionnaires import Questionnaire, current, published
from app.services.assessment.scoring import (
    checklist_result,
    recommendations,
    risk_result,
    survey_result,
)
from app.services.assessment.surveys import RISK, SURVEY, survey_period, survey_years
from app.services.casefile.deadlines import today
from app.services.demo.network import DEMO_DOMAIN, seed_demo_network
from bench.common import bound_config, fetch, load_average, throwaway_postgres
from tests.helpers import staff_sign_in

RESPONSES = 10_000
NOISE_EARLIER_YEARS = (1, 2)  # Utena's earlier years, 2 000 responses each
NOISE_PER_EARLIER_YEAR = 2_000
NOISE_OTHER_INSTITUTIONS = 6_000  # this year, spread over the other institutions
SKIP_SHARE = 0.15
PURE_ROUNDS = 30
DB_ROUNDS = 10
WARM_UP = 3
BATCH = 5_000
PAGE_SIZE = 1_000  # rows per INSERT statement
SEED = 2017_0435  # the same responses and answers on both backends
SLUG = "utena"
ADMIN = f"admin.{SLUG}@{DEMO_DOMAIN}"
EVIDENCE_SHARE = 0.6  # questions with an evidence prompt that get a note
EVIDENCE = ("Procedure approved by order of the director; reviewed yearly by the integrity "
            "officer; last review minutes filed in the document register. ")

# How answers lean on the 1–5 scales, per survey role (weights of 1, 2, 3, 4, 5).
SCALE_LEANINGS = {
    "perceived-risk": (15, 30, 30, 17, 8),
    "tolerance": (55, 25, 12, 5, 3),
    "trust": (8, 15, 30, 32, 15),
    "willingness": (6, 12, 27, 35, 20),
}
AWARENESS_LEANING = {"yes": 60, "no": 25, "unsure": 15}
CHECKLIST_LEANING = {"yes": 45, "partly": 30, "no": 15, "na": 10}



# -- answers ---------------------------------------------------------------------------------

def survey_response(questionnaire: Questionnaire, rng: random.Random) -> dict:
    """One respondent's answers, each question skipped with SKIP_SHARE; never empty (an empty
    response is not stored)."""
    while True:
        answers = {}
        for question in questionnaire.questions:
            if rng.random() < SKIP_SHARE:
                continue
            if question.role == "awareness":
                answers[question.id] = rng.choices(list(AWARENESS_LEANING),
                                                   list(AWARENESS_LEANING.values()))[0]
            else:
                answers[question.id] = rng.choices(question.scale.values,
                                                   SCALE_LEANINGS[question.role])[0]
        if answers:
            return answers


def survey_responses(questionnaire: Questionnaire, count: int, rng: random.Random) -> list:
    return [survey_response(questionnaire, rng) for _ in range(count)]


def risk_answers(questionnaire: Questionnaire, rng: random.Random) -> dict:
    """A complete answer set: every area's likelihood, impact, factors and controls."""
    return {question.id: rng.choice(question.scale.values)
            for question in questionnaire.questions}


def checklist_answers(questionnaire: Questionnaire, rng: random.Random) -> dict:
    """A complete checklist: yes, partly, no or not applicable, as the scale offers."""
    answers = {}
    for question in questionnaire.questions:
        values = [value for value in CHECKLIST_LEANING if value in question.scale.values]
        answers[question.id] = rng.choices(values, [CHECKLIST_LEANING[v] for v in values])[0]
    return answers


def area_form(questionnaire: Questionnaire, area_id: str, answers: dict,
              rng: random.Random) -> dict[str, str]:
    """What the area's form submits: the answers as text and some evidence notes."""
    form = {}
    for question in questionnaire.area(area_id).questions:
        form[question.id] = str(answers[question.id])
        if question.evidence is not None and rng.random() < EVIDENCE_SHARE:
            form[f"{question.id}.evidence"] = EVIDENCE * 2
    return form


# -- timing ----------------------------------------------------------------------------------

def milliseconds(action: Callable[[], object]) -> float:
    """Wall time of one call of ``action``, in milliseconds."""
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def repeat(action: Callable[[], object], rounds: int) -> list[float]:
    """WARM_UP untimed calls, then ``rounds`` timed ones (ms)."""
    for _ in range(WARM_UP):
        action()
    return [milliseconds(action) for _ in range(rounds)]


def summary(samples: list[float]) -> tuple[int, float, float, float]:
    """Rounds, p50, p95 and max."""
    ordered = sorted(samples)
    return (len(ordered), statistics.median(ordered),
            ordered[max(0, int(len(ordered) * 0.95) - 1)], ordered[-1])


Figures = dict[str, list[float]]


def measure_pure() -> Figures:
    """The scoring functions alone, on answers built in memory."""
    rng = random.Random(SEED)
    survey, risk = current(SURVEY), current(RISK)
    responses = survey_responses(survey, RESPONSES, rng)
    answers = risk_answers(risk, rng)
    scored = risk_result(risk, answers)
    figures = {
        f"survey_result, {RESPONSES:,} responses": repeat(
            lambda: survey_result(survey, responses), PURE_ROUNDS),
        f"risk_result, {len(risk.areas)} areas": repeat(
            lambda: risk_result(risk, answers), PURE_ROUNDS),
        "recommendations (by residual risk)": repeat(
            lambda: recommendations(risk, answers, scored), PURE_ROUNDS),
    }
    checklists = published("checklist")
    if checklists:
        checklist = checklists[0]
        ticked = checklist_answers(checklist, rng)
        figures[f"checklist_result, {len(checklist.questions)} items"] = repeat(
            lambda: checklist_result(checklist, ticked), PURE_ROUNDS)
    else:
        print("checklist_result SKIPPED: no published checklist is shipped", flush=True)
    skipped = sum(len(survey.questions) - len(response) for response in responses)
    share = skipped / (RESPONSES * len(survey.questions))
    print(f"  in memory: {RESPONSES:,} survey responses, {share:.1%} of answers skipped; "
          f"risk answers to {len(answers)} questions", flush=True)
    return figures


# -- one database ----------------------------------------------------------------------------

def add_responses(rng: random.Random) -> None:
    """Utena's RESPONSES this year and the noise, bulk-inserted in batches (shuffled, so
    Utena's rows are spread over the table as they would be)."""
    survey = current(SURVEY)
    year = today().year
    utena = find_institution(SLUG)
    others = [institution.id for institution in db.session.scalars(
        select(Institution).where(Institution.id != utena.id).order_by(Institution.id))]
    periods = ([(utena.id, year)] * RESPONSES
               + [(utena.id, year - back) for back in NOISE_EARLIER_YEARS
                  for _ in range(NOISE_PER_EARLIER_YEAR)]
               + [(others[number % len(others)], year)
                  for number in range(NOISE_OTHER_INSTITUTIONS)])
    rng.shuffle(periods)
    statement = insert(SurveyResponse.__table__).execution_options(
        insertmanyvalues_page_size=PAGE_SIZE)
    for start in range(0, len(periods), BATCH):
        rows = [{"id": rng.randbytes(16).hex(), "institution_id": institution_id,
                 "questionnaire_id": survey.id, "version": survey.version, "year": period_year,
                 "answers": survey_response(survey, rng)}
                for institution_id, period_year in periods[start:start + BATCH]]
        db.session.execute(statement, rows)
        db.session.commit()


def answered_draft(slug: str, rng: random.Random) -> tuple[int, float]:
    """A risk draft answered in full through save_area(), area by area, each in a fresh
    session as its own request would be; its id and the milliseconds the saving took.

    A fresh session per area also matters for correctness: save_area() reads ``user.id``
    after adding a new answer row, and on a User expired by an earlier commit in the same
    session that read autoflushes the half-built row (answered_on NULL: IntegrityError)."""
    risk = current(RISK)
    email = f"admin.{slug}@{DEMO_DOMAIN}"
    assessment_id = start_assessment(find_institution(slug), risk, find_user(email)).id
    answers = risk_answers(risk, rng)
    forms = [(area.id, area_form(risk, area.id, answers, rng)) for area in risk.areas]
    saving = 0.0
    for area_id, form in forms:
        db.session.remove()
        assessment = find_assessment(find_institution(slug), assessment_id)
        admin = find_user(email)
        start = time.perf_counter()
        rejected = save_area(assessment, area_id, form, admin)
        saving += time.perf_counter() - start
        if rejected:
            raise RuntimeError(f"{area_id}: answers rejected: {rejected}")
    db.session.remove()
    return assessment_id, saving * 1000



def measure_database(backend: str, database_url: str) -> Figures:
    """Load one database, then time the services and the pages on it."""
    app = create_app(bound_config(database_url))
    rng = random.Random(SEED)
    figures: Figures = {}
    try:
        with app.app_context():
            start = time.perf_counter()
            db.create_all()
            seed_demo_network()
            add_responses(rng)
            if backend == "postgresql":
                # Responses gathered over a year are long analysed: planner statistics.
                with db.engine.connect().execution_options(
                        isolation_level="AUTOCOMMIT") as connection:
                    connection.execute(text("VACUUM (FREEZE, ANALYZE)"))
            total = RESPONSES + NOISE_PER_EARLIER_YEAR * len(NOISE_EARLIER_YEARS) \
                + NOISE_OTHER_INSTITUTIONS
            print(f"  {backend}: {total:,} survey responses, {RESPONSES:,} of them Utena's "
                  f"this year ({time.perf_counter() - start:.1f} s to load)", flush=True)
            figures.update(measure_assessments(rng))
            figures.update(measure_survey())
            final_id, draft_id = utena_assessments()
            db.session.remove()
        client = app.test_client()
        staff_sign_in(client, app, ADMIN)
        base = f"/staff/i/{SLUG}"
        figures["page: results of the final"] = repeat(
            lambda: fetch(client, f"{base}/assessments/{final_id}/results", "<svg"), DB_ROUNDS)
        figures["page: results of the draft"] = repeat(
            lambda: fetch(client, f"{base}/assessments/{draft_id}/results", "<svg"), DB_ROUNDS)
        figures["page: survey results (3 years)"] = repeat(
            lambda: fetch(client, f"{base}/survey-results"), DB_ROUNDS)
        return figures
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def measure_assessments(rng: random.Random) -> Figures:
    """finalise() of answered drafts round the institutions (Utena first), then result_of()
    of Utena's final and of a fresh answered draft."""
    slugs = list(db.session.scalars(select(Institution.slug).order_by(
        Institution.slug != SLUG, Institution.id)))
    saving, finalising = [], []
    for number in range(WARM_UP + DB_ROUNDS):
        slug = slugs[number % len(slugs)]
        assessment_id, saved = answered_draft(slug, rng)
        # finalise() reads the answers in a fresh session, as its request would.
        assessment = find_assessment(find_institution(slug), assessment_id)
        admin = find_user(f"admin.{slug}@{DEMO_DOMAIN}")
        elapsed = milliseconds(lambda: check_finalised(assessment, admin))  # noqa: B023
        if number >= WARM_UP:
            saving.append(saved)
            finalising.append(elapsed)
        db.session.remove()
    answered_draft(SLUG, rng)
    final_id, draft_id = utena_assessments()
    return {
        "save_area × 10 areas (sum of the 10)": saving,
        "finalise (answered draft, writes)": finalising,
        "result_of final (snapshot rebuild)": timed_result_only(final_id),
        "result_of draft (from answer rows)": timed_result_only(draft_id),
        "find_assessment + result_of final": repeat(lambda: fresh_result(final_id),
                                                    DB_ROUNDS),
        "find_assessment + result_of draft": repeat(lambda: fresh_result(draft_id),
                                                    DB_ROUNDS),
    }


def check_finalised(assessment: Assessment, admin) -> None:
    unfinished = finalise(assessment, admin)
    if unfinished:
        raise RuntimeError(f"not final, unfinished areas: {unfinished}")


def utena_assessments() -> tuple[int, int]:
    """Utena's latest final risk assessment and latest draft."""
    utena = find_institution(SLUG)
    latest = {}
    for status in (AssessmentStatus.FINAL, AssessmentStatus.DRAFT):
        latest[status] = db.session.scalar(select(Assessment.id).where(
            Assessment.institution_id == utena.id, Assessment.questionnaire_id == RISK,
            Assessment.status == status).order_by(Assessment.id.desc()).limit(1))
    return latest[AssessmentStatus.FINAL], latest[AssessmentStatus.DRAFT]


def fresh_result(assessment_id: int) -> None:
    """Load the assessment in a fresh session and score it."""
    db.session.remove()
    result = result_of(find_assessment(find_institution(SLUG), assessment_id))
    if result.overall is None:
        raise RuntimeError(f"assessment {assessment_id} has no overall score")


def timed_result_only(assessment_id: int) -> list[float]:
    """result_of() alone, on an assessment loaded (untimed) in a fresh session: a final's
    snapshot is a column of the row; a draft's answers load lazily, inside the timing."""
    samples = []
    for number in range(WARM_UP + DB_ROUNDS):
        db.session.remove()
        assessment = find_assessment(find_institution(SLUG), assessment_id)
        elapsed = milliseconds(lambda: result_of(assessment))  # noqa: B023
        if number >= WARM_UP:
            samples.append(elapsed)
    db.session.remove()
    return samples


def measure_survey() -> Figures:
    """survey_period() for Utena's current year, in a fresh session each time."""
    year, version = survey_years(find_institution(SLUG))[0]
    if year != today().year:
        raise RuntimeError(f"Utena's newest survey year is {year}")

    def period() -> None:
        db.session.remove()
        found = survey_period(find_institution(SLUG), year, version)
        if found is None or found.result.responses != RESPONSES or not found.gaps:
            raise RuntimeError("survey_period did not count every response or show gaps")

    figures = {f"survey_period, {RESPONSES:,} responses": repeat(period, DB_ROUNDS)}
    db.session.remove()
    return figures


# -- backends and report ---------------------------------------------------------------------


def report(results: dict[str, Figures]) -> None:
    print()
    print(f"{'where':<11} {'measurement':<40} {'rounds':>6} {'p50':>8} {'p95':>8} {'max':>8}"
          "   (ms)")
    for where, figures in results.items():
        for label, samples in figures.items():
            rounds, p50, p95, top = summary(samples)
            print(f"{where:<11} {label:<40} {rounds:>6} {p50:>8.1f} {p95:>8.1f} {top:>8.1f}")



def main() -> None:
    """Measure the pure functions, then SQLite, then PostgreSQL when it is installed."""
    began = time.perf_counter()
    print(f"Assessment scoring and survey aggregation ({RESPONSES:,} responses, "
          f"{WARM_UP} warm-up runs each); {os.cpu_count()} CPUs, load {load_average()}",
          flush=True)
    results: dict[str, Figures] = {"in memory": measure_pure()}
    with tempfile.TemporaryDirectory() as folder:
        results["sqlite"] = measure_database("sqlite", f"sqlite:///{folder}/bench.sqlite3")
    with throwaway_postgres() as cluster:
        if cluster is not None:
            results["postgresql"] = measure_database(
                "postgresql", cluster.url(cluster.create_database()))
    report(results)
    print(f"\n(run time {time.perf_counter() - began:.0f} s, load now {load_average()})")


if __name__ == "__main__":
    main()
