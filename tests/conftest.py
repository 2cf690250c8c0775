"""Fixtures: every database test runs on SQLite and on a real PostgreSQL cluster."""

import shutil
from pathlib import Path

import pytest
from flask import Flask

from app import create_app
from app.extensions import db
from config import TestConfig
from tests.helpers import seed
from tests.support.postgres import PostgresCluster
from tests.support.seeded import prepare_template
from tests.support.server import ServedApp, app_environment, flask_command

OUTPUT_DIR = Path(__file__).parent / "output"
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres_cluster():
    """One throwaway cluster for the whole session, removed at the end."""
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    """An empty database of each backend, fresh for every test (and the session's seeded
    template on its server, for ``seed()``, built before the test builds an app)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'skaidra.sqlite3'}"
        prepare_template(url)
        yield url
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    name = cluster.create_database()
    prepare_template(cluster.url(name))
    yield cluster.url(name)
    cluster.drop_database(name)


def make_config(database_url: str, **overrides) -> type[TestConfig]:
    """A TestConfig subclass bound to one database, with optional overrides."""
    return type("BoundTestConfig", (TestConfig,),
                {"SQLALCHEMY_DATABASE_URI": database_url, **overrides})


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
def served(tmp_path_factory):
    """Real gunicorn with the shipped config, migrated and seeded through the CLI."""
    folder = tmp_path_factory.mktemp("served")
    env = app_environment(f"sqlite:///{folder / 'skaidra.sqlite3'}")
    flask_command(env, "db", "upgrade")
    flask_command(env, "seed-demo")
    server = ServedApp(env, folder / "gunicorn.log").start()
    yield server
    server.stop()


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
