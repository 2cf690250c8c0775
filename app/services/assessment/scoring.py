"""Scores of the self-assessment: transparent formulas, documented in docs/assessment.md.

Everything here is a pure function of a questionnaire and its answers, computed with exact
fractions and rounded half up only where a figure is shown, so the worked examples in the
documentation come out to the digit. No function here reads the database.

Risk (per vulnerable area):
    factor load   u = Σ weight·factor / (2·Σ weight)                    0 … 1
    inherent risk   = min(25, likelihood × impact × (1 + u/2))          1 … 25
    maturity      M = Σ weight·control / Σ weight                       0 … 4
    residual risk   = inherent × (1 − 3/16·M)                          ¼ of inherent … inherent
Controls at full maturity remove three quarters of the inherent risk, never all of it.
The overall score is the mean residual risk of the applicable areas and is always reported
with the worst area beside it, so an average never hides a high-risk area.

Checklist: yes = 1, partly = ½, no = 0, weighted mean over answered items that apply.
Survey: means per question, indices 0–100, never for fewer than K_ANONYMITY responses.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from app.services.assessment.questionnaires import Question, Questionnaire

Answers = Mapping[str, int | str]  # question id -> answer
NOT_APPLICABLE = "na"
MAX_RISK = 25
FACTOR_UPLIFT = Fraction(1, 2)  # a fully present factor profile raises inherent risk by half
CONTROL_REACH = Fraction(3, 4)  # controls at maturity 4 remove at most three quarters
MAX_MATURITY = 4
MAX_FACTOR = 2
# Residual risk below each bound is in the band; the last band has no bound.
RISK_BANDS = ((Decimal(5), "low"), (Decimal(10), "medium"), (Decimal(15), "high"),
              (None, "very-high"))
# Months within which the band's measures are due (low: the next yearly review).
ACTION_HORIZON_MONTHS = {"low": 12, "medium": 12, "high": 6, "very-high": 3}
CHECKLIST_SCORES = {"yes": Fraction(1), "partly": Fraction(1, 2), "no": Fraction(0)}
RESILIENCE_BANDS = ((Decimal("0.2"), "very-low"), (Decimal("0.4"), "low"),
                    (Decimal("0.6"), "medium"), (Decimal("0.8"), "high"),
                    (None, "very-high"))
K_ANONYMITY = 5  # survey figures need at least this many responses
TOLERANCE_BANDS = ((Decimal(25), "low"), (Decimal(50), "moderate"), (None, "high"))
PERCEPTION_GAP = Decimal(1)  # on the 1–5 scale


def rounded(value: Fraction | int, places: int = 1) -> Decimal:
    """Half-up rounding of an exact value, as people round by hand."""
    exact = Decimal(value.numerator) / Decimal(value.denominator) if isinstance(
        value, Fraction) else Decimal(value)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _band(value: Decimal, bands) -> str:
    return next(name for bound, name in bands if bound is None or value < bound)


def _weighted_mean(pairs: Iterable[tuple[float, Fraction | int]]) -> Fraction | None:
    pairs = [(Fraction(str(weight)), Fraction(value)) for weight, value in pairs]
    total = sum((weight for weight, _ in pairs), Fraction(0))
    if not total:
        return None
    return sum((weight * value for weight, value in pairs), Fraction(0)) / total


# -- risk ------------------------------------------------------------------------------------

def factor_load(factors: Iterable[tuple[float, int]]) -> Fraction:
    """0 (no factor present) … 1 (every factor strongly present); pairs of weight, answer."""
    mean = _weighted_mean(factors)
    return Fraction(0) if mean is None else mean / MAX_FACTOR


def inherent_risk(likelihood: int, impact: int, load: Fraction) -> Fraction:
    """Likelihood × impact, raised by up to half by the factor load, at most 25."""
    return min(Fraction(MAX_RISK), likelihood * impact * (1 + FACTOR_UPLIFT * load))


def maturity(controls: Iterable[tuple[float, int]]) -> Fraction:
    """The weighted mean maturity of the controls, 0 … 4; pairs of weight, answer."""
    mean = _weighted_mean(controls)
    return Fraction(0) if mean is None else mean


def residual_risk(inherent: Fraction, mean_maturity: Fraction) -> Fraction:
    """Inherent risk reduced by the controls: by three quarters at most, never to zero."""
    return inherent * (1 - CONTROL_REACH * mean_maturity / MAX_MATURITY)


def risk_band(score: Decimal) -> str:
    """low (< 5), medium (< 10), high (< 15) or very-high, on the rounded score."""
    return _band(score, RISK_BANDS)


def grid_likelihood(score: Fraction, impact: int) -> int:
    """The heat-map row of a score: the likelihood that, with the area's impact, gives it
    (factors raise the likelihood, controls lower it; the impact stays)."""
    return max(1, min(5, int(rounded(score / impact, 0))))


@dataclass(frozen=True)
class AreaRisk:
    """The scores of one vulnerable area."""

    area_id: str
    applicable: bool = True
    complete: bool = False
    likelihood: int | None = None
    impact: int | None = None
    factor_load: Decimal | None = None  # 0–1, two places
    inherent: Decimal | None = None
    maturity: Decimal | None = None  # 0–4, two places
    residual: Decimal | None = None
    band: str | None = None
    inherent_cell: tuple[int, int] | None = None  # (likelihood row, impact column)
    residual_cell: tuple[int, int] | None = None


@dataclass(frozen=True)
class RiskResult:
    """The scores of a risk assessment."""

    areas: list[AreaRisk]
    overall: Decimal | None = None  # mean residual of the scored areas
    overall_band: str | None = None
    worst: AreaRisk | None = None

    @property
    def scored(self) -> list[AreaRisk]:
        return [area for area in self.areas if area.applicable and area.complete]


def area_risk(questionnaire: Questionnaire, area_id: str, answers: Answers,
              applicable: bool = True) -> AreaRisk:
    """The scores of one area; unscored while any of its questions is unanswered."""
    area = questionnaire.area(area_id)
    if area is None:
        raise KeyError(area_id)
    if not applicable:
        return AreaRisk(area_id, applicable=False)
    if any(answers.get(question.id) is None for question in area.questions):
        return AreaRisk(area_id)
    likelihood = int(answers[area.with_role("likelihood")[0].id])
    impact = int(answers[area.with_role("impact")[0].id])
    load = factor_load((q.weight, int(answers[q.id])) for q in area.with_role("factor"))
    inherent = inherent_risk(likelihood, impact, load)
    mean = maturity((q.weight, int(answers[q.id])) for q in area.with_role("control"))
    residual = residual_risk(inherent, mean)
    shown = rounded(residual)
    return AreaRisk(area_id, True, True, likelihood, impact, rounded(load, 2),
                    rounded(inherent), rounded(mean, 2), shown, risk_band(shown),
                    (grid_likelihood(inherent, impact), impact),
                    (grid_likelihood(residual, impact), impact))


def risk_result(questionnaire: Questionnaire, answers: Answers,
                not_applicable: Iterable[str] = ()) -> RiskResult:
    """Every area's scores, the overall score and the worst area (the first of equals)."""
    excluded = set(not_applicable)
    areas = [area_risk(questionnaire, area.id, answers, area.id not in excluded)
             for area in questionnaire.areas]
    scored = [area for area in areas if area.applicable and area.complete]
    if not scored:
        return RiskResult(areas)
    overall = rounded(Fraction(sum(area.residual for area in scored)) / len(scored))
    worst = max(scored, key=lambda area: area.residual)  # max keeps the first of equals
    return RiskResult(areas, overall, risk_band(overall), worst)


