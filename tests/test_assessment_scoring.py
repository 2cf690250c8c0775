"""The scoring of the self-assessment: the worked examples of docs/assessment.md, reproduced
to the digit, and the properties every score must keep whatever the answers.

The examples are read from the fenced ```example <kind>``` blocks of the documentation (the
format is described in the comment at the top of docs/assessment.md) and computed with small
questionnaires written here, so they do not depend on the shipped questionnaire files. The
weights an example states are checked against these questionnaires.
"""

import ast
import re
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.services.assessment.questionnaires import FACTORS, parse_questionnaire
from app.services.assessment.scoring import (
    ACTION_HORIZON_MONTHS,
    K_ANONYMITY,
    MAX_RISK,
    checklist_result,
    factor_load,
    grid_likelihood,
    inherent_risk,
    management_level,
    maturity,
    perception_gaps,
    recommendations,
    residual_risk,
    resilience_index,
    risk_band,
    risk_result,
    rounded,
    survey_result,
)

DOC = Path(__file__).resolve().parents[1] / "docs" / "assessment.md"
FAST = settings(max_examples=60, deadline=None)

# -- the example questionnaires --------------------------------------------------------------

_HEAD = """\
version: 1
status: published
title: &text {lt: Pavyzdys, en: Example, nb: Eksempel}
summary: *text
methods:
  - {id: stt, name: *text, reference: Example reference}
"""


def _options(*values) -> str:
    return "[" + ", ".join(f"{{value: {value}, label: *text}}" for value in values) + "]"


def _control(question_id: str, weight: float) -> str:
    return (f"      - {{id: {question_id}, role: control, scale: maturity, text: *text, "
            f"weight: {weight}, recommendations: [{{when: [0, 1], text: *text}}]}}\n")


RISK_YAML = _HEAD + f"""\
id: example-risk
kind: risk
scales:
  level: {{options: {_options(1, 2, 3, 4, 5)}}}
  factor: {{options: {_options(0, 1, 2)}}}
  maturity: {{options: {_options(0, 1, 2, 3, 4)}}}
likelihood: {{scale: level, text: *text}}
impact: {{scale: level, text: *text}}
factors:
  - {{id: complexity, scale: factor, text: *text}}
  - {{id: change, scale: factor, text: *text}}
  - {{id: management, scale: factor, text: *text}}
  - {{id: personnel, scale: factor, text: *text}}
  - {{id: incidents, scale: factor, text: *text, weight: 2}}
areas:
  - id: procurement
    title: *text
    questions:
""" + _control("tender-rules", 2) + _control("four-eyes", 1) + _control("declarations", 1) + """\
  - id: permits
    title: *text
    questions:
""" + _control("queue-order", 1) + _control("rotation", 1) + _control("register", 1) + """\
  - id: recruitment
    title: *text
    questions:
""" + (_control("panel", 2) + _control("published-vacancies", 1) + _control("declarations", 1)
       + _control("probation-review", 0.5))

CHECKLIST_YAML = _HEAD + f"""\
id: example-checklist
kind: checklist
scales:
  answer: {{options: {_options('"yes"', "partly", '"no"', "na")}}}
areas:
  - id: rules
    title: *text
    questions:
      - {{id: code-of-conduct, role: item, scale: answer, text: *text, weight: 2}}
      - {{id: gift-policy, role: item, scale: answer, text: *text}}
      - {{id: declarations, role: item, scale: answer, text: *text}}
  - id: reporting
    title: *text
    questions:
      - {{id: channel, role: item, scale: answer, text: *text, weight: 2}}
      - {{id: training, role: item, scale: answer, text: *text}}
      - {{id: protection, role: item, scale: answer, text: *text}}
"""

