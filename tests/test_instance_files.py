"""Files the service creates on disk are readable by its own user only."""

import sqlite3
import stat

from tests.support.server import app_environment, flask_command


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_db_upgrade_creates_the_sqlite_database_private(tmp_path):
    database = tmp_path / "instance" / "skaidra.sqlite3"
    database.parent.mkdir(mode=0o755)

    flask_command(app_environment(f"sqlite:///{database}"), "db", "upgrade")

    assert database.stat().st_size > 0
    assert mode(database) == 0o600
    # SQLite gives its side files the main file's mode: open one of each kind to see it.
    connection = sqlite3.connect(database)
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("CREATE TABLE probe (x)")
        side_files = sorted(database.parent.glob("skaidra.sqlite3-*"))
        assert [path.name for path in side_files] == ["skaidra.sqlite3-shm",
                                                      "skaidra.sqlite3-wal"]
        assert {mode(path) for path in side_files} == {0o600}
    finally:
        connection.close()
