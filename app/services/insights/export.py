"""The statistics as a CSV file for staff to download, every download audited."""

import csv
import io

from flask_babel import force_locale
from flask_babel import gettext as _

from app.extensions import db
from app.models import Institution, User
from app.services import audit
from app.services.insights.statistics import (
    MEASURE_LABELS,
    SECTIONS,
    Count,
    Statistics,
    keyed_rows,
)
from app.services.spreadsheets import safe_cells


def export_statistics(stats: Statistics, user: User, language: str,
                      institution: Institution | None = None) -> str:
    """The statistics as CSV for ``user`` to download, the export audited and committed.

    :param institution: whose statistics they are (None for the network's).
    """
    audit.record("exported", actor=user, institution=institution, what="statistics")
    db.session.commit()
    return statistics_csv(stats, language)


def statistics_csv(stats: Statistics, language: str) -> str:
    """The statistics as CSV: section, code, label (in ``language``) and value per row.

    Suppressed counts read "<5"; measures without data are empty.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    with force_locale(language):
        rows = [[_("Section"), _("Code"), _("Label"), _("Value")]]
        for key, label, day in (("start", _("Period start"), stats.period_start),
                                ("end", _("Period end"), stats.period_end)):
            rows.append(["period", key, label, day.isoformat() if day else ""])
        for section in SECTIONS:
            rows += [[section, key, label, count.display]
                     for key, label, count in keyed_rows(stats, section)]
        rows += [["measure", key, str(label), _measure(stats, key)]
                 for key, label in MEASURE_LABELS.items()]
    writer.writerows(safe_cells(row) for row in rows)
    return out.getvalue()


def _measure(stats: Statistics, key: str) -> str:
    value = getattr(stats, key)
    if isinstance(value, Count):
        return value.display
    if value is None:
        return ""
    return format(round(value * 100 if key.startswith("share") else value, 1), "g")