SURVEY_YAML = _HEAD + f"""\
id: example-survey
kind: survey
scales:
  risk: {{options: {_options(1, 2, 3, 4, 5)}}}
  acceptability: {{options: {_options(1, 2, 3, 4, 5)}}}
  agreement: {{options: {_options(1, 2, 3, 4, 5)}}}
  awareness: {{options: {_options('"yes"', '"no"', "unsure")}}}
areas:
  - id: perceived-risk
    title: *text
    questions:
      - {{id: procurement, role: perceived-risk, risk_area: procurement, scale: risk, text: *text}}
      - {{id: permits, role: perceived-risk, risk_area: permits, scale: risk, text: *text}}
      - {{id: recruitment, role: perceived-risk, risk_area: recruitment, scale: risk,
          text: *text}}
  - id: tolerance
    title: *text
    questions:
      - {{id: gift, role: tolerance, scale: acceptability, text: *text}}
      - {{id: relative, role: tolerance, scale: acceptability, text: *text}}
  - id: reporting
    title: *text
    questions:
      - {{id: confidential, role: trust, scale: agreement, text: *text}}
      - {{id: would-report, role: willingness, scale: agreement, text: *text}}
  - id: awareness
    title: *text
    questions:
      - {{id: channel, role: awareness, scale: awareness, text: *text}}
"""

RISK = parse_questionnaire(RISK_YAML.encode(), "example-risk")
CHECKLIST = parse_questionnaire(CHECKLIST_YAML.encode(), "example-checklist")
SURVEY = parse_questionnaire(SURVEY_YAML.encode(), "example-survey")
AREAS = [area.id for area in RISK.areas]


def test_the_example_questionnaires_are_what_the_documentation_describes():
    assert AREAS == ["procurement", "permits", "recruitment"]
    assert [q.id for q in RISK.area("procurement").questions][:7] == [
        "procurement.likelihood", "procurement.impact", *(f"procurement.factor.{f}"
                                                          for f in FACTORS)]
    assert len(SURVEY.questions) == 8


# -- reading the examples --------------------------------------------------------------------

EXAMPLE = re.compile(r"^```example ([a-z-]+)\n(.*?)^```", re.MULTILINE | re.DOTALL)
KINDS = ("risk-area", "overall", "checklist", "survey")


def _examples() -> list[tuple[str, dict[str, str]]]:
    """(kind, {key: value}) of every example block, in document order."""
    if not DOC.exists():
        return []
    found = []
    for kind, body in EXAMPLE.findall(DOC.read_text(encoding="utf-8")):
        lines = {}
        for line in body.splitlines():
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            key, separator, value = line.partition(":")
            assert separator, f"not a key: value line in an example: {line!r}"
            key = " ".join(key.split()).lower()
            assert key not in lines, f"{key!r} repeats in an example"
            lines[key] = value.strip()
        found.append((kind, lines))
    return found


EXAMPLES = _examples()


def _named(kind: str) -> dict[str, dict[str, str]]:
    return {lines["name"]: lines for found, lines in EXAMPLES if found == kind}


def _ids(kind: str) -> list:
    return [pytest.param(lines, id=lines.get("name", "?")) for found, lines in EXAMPLES
            if found == kind]


def test_the_documentation_has_the_worked_examples():
    kinds = [kind for kind, _lines in EXAMPLES]
    assert kinds, f"no ```example blocks found in {DOC}"
    assert set(kinds) <= set(KINDS), f"unknown example kinds: {set(kinds) - set(KINDS)}"
    assert kinds.count("risk-area") >= 3
    assert kinds.count("overall") >= 1
    assert kinds.count("checklist") >= 1
    assert kinds.count("survey") >= 1
    names = [lines.get("name") for _kind, lines in EXAMPLES]
    assert None not in names and len(set(names)) == len(names), "each example has its own name"


_ALLOWED_CALLS = {"min": min, "max": max}


