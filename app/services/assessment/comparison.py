"""The network comparison: the median of the latest final results of every institution.

Only medians are shown, and only once enough institutions have a final result, so that no
other institution's figures can be read off a page.
"""

import statistics as stats
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from app.models import Assessment
from app.services.assessment.lifecycle import area_figures, finals, headline, result_of

NETWORK_MINIMUM = 3  # institutions with final results before the network median is shown


@dataclass(frozen=True)
class NetworkMedian:
    """The median of the latest final results of the network's institutions."""

    institutions: int
    headline: Decimal | None
    areas: dict[str, Decimal]  # only areas with at least NETWORK_MINIMUM figures


def network_median(questionnaire_id: str) -> NetworkMedian | None:
    """None until NETWORK_MINIMUM institutions have a final result of the lineage. Each
    institution counts once, with its latest result; only medians are shown, so no other
    institution's figures can be read off."""
    latest: dict[int, Assessment] = {}
    for assessment in finals(questionnaire_id):
        latest[assessment.institution_id] = assessment  # finals() is oldest first
    if len(latest) < NETWORK_MINIMUM:
        return None
    results = [result_of(assessment) for assessment in latest.values()]
    headlines = [value for value in map(headline, results) if value is not None]
    per_area: dict[str, list[Decimal]] = {}
    for result in results:
        for area_id, value in area_figures(result).items():
            per_area.setdefault(area_id, []).append(value)
    return NetworkMedian(
        len(latest),
        _median(headlines) if len(headlines) >= NETWORK_MINIMUM else None,
        {area_id: _median(values) for area_id, values in per_area.items()
         if len(values) >= NETWORK_MINIMUM})


def _median(values: list[Decimal]) -> Decimal:
    """The median, rounded half up to the places its values have."""
    return Decimal(stats.median(values)).quantize(min(map(_places, values)),
                                                  rounding=ROUND_HALF_UP)


def _places(value: Decimal) -> Decimal:
    return Decimal(1).scaleb(value.as_tuple().exponent)
