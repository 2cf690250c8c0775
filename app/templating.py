"""Helpers every template may use."""

import re

from babel.units import format_unit
from flask import Flask, current_app, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from app.languages import LANGUAGE_NAMES
from app.services.administration.institutions import JURISDICTION_LABELS, KIND_LABELS
from app.services.assessment.questionnaires import Text, localized
from app.services.casefile.attachments import NOTES, REMOVED
from app.services.casefile.categories import CATEGORY_LABELS
from app.services.casefile.labels import (
    CHANNEL_LABELS,
    MESSAGE_KIND_LABELS,
    MINUTES_STATE_LABELS,
    REPORTER_MESSAGE_KIND_LABELS,
    STATUS_LABELS,
)
from app.services.local_time import format_local

# Unicode's Bidi_Control characters: the Arabic letter mark, the left-to-right and
# right-to-left marks, the embeddings and overrides with their pop (U+202A–U+202E) and the
# isolates (U+2066–U+2069). File names drop them with every other control and format
# character (attachments.safe_filename); free text keeps line breaks and the joiners that
# some scripts and emoji need, so only these are picked out.
BIDI_CONTROLS = re.compile("([\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069])")


def _bidi_mark(control: str) -> Markup:
    return Markup('<span class="bidi-mark" dir="ltr" title="{}">[U+{}]</span>').format(
        _("An invisible character that changes the direction of text: shown here, not "
          "applied."), f"{ord(control):04X}")


def isolated(value: object) -> Markup:
    """Free text someone else typed, isolated from the page around it, with each bidi control
    shown as a visible mark instead of obeyed: an officer sees what was sent, and a reversed
    or reordered line can neither disguise itself nor the text after it."""
    pieces = BIDI_CONTROLS.split(str(value))  # the controls found are the odd pieces
    return Markup("<bdi>{}</bdi>").format(Markup("").join(
        _bidi_mark(piece) if index % 2 else piece for index, piece in enumerate(pieces)))


# Decimal units, as operating systems show file sizes today.
SIZE_UNITS = (("digital-megabyte", 1000**2), ("digital-kilobyte", 1000))


def filesize(size: int) -> str:
    """A file size in the page's language: "45 baitai", "1,5 kB", "12,3 MB" (CLDR's words and
    number format; below a kilobyte the unit is written out, since "B" is no word in any
    of our languages)."""
    locale = str(get_locale())
    for unit, factor in SIZE_UNITS:
        if size >= factor:
            return format_unit(round(size / factor, 1), unit, length="short", locale=locale)
    return format_unit(size, "digital-byte", length="long", locale=locale)


def home_url() -> str:
    """The start page of this surface: the network home, or staff sign-in on a staff-only node."""
    if "public.home" in current_app.view_functions:
        return url_for("public.home")
    return url_for("staff.login")


def tr(text: Text | None) -> str:
    """A questionnaire text in the page's language."""
    return localized(text, str(get_locale()))


def init_app(app: Flask) -> None:
    """Expose the helpers to templates."""
    app.add_template_filter(isolated)
    app.add_template_filter(filesize)
    # A stored moment as the institution's clocks showed it: `moment|local_time(institution)`.
    app.add_template_filter(format_local, "local_time")
    app.context_processor(
        lambda: {
            "home_url": home_url,
            "kind_label": KIND_LABELS.__getitem__,
            "jurisdiction_label": JURISDICTION_LABELS.__getitem__,
            "category_label": CATEGORY_LABELS.__getitem__,
            "status_label": STATUS_LABELS.__getitem__,
            "channel_label": CHANNEL_LABELS.__getitem__,
            "minutes_state_label": MINUTES_STATE_LABELS.__getitem__,
            "message_kind_label": MESSAGE_KIND_LABELS.__getitem__,
            "reporter_message_kind_label": REPORTER_MESSAGE_KIND_LABELS.__getitem__,
            "removed_label": REMOVED.__getitem__,
            "note_label": NOTES.__getitem__,
            "tr": tr,
            "language_name": LANGUAGE_NAMES.get,
        }
    )