def evaluate(expression: str) -> Fraction:
    """The exact value of a worked-out arithmetic expression: numbers, + − × / ( ) and
    min/max; decimals are read exactly."""
    source = (expression.replace("×", "*").replace("·", "*").replace("−", "-")
              .replace("÷", "/").strip())
    tree = ast.parse(source, mode="eval")

    def value(node) -> Fraction:
        if isinstance(node, ast.Expression):
            return value(node.body)
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return Fraction(ast.get_source_segment(source, node))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        if isinstance(node, ast.BinOp):
            left, right = value(node.left), value(node.right)
            operations = {ast.Add: left.__add__, ast.Sub: left.__sub__,
                          ast.Mult: left.__mul__, ast.Div: left.__truediv__}
            if type(node.op) in operations:
                return operations[type(node.op)](right)
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in _ALLOWED_CALLS and not node.keywords):
            return _ALLOWED_CALLS[node.func.id](value(arg) for arg in node.args)
        raise ValueError(f"not plain arithmetic: {expression!r}")

    return value(tree)


def test_evaluate_reads_the_arithmetic_of_the_examples():
    assert evaluate("4 × 3 × (1 + 7/24)") == Fraction(31, 2)
    assert evaluate("min(25, 25 × 5/4)") == 25
    assert evaluate("(4.0 + 9.0 + 20.3) / 3") == Fraction(333, 30)
    assert evaluate("4.4 − 3.0") == Fraction(7, 5)
    with pytest.raises(ValueError):
        evaluate("__import__('os')")


def figure(value: str) -> tuple[list[str], str]:
    """The exact expressions and the shown figure of ``a = b ≈ c → shown``."""
    left, arrow, shown = value.rpartition("→")
    if not arrow:
        return [], value.strip()
    left = left.split("≈", 1)[0]
    return [part.strip() for part in left.split("=") if part.strip()], shown.strip()


def check_figure(lines: dict[str, str], key: str, exact: Fraction | None, shown: str) -> None:
    """The example's figure ``key``: its shown part equals ``shown``; each of its exact
    expressions equals ``exact`` (when the code has an exact value)."""
    assert key in lines, f"{lines.get('name')}: the example lacks {key!r}"
    expressions, stated = figure(lines[key])
    assert stated == shown, f"{lines['name']}, {key}: the document says {stated}, the code {shown}"
    if exact is not None:
        for expression in expressions:
            assert evaluate(expression) == exact, (
                f"{lines['name']}, {key}: {expression} is not {exact}")


def pairs(value: str) -> dict[str, str]:
    """``a=1 b=2`` as {a: 1, b: 2}."""
    found = {}
    for item in value.replace(",", " ").split():
        key, separator, item_value = item.partition("=")
        assert separator, f"not name=value: {item!r}"
        found[key] = item_value
    return found


def _known(lines: dict[str, str], allowed: set[str], prefixes: tuple[str, ...] = ()) -> None:
    unknown = [key for key in lines if key not in allowed and not key.startswith(prefixes)]
    assert not unknown, f"{lines.get('name')}: unknown keys {unknown}"


# -- risk-area examples ----------------------------------------------------------------------

RISK_AREA_KEYS = {"name", "area", "likelihood", "impact", "factors", "factor weights",
                  "controls", "control weights", "factor load", "inherent risk", "maturity",
                  "residual risk", "band", "action horizon", "inherent cell", "residual cell"}


def risk_answers(lines: dict[str, str]) -> dict[str, int]:
    """The answers of one area as the assessment stores them."""
    area = RISK.area(lines["area"])
    assert area is not None, f"{lines['name']}: the example questionnaire has no {lines['area']}"
    factors = {key: int(value) for key, value in pairs(lines["factors"]).items()}
    controls = {key: int(value) for key, value in pairs(lines["controls"]).items()}
    assert sorted(factors) == sorted(FACTORS), f"{lines['name']}: give all five factors"
    assert sorted(f"{area.id}.{key}" for key in controls) == sorted(
        q.id for q in area.with_role("control")), f"{lines['name']}: give every control"
    weights = {key: Fraction(value) for key, value in pairs(lines["factor weights"]).items()}
    assert weights == {q.factor: Fraction(str(q.weight)) for q in area.with_role("factor")}, (
        f"{lines['name']}: the factor weights differ from the example questionnaire's")
    weights = {key: Fraction(value) for key, value in pairs(lines["control weights"]).items()}
    assert weights == {q.id.split(".", 1)[1]: Fraction(str(q.weight))
                       for q in area.with_role("control")}, (
        f"{lines['name']}: the control weights differ from the example questionnaire's")
    return {f"{area.id}.likelihood": int(lines["likelihood"]),
            f"{area.id}.impact": int(lines["impact"]),
            **{f"{area.id}.factor.{key}": value for key, value in factors.items()},
            **{f"{area.id}.{key}": value for key, value in controls.items()}}