# -- checklist -------------------------------------------------------------------------------

def resilience_index(items: Iterable[tuple[float, str]]) -> Decimal | None:
    """Weighted mean of yes = 1, partly = ½, no = 0 over the items that apply, two places;
    None when none applies."""
    mean = _weighted_mean((weight, CHECKLIST_SCORES[answer]) for weight, answer in items
                          if answer in CHECKLIST_SCORES)
    return None if mean is None else rounded(mean, 2)


def resilience_band(index: Decimal) -> str:
    """Five bands of 0.2, very-low … very-high."""
    return _band(index, RESILIENCE_BANDS)


@dataclass(frozen=True)
class SectionResilience:
    """The index of one checklist section."""

    area_id: str
    index: Decimal | None
    band: str | None
    answered: int
    applicable: int


@dataclass(frozen=True)
class ChecklistResult:
    """The resilience of an institution by its checklist."""

    sections: list[SectionResilience]
    index: Decimal | None
    band: str | None
    weakest: SectionResilience | None


def checklist_result(questionnaire: Questionnaire, answers: Answers) -> ChecklistResult:
    """The index overall and per section; unanswered items count as not yet answered."""
    sections = []
    for area in questionnaire.areas:
        pairs = [(q.weight, answers[q.id]) for q in area.questions if q.id in answers]
        index = resilience_index(pairs)
        sections.append(SectionResilience(
            area.id, index, None if index is None else resilience_band(index), len(pairs),
            sum(1 for _weight, answer in pairs if answer != NOT_APPLICABLE)))
    index = resilience_index((q.weight, answers[q.id]) for q in questionnaire.questions
                             if q.id in answers)
    indexed = [section for section in sections if section.index is not None]
    weakest = min(indexed, key=lambda section: section.index, default=None)
    return ChecklistResult(sections, index, None if index is None else resilience_band(index),
                           weakest)


# -- survey ----------------------------------------------------------------------------------

def scale_index(mean: Fraction) -> Decimal:
    """A mean on the 1–5 scale as 0–100 (1 → 0, 5 → 100), whole numbers."""
    return rounded((mean - 1) / 4 * 100, 0)


@dataclass(frozen=True)
class QuestionFigure:
    """What the responses say about one question; None where too few answered it."""

    question_id: str
    answered: int
    mean: Decimal | None = None  # numeric scales, one place
    share_yes: Decimal | None = None  # awareness, percent, whole numbers


