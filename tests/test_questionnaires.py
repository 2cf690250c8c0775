"""The questionnaire files: the shipped ones are valid, complete and never change once
published; the loader refuses every file that breaks a rule (docs/assessment.md, "Writing or
revising a questionnaire")."""

import copy
import hashlib
import json

import jsonschema
import pytest
import yaml

from app.languages import LANGUAGES
from app.services.assessment.questionnaires import (
    DIRECTORY,
    FACTORS,
    QuestionnaireError,
    carried_over,
    load_directory,
    parse_questionnaire,
)

# The SHA-256 of every published file. A published file never changes: to revise a
# questionnaire, publish a new version that `follows` it, and add its digest here.
PUBLISHED = {
    ("institutional-risk", 1): "5eefc9f5bfb7c94f9377d715f56aee0860ebaae806e42d59d27d7e35e5b7a56a",
    ("integrity-checklist", 1): "16bcc6d74ce60ba4d4bf9b5f67291f03971a0f7e0069de855306336219a2f8b9",
    ("staff-survey", 1): "3992320e543b7f71f6eedc96553e55372cad2dfeddb2269600a2e735165596a3",
}

LINEAGES = ("institutional-risk", "integrity-checklist", "staff-survey")
RISK_AREAS = ("procurement", "permits", "inspections", "benefits", "property", "recruitment",
              "conflicts-of-interest", "planning", "municipal-companies",
              "confidential-information")
SHIPPED = sorted(DIRECTORY.glob("*/*.yaml"))


def _name(path) -> str:
    return str(path.relative_to(DIRECTORY))


