"""The Alembic history matches the models and runs both ways, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from app.extensions import db

TABLES = {"institution", "user_account", "membership"}


def migrated_app(make_app):
    app = make_app(tables=False)
    with app.app_context():
        upgrade()
    return app


def test_migration_head_matches_the_models(make_app):
    app = migrated_app(make_app)
    with app.app_context(), db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []


def test_upgrade_downgrade_upgrade(make_app):
    app = migrated_app(make_app)
    with app.app_context():
        assert set(inspect(db.engine).get_table_names()) >= TABLES
        downgrade(revision="base")
        assert not TABLES & set(inspect(db.engine).get_table_names())
        upgrade()
        assert set(inspect(db.engine).get_table_names()) >= TABLES