def _cell(cell: tuple[int, int]) -> str:
    return f"likelihood {cell[0]}, impact {cell[1]}"


@pytest.mark.parametrize("lines", _ids("risk-area"))
def test_risk_area_example(lines):
    _known(lines, RISK_AREA_KEYS)
    area = RISK.area(lines["area"])
    answers = risk_answers(lines)
    likelihood, impact = int(lines["likelihood"]), int(lines["impact"])
    load = factor_load((q.weight, answers[q.id]) for q in area.with_role("factor"))
    inherent = inherent_risk(likelihood, impact, load)
    mean = maturity((q.weight, answers[q.id]) for q in area.with_role("control"))
    residual = residual_risk(inherent, mean)
    scored = risk_result(RISK, answers).areas[AREAS.index(area.id)]
    assert scored.complete and scored.applicable
    check_figure(lines, "factor load", load, str(scored.factor_load))
    check_figure(lines, "inherent risk", inherent, str(scored.inherent))
    check_figure(lines, "maturity", mean, str(scored.maturity))
    check_figure(lines, "residual risk", residual, str(scored.residual))
    check_figure(lines, "band", None, scored.band)
    check_figure(lines, "action horizon", None,
                 f"{ACTION_HORIZON_MONTHS[scored.band]} months")
    check_figure(lines, "inherent cell", inherent / impact, _cell(scored.inherent_cell))
    check_figure(lines, "residual cell", residual / impact, _cell(scored.residual_cell))


# -- overall examples ------------------------------------------------------------------------

OVERALL_KEYS = {"name", "uses", "not applicable", "overall", "band", "worst area"}


def overall_inputs(lines: dict[str, str]) -> tuple[dict[str, int], list[str]]:
    areas = _named("risk-area")
    answers, used = {}, []
    for name in (item.strip() for item in lines["uses"].split(",")):
        assert name in areas, f"{lines['name']}: no risk-area example {name!r}"
        used.append(areas[name]["area"])
        answers.update(risk_answers(areas[name]))
    assert sorted(used) == sorted(AREAS), f"{lines['name']}: use one example per area"
    excluded = lines.get("not applicable", "none")
    return answers, [] if excluded == "none" else [item.strip() for item in
                                                   excluded.split(",")]


@pytest.mark.parametrize("lines", _ids("overall"))
def test_overall_example(lines):
    _known(lines, OVERALL_KEYS)
    answers, excluded = overall_inputs(lines)
    result = risk_result(RISK, answers, excluded)
    mean = Fraction(sum(area.residual for area in result.scored)) / len(result.scored)
    check_figure(lines, "overall", mean, str(result.overall))
    check_figure(lines, "band", None, result.overall_band)
    check_figure(lines, "worst area", None, f"{result.worst.area_id}, {result.worst.residual}")


# -- checklist examples ----------------------------------------------------------------------

CHECKLIST_KEYS = {"name", "answers", "weights", "index", "band", "weakest section"}


