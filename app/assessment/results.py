"""The result of an assessment as pages show it: charts with translated texts beside the
scores, recommendations, trend and network median (the on-screen and the printable page)."""

from decimal import Decimal

from flask import render_template
from flask_babel import get_locale
from flask_babel import gettext as _

from app.models import Assessment, Institution
from app.services.assessment.charts import HeatMapTexts, area_bars_svg, heat_map_svg
from app.services.assessment.comparison import network_median
from app.services.assessment.labels import HORIZONS, RESILIENCE_BANDS, RISK_BANDS
from app.services.assessment.lifecycle import (
    advice_of,
    answers_of,
    area_figures,
    evidence_of,
    finals,
    headline,
    questionnaire_of,
    result_of,
)
from app.services.assessment.questionnaires import localized
from app.services.assessment.scoring import MAX_RISK, RiskResult


def results_page(institution: Institution, assessment: Assessment, template: str):
    """Render ``template`` with everything a result page shows."""
    language = str(get_locale())
    questionnaire = questionnaire_of(assessment)
    result = result_of(assessment)
    titles = {area.id: localized(area.title, language) for area in questionnaire.areas}
    median = network_median(questionnaire.id)
    history = [(earlier, result_of(earlier))
               for earlier in finals(questionnaire.id, institution)]
    is_risk = isinstance(result, RiskResult)
    return render_template(
        template, institution=institution, assessment=assessment,
        questionnaire=questionnaire, result=result, is_risk=is_risk, titles=titles,
        advice=advice_of(assessment), median=median, charts=_charts(result, titles, median),
        trend=_trend(history, titles), risk_bands=RISK_BANDS, horizons=HORIZONS,
        resilience_bands=RESILIENCE_BANDS,
        answers_given=answers_of(assessment), evidence_given=evidence_of(assessment))


def _charts(result, titles: dict[str, str], median) -> list:
    medians = median.areas if median is not None else {}
    median_label = _("Network median") if median is not None else None
    figures = area_figures(result)
    rows = [(titles[area_id], value, medians.get(area_id)) for area_id, value in figures.items()]
    if isinstance(result, RiskResult):
        texts = HeatMapTexts(
            title=_("Heat map of the areas"),
            description=_("Areas placed by likelihood and impact: a hollow circle before "
                          "controls (inherent risk), a filled one after them (residual "
                          "risk)."),
            likelihood=_("Likelihood"), impact=_("Impact"), inherent=_("Inherent risk"),
            residual=_("Residual risk"), bands={key: str(label)
                                                for key, label in RISK_BANDS.items()},
            area_sentence=_("%(number)s %(area)s: inherent likelihood %(inherent_l)s, "
                            "residual likelihood %(residual_l)s, impact %(impact)s."))
        return [heat_map_svg(result, titles, texts),
                area_bars_svg(rows, _("Residual risk per area"),
                              _("The same figures are in the table below."),
                              Decimal(MAX_RISK), "residual-bars", median_label=median_label)]
    return [area_bars_svg(rows, _("Resilience index per section"),
                          _("The same figures are in the table below."), Decimal(1),
                          "resilience-bars", median_label=median_label)]


def _trend(history: list, titles: dict[str, str]) -> dict | None:
    """Rows per area (and overall) with one column per final assessment, oldest first;
    None with fewer than two."""
    if len(history) < 2:
        return None
    rows = [(_("Overall"), [headline(result) for _assessment, result in history])]
    for area_id, title in titles.items():
        values = [area_figures(result).get(area_id) for _assessment, result in history]
        if any(value is not None for value in values):
            rows.append((title, values))
    return {"columns": [assessment.finalised_on for assessment, _result in history],
            "rows": rows}
