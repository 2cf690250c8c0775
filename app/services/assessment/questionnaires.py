"""Questionnaires: versioned data files, validated and loaded once.

Each version of a questionnaire is one YAML file, ``app/data/questionnaires/<id>/<version>
.yaml``, checked against ``schema.json`` and then against the rules a schema cannot express
(a risk area has three to six controls, a recommendation names answers its scale has, a
method it cites exists). Every text comes in Lithuanian, English and Norwegian Bokmål.

A published file never changes (tests/test_questionnaires.py holds the digest of each); a
revision is a new version that names the version it follows and which of its questions
carry over, so answers compare across versions. The risk questionnaire asks its likelihood,
impact and vulnerability-factor questions in every area: the file gives them once, and the
loader places them in each area as ``<area>.likelihood``, ``<area>.impact`` and
``<area>.factor.<factor>``.
"""

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jsonschema
import yaml

DIRECTORY = Path(__file__).resolve().parents[2] / "data" / "questionnaires"
FACTORS = ("complexity", "change", "management", "personnel", "incidents")
CONTROLS_PER_AREA = (3, 6)
SCALE_RANGES = {"likelihood": range(1, 6), "impact": range(1, 6), "factor": range(3),
                "control": range(5)}
CHECKLIST_VALUES = {"yes", "partly", "no", "na"}
SURVEY_NUMERIC = {"perceived-risk", "tolerance", "trust", "willingness"}  # averaged: 1..5
ROLES = {"risk": {"likelihood", "impact", "factor", "control"},
         "checklist": {"item"},
         "survey": {"perceived-risk", "tolerance", "trust", "willingness", "awareness"}}


class QuestionnaireError(ValueError):
    """A questionnaire file breaks the format."""


Text = dict[str, str]  # language -> text


@dataclass(frozen=True)
class Option:
    """One answer a scale offers."""

    value: int | str
    label: Text


@dataclass(frozen=True)
class Scale:
    """The answers a question offers, in order."""

    id: str
    options: tuple[Option, ...]

    @property
    def values(self) -> tuple[int | str, ...]:
        return tuple(option.value for option in self.options)

    def label(self, value: int | str) -> Text | None:
        """The label of one answer, or None for a value the scale lacks."""
        return next((option.label for option in self.options if option.value == value), None)


@dataclass(frozen=True)
class Recommendation:
    """Advice the answers in ``when`` call for."""

    when: frozenset
    text: Text


@dataclass(frozen=True)
class Question:
    """One question, placed in its area."""

    id: str  # <area>.<question>, or <area>.factor.<factor>
    area_id: str
    role: str
    scale: Scale
    text: Text
    help: Text | None = None
    evidence: Text | None = None  # the prompt of an evidence note; None: no note
    weight: float = 1.0
    factor: str | None = None
    risk_area: str | None = None
    methods: tuple[str, ...] = ()
    recommendations: tuple[Recommendation, ...] = ()

    def parse(self, raw: str) -> int | str | None:
        """The answer a form field carries, or None when it is not one of the scale's."""
        for value in self.scale.values:
            if str(value) == raw:
                return value
        return None

    def recommendation_for(self, value: int | str | None) -> Recommendation | None:
        """The first recommendation the answer calls for."""
        return next((item for item in self.recommendations if value in item.when), None)


@dataclass(frozen=True)
class Area:
    """A vulnerable area (risk), a section (checklist, survey)."""

    id: str
    title: Text
    help: Text | None
    methods: tuple[str, ...]
    questions: tuple[Question, ...]

    def with_role(self, role: str) -> tuple[Question, ...]:
        return tuple(question for question in self.questions if question.role == role)


@dataclass(frozen=True)
class Method:
    """An established method a part of the questionnaire rests on."""

    id: str
    name: Text
    reference: str


@dataclass(frozen=True, eq=False)
class Questionnaire:
    """One version of one questionnaire."""

    id: str
    version: int
    status: str
    kind: str
    title: Text
    summary: Text
    methods: dict[str, Method]
    areas: tuple[Area, ...]
    digest: str  # SHA-256 of the file
    follows: int | None = None
    carries_over: dict[str, str] = field(default_factory=dict)  # id here -> id in `follows`
    _index: dict[str, Question] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {question.id: question
                                            for area in self.areas
                                            for question in area.questions})

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(self._index.values())

    def area(self, area_id: str) -> Area | None:
        return next((area for area in self.areas if area.id == area_id), None)

    def question(self, question_id: str) -> Question | None:
        return self._index.get(question_id)


