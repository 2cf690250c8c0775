"""Rows that concurrent requests create at most once."""

from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db

_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert_if_absent(model: type[db.Model], unique: str, **values) -> None:
    """Insert a row unless one with the same ``unique`` column exists, within the current
    transaction.

    A select followed by an insert lets two concurrent requests both insert (and a unique
    constraint then fails one of them); ``INSERT … ON CONFLICT DO NOTHING`` waits for the
    other transaction instead and leaves its row, on PostgreSQL and SQLite alike. Read the
    row afterwards: under PostgreSQL's read committed, the next statement sees it.
    """
    insert = _INSERT[db.session.get_bind().dialect.name]
    db.session.execute(insert(model).values(**values)
                       .on_conflict_do_nothing(index_elements=[unique]))