@pytest.mark.parametrize("lines", _ids("checklist"))
def test_checklist_example(lines):
    _known(lines, CHECKLIST_KEYS, ("section ",))
    answers = pairs(lines["answers"])
    assert set(answers) <= {q.id for q in CHECKLIST.questions}
    weights = {key: Fraction(value) for key, value in pairs(lines["weights"]).items()}
    assert weights == {q.id: Fraction(str(q.weight)) for q in CHECKLIST.questions}, (
        f"{lines['name']}: the weights differ from the example checklist's")
    result = checklist_result(CHECKLIST, answers)

    def exact(questions) -> Fraction | None:
        scores = {"yes": 1, "partly": Fraction(1, 2), "no": 0}
        counted = [(Fraction(str(q.weight)), scores[answers[q.id]]) for q in questions
                   if answers.get(q.id) in scores]
        total = sum(weight for weight, _score in counted)
        return sum(weight * score for weight, score in counted) / total if total else None

    for section in result.sections:
        check_figure(lines, f"section {section.area_id}",
                     exact(CHECKLIST.area(section.area_id).questions), str(section.index))
        check_figure(lines, f"section {section.area_id} band", None, str(section.band))
    check_figure(lines, "index", exact(CHECKLIST.questions), str(result.index))
    check_figure(lines, "band", None, str(result.band))
    check_figure(lines, "weakest section", None, result.weakest.area_id)


# -- survey examples -------------------------------------------------------------------------

SURVEY_KEYS = {"name", "responses", "risk", "shown", "tolerance index", "tolerance band",
               "trust index", "willingness index"}
SURVEY_PREFIXES = ("answers ", "mean ", "share yes ", "management ", "gap ")


def survey_responses(lines: dict[str, str]) -> list[dict]:
    count = int(lines["responses"])
    responses = [{} for _ in range(count)]
    for key, value in lines.items():
        if not key.startswith("answers "):
            continue
        question = SURVEY.question(key.removeprefix("answers "))
        assert question is not None, f"{lines['name']}: no question {key}"
        column = value.split()
        assert len(column) == count, f"{lines['name']}, {key}: one answer per response"
        for response, raw in zip(responses, column, strict=True):
            if raw != "-":
                response[question.id] = question.parse(raw)
                assert response[question.id] is not None, f"{key}: {raw} is not an answer"
    return responses


def _none_or(value) -> str:
    return "none" if value is None else str(value)


@pytest.mark.parametrize("lines", _ids("survey"))
def test_survey_example(lines):
    _known(lines, SURVEY_KEYS, SURVEY_PREFIXES)
    responses = survey_responses(lines)
    result = survey_result(SURVEY, responses)
    check_figure(lines, "shown", None, "yes" if result.shown else "no")
    if not result.shown:
        assert not result.questions and result.tolerance is None
        assert [key for key in lines if key.startswith(("mean ", "gap ", "share yes "))] == []
        return
    pooled = {"tolerance": [], "trust": [], "willingness": []}
    for question in SURVEY.questions:
        given = [r[question.id] for r in responses if question.id in r]
        figure_ = result.questions[question.id]
        if question.role == "awareness":
            share = Fraction(given.count("yes") * 100, len(given)) if given else None
            check_figure(lines, f"share yes {question.id}", share, _none_or(figure_.share_yes))
            continue
        mean = Fraction(sum(given), len(given)) if given else None
        check_figure(lines, f"mean {question.id}", mean, _none_or(figure_.mean))
        if question.role in pooled and len(given) >= K_ANONYMITY:
            pooled[question.role] += given
    for role, values in pooled.items():
        index = (Fraction(sum(values), len(values)) - 1) / 4 * 100 if values else None
        check_figure(lines, f"{role} index", index, _none_or(getattr(result, role)))
    check_figure(lines, "tolerance band", None, _none_or(result.tolerance_band))
    if "risk" in lines:
        overall = _named("overall")[lines["risk"]]
        answers, excluded = overall_inputs(overall)
        gaps = perception_gaps(SURVEY, result, risk_result(RISK, answers, excluded))
        assert gaps, f"{lines['name']}: no perception gaps"
        for gap in gaps:
            check_figure(lines, f"management {gap.area_id}", None, str(gap.management))
            check_figure(lines, f"gap {gap.area_id}", Fraction(gap.gap),
                         f"{gap.gap}, {'flagged' if gap.flagged else 'not flagged'}")
        stated = {key.removeprefix("gap ") for key in lines if key.startswith("gap ")}
        assert stated == {gap.area_id for gap in gaps}


