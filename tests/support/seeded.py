"""The demo network, seeded once per test session and copied into each test's database.

Seeding commits about ninety times and derives every demo account's keys; a copy of a
seeded template costs a file copy on SQLite and ``CREATE DATABASE … TEMPLATE`` on
PostgreSQL.
"""

import atexit
import shutil
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import URL, create_engine, make_url, text

from app import create_app
from app.extensions import db
from app.services.demo.network import seed_demo_network
from config import TestConfig

# What seeding writes depends on these (the audit chain's key, the key-derivation cost): an
# app whose values differ from TestConfig's is seeded the slow way.
SEEDING_SETTINGS = ("SECRET_KEY", "AUDIT_KEY", "KDF_MEMORY_KIB", "KDF_ITERATIONS", "KDF_LANES")

# Per database server: the template's file path (SQLite) or database name (PostgreSQL).
_templates: dict[tuple, str] = {}


def _server(url: URL) -> tuple:
    return url.get_backend_name(), url.host, url.port


def _execute_on_server(url: URL, statement: str) -> None:
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()


def prepare_template(database_url: str) -> None:
    """Build the seeded template for this database's server, once per session.

    Call it before the test builds its app: ``create_app()`` re-initialises the extension
    singletons (the rate limiter's storage among them), so building a template later would
    reset the test app's.
    """
    url = make_url(database_url)
    if _server(url) in _templates:
        return
    if url.get_backend_name() == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="skaidra-seeded-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        template = str(folder / "seeded.sqlite3")
        template_url = f"sqlite:///{template}"
    else:
        template = f"seeded_{uuid.uuid4().hex[:12]}"
        _execute_on_server(url, f'CREATE DATABASE "{template}"')
        template_url = url.set(database=template).render_as_string(hide_password=False)
    builder = create_app(type("SeedTemplateConfig", (TestConfig,),
                              {"SQLALCHEMY_DATABASE_URI": template_url}))
    with builder.app_context():
        db.create_all()
        seed_demo_network()
        db.session.remove()
        db.engine.dispose()
    _templates[_server(url)] = template


# Databases made as seeded copies (``seeded_copy``) that no app has seeded yet.
_fresh_copies: set[str] = set()


def seeded_copy(database_url: str) -> None:
    """Make the (not yet existing) database at ``database_url`` a copy of the seeded
    template, for a test that asked for the seeded network: it then needs neither an empty
    database first nor its tables created."""
    prepare_template(database_url)
    url = make_url(database_url)
    template = _templates[_server(url)]
    if url.get_backend_name() == "sqlite":
        shutil.copyfile(template, url.database)
    else:
        _execute_on_server(url, f'CREATE DATABASE "{url.database}" TEMPLATE "{template}"')
    _fresh_copies.add(database_url)


def _differs_from_template(app) -> bool:
    return any(app.config.get(name) != getattr(TestConfig, name, None)
               for name in SEEDING_SETTINGS)


def copy_template(app) -> bool:
    """Replace the app's database with a copy of the seeded template; False (and nothing
    done) when no template fits its server or its seeding settings."""
    with app.app_context():
        url = db.engine.url
    configured = app.config["SQLALCHEMY_DATABASE_URI"]
    if configured in _fresh_copies:
        _fresh_copies.discard(configured)
        assert not _differs_from_template(app), (
            "a test that asks for the seeded fixture must keep TestConfig's seeding settings "
            f"({', '.join(SEEDING_SETTINGS)})")
        return True
    template = _templates.get(_server(url))
    if template is None or _differs_from_template(app):
        return False
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        target = Path(url.database)
        for suffix in ("-wal", "-shm", "-journal"):
            target.with_name(target.name + suffix).unlink(missing_ok=True)
        shutil.copyfile(template, target)
    else:
        _execute_on_server(url, f'DROP DATABASE "{url.database}" WITH (FORCE)')
        _execute_on_server(url, f'CREATE DATABASE "{url.database}" TEMPLATE "{template}"')
    return True
