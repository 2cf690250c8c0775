"""Skaidra: anonymous anti-corruption reporting for public institutions."""

from pathlib import Path

from flask import Flask, abort, current_app, redirect, request, url_for
from sqlalchemy import make_url
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.sansio.utils import host_is_trusted

from app import cli, errors, i18n, log_privacy, security, templating
from app.extensions import (
    babel,
    csrf,
    db,
    limiter,
    migrate,
    overwrite_deleted_content,
    sqlite_file,
)
from app.web import capacity
from config import INSTANCE_DIR, Config, create_private_file


def create_app(config_class: type[Config]) -> Flask:
    """Build the application for one configuration; refuses unsafe settings."""
    config_class.prepare()
    app = Flask(__name__, instance_relative_config=True)
    app.request_class = security.MemoryOnlyRequest
    app.config.from_object(config_class)
    log_privacy.init_app(app)

    if app.config["TRUSTED_PROXY_COUNT"]:
        # Only the scheme is taken from the proxy (for HSTS and Secure cookies); x_for=0 keeps
        # the client address out of the request entirely.
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=0, x_proto=app.config["TRUSTED_PROXY_COUNT"], x_host=0
        )

    # First of all hooks, so that a request for another host is neither counted nor logged.
    app.before_request(_refuse_unlisted_host)
    # Next, a body is received whole before anything reads the form or the database.
    capacity.init_app(app)
    _size_connection_pool(app)
    db.init_app(app)
    overwrite_deleted_content(app)
    _create_sqlite_file_privately(app)
    # Batch mode lets Alembic alter tables on SQLite, which has no ALTER COLUMN.
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True)
    babel.init_app(app, locale_selector=i18n.select_locale)
    csrf.init_app(app)
    limiter.init_app(app)

    from app import models  # noqa: F401  (registers the tables on the metadata)

    i18n.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    cli.init_app(app)
    _register_blueprints(app)
    return app


SQLITE_WRITE_WAIT_SECONDS = 30


def _size_connection_pool(app: Flask) -> None:
    """DB_POOL_SIZE and DB_POOL_OVERFLOW for databases with a connection pool (an in-memory
    SQLite database has one connection per thread instead)."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and not sqlite_file(url):
        return
    options = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"],
               "pool_size": app.config["DB_POOL_SIZE"],
               "max_overflow": app.config["DB_POOL_OVERFLOW"]}
    if sqlite_file(url):
        # Writers take turns on SQLite: one waits for the others rather than failing after
        # the driver's 5 s, as many threads may be writing at once.
        options["connect_args"] = {"timeout": SQLITE_WRITE_WAIT_SECONDS}
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _register_blueprints(app: Flask) -> None:
    """Serve the audiences SKAIDRA_SURFACE names: the public side, the staff side, or both."""
    from app.admin import bp as admin_bp
    from app.assessment import bp as assessment_bp
    from app.assessment import survey_bp
    from app.core.routes import bp as core_bp
    from app.insights import bp as insights_bp
    from app.public import bp as public_bp
    from app.staff import bp as staff_bp

    surface = app.config["SKAIDRA_SURFACE"]
    app.register_blueprint(core_bp)
    if surface in ("public", "all"):
        app.register_blueprint(public_bp)
        app.register_blueprint(survey_bp)
    if surface in ("staff", "all"):
        for staff_side in (staff_bp, admin_bp, insights_bp, assessment_bp):
            app.register_blueprint(staff_side, url_prefix="/staff")
    if surface == "staff":
        app.add_url_rule("/", "staff_root", lambda: redirect(url_for("staff.login")))


def _refuse_unlisted_host() -> None:
    """400 for a Host header that ALLOWED_HOSTS (when set) does not list: links built from
    the request, such as invitation links, then name only our own hosts. Health probes
    may address a node by its IP."""
    allowed = current_app.config["ALLOWED_HOSTS"]
    if allowed and request.endpoint != "core.healthz" and not host_is_trusted(
            request.host, allowed):
        abort(400)


def _create_sqlite_file_privately(app: Flask) -> None:
    """Create a new SQLite database file 0600 in a 0700 folder before SQLite first opens it.

    SQLite would create it world-readable (0644 under the usual umask) and gives its -wal,
    -shm and -journal files the main file's mode. Report contents are sealed, but the staff
    password hashes, the audit log and the reports' dates and categories are not.
    """
    with app.app_context():
        database = sqlite_file(db.engine.url)
    # Only the default instance/ folder is made (0700); a configured folder that is missing
    # stays missing, as SQLite would leave it, and the health check reports the database
    # as unavailable.
    if database and (Path(database).parent.is_dir() or Path(database).parent == INSTANCE_DIR):
        create_private_file(Path(database))


def _migrations_dir():
    """The Alembic folder at the top of the checkout."""
    from config import BASE_DIR

    return BASE_DIR / "migrations"
