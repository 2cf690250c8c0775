"""How a finalised result is frozen into an assessment's snapshot and read back.

The snapshot is stored as JSON, so the result in it is kept in plain form (Decimals as
strings, tuples as lists); reading it back restores the result objects the scoring code
returns, with the figures as they were on the day the assessment was finalised.
"""

from dataclasses import asdict, fields, is_dataclass
from decimal import Decimal

from app.services.assessment.scoring import (
    AreaRisk,
    ChecklistResult,
    RiskResult,
    SectionResilience,
)

DECIMAL_FIELDS = {"factor_load", "inherent", "maturity", "residual", "index"}


def plain(value):
    """A result as JSON-ready data: Decimals as strings, tuples as lists."""
    if is_dataclass(value):
        return {key: plain(item) for key, item in asdict(value).items()}
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


def result_from_plain(data: dict) -> RiskResult | ChecklistResult:
    """The result a snapshot froze, from its plain form (the inverse of :func:`plain`)."""
    if "areas" in data:
        areas = [(_build(AreaRisk, area)) for area in data["areas"]]
        worst = data.get("worst")
        return RiskResult(areas, _decimal(data.get("overall")), data.get("overall_band"),
                          (_build(AreaRisk, worst)) if worst else None)
    sections = [(_build(SectionResilience, item)) for item in data["sections"]]
    weakest = data.get("weakest")
    return ChecklistResult(sections, _decimal(data.get("index")), data.get("band"),
                           (_build(SectionResilience, weakest)) if weakest else None)


def _build(cls, data: dict):
    """A result row from its plain form: cells as tuples, Decimal fields as Decimals."""
    values = {}
    for spec in fields(cls):
        item = data.get(spec.name)
        if item is not None and spec.name.endswith("_cell"):
            item = tuple(item)
        elif item is not None and spec.name in DECIMAL_FIELDS:
            item = Decimal(item)
        values[spec.name] = item
    return cls(**values)


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)