@cache
def _schema() -> dict:
    return json.loads((DIRECTORY / "schema.json").read_text(encoding="utf-8"))


def parse_questionnaire(content: bytes, source: str = "<questionnaire>") -> Questionnaire:
    """One questionnaire from the bytes of its file; QuestionnaireError names what is wrong."""
    try:
        data = yaml.safe_load(content.decode("utf-8"))
        jsonschema.validate(data, _schema())
    except (UnicodeDecodeError, yaml.YAMLError, jsonschema.ValidationError) as error:
        raise QuestionnaireError(f"{source}: {error}") from error
    scales = {scale_id: Scale(scale_id, tuple(Option(option["value"], option["label"])
                                              for option in spec["options"]))
              for scale_id, spec in data["scales"].items()}
    methods = {item["id"]: Method(item["id"], item["name"], item["reference"])
               for item in data["methods"]}
    areas = tuple(_area(data, spec, scales) for spec in data["areas"])
    follows = data.get("follows") or {}
    questionnaire = Questionnaire(
        id=data["id"], version=data["version"], status=data["status"], kind=data["kind"],
        title=data["title"], summary=data["summary"], methods=methods, areas=areas,
        digest=hashlib.sha256(content).hexdigest(), follows=follows.get("version"),
        carries_over=dict(follows.get("carries_over", {})))
    problems = _problems(questionnaire)
    if problems:
        raise QuestionnaireError(f"{source}: " + "; ".join(problems))
    return questionnaire


def _area(data: dict, spec: dict, scales: dict[str, Scale]) -> Area:
    area_id = spec["id"]

    def question(local_id: str, role: str, item: dict, **extra) -> Question:
        if item["scale"] not in scales:
            raise QuestionnaireError(f"{area_id}.{local_id}: unknown scale {item['scale']!r}")
        return Question(
            id=f"{area_id}.{local_id}", area_id=area_id, role=role,
            scale=scales[item["scale"]], text=item["text"], help=item.get("help"),
            evidence=item.get("evidence"), weight=float(item.get("weight", 1)),
            risk_area=item.get("risk_area"), methods=tuple(item.get("methods", ())),
            recommendations=tuple(Recommendation(frozenset(r["when"]), r["text"])
                                  for r in item.get("recommendations", ())),
            **extra)

    questions = []
    if data["kind"] == "risk":
        for role in ("likelihood", "impact"):
            if role not in data:
                raise QuestionnaireError(f"a risk questionnaire needs a {role} question")
            questions.append(question(role, role, data[role]))
        questions += [question(f"factor.{item['id']}", "factor", item, factor=item["id"])
                      for item in data.get("factors", ())]
    questions += [question(item["id"], item["role"], item) for item in spec["questions"]]
    return Area(area_id, spec["title"], spec.get("help"), tuple(spec.get("methods", ())),
                tuple(questions))


def _problems(questionnaire: Questionnaire) -> list[str]:
    """What the schema cannot check."""
    problems = []
    roles = ROLES[questionnaire.kind]
    area_ids = [area.id for area in questionnaire.areas]
    if len(set(area_ids)) != len(area_ids):
        problems.append("area ids repeat")
    ids = [question.id for area in questionnaire.areas for question in area.questions]
    if len(set(ids)) != len(ids):
        problems.append("question ids repeat")
    for area in questionnaire.areas:
        problems += [f"{area.id}: unknown method {method!r}" for method in area.methods
                     if method not in questionnaire.methods]
        if questionnaire.kind == "risk":
            factors = [question.factor for question in area.with_role("factor")]
            if sorted(factors) != sorted(FACTORS):
                problems.append(f"{area.id}: the factors must be {', '.join(FACTORS)}")
            low, high = CONTROLS_PER_AREA
            if not low <= len(area.with_role("control")) <= high:
                problems.append(f"{area.id}: an area has {low} to {high} controls")
        for question in area.questions:
            problems += _question_problems(questionnaire, question, roles)
    if questionnaire.follows is not None and questionnaire.follows >= questionnaire.version:
        problems.append("a version follows an earlier one")
    problems += [f"carries_over: {new_id!r} is not a question here"
                 for new_id in questionnaire.carries_over if new_id not in ids]
    return problems


