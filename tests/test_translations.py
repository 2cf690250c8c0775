"""Every visible string exists in Lithuanian, English and Norwegian Bokmål."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app.languages import LANGUAGES

REPO = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def catalogue(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def message_ids(cat) -> set:
    return {message.id for message in cat if message.id}


@pytest.fixture(scope="module")
def template():
    return catalogue(REPO / "translations" / "messages.pot")


def test_message_template_is_up_to_date_with_the_code(tmp_path, template):
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [str(Path(sys.executable).parent / "pybabel"), "-q", "extract", "-F", "babel.cfg",
         "-k", "_l", "-o", str(fresh), "."],
        cwd=REPO, check=True,
    )
    assert message_ids(catalogue(fresh)) == message_ids(template), "run `make translations`"


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_is_complete_and_nothing_is_fuzzy(language, template):
    cat = catalogue(REPO / "translations" / language / "LC_MESSAGES" / "messages.po")
    assert message_ids(cat) == message_ids(template), "run `make translations`"
    problems = []
    for message in cat:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        if message.fuzzy:
            problems.append(f"fuzzy: {ids[0]}")
        if not all(strings):
            problems.append(f"untranslated: {ids[0]}")
        expected = sorted(PLACEHOLDER.findall(ids[0]))
        problems.extend(f"placeholders differ: {ids[0]}" for s in strings
                        if s and sorted(PLACEHOLDER.findall(s)) != expected)
    assert problems == []


def test_language_is_chosen_explicitly_then_by_browser_then_lithuanian(client):
    def lang_of(response):
        return re.search(r'<html lang="(\w+)">', response.get_data(as_text=True)).group(1)

    assert lang_of(client.get("/staff/login")) == "lt"
    assert lang_of(client.get("/staff/login", headers={"Accept-Language": "nb-NO,nb;q=0.9"})) \
        == "nb"
    assert lang_of(client.get("/staff/login", headers={"Accept-Language": "de, fr"})) == "lt"
    assert lang_of(client.get("/staff/login?lang=en",
                              headers={"Accept-Language": "nb"})) == "en"
    # The explicit choice is remembered for the rest of the visit.
    assert lang_of(client.get("/staff/login", headers={"Accept-Language": "nb"})) == "en"


def test_unknown_language_choice_is_ignored(client):
    page = client.get("/staff/login?lang=xx").get_data(as_text=True)
    assert '<html lang="lt">' in page


def test_language_links_stay_on_the_current_page_even_for_hostile_paths(client):
    page = client.get("/", query_string="x=1",
                      environ_overrides={"PATH_INFO": "//evil.example/"}).get_data(as_text=True)
    links = re.findall(r'hreflang="\w+"', page)
    assert len(links) == 3
    assert "evil.example/" not in re.sub(r"<main.*</main>", "", page, flags=re.S)
    assert 'href="?x=1&amp;lang=en"' in page
