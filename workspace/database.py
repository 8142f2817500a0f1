"""Engine tuning: SQLite made safe for several workers (WAL, busy timeout, immediate writes)."""
import fcntl
import logging
import os
import threading
import time
from collections import namedtuple
from contextlib import contextmanager

from flask import g
from sqlalchemy import Integer, bindparam, event, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import DBAPIError, MultipleResultsFound, NoResultFound, StatementError
from sqlalchemy.sql.compiler import WARN_LINTING

from .contextlocal import app_g, app_object, request_object
from .extensions import db

READ_METHODS = ("GET", "HEAD", "OPTIONS")
# Endpoints that write whose request reads first (`reads_first`): on SQLite its first transaction begins
# without the write lock, and the view ends it with `writing()` before it writes.
READ_FIRST: set[str] = set()


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

    turns = WriterTurns.for_database(engine.url.database)
    if turns is not None:
        turns.watch(engine)
    guarded = app.testing  # the tests refuse a write in a transaction begun to read (below)

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A request that may write takes the write lock up front, so two writers queue
        # instead of one failing with "database is locked" halfway through.
        # Outside requests (commands) writes are assumed, except in the test suite's own
        # context, which must not hold the lock while the requests it makes run.
        request_ = request_object()
        if request_ is not None:
            g_ = app_g()
            writes = request_.method not in READ_METHODS and not g_.get("_db_reading")
            if writes and request_.endpoint in READ_FIRST and "_db_read_first" not in g_:
                g_._db_read_first = True  # the request's first transaction: it reads, `writing()` ends it
                writes = False
        else:
            writes = not app_object().testing
        if guarded:
            connection.info["reads_only"] = not writes and request_ is not None and request_.method not in READ_METHODS
        if not writes:
            connection.exec_driver_sql("BEGIN")
            return
        if turns is not None:
            turns.take(connection)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if turns is not None:
                turns.give(connection.connection)
            raise

    if guarded:
        @event.listens_for(engine, "before_cursor_execute")
        def _refuse_writes_in_reads(connection, _cursor, statement, *_args):
            # A request that writes and began a transaction without the write lock (`reading`, or the first
            # transaction of a `reads_first` endpoint) must not write in it: under other workers' writes it
            # would fail ("database is locked"). The tests make that mistake fail every time.
            if connection.info.get("reads_only") and statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
                raise RuntimeError("a write in a transaction begun to read: call writing() before it "
                                   "(reads_first) or move it out of reading()")


