"""Engine tuning: SQLite made safe for several workers (WAL, busy timeout, immediate writes)."""
from contextlib import contextmanager

from flask import current_app, g, has_request_context, request
from sqlalchemy import event

from .extensions import db

READ_METHODS = ("GET", "HEAD", "OPTIONS")


def configure_engine(app) -> None:
    engine = db.engine
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event decide how a transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A request that may write takes the write lock up front, so two writers queue
        # instead of one failing with "database is locked" halfway through.
        # Outside requests (commands) writes are assumed, except in the test suite's own
        # context, which must not hold the lock while the requests it makes run.
        if has_request_context():
            writes = request.method not in READ_METHODS and not g.get("_db_reading")
        else:
            writes = not current_app.testing
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


@contextmanager
def reading():
    """In a request that may write: the transactions begun within this block only read. On SQLite
    they begin without the write lock, so a decision's answer, written after its commit, does not
    keep the other workers' decisions waiting while it is rendered. Nothing in the block may write:
    a reader that writes after another worker's commit fails ("database is locked") instead of
    queueing."""
    before = g.get("_db_reading", False)
    g._db_reading = True
    try:
        yield
    finally:
        g._db_reading = before