def _question_problems(questionnaire: Questionnaire, question: Question,
                       roles: set[str]) -> list[str]:
    problems = []
    if question.role not in roles:
        problems.append(f"{question.id}: role {question.role!r} is not one of {questionnaire.kind}")
    values = set(question.scale.values)
    expected = SCALE_RANGES.get(question.role)
    if expected is not None and values != set(expected):
        problems.append(f"{question.id}: its scale must offer {min(expected)}..{max(expected)}")
    if questionnaire.kind == "checklist" and not values <= CHECKLIST_VALUES:
        problems.append(f"{question.id}: a checklist answers yes, partly, no or na")
    if questionnaire.kind == "survey" and question.evidence is not None:
        problems.append(f"{question.id}: a survey has no free text")
    if question.role in SURVEY_NUMERIC and values != set(range(1, 6)):
        problems.append(f"{question.id}: its scale must offer 1..5")
    if question.role == "awareness" and "yes" not in values:
        problems.append(f"{question.id}: an awareness question offers yes")
    if question.role == "perceived-risk" and not question.risk_area:
        problems.append(f"{question.id}: a perceived risk names its risk_area")
    for recommendation in question.recommendations:
        if not recommendation.when <= values:
            problems.append(f"{question.id}: a recommendation names answers the scale lacks")
    problems += [f"{question.id}: unknown method {method!r}" for method in question.methods
                 if method not in questionnaire.methods]
    return problems


def load_directory(directory: Path) -> dict[tuple[str, int], Questionnaire]:
    """Every questionnaire version under ``directory``, keyed by (id, version)."""
    found = {}
    for path in sorted(directory.glob("*/*.yaml")):
        questionnaire = parse_questionnaire(path.read_bytes(), str(path))
        if (path.parent.name, path.stem) != (questionnaire.id, str(questionnaire.version)):
            raise QuestionnaireError(f"{path}: the file must be "
                                     f"{questionnaire.id}/{questionnaire.version}.yaml")
        found[questionnaire.id, questionnaire.version] = questionnaire
    for questionnaire in found.values():
        _check_lineage(questionnaire, found)
    return found


def _check_lineage(questionnaire: Questionnaire,
                   found: dict[tuple[str, int], Questionnaire]) -> None:
    if questionnaire.follows is None:
        return
    previous = found.get((questionnaire.id, questionnaire.follows))
    if previous is None:
        raise QuestionnaireError(f"{questionnaire.id} {questionnaire.version} follows a "
                                 f"version that does not exist")
    for new_id, old_id in questionnaire.carries_over.items():
        if previous.question(old_id) is None:
            raise QuestionnaireError(f"{questionnaire.id} {questionnaire.version}: "
                                     f"{new_id} carries over {old_id}, which is not in "
                                     f"version {previous.version}")


@cache
def catalogue() -> dict[tuple[str, int], Questionnaire]:
    """The questionnaires the service ships."""
    return load_directory(DIRECTORY)


def find_questionnaire(questionnaire_id: str, version: int) -> Questionnaire | None:
    return catalogue().get((questionnaire_id, version))


def current(questionnaire_id: str) -> Questionnaire | None:
    """The newest published version of a lineage."""
    published = [q for q in catalogue().values()
                 if q.id == questionnaire_id and q.status == "published"]
    return max(published, key=lambda q: q.version, default=None)


def published(kind: str | None = None) -> list[Questionnaire]:
    """The newest published version of every lineage (of one kind), by id."""
    lineages = sorted({q.id for q in catalogue().values()
                       if kind is None or q.kind == kind})
    return [q for q in (current(lineage) for lineage in lineages) if q is not None]


def carried_over(questionnaire: Questionnaire, question_id: str, version: int,
                 found: dict[tuple[str, int], Questionnaire] | None = None) -> str | None:
    """The id that question ``question_id`` of ``questionnaire`` had in an earlier
    ``version`` of its lineage, following each version's carries_over; None when it did
    not carry over. ``found`` defaults to the shipped catalogue."""
    found = catalogue() if found is None else found
    while questionnaire.version > version:
        if questionnaire.follows is None or question_id not in questionnaire.carries_over:
            return None
        question_id = questionnaire.carries_over[question_id]
        previous = found.get((questionnaire.id, questionnaire.follows))
        if previous is None:
            return None
        questionnaire = previous
    return question_id if questionnaire.version == version else None


def localized(text: Text | None, language: str) -> str:
    """The text in ``language`` (every file carries all three)."""
    if text is None:
        return ""
    return text.get(language) or text["lt"]
