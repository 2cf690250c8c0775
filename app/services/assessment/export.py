"""Exports of an assessment's result: its snapshot as JSON, its scores as CSV.

A final assessment exports its frozen snapshot; a draft exports its state so far. What staff
download comes from :func:`export_assessment`, which records every download in the audit log.
"""

import csv
import io
import json

from app.extensions import db
from app.models import Assessment, User
from app.services import audit
from app.services.assessment.lifecycle import current_state, questionnaire_of, result_of
from app.services.assessment.questionnaires import localized
from app.services.assessment.scoring import RiskResult
from app.services.spreadsheets import safe_cells

EXPORT_KINDS = ("csv", "json")
RISK_COLUMNS = ("area", "title", "applicable", "likelihood", "impact", "factor_load",
                "inherent", "maturity", "residual", "band")
CHECKLIST_COLUMNS = ("area", "title", "answered", "applicable", "index", "band")


def export_assessment(assessment: Assessment, kind: str, user: User, language: str) -> str:
    """The result as ``kind`` (one of :data:`EXPORT_KINDS`), the export audited and
    committed; a CSV's titles are in ``language``."""
    if kind not in EXPORT_KINDS:
        raise ValueError(f"unknown export kind {kind!r}")
    audit.record("exported", actor=user, institution=assessment.institution,
                 what=f"assessment:{kind}", assessment=assessment.id)
    db.session.commit()
    return export_csv(assessment, language) if kind == "csv" else export_json(assessment)


def export_json(assessment: Assessment) -> str:
    """The snapshot of a final assessment (or the draft's current state) as JSON."""
    content = assessment.snapshot or current_state(assessment, questionnaire_of(assessment))
    return json.dumps({"institution": assessment.institution.slug,
                       "status": assessment.status.value,
                       "started_on": assessment.started_on.isoformat(),
                       "finalised_on": assessment.finalised_on.isoformat()
                       if assessment.finalised_on else None, **content},
                      ensure_ascii=False, indent=2, sort_keys=True)


def export_csv(assessment: Assessment, language: str) -> str:
    """One row per area and an overall row; spreadsheet formulas are neutralised."""
    questionnaire, result = questionnaire_of(assessment), result_of(assessment)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    title = {area.id: localized(area.title, language) for area in questionnaire.areas}
    if isinstance(result, RiskResult):
        writer.writerow(RISK_COLUMNS)
        for area in result.areas:
            writer.writerow(safe_cells([
                area.area_id, title[area.area_id], "yes" if area.applicable else "no",
                *(_cell(getattr(area, name)) for name in RISK_COLUMNS[3:])]))
        writer.writerow(["overall", "", "", "", "", "", "", "", _cell(result.overall),
                         _cell(result.overall_band)])
    else:
        writer.writerow(CHECKLIST_COLUMNS)
        for section in result.sections:
            writer.writerow(safe_cells([
                section.area_id, title[section.area_id], str(section.answered),
                str(section.applicable), _cell(section.index), _cell(section.band)]))
        writer.writerow(["overall", "", "", "", _cell(result.index), _cell(result.band)])
    return buffer.getvalue()


def _cell(value) -> str:
    return "" if value is None else str(value)
