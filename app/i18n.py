"""Language choice: a language picked in the switcher (it holds for the rest of the visit),
then, on staff pages, the signed-in staff member's own language (their account setting),
then the browser's Accept-Language, then Lithuanian."""

from urllib.parse import urlencode

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale

from app.languages import LANGUAGE_NAMES, LANGUAGES
from app.web.guards import current_staff


def select_locale() -> str:
    """The locale for this request (Flask-Babel's locale selector)."""
    if not has_request_context():  # CLI commands speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.args.get("lang") or session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    own = _staff_language()
    if own is not None:
        return own
    return request.accept_languages.best_match(LANGUAGES) or current_app.config[
        "BABEL_DEFAULT_LOCALE"
    ]


def _staff_language() -> str | None:
    """The language the signed-in staff member chose, on staff pages only: a reporter's
    pages never look at a staff cookie."""
    if request.path != "/staff" and not request.path.startswith("/staff/"):
        return None
    access = current_staff()
    language = access.user.language if access is not None else None
    return language if language in LANGUAGES else None


def forget_explicit_choice() -> None:
    """Let the account's own language apply again from the next page (after choosing it)."""
    session.pop("lang", None)


def remember_explicit_choice() -> None:
    """Keep a language picked with ?lang= for the following pages of this visit."""
    chosen = request.args.get("lang")
    if chosen in LANGUAGES and session.get("lang") != chosen:
        session["lang"] = chosen


def url_in_language(code: str) -> str:
    """The current page in another language, other query arguments kept.

    A query-only reference always resolves to the current page; building the link from
    request.path would turn a request for //other.example/ into a link to another site.
    """
    args = request.args.to_dict(flat=False)
    args["lang"] = [code]
    return f"?{urlencode(args, doseq=True)}"


def language_links() -> list[dict]:
    """Entries of the language switcher; none on pages answering a form.

    A page rendered from a POST (the check page, the receipt) cannot be fetched again in
    another language: following the link would lose it, and the receipt is shown only once.
    """
    if request.method != "GET":
        return []
    current = str(get_locale())
    return [
        {"code": code, "name": LANGUAGE_NAMES[code], "url": url_in_language(code),
         "current": code == current}
        for code in LANGUAGES
    ]


def init_app(app: Flask) -> None:
    """Remember explicit choices and give templates the switcher."""
    app.before_request(remember_explicit_choice)
    app.context_processor(lambda: {"language_links": language_links,
                                   "language_name": LANGUAGE_NAMES.__getitem__,
                                   "current_language": lambda: str(get_locale())})