class WriterTurns:
    """SQLite's writers of every process queue at a file lock (flock) before BEGIN IMMEDIATE, and the
    next one goes on within half a millisecond of the last one's commit or rollback.

    Without it a writer that finds the write lock taken waits in SQLite's busy handler, which sleeps
    1, 2, 5, 10, 15, 20, 25… ms between tries: under a steady stream of decisions from two workers each
    wait overshoots the holder's few milliseconds, so the workers sleep while the lock is free (issue 19:
    the goal action's p95 fell from 113 to 52 ms). Correctness never rests on this lock: SQLite's own lock
    and busy timeout still order the writers. Requests and commands (the mail sender) queue here when
    they write; a writer that begins as a reader and upgrades, a thread other than the process's main
    one (gunicorn's sync workers answer in the main thread) and a process that cannot open the lock file
    go straight to SQLite, as does a writer that waited longer than SQLite's busy timeout for its turn.
    The turn belongs to the connection that took it and is handed on at its commit or rollback, or at the
    latest when it goes back to the pool or is closed; a process that dies lets go of the lock with its
    file. One per database file and process."""

    _shared: dict = {}
    WAIT = 10.0  # seconds, as the busy timeout
    POLL = 0.0005

    def __init__(self, path: str):
        self.path = path
        self._fd, self._pid, self._owner, self._broken = None, None, None, False

    @classmethod
    def for_database(cls, database: str | None):
        """The turns of this database file (None for a database without a file: in memory, a URI)."""
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        path = os.path.realpath(database) + "-writers.lock"
        return cls._shared.setdefault(path, cls(path))

    def watch(self, engine) -> None:
        """Hand the turn on after each commit and rollback, and when the connection leaves its checkout."""
        dialect = engine.dialect
        commit, rollback = dialect.do_commit, dialect.do_rollback

        def do_commit(dbapi_connection):
            try:
                commit(dbapi_connection)
            finally:
                self.give(dbapi_connection)

        def do_rollback(dbapi_connection):
            try:
                rollback(dbapi_connection)
            finally:
                self.give(dbapi_connection)

        dialect.do_commit, dialect.do_rollback = do_commit, do_rollback
        for name in ("checkin", "close", "invalidate", "detach"):
            event.listen(engine, name, lambda dbapi_connection, *_: self.give(dbapi_connection, leaving=True))

    def take(self, connection) -> None:
        """Before BEGIN IMMEDIATE on `connection` (SQLAlchemy's): wait for the turn, then hold it."""
        if self._broken or threading.current_thread() is not threading.main_thread():
            return
        if self._pid != os.getpid():  # first use in this process (gunicorn forks its workers)
            if self._fd is not None:
                os.close(self._fd)  # the parent's, inherited
                self._fd = None
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as error:
                self._broken = True
                logging.getLogger("workspace").warning("SQLite writers go without turns: %s", error)
                return
            self._pid, self._owner = os.getpid(), None
        if self._owner is None and not self._wait():
            return
        self._owner = _raw(connection.connection)

    def _wait(self) -> bool:
        """Take the file lock, trying every POLL seconds for at most WAIT (then SQLite's own wait decides)."""
        deadline = None
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                now = time.monotonic()
                deadline = deadline or now + self.WAIT
                if now >= deadline:
                    return False
                time.sleep(self.POLL)

    def give(self, dbapi_connection, leaving: bool = False) -> None:
        owner = self._owner
        if owner is None or self._pid != os.getpid():
            return
        if _raw(dbapi_connection) is owner or (leaving and dbapi_connection is None):
            self._owner = None
            fcntl.flock(self._fd, fcntl.LOCK_UN)


def _raw(connection):
    """The driver's connection behind a pool's proxy (or itself)."""
    return getattr(connection, "dbapi_connection", connection)


class BoundPerson:
    """Stands for the person in a statement built once per process: `id` is a bound parameter
    (`user_id` unless named otherwise), given at each read (`{"user_id": user.id}`)."""

    def __init__(self, name: str = "user_id"):
        self.id = bindparam(name, type_=Integer)


def commit_keeping_loaded() -> None:
    """Commit, and keep what the session has loaded instead of expiring it.

    For a decision whose answer is rendered in the same request: after a plain commit the project
    and the person (and the decided object) are expired, and the answer loads each again, two or
    three statements that read back what this request already holds. Safe only where the decision
    changes nothing in the loaded objects behind the ORM's back (no Core UPDATE of their tables), or
    sets on them what it wrote (a goal decision: `goals.services._write_goal`);
    what the ORM flushed is what the database now holds. The answer shows those objects as this
    request knew them: a change another person commits in the moment between is seen on the next
    read (and a decision on a changed goal is refused as stale). Rollbacks still expire everything."""
    session = db.session()
    expiring = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expiring


def reads_first(endpoint: str) -> None:
    """Let the requests of `endpoint` (a write) read first without the write lock.

    On SQLite the write lock is taken at the request's first statement (BEGIN IMMEDIATE), so it was held
    while the person, the CSRF token, the object and the permission were checked: a third of a goal
    decision's time under the lock (issue 19), in which the other workers' decisions waited. Here the
    request's first transaction begins without it, and the view calls `writing()` before it writes; the
    write begins with the lock in a transaction of its own. What the view read first may have changed by
    then: a change it makes must be checked again under the lock, as the version of a goal is (an UPDATE
    of another version is refused as stale). The person's membership and permission are not: one removed
    from the project in those milliseconds may still act once, as on PostgreSQL, where a decision never
    locked them either. Nothing may write in the first transaction: a reader that writes after another
    worker's commit fails ("database is locked"), and the tests refuse it (`_refuse_writes_in_reads`).
    """
    READ_FIRST.add(endpoint)


