"""Data that many tests start from, made once per test process and copied back for each later test.

`kept(name, build)` runs `build()` (factories, `seed_demo()`) the first time in a process, commits, and
keeps a copy of the tables that then hold rows (SQLite: an attached database file beside the test
database; PostgreSQL: a schema of its own). Later calls copy those rows back, so the ids are the same,
and return what `build()` returned, with its objects loaded afresh in the current session.

A copy is only made from, and only put back into, empty tables (the autouse `ctx` fixture empties them
after every test): where another fixture wrote rows first, `build()` runs for real. Copies are per day
(`date.today()` goes into dates that pages compare with today).

Used by the `world` fixture (two courses and every role, in some 600 tests) and `demo_world()` (the whole
demo, some fifteen tests). Tests of the seeding itself (`flask seed-demo`, a feature's own demo with
FEATURES narrowed, seeding inside a request) call `seed_demo()` directly.
"""
import dataclasses
import os
import sqlite3
from datetime import date

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text

from workspace.extensions import db

SCHEMA_PREFIX = "kept_"  # PostgreSQL: one schema per copy, kept_<name>, in the worker's own database
_kept: dict = {}  # (database URL, name, day) -> (tables with rows, the shape with _Row for each object)


@dataclasses.dataclass(frozen=True)
class _Row:
    model: type
    identity: tuple


def _map(value, leaf):
    """The same nesting of dicts, lists, tuples and dataclasses, with `leaf` applied to each ORM object
    (and each _Row that stands for one)."""
    if isinstance(value, (db.Model, _Row)):
        return leaf(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return type(value)(**{f.name: _map(getattr(value, f.name), leaf) for f in dataclasses.fields(value)})
    if isinstance(value, dict):
        return {key: _map(item, leaf) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_map(item, leaf) for item in value)
    return value


def _freeze(value):
    return _map(value, lambda obj: _Row(type(obj), sa_inspect(obj).identity))


def _load(shape):
    """The shape's objects, one SELECT per model (all have a one-column primary key)."""
    wanted, loaded = {}, {}
    _map(shape, lambda row: wanted.setdefault(row.model, set()).add(row.identity))
    for model, identities in wanted.items():
        key = sa_inspect(model).primary_key[0]
        for obj in db.session.scalars(db.select(model).where(key.in_([i[0] for i in identities]))):
            loaded[model, sa_inspect(obj).identity] = obj
        missing = [i for i in identities if (model, i) not in loaded]
        assert not missing, f"the kept copy lost {model.__name__} {missing}"
    return _map(shape, lambda row: loaded[row.model, row.identity])


def kept(name: str, build):
    """What `build()` returns, committed: built in this process's first call, copied back in the later ones."""
    key = (str(db.engine.url), name, date.today())
    db.session.commit()  # what an earlier fixture made is stored (as `build()` would have committed it)
    if key in _kept:
        tables, shape = _kept[key]
        if _restore(name, tables):
            result = _load(shape)
            db.session.commit()  # as after building: the objects load afresh, the next read sees new data
            return result
        return _build(build)
    if _holding():
        return _build(build)  # rows of another fixture would go into the copy
    result = _build(build)
    tables = _holding()
    _keep(name, tables)
    _kept[key] = (tables, _freeze(result))
    return result


_NON_EMPTY = {}  # the statement that names the tables holding rows, by metadata (one per session)


def non_empty_tables(tables) -> set:
    """The tables that hold at least one row, in one statement: whoever wrote them (the test, the live
    server's threads, a gunicorn or a `flask` command in another process)."""
    key = tuple(t.name for t in tables)
    if key not in _NON_EMPTY:
        _NON_EMPTY[key] = text(" UNION ALL ".join(
            f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for t in tables))
    return set(db.session.execute(_NON_EMPTY[key]).scalars())


def _build(build):
    result = build()
    db.session.commit()
    return result


def _holding() -> list:
    """The tables holding rows, parents before children."""
    holding = non_empty_tables(db.metadata.sorted_tables)
    db.session.commit()
    return [t.name for t in db.metadata.sorted_tables if t.name in holding]


def _sqlite_copy(name) -> str:
    return f"{db.engine.url.database}.{name}"


def _keep(name, tables):
    if db.engine.dialect.name == "sqlite":
        copy = _sqlite_copy(name)
        if os.path.exists(copy):
            os.remove(copy)
        connection = sqlite3.connect(db.engine.url.database, timeout=30)
        try:
            connection.execute("ATTACH DATABASE ? AS kept", (copy,))
            for table in tables:
                connection.execute(f'CREATE TABLE kept."{table}" AS SELECT * FROM main."{table}"')
            connection.commit()
            connection.execute("DETACH DATABASE kept")
        finally:
            connection.close()
        return
    schema = SCHEMA_PREFIX + name
    with db.engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
        for table in tables:
            connection.execute(text(f'CREATE TABLE {schema}."{table}" AS SELECT * FROM "{table}"'))


def _restore(name, tables) -> bool:
    """Copy the kept rows back in one transaction; False (and nothing written) where rows are in the way."""
    if db.engine.dialect.name == "sqlite":
        connection = sqlite3.connect(db.engine.url.database, timeout=30)
        try:
            connection.execute("ATTACH DATABASE ? AS kept", (_sqlite_copy(name),))
            try:
                for table in tables:
                    connection.execute(f'INSERT INTO main."{table}" SELECT * FROM kept."{table}"')
            except sqlite3.IntegrityError:
                connection.rollback()
                return False
            connection.commit()
            connection.execute("DETACH DATABASE kept")
            return True
        finally:
            connection.close()
    from sqlalchemy.exc import IntegrityError

    schema = SCHEMA_PREFIX + name
    try:
        with db.engine.begin() as connection:
            for table in tables:
                connection.execute(text(f'INSERT INTO "{table}" SELECT * FROM {schema}."{table}"'))
            for table in tables:  # the serial columns go on after the copied ids, as after building
                for column in db.metadata.tables[table].primary_key.columns:
                    connection.execute(text(
                        f'SELECT setval(pg_get_serial_sequence(:table, :column), MAX("{column.name}")) '
                        f'FROM "{table}" HAVING MAX("{column.name}") IS NOT NULL'),
                        {"table": f'"{table}"', "column": column.name})
    except IntegrityError:
        return False
    return True


def drop_copies():
    """PostgreSQL: the copies' schemas (the app fixture's teardown)."""
    with db.engine.begin() as connection:
        for schema in connection.execute(text("SELECT nspname FROM pg_namespace")).scalars().all():
            if schema.startswith(SCHEMA_PREFIX):
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def demo_world(app) -> dict:
    """`seed_demo()`'s world, committed (in a request context, as `flask seed-demo` runs it in one)."""
    from workspace.seed import seed_demo

    def build():
        with app.test_request_context():
            demo = seed_demo()
            db.session.commit()  # inside the request: what it queued (demo mail) must not end its transaction first
        return demo

    return kept("demo", build)
