"""Charts of the self-assessment: well-formed, accessible, inert, and placed right."""

import math
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from markupsafe import Markup

from app.services.assessment.charts import (
    ARROW_COLOUR,
    BAND_FILLS,
    CELL,
    GRID_LEFT,
    GRID_TOP,
    INHERENT_FILL,
    MARKER_TEXT_ON_FILL,
    MEDIAN_COLOUR,
    MEDIAN_HALO,
    RESIDUAL_FILL,
    HeatMapTexts,
    area_bars_svg,
    heat_map_svg,
)
from app.services.assessment.scoring import AreaRisk, RiskResult
from app.services.insights.charts import BAR_COLOUR, PADDING, TEXT_COLOUR, VALUE_SPACE, WIDTH

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = ["<script>alert(1)</script>", '" onload="x', "' onload='alert(1)",
           '"><img src=x onerror=alert(1)>', "&amp; <![CDATA[x]]>"]
ALLOWED_TAGS = {f"{SVG}{name}" for name in (
    "svg", "title", "desc", "rect", "line", "text", "tspan", "circle", "polygon")}
SENTENCE = ("%(number)s %(area)s: inherent likelihood %(inherent_l)s, impact %(impact)s;"
            " residual likelihood %(residual_l)s, impact %(residual_i)s.")
TEXTS = HeatMapTexts(
    title="Risk heat map", description="Areas by likelihood and impact.",
    likelihood="Likelihood", impact="Impact", inherent="Inherent risk",
    residual="Residual risk",
    bands={"low": "Low", "medium": "Medium", "high": "High", "very-high": "Very high"},
    area_sentence=SENTENCE)