def writing() -> None:
    """In a request of a `reads_first` endpoint: end the first transaction, which only read, keeping what
    it loaded; the next one begins with the write lock. Elsewhere (and on PostgreSQL) nothing to do."""
    g_ = app_g()
    if g_.get("_db_read_first"):
        g_._db_read_first = False
        if db.session().in_transaction():
            commit_keeping_loaded()


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


class PlainRead:
    """A SELECT of plain columns, built once per process, read straight from the driver's cursor.

    `session.execute` of a prebuilt SELECT of five columns cost about 150 µs on this project's
    machine, and SQLite's own work about 20 µs of it: the rest is SQLAlchemy's execution (the ORM's
    session events and result, the Core's execution context and result metadata). A page read
    twenty of them (issue 19). Here the statement is compiled once per database dialect (with the
    engine's linting: a missing join still warns, and warnings fail the tests); each read binds its
    parameters, sends the SQL on the session's connection (so in its transaction), and applies each
    column type's result processing (SQLite's dates and booleans, the UTC times) to plain rows (named
    tuples of the statement's column keys).

    What stays the same as a `session.execute`: the statement's SQL and parameters; the session's
    autoflush (pending changes are flushed first, so a request reads back what it changed; not
    within a flush, as the ORM); the engine's `before_cursor_execute`/`after_cursor_execute`
    listeners (the query counts, the tests' fault injection), which get no execution context
    (`context` is None; with `SQLALCHEMY_RECORD_QUERIES`, whose listener needs one, reads go through
    `session.execute`); and the errors: a driver's error is raised as SQLAlchemy's exception for it
    (`DBAPIError.instance`, so `OperationalError` still gives the friendly 503), a lost connection is
    invalidated (its pool replaces it; `pool_pre_ping` checks the others), a missing or unbindable
    parameter is a `StatementError`. Not here: whole ORM entities and loader options (refused),
    expanding (IN) and computed parameters (refused), `echo` logging and `handle_error` events."""

    __slots__ = ("statement", "_prepared", "row")

    def __init__(self, statement, name: str = "Row"):
        for description in getattr(statement, "column_descriptions", ()):
            entity = description.get("entity")
            if entity is not None and description.get("expr") is entity:
                raise ValueError(f"PlainRead reads columns, not whole entities ({entity.__name__})")
        self.statement = statement
        # (dialect, driver) -> [sql, parameter order or None, defaults, bind processors, escaped names,
        #                       required names, result processors (known after the first read)]
        self._prepared: dict = {}
        keys = list(statement.selected_columns.keys())
        self.row = namedtuple(name, keys, rename=True)

    def _prepare(self, connection):
        dialect = connection.dialect
        compiled = self.statement.compile(dialect=dialect, linting=dialect.compiler_linting | WARN_LINTING)
        sql = compiled.string
        if "POSTCOMPILE" in sql or any(b.expanding or b.callable is not None for b in compiled.binds.values()):
            raise ValueError("PlainRead takes statements without expanding or callable parameters")
        escaped = getattr(compiled, "escaped_bind_names", None) or {}
        defaults = {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required}
        required = frozenset(name for name, bind in compiled.binds.items() if bind.required)
        binders = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                binders[name] = processor
        order = tuple(compiled.positiontup) if compiled.positional else None
        prepared = [sql, order, defaults, binders, escaped, required, None]
        self._prepared[dialect.name, dialect.driver] = prepared
        return prepared

    def _results(self, dialect, description) -> tuple:
        types = [column.type for column in self.statement.selected_columns]
        return tuple(t.dialect_impl(dialect).result_processor(dialect, d[1]) for t, d in zip(types, description))

    def _parameters(self, prepared, params):
        sql, order, defaults, binders, escaped, required = prepared[:6]
        missing = required.difference(params or ())
        if missing:
            raise StatementError(f"A value is required for bind parameter {sorted(missing)[0]!r}", sql, params, None)
        values = {**defaults, **params} if params else dict(defaults)
        try:
            for name, processor in binders.items():
                values[name] = processor(values[name])
        except Exception as error:  # as SQLAlchemy wraps a value its type cannot bind
            raise StatementError(f"({type(error).__qualname__}) {error}", sql, params, error) from error
        if order is not None:
            return tuple(values[name] for name in order)
        if escaped:
            return {escaped.get(name, name): value for name, value in values.items()}
        return values

    def __call__(self, params: dict | None = None) -> list:
        """The rows, as named tuples."""
        session = db.session()
        if app_object().config.get("SQLALCHEMY_RECORD_QUERIES"):
            return [self.row._make(row) for row in session.execute(self.statement, params or {})]
        # as the ORM does before a query: what this request changed is read back; not from within a
        # flush (a flush event asking the policy), where the ORM skips it too
        if session.autoflush and not getattr(session, "_flushing", False):
            session.flush()
        connection = session.connection()
        dialect = connection.dialect
        prepared = self._prepared.get((dialect.name, dialect.driver)) or self._prepare(connection)
        sql, results = prepared[0], prepared[6]
        parameters = self._parameters(prepared, params)
        dispatch = connection.dispatch
        cursor = None
        try:
            cursor = connection.connection.cursor()
            for listener in dispatch.before_cursor_execute:
                sql, parameters = listener(connection, cursor, sql, parameters, None, False)
            cursor.execute(sql, parameters)
            for listener in dispatch.after_cursor_execute:
                listener(connection, cursor, sql, parameters, None, False)
            fetched = cursor.fetchall()
            if results is None:
                results = prepared[6] = self._results(dialect, cursor.description)
        except dialect.loaded_dbapi.Error as error:
            _close(cursor)
            raise _wrapped(connection, cursor, sql, parameters, error) from error
        except BaseException:  # a listener's own error, an interruption: the cursor is closed all the same
            _close(cursor)
            raise
        _close(cursor)
        make = self.row._make
        if not any(results):
            return list(map(make, fetched))
        return [make([value if process is None else process(value) for process, value in zip(results, row)])
                for row in fetched]

    def one(self, params: dict | None = None):
        """The one row; an error when there is none or more than one, as `Result.one()`."""
        rows = self(params)
        if len(rows) != 1:
            raise (NoResultFound if not rows else MultipleResultsFound)(
                "No row was found when one was required" if not rows else "Multiple rows were found when one was required")
        return rows[0]

    def scalar(self, params: dict | None = None):
        """The first column of the first row, or None."""
        rows = self(params)
        return rows[0][0] if rows else None


