"""Charts of the self-assessment as inline SVG, drawn on the server like ``charts.py``.

Two charts: the 5 × 5 risk heat map (likelihood × impact) with each area's inherent and
residual position, and horizontal bars per area (residual risk, or resilience per checklist
section) with an optional network median tick.

The conventions are those of :mod:`app.services.insights.charts`: an image with a name and a
description for screen readers (``role="img"``, ``<title>`` and ``<desc>`` referenced by
``aria-labelledby``), no script, no font, no external file, presentation attributes only and
never ``style`` (the CSP stays strict), every caller text escaped by ``Markup.format``.

Colours (WCAG 2.2, checked in tests/test_assessment_charts.py): the band tints are light so
the dark text drawn on them keeps at least 9.8:1 (1.4.3 asks 4.5:1); markers, arrows and
median ticks are dark on light, or edged in white where they cross a dark bar. Colour never
carries meaning alone: each grid cell shows its likelihood × impact product, the legend
names the bands with their ranges, inherent and residual markers differ in shape (hollow,
filled), and ``<desc>`` spells out every area's position.
"""

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup

from app.services.assessment.scoring import MAX_RISK, RISK_BANDS, RiskResult, risk_band
from app.services.insights.charts import (
    AXIS_COLOUR,
    BAR_COLOUR,
    BAR_HEIGHT,
    CHART_ID,
    PADDING,
    ROW_HEIGHT,
    TEXT_COLOUR,
    VALUE_SPACE,
    WIDTH,
    _shortened,
)

GRID_SIZE = 5  # likelihood and impact both run 1 … 5
CELL = 100
GRID_LEFT = PADDING + 52  # room for the rotated likelihood title and the row numbers
GRID_TOP = PADDING
GRID_BOTTOM = GRID_TOP + GRID_SIZE * CELL
CELL_HEADER = 18  # top strip of a cell that holds its product
MARKER_SLOT = 28  # largest room for one marker; shrinks when a column is crowded
LEGEND_ROW = 24
KEY_ROW = 22
# Light tints: dark text on them stays above 9.8:1 (see the module docstring).
BAND_FILLS = {"low": "#d7efd9", "medium": "#fbefb4", "high": "#fbd3a9",
              "very-high": "#f6b8b8"}
GRID_LINE = "#ffffff"
INHERENT_FILL = "#ffffff"  # hollow: white inside, dark edge, dark number
RESIDUAL_FILL = TEXT_COLOUR  # filled: dark inside, white number
MARKER_TEXT_ON_FILL = "#ffffff"
ARROW_COLOUR = TEXT_COLOUR
MEDIAN_COLOUR = TEXT_COLOUR
MEDIAN_HALO = "#ffffff"  # keeps the dark tick visible where it crosses the dark bar


@dataclass(frozen=True)
class HeatMapTexts:
    """The words of the heat map, all translated by the caller.

    ``bands`` maps each risk band (low, medium, high, very-high) to its name.
    ``area_sentence`` is a ``%``-format string with named placeholders, rendered once per
    scored area and appended to ``description`` in ``<desc>``; write ``%%`` for a percent
    sign. Placeholders (any subset may be used):

    ``number``      the area's short number on the chart (1-based, over all areas)
    ``area``        the area's label
    ``likelihood``  the likelihood as answered, 1–5
    ``impact``      the impact as answered, 1–5 (also the column of both markers)
    ``inherent_l``, ``inherent_i``   row and column of the inherent marker
    ``residual_l``, ``residual_i``   row and column of the residual marker
    ``inherent``, ``residual``       the scores, one decimal place
    ``band``        the name of the residual band

    e.g. ``"%(number)s %(area)s: inherent likelihood %(inherent_l)s, impact %(impact)s;
    residual likelihood %(residual_l)s, impact %(impact)s."``
    """

    title: str
    description: str
    likelihood: str
    impact: str
    inherent: str
    residual: str
    bands: Mapping[str, str]
    area_sentence: str


