"""Bar charts as inline SVG, drawn on the server: no script, no external file, no font.

A chart is an image with a name and a description for screen readers (``role="img"``,
``<title>`` and ``<desc>`` referenced by ``aria-labelledby``); the page shows the same rows
as an HTML table, which is the full text alternative. Labels arrive translated and are
escaped here, so a hostile institution name or category stays text. Colours meet WCAG 2.2
on white: bars 7.8:1 (1.4.11 asks 3:1), text 16:1 (1.4.3 asks 4.5:1). Only presentation
attributes are used, never ``style``, so the page's CSP needs no exception.
"""

import hashlib
import re

from markupsafe import Markup

from app.services.insights.statistics import Count

WIDTH = 640
PADDING = 16
ROW_HEIGHT = 44
BAR_HEIGHT = 16
VALUE_SPACE = 64  # room right of the longest bar for its number
MAX_LABEL = 80  # characters; the table beside the chart has the full label
BAR_COLOUR = "#0b5394"
TEXT_COLOUR = "#1b1f24"
AXIS_COLOUR = "#4a5560"
CHART_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")


def bar_chart_svg(title: str, rows: list[tuple[str, Count | int]], description: str,
                  chart_id: str | None = None) -> Markup:
    """A horizontal bar chart: each row's label above its bar, the number after it.

    A suppressed count gets no bar and reads "<5". ``chart_id`` prefixes the ids of the
    title and description; by default it is derived from the content, so give one when a
    page shows the same chart twice.
    """
    content = [str(title), str(description), *(f"{label}\t{value}" for label, value in rows)]
    chart_id = chart_id or "chart-" + hashlib.sha256(
        "\n".join(content).encode()).hexdigest()[:12]
    if not CHART_ID.fullmatch(chart_id):
        raise ValueError("chart_id must be a plain identifier")
    numbers = [_count(value) for _label, value in rows]
    largest = max((count.value or 0 for count in numbers), default=0)
    scale = (WIDTH - 2 * PADDING - VALUE_SPACE) / largest if largest else 0
    height = 2 * PADDING + max(len(rows), 1) * ROW_HEIGHT
    # Markup templates escape every value formatted into them: labels cannot become markup.
    parts = [
        Markup('<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {} {}"'
               ' role="img" aria-labelledby="{id}-title {id}-desc" font-family="sans-serif"'
               ' font-size="14" fill="{}">').format(WIDTH, height, TEXT_COLOUR, id=chart_id),
        Markup('<title id="{}-title">{}</title>').format(chart_id, title),
        Markup('<desc id="{}-desc">{}</desc>').format(chart_id, description),
        Markup('<line x1="{x}" y1="{x}" x2="{x}" y2="{}" stroke="{}" stroke-width="1"/>')
        .format(height - PADDING, AXIS_COLOUR, x=PADDING),
    ]
    for index, ((label, _value), count) in enumerate(zip(rows, numbers, strict=True)):
        top = PADDING + index * ROW_HEIGHT
        length = round((count.value or 0) * scale, 1)
        parts.append(Markup('<text x="{}" y="{}">{}</text>')
                     .format(PADDING + 4, top + 14, _shortened(label)))
        if length:
            parts.append(Markup('<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>')
                         .format(PADDING, top + 20, length, BAR_HEIGHT, BAR_COLOUR))
        parts.append(Markup('<text x="{}" y="{}" font-weight="600">{}</text>')
                     .format(PADDING + length + 6, top + 33, count.display))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def _count(value: Count | int) -> Count:
    return value if isinstance(value, Count) else Count(int(value))


def _shortened(label: str) -> str:
    label = str(label)
    return label if len(label) <= MAX_LABEL else label[:MAX_LABEL - 1].rstrip() + "…"
