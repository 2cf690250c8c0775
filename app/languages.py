"""The languages Skaidra speaks: every page, e-mail and questionnaire exists in each, and the
suite fails on a missing translation. The first is the default."""

LANGUAGES = ("lt", "en", "nb")
LANGUAGE_NAMES = {"lt": "Lietuvių", "en": "English", "nb": "Norsk bokmål"}