def heat_map_svg(result: RiskResult, labels: Mapping[str, str], texts: HeatMapTexts,
                 chart_id: str = "heat-map") -> Markup:
    """The 5 × 5 risk grid, likelihood up (5 at the top), impact across (1 at the left).

    Each cell is tinted by the band of its product and shows the product. Each scored
    area has a hollow marker in its inherent cell and a filled one in its residual cell,
    both carrying the area's number (its 1-based place in ``result.areas``), joined by an
    arrow when the cells differ. Every area gets its own lane in its impact column, so
    markers sharing a cell stand side by side (wrapping into tiers when a column holds more
    than five areas) and arrows do not run through other areas' markers. A key
    under the legend gives the number of each scored area with its label (``labels`` maps
    area ids to labels; an id without label is shown as is). Areas that do not apply or
    are incomplete get no marker and no sentence.
    """
    _check_id(chart_id)
    scored = [(number, area) for number, area in enumerate(result.areas, start=1)
              if area.applicable and area.complete  # as RiskResult.scored
              and area.inherent_cell is not None and area.residual_cell is not None]
    names = {area.area_id: str(labels.get(area.area_id, area.area_id)) for _n, area in scored}

    # Each impact column gives every area with a marker in it a lane of its own, the same
    # in every cell of the column: an area's arrow then runs down its lane and crosses no
    # other area's marker. Within a cell the inherent marker sits above the residual one.
    lanes: dict[int, list[int]] = {}
    for number, area in scored:
        for _row, column in (area.inherent_cell, area.residual_cell):
            if number not in lanes.setdefault(column, []):
                lanes[column].append(number)
    placed = {(number, kind): _place(cell, lanes[cell[1]], number, kind)
              for number, area in scored
              for kind, cell in (("inherent", area.inherent_cell),
                                 ("residual", area.residual_cell))}

    legend_top = GRID_BOTTOM + 56
    key_top = legend_top + len(RISK_BANDS) * LEGEND_ROW + 8
    height = key_top + len(scored) * KEY_ROW + PADDING

    sentences = [str(texts.area_sentence) % _sentence_values(number, area, names, texts)
                 for number, area in scored]
    description = " ".join([str(texts.description), *sentences]).strip()
    parts = _opening(chart_id, height, str(texts.title), description)

    for likelihood in range(1, GRID_SIZE + 1):
        for impact in range(1, GRID_SIZE + 1):
            x, y = _cell_origin(likelihood, impact)
            product = likelihood * impact
            parts.append(Markup(
                '<rect class="cell" x="{}" y="{}" width="{}" height="{}" fill="{}"'
                ' stroke="{}" stroke-width="2"/>').format(
                    x, y, CELL, CELL, BAND_FILLS[risk_band(Decimal(product))], GRID_LINE))
            parts.append(Markup('<text x="{}" y="{}" font-size="11">{}</text>')
                         .format(x + 5, y + 13, product))
    parts += _axes(texts)

    for number, area in scored:
        if tuple(area.inherent_cell) != tuple(area.residual_cell):
            parts += _arrow(placed[number, "inherent"], placed[number, "residual"])
    for (number, kind), (x, y, radius) in sorted(placed.items()):
        parts += _marker(kind, number, x, y, radius)

    parts += _legend(texts, legend_top)
    for row, (number, area) in enumerate(scored):
        parts.append(Markup(
            '<text x="{}" y="{}"><tspan font-weight="700">{}</tspan> {}</text>').format(
                PADDING + 4, key_top + row * KEY_ROW + 15, number,
                _shortened(names[area.area_id])))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def area_bars_svg(rows: list[tuple[str, Decimal | None, Decimal | None]], title: str,
                  description: str, maximum: Decimal, chart_id: str,
                  median_label: str | None = None, *,
                  value_text: Callable[[Decimal], str] = str) -> Markup:
    """Horizontal bars on a fixed scale 0 … ``maximum``: each row's label above its bar,
    the value after it, and, when the row's third item is given, the network median as a
    thin vertical tick across the bar. ``median_label`` names the tick in a legend above
    the rows (shown only when some row has a median). A value of None gets no bar and
    reads "–". Values outside 0 … maximum are drawn at the nearer end and shown as they
    are. ``value_text`` formats values for display (e.g. with the locale's decimal comma).
    Used for residual risk per area (maximum 25) and resilience per section (maximum 1).
    """
    _check_id(chart_id)
    maximum = Decimal(maximum)
    if not maximum > 0:
        raise ValueError("maximum must be positive")
    span = WIDTH - 2 * PADDING - VALUE_SPACE
    with_legend = bool(median_label) and any(median is not None for *_r, median in rows)
    first = PADDING + (ROW_HEIGHT if with_legend else 0)
    bottom = first + max(len(rows), 1) * ROW_HEIGHT
    height = bottom + 20 + PADDING  # the scale's end numbers under the rows
    parts = _opening(chart_id, height, str(title), str(description))
    parts.append(Markup('<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="{}" stroke-width="1"/>')
                 .format(first, bottom, AXIS_COLOUR, x=PADDING))
    parts.append(Markup(
        '<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="{}" stroke-width="1"'
        ' stroke-dasharray="4 4"/>').format(first, bottom, AXIS_COLOUR, x=PADDING + span))
    if with_legend:
        parts += _median_tick(PADDING + 10, PADDING + 4, PADDING + 24)
        parts.append(Markup('<text x="{}" y="{}">{}</text>')
                     .format(PADDING + 22, PADDING + 19, _shortened(str(median_label))))
    for index, (label, value, median) in enumerate(rows):
        top = first + index * ROW_HEIGHT
        length = _scaled(value, maximum, span)
        parts.append(Markup('<text x="{}" y="{}">{}</text>')
                     .format(PADDING + 4, top + 14, _shortened(str(label))))
        if length:
            parts.append(Markup(
                '<rect class="bar" x="{}" y="{}" width="{}" height="{}" fill="{}"/>')
                .format(PADDING, top + 20, length, BAR_HEIGHT, BAR_COLOUR))
        end = PADDING + length
        if median is not None:
            tick = PADDING + _scaled(median, maximum, span)
            parts += _median_tick(tick, top + 16, top + 20 + BAR_HEIGHT + 4)
            end = max(end, tick + 2)
        shown = "–" if value is None else value_text(value)
        parts.append(Markup('<text x="{}" y="{}" font-weight="600">{}</text>')
                     .format(end + 6, top + 33, shown))
    parts.append(Markup('<text x="{}" y="{}" font-size="12">{}</text>')
                 .format(PADDING, bottom + 16, value_text(Decimal(0))))
    parts.append(Markup('<text x="{}" y="{}" font-size="12" text-anchor="middle">{}</text>')
                 .format(PADDING + span, bottom + 16, value_text(maximum)))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