def _raw(path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _schema() -> dict:
    return json.loads((DIRECTORY / "schema.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def shipped():
    return load_directory(DIRECTORY)


def _lineage(found: dict, lineage: str) -> list:
    return [found[key] for key in sorted(found) if key[0] == lineage]


# -- the shipped files -----------------------------------------------------------------------

def test_the_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(_schema())


@pytest.mark.parametrize("path", SHIPPED, ids=_name)
def test_a_shipped_file_validates_against_the_schema(path):
    validator = jsonschema.Draft202012Validator(_schema())
    errors = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
              for error in validator.iter_errors(_raw(path))]
    assert not errors, "\n".join(errors[:20])


def test_every_shipped_file_loads(shipped):
    assert {(path.parent.name, int(path.stem)) for path in SHIPPED} == set(shipped)


def _texts(node, where: str = ""):
    """Every text object (a mapping with any of lt, en, nb) of a raw file, with its place."""
    if isinstance(node, dict):
        if set(node) & set(LANGUAGES):
            yield where, node
            return
        for key, value in node.items():
            yield from _texts(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _texts(value, f"{where}/{index}")


@pytest.mark.parametrize("path", SHIPPED, ids=_name)
def test_every_text_is_given_in_every_language(path):
    texts = list(_texts(_raw(path)))
    assert texts
    problems = [where for where, text in texts
                if set(text) != set(LANGUAGES) or not all(
                    isinstance(text[language], str) and text[language].strip()
                    for language in LANGUAGES)]
    assert not problems, f"texts without lt, en and nb: {problems[:20]}"


def test_the_three_lineages_are_published(shipped):
    for lineage in LINEAGES:
        assert any(q.status == "published" for q in _lineage(shipped, lineage)), lineage
    kinds = {"institutional-risk": "risk", "integrity-checklist": "checklist",
             "staff-survey": "survey"}
    for (lineage, _version), questionnaire in shipped.items():
        if lineage in kinds:
            assert questionnaire.kind == kinds[lineage]


def test_the_risk_questionnaire_covers_the_vulnerable_areas(shipped):
    versions = _lineage(shipped, "institutional-risk")
    assert versions
    for questionnaire in versions:
        ids = [area.id for area in questionnaire.areas]
        covered = [area_id for area_id in RISK_AREAS if area_id in ids]
        assert len(covered) >= 8, f"{questionnaire.version}: only {covered}"
        for area in questionnaire.areas:
            controls = area.with_role("control")
            assert 3 <= len(controls) <= 6, area.id
            assert all(q.scale.values == (0, 1, 2, 3, 4) for q in controls), area.id
            for role in ("likelihood", "impact"):
                (question,) = area.with_role(role)
                assert question.scale.values == (1, 2, 3, 4, 5), f"{area.id} {role}"
            factors = area.with_role("factor")
            assert sorted(q.factor for q in factors) == sorted(FACTORS), area.id
            assert all(q.scale.values == (0, 1, 2) for q in factors), area.id


def test_checklist_items_are_answered_yes_partly_no_or_na(shipped):
    versions = _lineage(shipped, "integrity-checklist")
    assert versions
    for questionnaire in versions:
        assert questionnaire.questions
        for question in questionnaire.questions:
            assert question.role == "item", question.id
            values = set(question.scale.values)
            assert values <= {"yes", "partly", "no", "na"}, question.id
            assert {"yes", "no"} <= values, question.id


def test_the_survey_matches_the_risk_areas_and_takes_no_free_text(shipped):
    surveys = _lineage(shipped, "staff-survey")
    risks = _lineage(shipped, "institutional-risk")
    assert surveys and risks
    risk_areas = {area.id for area in risks[-1].areas}
    for questionnaire in surveys:
        perceived = [q for q in questionnaire.questions if q.role == "perceived-risk"]
        assert perceived
        for question in perceived:
            assert question.risk_area in risk_areas, question.id
        for question in questionnaire.questions:
            assert question.evidence is None, question.id
            # The survey's figures assume a 1–5 scale (indices, perception gap).
            if question.role == "awareness":
                assert "yes" in question.scale.values, question.id
            else:
                assert question.scale.values == (1, 2, 3, 4, 5), question.id


def test_no_survey_question_has_an_evidence_prompt():
    surveys = [raw for raw in map(_raw, SHIPPED) if raw["kind"] == "survey"]
    assert surveys
    for raw in surveys:
        assert [q["id"] for area in raw["areas"] for q in area["questions"]
                if "evidence" in q] == []


def test_published_files_never_change(shipped):
    for path in SHIPPED:
        questionnaire = shipped[path.parent.name, int(path.stem)]
        if questionnaire.status != "published":
            continue
        key = (questionnaire.id, questionnaire.version)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert questionnaire.digest == digest
        assert key in PUBLISHED, (
            f"{_name(path)} is published but not in PUBLISHED: once it is final, add "
            f"{key!r}: {digest!r} to PUBLISHED in tests/test_questionnaires.py; from then on "
            f"never edit it, publish a new version that follows it instead")
        assert PUBLISHED[key] == digest, (
            f"{_name(path)} is published and must not change (its digest is now {digest}). "
            f"Undo the edit and publish a new version, {questionnaire.id}/"
            f"{questionnaire.version + 1}.yaml, that follows it (docs/assessment.md, "
            f"\"Writing or revising a questionnaire\").")
    for lineage, version in PUBLISHED:
        assert (DIRECTORY / lineage / f"{version}.yaml").exists(), (
            f"{lineage}/{version}.yaml is published and must stay: assessments use it")
        assert shipped[lineage, version].status == "published"


# -- the loader's rules ----------------------------------------------------------------------

def text(value: str = "Text") -> dict:
    return {language: f"{value} ({language})" for language in LANGUAGES}


def scale(*values) -> dict:
    return {"options": [{"value": value, "label": text(str(value))} for value in values]}


def question(question_id: str, role: str = "control", scale_id: str = "maturity",
             **extra) -> dict:
    return {"id": question_id, "role": role, "scale": scale_id, "text": text(), **extra}


def area(area_id: str, controls: int = 3) -> dict:
    return {"id": area_id, "title": text(),
            "questions": [question(f"control-{number}") for number in range(1, controls + 1)]}


def risk(version: int = 1, **extra) -> dict:
    """A minimal valid risk questionnaire."""
    return {
        "id": "mini-risk", "version": version, "status": "published", "kind": "risk",
        "title": text(), "summary": text(),
        "methods": [{"id": "stt", "name": text(), "reference": "A reference"}],
        "scales": {"level": scale(1, 2, 3, 4, 5), "factor": scale(0, 1, 2),
                   "maturity": scale(0, 1, 2, 3, 4)},
        "likelihood": {"scale": "level", "text": text()},
        "impact": {"scale": "level", "text": text()},
        "factors": [{"id": factor, "scale": "factor", "text": text()} for factor in FACTORS],
        "areas": [area("procurement"), area("permits")],
        **extra,
    }


def survey() -> dict:
    """A minimal valid survey."""
    return {
        "id": "mini-survey", "version": 1, "status": "published", "kind": "survey",
        "title": text(), "summary": text(),
        "methods": [{"id": "saint", "name": text(), "reference": "A reference"}],
        "scales": {"risk": scale(1, 2, 3, 4, 5)},
        "areas": [{"id": "perceived-risk", "title": text(), "questions": [
            question("procurement", "perceived-risk", "risk", risk_area="procurement")]}],
    }


def dump(data: dict) -> bytes:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode()


def write(directory, data: dict, name: str | None = None) -> None:
    folder = directory / data["id"]
    folder.mkdir(exist_ok=True)
    (folder / (name or f"{data['version']}.yaml")).write_bytes(dump(data))


def test_the_minimal_files_are_valid(tmp_path):
    assert parse_questionnaire(dump(risk())).kind == "risk"
    assert parse_questionnaire(dump(survey())).kind == "survey"
    write(tmp_path, risk())
    assert list(load_directory(tmp_path)) == [("mini-risk", 1)]


def _without_language(data):
    del data["areas"][0]["questions"][0]["text"]["nb"]


def _empty_language(data):
    data["summary"]["lt"] = ""


def _unknown_scale(data):
    data["areas"][0]["questions"][0]["scale"] = "nowhere"


def _recommendation_outside_scale(data):
    data["areas"][0]["questions"][0]["recommendations"] = [{"when": [0, 7], "text": text()}]


def _two_controls(data):
    data["areas"][1] = area("permits", 2)


def _seven_controls(data):
    data["areas"][1] = area("permits", 7)


def _missing_factor(data):
    data["factors"] = [item for item in data["factors"] if item["id"] != "incidents"]


def _repeated_area(data):
    data["areas"][1]["id"] = "procurement"


def _repeated_question(data):
    data["areas"][0]["questions"][1]["id"] = "control-1"


def _unknown_method(data):
    data["areas"][0]["methods"] = ["nowhere"]


def _control_on_a_wrong_scale(data):
    data["areas"][0]["questions"][0]["scale"] = "level"


def _unknown_key(data):
    data["areas"][0]["questions"][0]["wieght"] = 2


def _checklist_role_in_a_risk_file(data):
    data["areas"][0]["questions"].append(question("item-1", "item"))


def _follows_itself(data):
    data["follows"] = {"version": 1, "carries_over": {}}


def _carries_over_a_question_it_lacks(data):
    data["version"] = 2
    data["follows"] = {"version": 1, "carries_over": {"procurement.nowhere": "procurement.x"}}


@pytest.mark.parametrize("breaks", [
    _without_language, _empty_language, _unknown_scale, _recommendation_outside_scale,
    _two_controls, _seven_controls, _missing_factor, _repeated_area,
    _repeated_question,
    _unknown_method, _control_on_a_wrong_scale, _unknown_key, _checklist_role_in_a_risk_file,
    _follows_itself, _carries_over_a_question_it_lacks,
], ids=lambda breaks: getattr(breaks, "__name__", "").strip("_"))
def test_a_broken_risk_file_is_refused(breaks):
    data = copy.deepcopy(risk())
    breaks(data)
    with pytest.raises(QuestionnaireError):
        parse_questionnaire(dump(data))


def test_a_survey_takes_no_evidence():
    data = survey()
    data["areas"][0]["questions"][0]["evidence"] = text("Describe what you saw")
    with pytest.raises(QuestionnaireError, match="no free text"):
        parse_questionnaire(dump(data))


def test_a_perceived_risk_names_its_area():
    data = survey()
    del data["areas"][0]["questions"][0]["risk_area"]
    with pytest.raises(QuestionnaireError):
        parse_questionnaire(dump(data))


def test_unquoted_yes_and_no_are_refused():
    content = dump(survey()).replace(b"kind: survey", b"kind: checklist")
    data = yaml.safe_load(content)
    data["scales"] = {"answer": scale("yes", "partly", "no", "na")}
    data["areas"][0]["questions"] = [question("item-1", "item", "answer")]
    assert parse_questionnaire(dump(data)).kind == "checklist"
    unquoted = dump(data).replace(b"'yes'", b"yes").replace(b"'no'", b"no")
    with pytest.raises(QuestionnaireError):
        parse_questionnaire(unquoted)


@pytest.mark.parametrize("name", ["2.yaml", "other.yaml"])
def test_the_file_name_is_its_version(tmp_path, name):
    write(tmp_path, risk(), name)
    with pytest.raises(QuestionnaireError, match="the file must be"):
        load_directory(tmp_path)


def test_the_folder_is_its_id(tmp_path):
    (tmp_path / "other-risk").mkdir()
    (tmp_path / "other-risk" / "1.yaml").write_bytes(dump(risk()))
    with pytest.raises(QuestionnaireError, match="the file must be"):
        load_directory(tmp_path)


def _version_two(carries_over: dict) -> dict:
    data = risk(2, follows={"version": 1, "carries_over": carries_over})
    data["areas"][0]["questions"][0]["id"] = "tender-rules"
    return data


def test_a_version_follows_one_that_exists(tmp_path):
    write(tmp_path, _version_two({}))
    with pytest.raises(QuestionnaireError, match="does not exist"):
        load_directory(tmp_path)


def test_carries_over_names_questions_of_the_previous_version(tmp_path):
    write(tmp_path, risk())
    write(tmp_path, _version_two({"procurement.tender-rules": "procurement.tender-rules"}))
    with pytest.raises(QuestionnaireError, match="not in version 1"):
        load_directory(tmp_path)


def test_a_new_version_carries_questions_over(tmp_path):
    write(tmp_path, risk())
    write(tmp_path, risk(3, follows={"version": 2, "carries_over": {
        "procurement.tender-rules": "procurement.tender-rules",
        "permits.likelihood": "permits.likelihood"}}, areas=[
            {**area("procurement"), "questions": [
                question("tender-rules"), *area("procurement")["questions"][1:]]},
            area("permits")]))
    write(tmp_path, _version_two({"procurement.tender-rules": "procurement.control-1",
                                  "procurement.factor.change": "procurement.factor.change",
                                  "permits.likelihood": "permits.likelihood"}))
    found = load_directory(tmp_path)
    assert set(found) == {("mini-risk", 1), ("mini-risk", 2), ("mini-risk", 3)}
    second, third = found["mini-risk", 2], found["mini-risk", 3]
    assert second.follows == 1
    assert carried_over(second, "procurement.tender-rules", 1, found=found) == (
        "procurement.control-1")
    assert carried_over(second, "procurement.factor.change", 1, found=found) == (
        "procurement.factor.change")
    assert carried_over(second, "procurement.tender-rules", 2, found=found) == (
        "procurement.tender-rules")
    # Not listed: not carried over, although the id is the same in version 1.
    assert carried_over(second, "procurement.control-2", 1, found=found) is None
    # Two steps back, through version 2.
    assert carried_over(third, "procurement.tender-rules", 1, found=found) == (
        "procurement.control-1")
    assert carried_over(third, "permits.likelihood", 1, found=found) == "permits.likelihood"
    assert carried_over(third, "permits.control-1", 1, found=found) is None
