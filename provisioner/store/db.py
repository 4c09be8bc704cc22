"""Engine and sessions. SQLite (the embedded default) gets WAL and a busy timeout so the
API, the worker thread and the scheduler can share one file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session, sessionmaker

from provisioner.domain.errors import OutOfRange
from provisioner.store.private_files import secure_sqlite_file

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def make_engine(url: str, *, immediate: bool = True) -> Engine:
    """`immediate` (SQLite only) makes every transaction take the write lock up front, so two
    writers never deadlock upgrading a read lock; read-only engines leave it deferred."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            secure_sqlite_file(Path(path))  # 0600, and so are its -wal and -shm files
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # isolation_level=None hands transaction control to the "begin" hook below.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


def migrate(url: str) -> None:
    """Bring the schema to the newest revision (both SQLite and PostgreSQL)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, "head")


@contextmanager
def _bad_values_are_input() -> Iterator[None]:
    """A value the database refuses to compare or store (an id past PostgreSQL's integers,
    found by schemathesis) is the caller's bad input, not a server fault: the driver's
    DataError becomes the project's OutOfRange, so no caller needs to know SQLAlchemy."""
    try:
        yield
    except DataError as exc:
        raise OutOfRange() from exc


class Store:
    """Owns the engine and hands out sessions; one per process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._factory = sessionmaker(self.engine, expire_on_commit=False)
        reader = make_engine(url, immediate=False) if url.startswith("sqlite") else self.engine
        self._read_factory = sessionmaker(reader, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back on error."""
        with _bad_values_are_input(), self._factory() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work that never waits for the write lock."""
        # Ends with a commit, not a rollback: a rollback would expire the loaded objects
        # the caller takes out of the block, and committing no writes costs nothing.
        with _bad_values_are_input(), self._read_factory() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
        self._read_factory.kw["bind"].dispose()
