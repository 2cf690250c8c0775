"""Statistics pages and their CSV exports. Counts only: nothing here decrypts."""

from datetime import date

from flask import Response, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from app.insights import bp
from app.services import ServiceError
from app.services.accounts.permissions import may_read_statistics
from app.services.administration.institutions import list_institutions
from app.services.insights.charts import bar_chart_svg
from app.services.insights.export import export_statistics
from app.services.insights.statistics import (
    MEASURE_LABELS,
    SECTIONS,
    SUPPRESSION_NOTE,
    Statistics,
    institution_statistics,
    labelled_rows,
    network_statistics,
)
from app.web.guards import current_staff, network_role, signed_in, statistics_reader


def _year() -> int | None:
    """The year chosen with ?year=, or None for all time (whole years only, so that two
    overlapping periods cannot be subtracted to reveal a small count)."""
    raw = request.args.get("year", "")
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else None


def _period() -> tuple[date | None, date | None]:
    year = _year()
    return (date(year, 1, 1), date(year, 12, 31)) if year else (None, None)


def _sections(stats: Statistics) -> list[dict]:
    titles = {
        "month": _("Reports by month"), "category": _("Reports by category"),
        "status": _("Reports by status"), "outcome": _("Closed reports by outcome"),
        "channel": _("Reports by how they were received"),
        "institution": _("Reports by institution"),
    }
    shown = []
    for section in SECTIONS:
        rows = labelled_rows(stats, section)
        if not rows:
            continue
        shown.append({"id": section, "title": titles[section], "rows": rows,
                      "chart": bar_chart_svg(titles[section], rows,
                                             _("The same figures are in the table below."),
                                             chart_id=f"chart-{section}")})
    return shown


def _page(stats: Statistics, heading: str, csv_url: str):
    return render_template("insights/statistics.html", stats=stats, heading=heading,
                           sections=_sections(stats), measures=MEASURE_LABELS,
                           note=SUPPRESSION_NOTE, csv_url=csv_url, year=_year(),
                           years=range(date.today().year, date.today().year - 6, -1))


def _csv(stats: Statistics, name: str, institution=None) -> Response:
    content = export_statistics(stats, current_staff().user, str(get_locale()), institution)
    response = Response(content, mimetype="text/csv")
    response.headers.set("Content-Disposition", "attachment", filename=name)
    return response


@bp.get("/statistics/")
@signed_in
def index():
    """The statistics this staff member may see."""
    user, language = current_staff().user, str(get_locale())
    institutions = [i for i in list_institutions(language) if may_read_statistics(user, i)]
    network = user.is_analyst or user.is_platform_admin
    return render_template("insights/index.html", institutions=institutions, network=network)


def _computed(compute, *args):
    start, end = _period()
    try:
        return compute(*args, start, end)
    except ServiceError:
        return compute(*args, None, None)


@bp.get("/statistics/network")
@network_role("is_analyst", "is_platform_admin")
def network():
    """Figures across the network, small counts withheld."""
    return _page(_computed(network_statistics), _("The whole network"),
                 url_for("insights.network_csv", year=_year()))


@bp.get("/statistics/network.csv")
@network_role("is_analyst", "is_platform_admin")
def network_csv():
    """The network figures as CSV (audited)."""
    return _csv(_computed(network_statistics), "skaidra-network.csv")


@bp.get("/i/<slug>/statistics")
@statistics_reader
def institution(institution):
    """One institution's figures, for its staff and the analysts."""
    return _page(_computed(institution_statistics, institution),
                 institution.name(str(get_locale())),
                 url_for("insights.institution_csv", slug=institution.slug, year=_year()))


@bp.get("/i/<slug>/statistics.csv")
@statistics_reader
def institution_csv(institution):
    """One institution's figures as CSV (audited)."""
    return _csv(_computed(institution_statistics, institution),
                f"skaidra-{institution.slug}.csv", institution)
