"""Where a reporter can go outside the institution (Directive 2019/1937 Art. 9(1)(g))."""

from dataclasses import dataclass

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from app.models import Jurisdiction


@dataclass(frozen=True)
class ExternalChannel:
    """A competent authority a reporter may turn to instead of, or after, the institution."""

    name: LazyString
    role: LazyString
    url: str


EXTERNAL_CHANNELS: dict[Jurisdiction, tuple[ExternalChannel, ...]] = {
    Jurisdiction.LT: (
        ExternalChannel(
            _l("Prosecutor General's Office of the Republic of Lithuania"),
            _l("The competent authority under the Law on the Protection of Whistleblowers. "
               "It decides on whistleblower status, which brings protection, compensation and "
               "free legal aid, and which it grants only to people who identify themselves "
               "to it. You may report to it directly if the internal channel did not act, if "
               "your confidentiality is at risk, or if there is no internal channel."),
            "https://www.prokuraturos.lt/",
        ),
        ExternalChannel(
            _l("Special Investigation Service (STT)"),
            _l("The national anti-corruption agency. It receives reports of corruption and "
               "publishes guidance on corruption prevention."),
            "https://www.stt.lt/",
        ),
    ),
    Jurisdiction.NO: (
        ExternalChannel(
            _l("Norwegian Labour Inspection Authority (Arbeidstilsynet)"),
            _l("Under the Working Environment Act you may always report to a public "
               "supervisory authority. The Labour Inspection Authority receives reports about "
               "working conditions and can tell you which authority handles other matters."),
            "https://www.arbeidstilsynet.no/",
        ),
    ),
}


def external_channels(jurisdiction: Jurisdiction) -> tuple[ExternalChannel, ...]:
    """The external channels for an institution's jurisdiction."""
    return EXTERNAL_CHANNELS[jurisdiction]
