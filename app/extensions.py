"""Extension singletons, bound to the app in ``create_app``."""

from flask import Flask
from flask_babel import Babel
from flask_limiter import Limiter
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base of every Skaidra model."""


def _no_client_key() -> str:
    """Rate-limit key that identifies no one: limits apply to a route as a whole.

    The default key function of Flask-Limiter is the client address, which would put every
    reporter's IP address into the limiter's storage. Per-route limits that need to tell
    clients apart use keys of their own (a derived value, never an address).
    """
    return "all"


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=_no_client_key)


def overwrite_deleted_content(app: Flask) -> None:
    """Have every SQLite connection of the app overwrite what it deletes with zeros.

    Otherwise deleted rows (data keys and ciphertexts of purged cases, session rows, recused
    officers' key copies) stay readable in the file's free pages until they are reused.
    Debian builds SQLite with ``secure_delete`` on; other builds leave it off.
    """
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _secure_delete)


def _secure_delete(dbapi_connection, _connection_record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA secure_delete = ON")
    cursor.close()