# -- helpers ---------------------------------------------------------------------------------

def _check_id(chart_id: str) -> None:
    if not isinstance(chart_id, str) or not CHART_ID.fullmatch(chart_id):
        raise ValueError("chart_id must be a plain identifier")


def _opening(chart_id: str, height: int, title: str, description: str) -> list[Markup]:
    return [
        Markup('<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {} {}"'
               ' role="img" aria-labelledby="{id}-title {id}-desc" font-family="sans-serif"'
               ' font-size="14" fill="{}">').format(WIDTH, height, TEXT_COLOUR, id=chart_id),
        Markup('<title id="{}-title">{}</title>').format(chart_id, title),
        Markup('<desc id="{}-desc">{}</desc>').format(chart_id, description),
    ]


def _cell_origin(likelihood: int, impact: int) -> tuple[int, int]:
    """Top left corner of a cell: likelihood 5 is the top row, impact 1 the left column."""
    return GRID_LEFT + (impact - 1) * CELL, GRID_TOP + (GRID_SIZE - likelihood) * CELL


def _place(cell: tuple[int, int], lane_numbers: list[int], number: int,
           kind: str) -> tuple[float, float, float]:
    """Centre and radius of a marker: lanes side by side across the cell, wrapping into
    tiers when a column is crowded; each lane holds the inherent marker above the
    residual one."""
    x, y = _cell_origin(*cell)
    width, height = CELL - 8, CELL - CELL_HEADER - 4
    count = len(lane_numbers)
    columns = max(range(1, count + 1), key=lambda c: (
        min(width / c, height / (2 * math.ceil(count / c)), MARKER_SLOT), c))
    tiers = math.ceil(count / columns)
    size = min(width / columns, height / (2 * tiers), MARKER_SLOT)
    lane = lane_numbers.index(number)
    row = 2 * (lane // columns) + (kind == "residual")
    top = y + CELL_HEADER + (height - 2 * tiers * size) / 2
    return (round(x + 4 + (lane % columns + 0.5) * width / columns, 1),
            round(top + (row + 0.5) * size, 1), round(size / 2 - 2, 1))


def _marker(kind: str, number: int, x: float, y: float, radius: float) -> list[Markup]:
    fill, text = ((INHERENT_FILL, TEXT_COLOUR) if kind == "inherent"
                  else (RESIDUAL_FILL, MARKER_TEXT_ON_FILL))
    font = round(min(12.0, radius * 1.1), 1)
    return [
        Markup('<circle class="{}" cx="{}" cy="{}" r="{}" fill="{}" stroke="{}"'
               ' stroke-width="2"/>').format(kind, x, y, radius, fill, TEXT_COLOUR),
        Markup('<text class="{}-number" x="{}" y="{}" font-size="{}" font-weight="700"'
               ' text-anchor="middle" fill="{}">{}</text>').format(
                   kind, x, round(y + font * 0.35, 1), font, text, number),
    ]


def _arrow(start: tuple[float, float, float], end: tuple[float, float, float]) -> list[Markup]:
    """A thin line from the edge of the inherent marker to an arrowhead at the edge of the
    residual one."""
    (x1, y1, r1), (x2, y2, r2) = start, end
    distance = math.hypot(x2 - x1, y2 - y1)
    ux, uy = (x2 - x1) / distance, (y2 - y1) / distance
    head = 7
    tip = (x2 - ux * (r2 + 1), y2 - uy * (r2 + 1))
    base = (tip[0] - ux * head, tip[1] - uy * head)
    corners = [tip, (base[0] - uy * head / 2, base[1] + ux * head / 2),
               (base[0] + uy * head / 2, base[1] - ux * head / 2)]
    return [
        Markup('<line class="arrow" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"'
               ' stroke-width="1.5"/>').format(
                   round(x1 + ux * r1, 1), round(y1 + uy * r1, 1), round(base[0], 1),
                   round(base[1], 1), ARROW_COLOUR),
        Markup('<polygon class="arrow" points="{}" fill="{}"/>').format(
            " ".join(f"{round(px, 1)},{round(py, 1)}" for px, py in corners), ARROW_COLOUR),
    ]


def _axes(texts: HeatMapTexts) -> list[Markup]:
    middle_x = GRID_LEFT + GRID_SIZE * CELL / 2
    middle_y = GRID_TOP + GRID_SIZE * CELL / 2
    parts = []
    for step in range(1, GRID_SIZE + 1):
        x, y = _cell_origin(step, step)
        parts.append(Markup('<text x="{}" y="{}" text-anchor="end">{}</text>')
                     .format(GRID_LEFT - 8, y + CELL / 2 + 5, step))
        parts.append(Markup('<text x="{}" y="{}" text-anchor="middle">{}</text>')
                     .format(x + CELL / 2, GRID_BOTTOM + 18, step))
    parts.append(Markup(
        '<text x="{x}" y="{y}" text-anchor="middle" font-weight="600"'
        ' transform="rotate(-90 {x} {y})">{}</text>').format(
            _shortened(str(texts.likelihood)), x=PADDING + 14, y=middle_y))
    parts.append(Markup('<text x="{}" y="{}" text-anchor="middle" font-weight="600">{}</text>')
                 .format(middle_x, GRID_BOTTOM + 40, _shortened(str(texts.impact))))
    return parts


def _band_ranges() -> dict[str, str]:
    """Products of whole likelihoods and impacts in each band: low 1–4 … very-high 15–25."""
    ranges, lowest = {}, 1
    for bound, name in RISK_BANDS:
        highest = MAX_RISK if bound is None else int(bound) - 1
        ranges[name] = f"{lowest}–{highest}"
        lowest = highest + 1
    return ranges


def _legend(texts: HeatMapTexts, top: int) -> list[Markup]:
    parts = []
    for row, (name, span) in enumerate(_band_ranges().items()):
        y = top + row * LEGEND_ROW
        parts.append(Markup('<rect class="swatch" x="{}" y="{}" width="16" height="16"'
                            ' fill="{}" stroke="{}" stroke-width="1"/>')
                     .format(PADDING + 4, y, BAND_FILLS[name], AXIS_COLOUR))
        parts.append(Markup('<text x="{}" y="{}">{} ({})</text>').format(
            PADDING + 28, y + 13, _shortened(str(texts.bands.get(name, name))), span))
    column = WIDTH // 2
    for row, (kind, label) in enumerate((("inherent", texts.inherent),
                                         ("residual", texts.residual))):
        y = top + row * LEGEND_ROW
        fill = INHERENT_FILL if kind == "inherent" else RESIDUAL_FILL
        parts.append(Markup('<circle class="{}-key" cx="{}" cy="{}" r="8" fill="{}"'
                            ' stroke="{}" stroke-width="2"/>')
                     .format(kind, column + 12, y + 8, fill, TEXT_COLOUR))
        parts.append(Markup('<text x="{}" y="{}">{}</text>')
                     .format(column + 28, y + 13, _shortened(str(label))))
    return parts


def _sentence_values(number: int, area, names: Mapping[str, str],
                     texts: HeatMapTexts) -> dict[str, object]:
    return {
        "number": number, "area": names[area.area_id],
        "likelihood": area.likelihood, "impact": area.impact,
        "inherent_l": area.inherent_cell[0], "inherent_i": area.inherent_cell[1],
        "residual_l": area.residual_cell[0], "residual_i": area.residual_cell[1],
        "inherent": area.inherent, "residual": area.residual,
        "band": str(texts.bands.get(area.band, area.band)),
    }


def _scaled(value: Decimal | None, maximum: Decimal, span: int) -> float:
    if value is None:
        return 0
    share = min(max(Decimal(value), Decimal(0)), maximum) / maximum
    return round(float(share) * span, 1)


def _median_tick(x: float, top: float, bottom: float) -> list[Markup]:
    """A dark tick edged in white: visible on the white page and on the dark bar."""
    line = Markup('<line class="median{}" x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="{}"'
                  ' stroke-width="{}"/>')
    return [line.format("-halo", top, bottom, MEDIAN_HALO, 5, x=x),
            line.format("", top, bottom, MEDIAN_COLOUR, 2, x=x)]
