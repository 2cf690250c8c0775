"""Moments in an institution's own time zone: the one its jurisdiction's clocks show."""

from datetime import date, datetime, time, timedelta

import pytz
from babel.dates import format_datetime
from flask import current_app
from flask_babel import get_locale

from app.models import Institution, Jurisdiction
from app.models.types import as_utc

# pytz rather than zoneinfo: Flask-Babel depends on it, and it carries its own zone data
# where a slim container image has no /usr/share/zoneinfo.
JURISDICTION_ZONES = {Jurisdiction.LT: "Europe/Vilnius", Jurisdiction.NO: "Europe/Oslo"}


def institution_zone(institution: Institution) -> pytz.BaseTzInfo:
    """The institution's time zone (the deployment's default for an unknown jurisdiction)."""
    name = JURISDICTION_ZONES.get(institution.jurisdiction,
                                  current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return pytz.timezone(name)


def local_moment(moment: datetime, institution: Institution) -> datetime:
    """A stored (UTC) moment as the institution's clocks showed it."""
    return as_utc(moment).astimezone(institution_zone(institution))


def format_local(moment: datetime, institution: Institution, form: str = "short") -> str:
    """A moment in the institution's time, in the page's language: the "short" form is the
    one the case history uses ("2026-03-31 14:05" in Lithuanian)."""
    return format_datetime(as_utc(moment), form, tzinfo=institution_zone(institution),
                           locale=str(get_locale()))


def day_start(day: date, institution: Institution) -> datetime:
    """The first moment of a day of the institution's calendar, as an aware datetime (a day
    is 23 or 25 hours long when the clocks change)."""
    return institution_zone(institution).localize(datetime.combine(day, time.min))


def day_end(day: date, institution: Institution) -> datetime:
    """The first moment after a day of the institution's calendar."""
    return day_start(day + timedelta(days=1), institution)
