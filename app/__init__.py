"""Skaidra: anonymous anti-corruption reporting for public institutions."""

from flask import Flask, redirect, url_for
from werkzeug.middleware.proxy_fix import ProxyFix

from app import cli, errors, i18n, log_privacy, security, templating
from app.extensions import babel, csrf, db, limiter, migrate
from config import Config


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

    db.init_app(app)
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


def _migrations_dir():
    """The Alembic folder at the top of the checkout."""
    from config import BASE_DIR

    return BASE_DIR / "migrations"