# -- properties: risk ------------------------------------------------------------------------

levels = st.integers(1, 5)
factor_answers = st.lists(st.integers(0, 2), min_size=5, max_size=5)
control_answers = st.lists(st.integers(0, 4), min_size=1, max_size=6)
weights = st.sampled_from([0.5, 1, 1.5, 2, 3, 10])


def _area_scores(likelihood, impact, factors, factor_weights, controls, control_weights):
    load = factor_load(zip(factor_weights, factors, strict=False))
    inherent = inherent_risk(likelihood, impact, load)
    return inherent, residual_risk(inherent, maturity(zip(control_weights, controls,
                                                          strict=False)))


@FAST
@given(levels, levels, factor_answers, st.lists(weights, min_size=5, max_size=5),
       st.data())
def test_inherent_risk_never_falls_when_an_input_rises(likelihood, impact, factors,
                                                       factor_weights, data):
    def inherent(l_, i_, f_):
        return inherent_risk(l_, i_, factor_load(zip(factor_weights, f_, strict=True)))

    base = inherent(likelihood, impact, factors)
    assert inherent(min(likelihood + 1, 5), impact, factors) >= base
    assert inherent(likelihood, min(impact + 1, 5), factors) >= base
    index = data.draw(st.integers(0, 4))
    raised = [*factors]
    raised[index] = min(2, raised[index] + 1)
    assert inherent(likelihood, impact, raised) >= base


@FAST
@given(levels, levels, factor_answers, control_answers, st.data())
def test_residual_risk_never_rises_when_a_control_matures(likelihood, impact, factors,
                                                          controls, data):
    control_weights = data.draw(st.lists(weights, min_size=len(controls),
                                         max_size=len(controls)))
    _inherent, base = _area_scores(likelihood, impact, factors, [1] * 5, controls,
                                   control_weights)
    index = data.draw(st.integers(0, len(controls) - 1))
    better = [*controls]
    better[index] = min(4, better[index] + data.draw(st.integers(1, 4)))
    _inherent, after = _area_scores(likelihood, impact, factors, [1] * 5, better,
                                    control_weights)
    assert after <= base


@FAST
@given(levels, levels, factor_answers, st.lists(weights, min_size=5, max_size=5),
       control_answers)
def test_risk_stays_within_its_bounds(likelihood, impact, factors, factor_weights, controls):
    inherent, residual = _area_scores(likelihood, impact, factors, factor_weights, controls,
                                      [1] * len(controls))
    assert 1 <= inherent <= MAX_RISK
    assert inherent / 4 <= residual <= inherent
    assert residual > 0
    assert 1 <= rounded(inherent) <= MAX_RISK


@FAST
@given(st.decimals(0, 30, places=1), st.decimals(0, 30, places=1))
def test_the_band_never_falls_as_the_score_rises(first, second):
    low, high = sorted((first, second))
    order = ["low", "medium", "high", "very-high"]
    assert order.index(risk_band(low)) <= order.index(risk_band(high))


@FAST
@given(st.fractions(Fraction(1, 4), 25), st.fractions(Fraction(1, 4), 25), levels)
def test_the_heat_map_row_is_a_likelihood_that_never_falls(first, second, impact):
    low, high = sorted((first, second))
    assert 1 <= grid_likelihood(low, impact) <= grid_likelihood(high, impact) <= 5


def test_the_heat_map_row_is_the_answered_likelihood_without_factors_and_controls():
    for likelihood in range(1, 6):
        for impact in range(1, 6):
            assert grid_likelihood(Fraction(likelihood * impact), impact) == likelihood


