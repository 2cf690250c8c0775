"""Extension singletons, bound to the app in ``create_app``."""

import os
import sqlite3

from flask import Flask
from flask_babel import Babel
from flask_limiter import Limiter
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import URL, event
from sqlalchemy.exc import DisconnectionError
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
        if path := sqlite_file(engine.url):
            _recover_from_read_only(engine, path)


def sqlite_file(url: URL) -> str | None:
    """The path of a SQLite database kept in a file; None for other databases and for
    in-memory ones."""
    if url.get_backend_name() != "sqlite" or url.query.get("mode") == "memory":
        return None
    database = url.database or ""
    if url.query.get("uri"):
        database = database.removeprefix("file:")
    return database if database not in ("", ":memory:") else None


def _secure_delete(dbapi_connection, _connection_record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA secure_delete = ON")
    cursor.close()


def _recover_from_read_only(engine, path: str) -> None:
    """Replace SQLite connections that were opened while the file could not be written.

    SQLite opens the file read-only when it cannot open it for writing (a full or remounted
    disk, a wrong mode), and such a connection stays read-only after the file is writable
    again: pooled, it would fail every write until the process restarts. A connection opened
    so is dropped when it is next taken from the pool once the file is writable, and any
    "read-only database" error drops the pool's connections as a lost connection would.
    """

    def writable() -> bool:
        return os.access(path, os.W_OK, effective_ids=True)

    @event.listens_for(engine, "connect")
    def remember(_dbapi_connection, record) -> None:
        record.info["opened_read_only"] = not writable()

    @event.listens_for(engine, "checkout")
    def replace(_dbapi_connection, record, _proxy) -> None:
        if record.info.get("opened_read_only") and writable():
            raise DisconnectionError("opened while the database file was read-only")

    @event.listens_for(engine, "handle_error")
    def drop(context) -> None:
        error = context.original_exception
        if isinstance(error, sqlite3.OperationalError) and (
                getattr(error, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_READONLY):
            context.is_disconnect = True
