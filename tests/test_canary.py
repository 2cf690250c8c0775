"""Proof by canary: a unique marker sent through every reporter channel lands nowhere in clear.

A report whose text, identity, attachment content, attachment name and follow-up message
carry a marker is sent to real gunicorn from the loopback address 127.0.0.2. Then every byte
the server wrote (database files including SQLite's journal and WAL, or a PostgreSQL dump and
the cluster's own files; the instance folder; the log; the server's temporary directory) is
searched for the marker in every encoding a leak could plausibly take.
"""

import base64
import shutil
import time
import urllib.parse
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.reporter import REPORT_ANSWERS, Reporter
from tests.support.server import REPO, ServedApp, app_environment, flask_command
from tests.test_voice import recording, speech

CLIENT_ADDRESS = "127.0.0.2"
AGENT = "CanaryBrowser/7.7 (marker-agent)"


def encodings(marker: str) -> dict[str, bytes]:
    """The marker as a leak could spell it: raw text, escapes, hex and base64."""
    raw = marker.encode("utf-8")
    forms = {
        "utf-8": raw,
        "utf-16-le": marker.encode("utf-16-le"),
        "utf-16-be": marker.encode("utf-16-be"),
        "utf-32-le": marker.encode("utf-32-le"),
        "hex": raw.hex().encode(),
        "HEX": raw.hex().upper().encode(),
        "url": urllib.parse.quote(marker).encode(),
        "url-plus": urllib.parse.quote_plus(marker).encode(),
        "json": marker.encode("ascii", "backslashreplace"),
        "html": marker.encode("ascii", "xmlcharrefreplace"),
    }
    for shift in range(3):
        # base64 of the marker at each alignment, without the edge characters that depend
        # on the surrounding bytes.
        encoded = base64.b64encode(b"\0" * shift + raw)[4:-4]
        forms[f"base64+{shift}"] = encoded
        forms[f"base64url+{shift}"] = base64.urlsafe_b64encode(b"\0" * shift + raw)[4:-4]
    return forms


def files_under(*folders: Path) -> list[Path]:
    return [path for folder in folders if folder.exists()
            for path in folder.rglob("*") if path.is_file()]


def leaks(blobs: dict[str, bytes], needles: dict[str, str]) -> list[str]:
    """Every (needle, encoding, place) where a needle shows up."""
    found = []
    for needle_name, needle in needles.items():
        for encoding, pattern in encodings(needle).items():
            found.extend(f"{needle_name} as {encoding} in {place}"
                         for place, blob in blobs.items() if pattern in blob)
    return found


def clock_strings(start: float, end: float) -> dict[str, str]:
    """The submission's exact time in the forms a database or log would write it."""
    strings = {}
    for second in range(int(start), int(end) + 1):
        strings[f"epoch {second}"] = str(second)
        for zone in (None, UTC):
            moment = datetime.fromtimestamp(second, zone)
            strings[f"time {moment:%H:%M:%S}"] = f"{moment:%H:%M:%S}"
    return strings


@pytest.fixture
def canary_server(request, tmp_path):
    """Fresh gunicorn on its own database (SQLite file or PostgreSQL) and temp folder."""
    backend = request.param
    temp = tmp_path / "tmp"
    temp.mkdir()
    if backend == "sqlite":
        # The session's CLI-seeded demo database, copied: the same as migrating and seeding
        # through the CLI here, without paying for it again.
        database_url = f"sqlite:///{tmp_path / 'canary.sqlite3'}"
        shutil.copyfile(request.getfixturevalue("demo_database"), tmp_path / "canary.sqlite3")
        cluster = name = None
    else:
        cluster = request.getfixturevalue("postgres_cluster")
        name = cluster.create_database()
        database_url = cluster.url(name)
    env = app_environment(database_url, TMPDIR=str(temp))
    if cluster is not None:
        flask_command(env, "db", "upgrade")
        flask_command(env, "seed-demo")
    server = ServedApp(env, tmp_path / "gunicorn.log").start()
    yield server, backend, cluster, name, tmp_path
    server.stop()
    if cluster is not None:
        cluster.drop_database(name)


def contents(paths: list[Path]) -> dict[str, bytes]:
    """What each file holds. PostgreSQL removes some of its own files at any moment (a
    relation cache file such as pg_internal.init is rebuilt on demand): one gone between
    the listing and the reading holds nothing any more, and is passed over."""
    found = {}
    for path in paths:
        try:
            found[str(path)] = path.read_bytes()
        except FileNotFoundError:
            continue
    return found


def written_by_server(backend: str, cluster, name: str | None, folder: Path) -> dict[str, bytes]:
    """Every file the server could have written to, plus a dump of a PostgreSQL database."""
    blobs = contents(files_under(folder, REPO / "instance"))
    if backend == "postgresql":
        blobs["pg_dump"] = cluster.dump(name)
        blobs.update(contents(files_under(cluster.root)))
    return blobs


@pytest.mark.parametrize("canary_server", ["sqlite", "postgresql"], indirect=True)
def test_canary_marker_is_nowhere_on_disk_in_any_encoding(canary_server):
    server, backend, cluster, name, folder = canary_server
    token = uuid.uuid4().hex
    marker = f"kanarėlė-{token}"
    reporter = Reporter(server.base_url, source_address=CLIENT_ADDRESS, user_agent=AGENT)
    answers = dict(REPORT_ANSWERS, what_happened=f"Report text {marker}",
                   people_involved=f"People {marker}", identity_choice="confidential",
                   name=f"Name {marker}", contact=f"{token}@example.org")

    started = time.time()
    # A voice message whose recording carries the marker in its tags: only the disguised
    # sound may be stored, without them.
    voice = recording(speech(), "m4a", {"title": f"Memo {marker}", "artist": marker})
    receipt = reporter.submit_report("utena", answers,
                                     [(f"{marker}.txt", f"File body {marker}".encode())],
                                     voice=voice)
    finished = time.time()
    reporter.sign_in(receipt)
    page = reporter.send_message(f"Follow-up {marker}",
                                 [(f"second-{marker}.pdf", f"Not a PDF {marker}".encode())])
    assert marker in page  # the reporter reads it back, so it was really stored
    time.sleep(0.5)  # let gunicorn finish writing its log

    blobs = written_by_server(backend, cluster, name, folder)
    assert any("canary" in place or place == "pg_dump" for place in blobs)
    assert leaks(blobs, {"marker": marker, "token": token}) == []
    # Nor any stretch of the original recording: only its disguised sound was kept.
    middle = len(voice) // 2
    sample = voice[middle:middle + 48]
    assert [place for place, blob in blobs.items() if sample in blob] == []
    assert leaks(blobs, {"client address": CLIENT_ADDRESS, "user agent": AGENT}) == []
    assert leaks(blobs, clock_strings(started, finished)) == []