class Named:
    """What a page shows of a row's related person or course: its name (`goal.proposer.name`,
    `member.user.name`, `project.course.name`), for read models of plain rows."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name


def _close(cursor) -> None:
    """Close a cursor as SQLAlchemy does: an error in closing (its connection is gone) is not the news."""
    if cursor is None:
        return
    try:
        cursor.close()
    except Exception:  # noqa: BLE001  # nosec B110 (the error that matters is raised by the caller)
        pass


def _wrapped(connection, cursor, sql, parameters, error):
    """A driver's error as SQLAlchemy raises it; a lost connection is invalidated first (its pool
    then replaces it), so the next request gets a working one."""
    dialect = connection.dialect
    lost = dialect.is_disconnect(error, connection.connection.dbapi_connection, cursor)
    if lost:
        connection.invalidate(error)
    return DBAPIError.instance(sql, parameters, error, dialect.loaded_dbapi.Error, connection_invalidated=lost,
                               dialect=dialect)


_BY_ID: dict = {}  # model -> SELECT of it by its primary key, built once per process


def get(model, ident):
    """`db.session.get(model, ident)` for the loaders every request runs (the person, the page's
    project or course): an object already in the session is the session's, as with `get`; otherwise
    one SELECT built once per model (about 90 µs less than `get`, which builds its SELECT anew)."""
    session = db.session()
    if session.identity_key(model, ident) in session.identity_map:
        return session.get(model, ident)
    statement = _BY_ID.get(model)
    if statement is None:
        key = sa_inspect(model).primary_key
        if len(key) != 1:
            raise ValueError(f"get() takes models with a one-column primary key ({model.__name__})")
        statement = _BY_ID[model] = select(model).where(key[0] == bindparam("ident", type_=key[0].type))
    return session.scalar(statement, {"ident": ident})
