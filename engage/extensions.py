"""Unbound extension objects and the declarative base; create_app binds them to an app."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

from .textsearch import fold_text

# Stable constraint names, so that Alembic can alter and drop them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Store aware datetimes as UTC and give them back aware, on every backend.

    SQLite keeps no time zone, so values come back naive: they are UTC by construction.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use engage.models.utcnow()")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={dt.datetime: UTCDateTime()},
    )


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection: Any, connection_record: Any) -> None:
    if not type(dbapi_connection).__module__.startswith("sqlite3"):
        return
    # pysqlite's own transaction handling breaks SAVEPOINTs: let SQLAlchemy emit BEGIN itself.
    dbapi_connection.isolation_level = None
    # The moderation search's accent- and case-insensitive matching (engage/textsearch.py).
    dbapi_connection.create_function("engage_fold", 1, fold_text, deterministic=True)
    cursor = dbapi_connection.cursor()
    # SQLite leaves foreign keys off by default; WAL lets readers work while a comment is written.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # No fsync per commit (WAL stays uncorruptible; a power cut may lose the last commits).
    cursor.execute("PRAGMA synchronous=NORMAL")
    # The lock wait (busy timeout) is the connect `timeout` that engage/database.py sets.
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite(connection: Connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    # A write transaction takes SQLite's write lock up front. Otherwise a transaction that read
    # first and writes second fails at once ("database is locked") when another writer
    # committed in between, instead of waiting its turn.
    write = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


WRITE_OPTION = "engage_write"


def begin_write() -> None:
    """Start the session's transaction as a write (SQLite: BEGIN IMMEDIATE; elsewhere a no-op)."""
    if not db.session().in_transaction():
        db.session.connection(execution_options={WRITE_OPTION: True})


def begin_read() -> bool:
    """Run the session's statements each on its own (autocommit), except on SQLite.

    For the public reads on PostgreSQL: under READ COMMITTED a transaction gives their few
    statements no common snapshot anyway, and its BEGIN and ROLLBACK are two more round trips
    (of four, for counts). SQLite keeps its transaction: there it is one snapshot, and free.
    """
    session = db.session()
    if session.in_transaction() or session.get_bind().dialect.name == "sqlite":
        return False
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return True


def end_read() -> None:
    """Give back begin_read's connection: nothing after the read may run in autocommit."""
    try:
        db.session.rollback()
    except Exception:  # the answer is made; a dead connection is the pool's to drop
        db.session.registry.clear()


class EngageSQLAlchemy(SQLAlchemy):
    """Flask-SQLAlchemy whose end-of-request cleanup never fails a finished answer."""

    def _teardown_session(self, exc: BaseException | None) -> None:
        # Closing the session rolls back on its connection; when the server has just gone
        # away that raises, after the answer was made, and would turn it into a 500.
        try:
            self.session.remove()
        except Exception as error:
            logging.getLogger(__name__).warning(
                "database session cleanup failed, the connection is dropped: %s",
                str(error).splitlines()[0] if str(error) else type(error).__name__,
            )
            self.session.registry.clear()  # close() raised before remove() could forget it


MIGRATIONS_DIRECTORY = str(Path(__file__).parent / "migrations")

db = EngageSQLAlchemy(model_class=Base)
migrate = Migrate(directory=MIGRATIONS_DIRECTORY, render_as_batch=True, compare_type=True)
limiter = Limiter(key_func=get_remote_address)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
