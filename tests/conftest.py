"""Fixtures: every database test runs on SQLite and on a real PostgreSQL cluster."""

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
from flask import Flask
from jinja2.bccache import Bucket, BytecodeCache
from sqlalchemy import make_url

from app import create_app
from app.extensions import db
from config import TestConfig
from tests.helpers import seed
from tests.support.postgres import PostgresCluster
from tests.support.scratch import scratch_folder
from tests.support.seeded import prepare_template, seeded_copy
from tests.support.server import demo_server, seed_demo_database

OUTPUT_DIR = Path(__file__).parent / "output"
BACKENDS = ("sqlite", "postgresql")


def pytest_configure(config):
    """Throwaway files (tmp_path, the clusters, servers' and browsers' files) in memory where
    the machine has room (tests/support/scratch.py); a chosen --basetemp or TMPDIR stays."""
    folder = scratch_folder()
    if folder and not config.option.basetemp and "TMPDIR" not in os.environ:
        os.environ["TMPDIR"] = tempfile.tempdir = folder


@pytest.fixture(scope="session")
def postgres_cluster():
    """One throwaway cluster for the whole session, removed at the end."""
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    """A database of each backend, fresh for every test: empty, or already a copy of the
    seeded demo network when the test asks for ``seeded``. The session's seeded template
    for ``seed()`` is built here, before the test builds an app."""
    seeded = "seeded" in request.fixturenames
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'skaidra.sqlite3'}"
        if seeded:
            seeded_copy(url)
        else:
            prepare_template(url)
        yield url
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    if seeded:
        url = cluster.url(f"test_{uuid.uuid4().hex[:12]}")
        seeded_copy(url)
    else:
        url = cluster.url(cluster.create_database())
        prepare_template(url)
    yield url
    cluster.drop_database(make_url(url).database)


def make_config(database_url: str, **overrides) -> type[TestConfig]:
    """A TestConfig subclass bound to one database, with optional overrides."""
    return type("BoundTestConfig", (TestConfig,),
                {"SQLALCHEMY_DATABASE_URI": database_url, **overrides})


class SharedTemplateCode(BytecodeCache):
    """Compiled templates kept for the whole session: every test builds its own app, and
    compiling its templates again was a fifth of a database test's time."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = SharedTemplateCode()


@pytest.fixture
def make_app(database_url):
    """Build apps on this test's database: ``make_app(SKAIDRA_SURFACE="staff")``.

    Tables are created unless ``tables=False``. No app context is left pushed, so each
    request gets its own (Flask-Babel caches the locale per context). Connections are
    closed at the end of the test.
    """
    built: list[Flask] = []

    def build(*, tables: bool = True, config_class=None, **overrides) -> Flask:
        config = config_class or make_config(database_url, **overrides)
        application = create_app(config)
        application.jinja_env.bytecode_cache = TEMPLATE_CODE
        built.append(application)
        if tables:
            with application.app_context():
                db.create_all()
        return application

    yield build
    for application in built:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app) -> Flask:
    """The application with its tables created."""
    return make_app()


@pytest.fixture
def seeded(app) -> Flask:
    """The application with the demo network loaded."""
    seed(app)
    return app


@pytest.fixture
def client(app):
    """A test client for the app."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for the app's commands."""
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory) -> Path:
    """The demo network migrated and seeded through the CLI once per session (and worker);
    each served instance starts on a copy."""
    return seed_demo_database(tmp_path_factory.mktemp("demo-database"))


@pytest.fixture(scope="session")
def served(tmp_path_factory, demo_database):
    """Real gunicorn with the shipped config, migrated and seeded through the CLI."""
    with demo_server(demo_database, tmp_path_factory.mktemp("served")) as server:
        yield server


CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    assert executable, "Chromium is missing: install the Debian package 'chromium'."
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def axe(browser):
    """The page axe-core runs in: scripts on, the pages' policy bypassed (axe is a script)."""
    context = browser.new_context(bypass_csp=True)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Where browser tests leave screenshots for review (tests/output/)."""
    OUTPUT_DIR.mkdir(exist_ok=True)
    return OUTPUT_DIR