def test_bands_and_horizons():
    assert [risk_band(Decimal(value)) for value in ("4.9", "5.0", "9.9", "10.0", "14.9",
                                                      "15.0", "25.0")] == [
        "low", "medium", "medium", "high", "high", "very-high", "very-high"]
    assert ACTION_HORIZON_MONTHS == {"low": 12, "medium": 12, "high": 6, "very-high": 3}
    assert rounded(Fraction(25, 4)) == Decimal("6.3")  # half up, not to even
    assert rounded(Fraction(5, 8), 2) == Decimal("0.63")


def _area_answers(area_id: str, likelihood, impact, factors, controls) -> dict[str, int]:
    area = RISK.area(area_id)
    found = {f"{area_id}.likelihood": likelihood, f"{area_id}.impact": impact}
    found.update({q.id: value for q, value in zip(area.with_role("factor"), factors,
                                                   strict=True)})
    found.update({q.id: controls[i % len(controls)]
                  for i, q in enumerate(area.with_role("control"))})
    return found


area_answers = st.tuples(levels, levels, factor_answers,
                         st.lists(st.integers(0, 4), min_size=4, max_size=4))


def _answers(drawn) -> dict[str, int]:
    answers = {}
    for area_id, values in zip(AREAS, drawn, strict=True):
        answers.update(_area_answers(area_id, *values))
    return answers


@FAST
@given(st.lists(area_answers, min_size=3, max_size=3),
       st.lists(area_answers, min_size=3, max_size=3),
       st.sets(st.sampled_from(AREAS), max_size=2))
def test_areas_not_applicable_change_nothing_and_are_never_the_worst(first, second,
                                                                     excluded):
    # The second set of answers differs from the first only in the excluded areas.
    mixed = [second[i] if area_id in excluded else first[i]
             for i, area_id in enumerate(AREAS)]
    result = risk_result(RISK, _answers(first), excluded)
    other = risk_result(RISK, _answers(mixed), excluded)
    assert (result.overall, result.worst.area_id) == (other.overall, other.worst.area_id)
    assert result.worst.area_id not in excluded
    assert {area.area_id for area in result.scored} == set(AREAS) - excluded
    kept = [area for area in risk_result(RISK, _answers(first)).areas
            if area.area_id not in excluded]
    assert result.overall == rounded(Fraction(sum(area.residual for area in kept)) / len(kept))
    assert result.worst.residual == max(area.residual for area in kept)


def test_every_area_not_applicable_gives_no_overall():
    result = risk_result(RISK, {}, AREAS)
    assert (result.overall, result.overall_band, result.worst) == (None, None, None)
    assert all(not area.applicable for area in result.areas)


def test_an_unanswered_question_leaves_its_area_unscored():
    answers = _area_answers("permits", 3, 3, [1] * 5, [2, 2, 2])
    del answers["permits.factor.change"]
    area = risk_result(RISK, answers).areas[AREAS.index("permits")]
    assert area.applicable and not area.complete and area.residual is None


# -- properties: checklist -------------------------------------------------------------------

checklist_items = st.lists(st.tuples(weights, st.sampled_from(["yes", "partly", "no", "na"])),
                           max_size=12)


@FAST
@given(checklist_items, weights)
def test_the_resilience_index_ignores_items_that_do_not_apply(items, weight):
    index = resilience_index(items)
    assert index is None or Decimal(0) <= index <= Decimal(1)
    assert resilience_index([*items, (weight, "na")]) == index
    assert resilience_index([(weight, "na") for weight, _answer in items]) is None


@FAST
@given(checklist_items.filter(lambda items: items), st.data())
def test_a_better_answer_never_lowers_the_index(items, data):
    index = data.draw(st.integers(0, len(items) - 1))
    weight, answer = items[index]
    ladder = ["no", "partly", "yes"]
    assume(answer in ladder[:2])
    better = [*items]
    better[index] = (weight, ladder[ladder.index(answer) + 1])
    assert resilience_index(better) >= resilience_index(items)