@dataclass(frozen=True)
class SurveyResult:
    """Survey figures; empty (``shown`` False) below K_ANONYMITY responses."""

    responses: int
    shown: bool
    questions: dict[str, QuestionFigure] = field(default_factory=dict)
    tolerance: Decimal | None = None  # 0–100, higher: more tolerant of irregular practice
    tolerance_band: str | None = None
    trust: Decimal | None = None  # 0–100
    willingness: Decimal | None = None  # 0–100


def survey_result(questionnaire: Questionnaire, responses: list[Answers],
                  minimum: int = K_ANONYMITY) -> SurveyResult:
    """Aggregates of the responses. Nothing is shown for fewer than ``minimum`` responses,
    and no question's figure for fewer than ``minimum`` answers to it. A person's own page
    passes ``minimum=1`` with their single response."""
    if len(responses) < minimum:
        return SurveyResult(len(responses), False)
    figures, role_answers = {}, {"tolerance": [], "trust": [], "willingness": []}
    answers: dict[str, list] = {question.id: [] for question in questionnaire.questions}
    for response in responses:  # one pass: 10 000 responses take milliseconds
        for question_id, value in response.items():
            bucket = answers.get(question_id)
            if bucket is not None and value is not None:
                bucket.append(value)
    for question in questionnaire.questions:
        given = answers[question.id]
        figures[question.id] = _figure(question, given, minimum)
        if question.role in role_answers and len(given) >= minimum:
            role_answers[question.role] += given
    indices = {role: scale_index(Fraction(sum(values), len(values))) if values else None
               for role, values in role_answers.items()}
    tolerance = indices["tolerance"]
    return SurveyResult(len(responses), True, figures, tolerance,
                        None if tolerance is None else _band(tolerance, TOLERANCE_BANDS),
                        indices["trust"], indices["willingness"])


def _figure(question: Question, given: list, minimum: int) -> QuestionFigure:
    if len(given) < minimum:
        return QuestionFigure(question.id, len(given))
    if question.role == "awareness":
        yes = Fraction(sum(1 for value in given if value == "yes"), len(given))
        return QuestionFigure(question.id, len(given), share_yes=rounded(yes * 100, 0))
    return QuestionFigure(question.id, len(given), mean=rounded(Fraction(sum(given),
                                                                         len(given))))


def management_level(residual: Decimal) -> Decimal:
    """Management's residual risk on the 1–5 scale of the survey: its square root (the
    geometric mean of the likelihood and impact that give it), one place."""
    return Decimal(residual).sqrt().quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PerceptionGap:
    """Staff perception next to management's assessment for one area."""

    area_id: str
    staff: Decimal
    management: Decimal
    gap: Decimal  # staff − management
    flagged: bool


def perception_gaps(questionnaire: Questionnaire, survey: SurveyResult,
                    risk: RiskResult) -> list[PerceptionGap]:
    """Areas where the survey and the risk assessment both have a figure; flagged when
    they differ by PERCEPTION_GAP or more on the 1–5 scale."""
    if not survey.shown:
        return []
    residuals = {area.area_id: area.residual for area in risk.scored}
    gaps = []
    for question in questionnaire.questions:
        figure = survey.questions.get(question.id)
        if (question.role != "perceived-risk" or figure is None or figure.mean is None
                or question.risk_area not in residuals):
            continue
        management = management_level(residuals[question.risk_area])
        gap = figure.mean - management
        gaps.append(PerceptionGap(question.risk_area, figure.mean, management, gap,
                                  abs(gap) >= PERCEPTION_GAP))
    return gaps


# -- recommendations -------------------------------------------------------------------------

@dataclass(frozen=True)
class Advice:
    """A recommendation called for by one answer."""

    question_id: str
    area_id: str
    answer: int | str
    text: dict[str, str]


def recommendations(questionnaire: Questionnaire, answers: Answers,
                    risk: RiskResult | None = None,
                    not_applicable: Iterable[str] = ()) -> list[Advice]:
    """The advice the answers call for. With a risk result: areas by residual risk, highest
    first, then the areas not yet scored; otherwise in questionnaire order. Within an area,
    the weightiest question first."""
    excluded = set(not_applicable)
    order = {area.id: index for index, area in enumerate(questionnaire.areas)}
    if risk is not None:
        # Scored areas by residual risk; areas a draft has not scored yet follow, in order.
        ranked = sorted(risk.scored, key=lambda area: -area.residual)
        order = {area.area_id: index for index, area in enumerate(ranked)} | {
            area.id: len(ranked) + index for index, area in enumerate(questionnaire.areas)
            if area.id not in {scored.area_id for scored in ranked}}
    found = []
    for question in questionnaire.questions:
        answer = answers.get(question.id)
        advice = question.recommendation_for(answer)
        if advice is not None and question.area_id in order and (
                question.area_id not in excluded):
            found.append((order[question.area_id], -question.weight,
                          Advice(question.id, question.area_id, answer, advice.text)))
    found.sort(key=lambda entry: entry[:2])  # stable: questionnaire order among equals
    return [advice for _area, _weight, advice in found]
