"""Server-side SVG bar charts: well-formed, accessible, inert whatever the labels say."""

import re
import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from app.services.insights.charts import (
    BAR_COLOUR,
    PADDING,
    TEXT_COLOUR,
    VALUE_SPACE,
    WIDTH,
    bar_chart_svg,
)
from app.services.insights.statistics import Count

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>',
           "' onload='alert(1)", "&amp; <![CDATA[x]]>"]


def parsed(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 (our own output, parsed to check it)


def texts(root: ET.Element) -> list[str]:
    return [element.text for element in root.iter(f"{SVG}text")]


def contrast_with_white(colour: str) -> float:
    """WCAG 2.2 contrast ratio of an sRGB colour against white."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 1.05 / (luminance + 0.05)


def test_chart_is_an_image_named_and_described_for_screen_readers():
    svg = bar_chart_svg("Reports by category", [("Bribery", 3), ("Fraud", Count(12))],
                        "Bribery 3, fraud 12.")
    root = parsed(svg)

    assert isinstance(svg, Markup)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.text == "Reports by category" and desc.text == "Bribery 3, fraud 12."
    assert root.get("aria-labelledby").split() == [title.get("id"), desc.get("id")]
    assert re.fullmatch(r"0 0 \d+ \d+", root.get("viewBox"))
    assert root.get("width") is None and root.get("height") is None  # scales with the page


def test_every_row_has_its_label_and_number_and_bars_scale_to_the_largest():
    root = parsed(bar_chart_svg("t", [("Bribery", 3), ("Fraud", 12), ("Other", 0)], "d"))

    assert texts(root) == ["Bribery", "3", "Fraud", "12", "Other", "0"]
    widths = [float(rect.get("width")) for rect in root.iter(f"{SVG}rect")]
    assert widths == [pytest.approx((WIDTH - 2 * PADDING - VALUE_SPACE) * 3 / 12),
                      WIDTH - 2 * PADDING - VALUE_SPACE]  # no bar for zero


def test_suppressed_count_reads_less_than_five_and_gets_no_bar():
    root = parsed(bar_chart_svg("t", [("Bribery", Count(None)), ("Fraud", Count(9))], "d"))

    assert texts(root) == ["Bribery", "<5", "Fraud", "9"]
    assert len(list(root.iter(f"{SVG}rect"))) == 1


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_labels_title_and_description_stay_text(hostile):
    svg = str(bar_chart_svg(hostile, [(hostile, 5), ("x", Count(None))], hostile))
    root = parsed(svg)

    assert root.find(f"{SVG}title").text == hostile
    assert root.find(f"{SVG}desc").text == hostile
    assert texts(root)[0] == hostile
    assert "<script" not in svg and "<img" not in svg and "<![CDATA" not in svg
    assert {element.tag for element in root.iter()} <= {
        f"{SVG}{name}" for name in ("svg", "title", "desc", "line", "text", "rect")}
    for element in root.iter():
        assert not [name for name in element.attrib if name.lower().startswith("on")]


def test_chart_refers_to_nothing_outside_itself():
    svg = str(bar_chart_svg("t", [("a", 1), ("b", Count(None))], "d"))

    assert "href" not in svg
    assert "url(" not in svg
    assert "style" not in svg  # presentation attributes only: the CSP stays strict
    assert re.findall(r"https?://[^\"']*", svg) == ["http://www.w3.org/2000/svg"]


def test_colours_are_readable_on_white():
    root = parsed(bar_chart_svg("t", [("a", 1)], "d"))

    assert root.get("fill") == TEXT_COLOUR
    assert {rect.get("fill") for rect in root.iter(f"{SVG}rect")} == {BAR_COLOUR}
    assert contrast_with_white(BAR_COLOUR) >= 3  # WCAG 1.4.11, non-text contrast
    assert contrast_with_white(TEXT_COLOUR) >= 4.5  # WCAG 1.4.3, text


def test_empty_chart_is_still_valid_svg():
    root = parsed(bar_chart_svg("Nothing yet", [], "No reports in this period."))

    assert root.find(f"{SVG}title").text == "Nothing yet"
    assert texts(root) == []


def test_two_charts_get_different_ids_unless_one_is_given():
    first = parsed(bar_chart_svg("By month", [("2024-01", 7)], "d"))
    second = parsed(bar_chart_svg("By category", [("Fraud", 7)], "d"))
    named = parsed(bar_chart_svg("By month", [("2024-01", 7)], "d", chart_id="months"))

    assert first.find(f"{SVG}title").get("id") != second.find(f"{SVG}title").get("id")
    assert named.get("aria-labelledby") == "months-title months-desc"


def test_chart_id_must_be_a_plain_identifier():
    with pytest.raises(ValueError, match="chart_id"):
        bar_chart_svg("t", [], "d", chart_id='x" onload="alert(1)')


def test_very_long_label_is_shortened_in_the_picture_only():
    label = "Municipal company " * 10
    root = parsed(bar_chart_svg("t", [(label, 5)], "d"))

    assert texts(root)[0].endswith("…") and len(texts(root)[0]) <= 80