# -- properties: survey ----------------------------------------------------------------------

def _response(draw_values) -> dict:
    response = {}
    for question, value in zip(SURVEY.questions, draw_values, strict=True):
        if value is not None:
            response[question.id] = (["yes", "no", "unsure"][value % 3]
                                     if question.role == "awareness" else value)
    return response


survey_response = st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=8,
                           max_size=8).map(_response)


@FAST
@given(st.lists(survey_response, max_size=K_ANONYMITY - 1))
def test_fewer_than_five_responses_show_nothing(responses):
    result = survey_result(SURVEY, responses)
    assert not result.shown and result.responses == len(responses)
    assert result.questions == {}
    assert (result.tolerance, result.tolerance_band, result.trust, result.willingness) == (
        None, None, None, None)
    risk = risk_result(RISK, _answers([(3, 3, [1] * 5, [2] * 4)] * 3))
    assert perception_gaps(SURVEY, result, risk) == []


@FAST
@given(st.lists(survey_response, min_size=K_ANONYMITY, max_size=12),
       st.integers(0, K_ANONYMITY - 1))
def test_a_question_answered_fewer_than_five_times_has_no_figure(responses, answered):
    question = "reporting.would-report"
    responses = [{key: value for key, value in response.items() if key != question}
                 for response in responses]
    for response in responses[:answered]:
        response[question] = 4
    result = survey_result(SURVEY, responses)
    assert result.shown
    assert result.questions[question].answered == answered
    assert result.questions[question].mean is None
    assert result.willingness is None
    for figure_ in result.questions.values():
        if figure_.answered < K_ANONYMITY:
            assert figure_.mean is None and figure_.share_yes is None


@FAST
@given(st.lists(survey_response, min_size=K_ANONYMITY, max_size=15))
def test_survey_indices_stay_within_0_and_100(responses):
    result = survey_result(SURVEY, responses)
    for index in (result.tolerance, result.trust, result.willingness):
        assert index is None or Decimal(0) <= index <= Decimal(100)
    if result.tolerance is not None:
        expected = ("low" if result.tolerance < 25 else
                    "moderate" if result.tolerance < 50 else "high")
        assert result.tolerance_band == expected


@FAST
@given(st.decimals(Decimal("0.3"), 25, places=1))
def test_the_management_level_is_the_square_root_on_the_survey_scale(residual):
    level = management_level(residual)
    assert Decimal("0.5") <= level <= 5
    half = Decimal("0.05")
    assert (level - half) ** 2 <= residual <= (level + half) ** 2


# -- properties: recommendations -------------------------------------------------------------

@FAST
@given(st.lists(area_answers, min_size=3, max_size=3), st.sets(st.sampled_from(AREAS),
                                                               max_size=2))
def test_recommendations_come_by_residual_risk_highest_first(drawn, excluded):
    answers = _answers(drawn)
    risk = risk_result(RISK, answers, excluded)
    advice = recommendations(RISK, answers, risk, excluded)
    residual = {area.area_id: area.residual for area in risk.scored}
    assert all(item.area_id not in excluded for item in advice)
    ranks = [residual[item.area_id] for item in advice]
    assert ranks == sorted(ranks, reverse=True)
    called = [q.id for q in RISK.questions if q.area_id not in excluded
              and q.recommendation_for(answers[q.id]) is not None]
    assert sorted(item.question_id for item in advice) == sorted(called)
    for first, second in pairwise(advice):
        if first.area_id == second.area_id:  # within an area, the weightiest first
            assert (RISK.question(first.question_id).weight
                    >= RISK.question(second.question_id).weight)


def test_recommendations_without_a_risk_result_follow_the_questionnaire():
    answers = _answers([(3, 3, [1] * 5, [0] * 4)] * 3)
    advice = recommendations(RISK, answers)
    areas = [item.area_id for item in advice]
    assert areas == sorted(areas, key=AREAS.index)
