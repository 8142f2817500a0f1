"""Engine tuning: SQLite made safe for several workers (WAL, busy timeout, immediate writes)."""
from flask import current_app, has_request_context, request
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
            writes = request.method not in READ_METHODS
        else:
            writes = not current_app.testing
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")