def parsed(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 (our own output, parsed to check it)


def scored(area_id, inherent_cell, residual_cell, residual="8.0", band="medium"):
    likelihood, impact = inherent_cell
    return AreaRisk(area_id, True, True, likelihood, impact, Decimal("0.50"),
                    Decimal(likelihood * impact), Decimal("2.00"), Decimal(residual), band,
                    inherent_cell, residual_cell)


def known_result() -> RiskResult:
    return RiskResult([
        scored("procurement", (4, 5), (2, 5), "9.4"),
        AreaRisk("grants", applicable=False),
        scored("hiring", (3, 2), (3, 2), "5.1"),
        AreaRisk("licensing"),  # applicable, not yet complete
        scored("inspections", (4, 5), (3, 5), "14.0", "high"),
    ])


LABELS = {"procurement": "Procurement", "grants": "Grants", "hiring": "Hiring",
          "licensing": "Licensing", "inspections": "Inspections"}


def cell_of(x: float, y: float) -> tuple[int, int]:
    """(likelihood, impact) of a point in the grid: likelihood 5 at the top."""
    column, row = int((x - GRID_LEFT) // CELL), int((y - GRID_TOP) // CELL)
    assert 0 <= column < 5 and 0 <= row < 5
    return 5 - row, column + 1


def markers(root: ET.Element, kind: str) -> dict[str, tuple[int, int]]:
    """Area number -> cell of each marker of a kind."""
    circles = [c for c in root.iter(f"{SVG}circle") if c.get("class") == kind]
    numbers = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == f"{kind}-number"]
    assert len(circles) == len(numbers)
    return {number: cell_of(float(c.get("cx")), float(c.get("cy")))
            for c, number in zip(circles, numbers, strict=True)}


def luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """WCAG 2.2 contrast ratio of two sRGB colours."""
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def assert_accessible_image(svg, title, desc):
    root = parsed(svg)
    assert isinstance(svg, Markup)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    ids = root.get("aria-labelledby").split()
    found = {element.get("id"): element for element in root.iter() if element.get("id")}
    assert len(ids) == 2 and all(name in found for name in ids)
    assert found[ids[0]].tag == f"{SVG}title" and found[ids[0]].text == title
    assert found[ids[1]].tag == f"{SVG}desc" and found[ids[1]].text.startswith(desc)
    assert re.fullmatch(r"0 0 \d+ \d+", root.get("viewBox"))
    return root


def assert_inert(svg: str):
    root = parsed(svg)
    assert {element.tag for element in root.iter()} <= ALLOWED_TAGS
    for element in root.iter():
        assert "style" not in element.attrib
        assert not [name for name in element.attrib if name.lower().startswith("on")]
    assert "<script" not in svg and "<img" not in svg and "<![CDATA" not in svg
    assert "style" not in svg and "href" not in svg and "url(" not in svg
    assert re.findall(r"https?://[^\"']*", svg) == ["http://www.w3.org/2000/svg"]


# -- heat map --------------------------------------------------------------------------------

def test_heat_map_is_a_named_described_inert_image():
    svg = heat_map_svg(known_result(), LABELS, TEXTS)

    root = assert_accessible_image(svg, "Risk heat map", "Areas by likelihood and impact.")
    assert root.get("aria-labelledby") == "heat-map-title heat-map-desc"
    assert_inert(str(svg))


def test_heat_map_has_25_cells_tinted_by_the_band_of_their_product():
    root = parsed(heat_map_svg(known_result(), LABELS, TEXTS))
    cells = [rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == "cell"]

    assert len(cells) == 25
    by_cell = {cell_of(float(r.get("x")) + 1, float(r.get("y")) + 1): r.get("fill")
               for r in cells}
    assert len(by_cell) == 25
    assert by_cell[1, 1] == by_cell[2, 2] == by_cell[4, 1] == BAND_FILLS["low"]  # 1, 4, 4
    assert by_cell[1, 5] == by_cell[3, 3] == BAND_FILLS["medium"]  # 5, 9
    assert by_cell[2, 5] == by_cell[3, 4] == BAND_FILLS["high"]  # 10, 12
    assert by_cell[3, 5] == by_cell[5, 5] == BAND_FILLS["very-high"]  # 15, 25
    products = [t.text for t in root.iter(f"{SVG}text") if t.get("font-size") == "11"]
    assert sorted(map(int, products)) == sorted(
        row * column for row in range(1, 6) for column in range(1, 6))


def test_markers_sit_in_the_inherent_and_residual_cells_numbered_by_area_order():
    root = parsed(heat_map_svg(known_result(), LABELS, TEXTS))

    assert markers(root, "inherent") == {"1": (4, 5), "3": (3, 2), "5": (4, 5)}
    assert markers(root, "residual") == {"1": (2, 5), "3": (3, 2), "5": (3, 5)}
    hollow = [c for c in root.iter(f"{SVG}circle") if c.get("class") == "inherent"]
    filled = [c for c in root.iter(f"{SVG}circle") if c.get("class") == "residual"]
    assert {c.get("fill") for c in hollow} == {INHERENT_FILL}
    assert {c.get("fill") for c in filled} == {RESIDUAL_FILL}


def test_an_arrow_joins_inherent_to_residual_only_when_the_cells_differ():
    root = parsed(heat_map_svg(known_result(), LABELS, TEXTS))
    lines = [line for line in root.iter(f"{SVG}line") if line.get("class") == "arrow"]
    heads = [p for p in root.iter(f"{SVG}polygon") if p.get("class") == "arrow"]

    assert len(lines) == len(heads) == 2  # areas 1 and 5; area 3 stays in its cell
    starts = sorted(cell_of(float(ln.get("x1")), float(ln.get("y1"))) for ln in lines)
    ends = sorted(cell_of(float(ln.get("x2")), float(ln.get("y2"))) for ln in lines)
    assert starts == [(4, 5), (4, 5)]
    assert ends == [(2, 5), (3, 5)]


def test_arrows_run_in_their_own_lane_past_other_areas_markers():
    result = RiskResult([scored("a", (5, 4), (1, 4)), scored("b", (3, 4), (3, 4)),
                         scored("c", (4, 4), (2, 4)), scored("d", (5, 4), (4, 4))])
    root = parsed(heat_map_svg(result, {}, TEXTS))
    circles = [(float(c.get("cx")), float(c.get("cy")), float(c.get("r")))
               for c in root.iter(f"{SVG}circle") if c.get("class") in {"inherent", "residual"}]
    lines = [[float(line.get(name)) for name in ("x1", "y1", "x2", "y2")]
             for line in root.iter(f"{SVG}line") if line.get("class") == "arrow"]

    assert len(lines) == 3
    for x1, y1, x2, y2 in lines:
        assert x1 == x2  # the impact stays: straight down its lane
        crossed = [(x, y) for x, y, r in circles
                   if abs(x - x1) < r and min(y1, y2) < y < max(y1, y2)]
        assert crossed == []


def test_areas_that_do_not_apply_or_are_incomplete_get_no_marker_and_no_sentence():
    root = parsed(heat_map_svg(known_result(), LABELS, TEXTS))
    desc = root.find(f"{SVG}desc").text
    numbers = set(markers(root, "inherent")) | set(markers(root, "residual"))

    assert numbers == {"1", "3", "5"}
    assert "Grants" not in desc and "Licensing" not in desc
    everything = " ".join(t for t in root.itertext())
    assert "Grants" not in everything and "Licensing" not in everything


def test_desc_is_the_description_then_one_sentence_per_scored_area():
    desc = parsed(heat_map_svg(known_result(), LABELS, TEXTS)).find(f"{SVG}desc").text

    assert desc == (
        "Areas by likelihood and impact."
        " 1 Procurement: inherent likelihood 4, impact 5; residual likelihood 2, impact 5."
        " 3 Hiring: inherent likelihood 3, impact 2; residual likelihood 3, impact 2."
        " 5 Inspections: inherent likelihood 4, impact 5; residual likelihood 3, impact 5.")


def test_area_sentence_offers_scores_and_band_names():
    texts = HeatMapTexts(**{**TEXTS.__dict__, "area_sentence":
                            "%(area)s %(inherent)s→%(residual)s (%(band)s, %(likelihood)s"
                            "×%(inherent_i)s)."})
    desc = parsed(heat_map_svg(known_result(), LABELS, texts)).find(f"{SVG}desc").text

    assert "Inspections 20→14.0 (High, 4×5)." in desc


def test_crowded_cell_keeps_markers_apart_and_inside_the_cell():
    areas = [scored(f"area-{n}", (3, 3), (3, 3)) for n in range(10)]
    root = parsed(heat_map_svg(RiskResult(areas), {}, TEXTS))
    circles = [c for c in root.iter(f"{SVG}circle") if c.get("class") in {
        "inherent", "residual"}]

    assert len(circles) == 20
    points = [(float(c.get("cx")), float(c.get("cy")), float(c.get("r"))) for c in circles]
    for x, y, r in points:
        left, top = GRID_LEFT + 2 * CELL, GRID_TOP + 2 * CELL
        assert left < x - r and x + r < left + CELL and top < y - r and y + r < top + CELL
        assert r >= 6
    for index, (x1, y1, r1) in enumerate(points):
        for x2, y2, r2 in points[index + 1:]:
            assert math.hypot(x2 - x1, y2 - y1) >= r1 + r2


def test_legend_names_each_band_with_its_range_and_both_markers():
    everything = list(parsed(heat_map_svg(known_result(), LABELS, TEXTS)).itertext())

    for text in ("Low (1–4)", "Medium (5–9)", "High (10–14)", "Very high (15–25)",
                 "Inherent risk", "Residual risk", "Likelihood", "Impact"):
        assert text in everything


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_texts_and_labels_stay_text_on_the_heat_map(hostile):
    texts = HeatMapTexts(hostile, hostile, hostile, hostile, hostile, hostile,
                         dict.fromkeys(("low", "medium", "high", "very-high"), hostile),
                         "%(area)s.")
    labels = dict.fromkeys(LABELS, hostile)
    svg = str(heat_map_svg(known_result(), labels, texts))
    root = parsed(svg)

    assert root.find(f"{SVG}title").text == hostile
    assert root.find(f"{SVG}desc").text == " ".join([hostile] + [f"{hostile}."] * 3)
    assert_inert(svg)


def test_empty_heat_map_is_still_valid():
    root = parsed(heat_map_svg(RiskResult([AreaRisk("a", applicable=False)]), {}, TEXTS))

    assert root.find(f"{SVG}desc").text == "Areas by likelihood and impact."
    assert [c.get("class") for c in root.iter(f"{SVG}circle")] == [
        "inherent-key", "residual-key"]  # only the legend's two markers


@pytest.mark.parametrize("chart_id", ["", "1st", "a b", 'x" onload="y', "a" * 65, None])
def test_heat_map_chart_id_must_be_a_plain_identifier(chart_id):
    with pytest.raises(ValueError):
        heat_map_svg(known_result(), LABELS, TEXTS, chart_id=chart_id)


def test_band_tints_keep_text_and_markers_readable():
    for fill in BAND_FILLS.values():
        assert contrast(fill, TEXT_COLOUR) >= 4.5  # WCAG 1.4.3: products and numbers
        assert contrast(fill, ARROW_COLOUR) >= 3  # WCAG 1.4.11: arrows, marker edges
        assert contrast(fill, RESIDUAL_FILL) >= 3
    assert contrast(INHERENT_FILL, TEXT_COLOUR) >= 4.5  # number in a hollow marker
    assert contrast(RESIDUAL_FILL, MARKER_TEXT_ON_FILL) >= 4.5  # number in a filled one
    assert contrast(MEDIAN_HALO, MEDIAN_COLOUR) >= 3
    assert contrast(MEDIAN_HALO, BAR_COLOUR) >= 3  # the halo stands out on the bar


# -- bars ------------------------------------------------------------------------------------

SPAN = WIDTH - 2 * PADDING - VALUE_SPACE


def bars(root: ET.Element) -> list[float]:
    return [float(r.get("width")) for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]


def medians(root: ET.Element) -> list[float]:
    return [float(line.get("x1")) for line in root.iter(f"{SVG}line")
            if line.get("class") == "median"]


def test_bars_are_a_named_described_inert_image():
    svg = area_bars_svg([("Procurement", Decimal("12.5"), Decimal("9.0"))], "Residual risk",
                        "Procurement 12.5.", Decimal(25), "residual", "Network median")

    root = assert_accessible_image(svg, "Residual risk", "Procurement 12.5.")
    assert root.get("aria-labelledby") == "residual-title residual-desc"
    assert_inert(str(svg))


def test_bar_width_is_proportional_to_value_over_maximum():
    rows = [("A", Decimal("25"), None), ("B", Decimal("12.5"), None), ("C", Decimal("5.0"), None),
            ("D", Decimal("0"), None)]
    root = parsed(area_bars_svg(rows, "t", "d", Decimal(25), "risk"))

    assert bars(root) == [pytest.approx(SPAN), pytest.approx(SPAN / 2),
                          pytest.approx(SPAN / 5)]  # no bar for zero
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts[:8] == ["A", "25", "B", "12.5", "C", "5.0", "D", "0"]


def test_resilience_bars_use_a_maximum_of_one():
    rows = [("Policy", Decimal("0.75"), None), ("Training", Decimal("0.20"), None)]
    root = parsed(area_bars_svg(rows, "t", "d", Decimal(1), "resilience"))

    assert bars(root) == [pytest.approx(SPAN * 0.75), pytest.approx(SPAN * 0.2)]


def test_values_beyond_the_scale_are_clamped_and_none_has_no_bar():
    rows = [("Over", Decimal(30), None), ("Under", Decimal(-1), None), ("None", None, None)]
    root = parsed(area_bars_svg(rows, "t", "d", Decimal(25), "risk"))

    assert bars(root) == [pytest.approx(SPAN)]
    assert [t.text for t in root.iter(f"{SVG}text")][:6] == ["Over", "30", "Under", "-1",
                                                             "None", "–"]


def test_median_tick_appears_only_where_given_with_its_legend():
    rows = [("A", Decimal(10), Decimal(5)), ("B", Decimal(20), None)]
    with_label = parsed(area_bars_svg(rows, "t", "d", Decimal(25), "risk", "Network median"))
    without = parsed(area_bars_svg([("A", Decimal(10), None), ("B", Decimal(20), None)],
                                   "t", "d", Decimal(25), "risk", "Network median"))

    ticks = medians(with_label)
    assert len(ticks) == 2  # one in the legend, one for row A
    assert ticks[1] == pytest.approx(PADDING + SPAN / 5)
    assert "Network median" in list(with_label.itertext())
    assert medians(without) == []
    assert "Network median" not in list(without.itertext())  # no legend without a tick


def test_value_text_may_format_numbers():
    root = parsed(area_bars_svg([("A", Decimal("0.75"), None)], "t", "d", Decimal(1), "r",
                                value_text=lambda value: str(value).replace(".", ",")))

    assert "0,75" in list(root.itertext())


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_texts_and_labels_stay_text_on_the_bars(hostile):
    svg = str(area_bars_svg([(hostile, Decimal(3), Decimal(2))], hostile, hostile,
                            Decimal(25), "bars", hostile))
    root = parsed(svg)

    assert root.find(f"{SVG}title").text == hostile
    assert root.find(f"{SVG}desc").text == hostile
    assert [t.text for t in root.iter(f"{SVG}text")][:2] == [hostile, hostile]
    assert_inert(svg)


@pytest.mark.parametrize("chart_id", ["", "1st", "a b", 'x" onload="y', "a" * 65, None])
def test_bars_chart_id_must_be_a_plain_identifier(chart_id):
    with pytest.raises(ValueError):
        area_bars_svg([("A", Decimal(1), None)], "t", "d", Decimal(25), chart_id)


@pytest.mark.parametrize("maximum", [Decimal(0), Decimal(-1)])
def test_bars_need_a_positive_maximum(maximum):
    with pytest.raises(ValueError):
        area_bars_svg([("A", Decimal(1), None)], "t", "d", maximum, "bars")


def test_empty_bars_are_still_valid():
    root = parsed(area_bars_svg([], "Nothing yet", "No scores.", Decimal(25), "bars"))

    assert root.find(f"{SVG}title").text == "Nothing yet"
    assert bars(root) == [] and medians(root) == []
