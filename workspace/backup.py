"""Backups: `flask export` writes the installation (or one project) to one zip archive, and
`flask import` restores such an archive into an empty database, keeping every id.

The archive holds `data.json` (every table's columns and rows) and, under `files/`, the bytes of
every binary column (uploaded deliverable files), referenced from the JSON by their path. Both
commands walk `db.metadata.sorted_tables`, so a table a later feature adds is included without
touching this module. Values are written by column type: times as ISO 8601 text (UTC for aware
ones), dates as ISO dates, JSON columns as the stored JSON text (so a SQL NULL and a JSON `null`
stay apart), bytes as files, and everything else as JSON itself.

One project's archive holds the project, its course and organisation, every row that hangs off
them (directly or through other rows of theirs, never through another project), and every person
those rows name. Rows that hang off a person only (tokens, mail settings) and rows of other
projects stay out; a reference from the project to another project (a predecessor) is left empty.
"""
import json
import zipfile
from datetime import date, datetime, time, timezone
from decimal import Decimal
from uuid import UUID

from sqlalchemy import JSON, LargeBinary, Text, cast, func, inspect, select, text, tuple_, type_coerce
from sqlalchemy.types import TypeDecorator

from .extensions import db

FORMAT = "cocreation-workspace-backup"
FORMAT_VERSION = 1
DATA = "data.json"
BATCH = 500


class BackupError(Exception):
    """An archive that cannot be written or restored; the message says why, for the command line."""


# -- column values to JSON and back -------------------------------------------------------------

def _kind(column) -> str:
    """How a column's values travel in data.json."""
    type_ = column.type
    while isinstance(type_, TypeDecorator):  # UTCDateTime and the like: judged by what they store
        type_ = type_.impl_instance
    if isinstance(type_, LargeBinary):
        return "file"
    if isinstance(type_, JSON):
        return "json"
    try:
        python_type = type_.python_type
    except NotImplementedError:
        return "plain"
    for candidate, kind in ((datetime, "datetime"), (date, "date"), (time, "time"),
                            (Decimal, "decimal"), (UUID, "uuid"), (bytes, "file")):
        if issubclass(python_type, candidate):
            return kind
    return "plain"


def _encode(kind: str, value):
    if value is None or kind in ("plain", "json"):
        return value
    if kind == "datetime" and value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return str(value) if kind in ("decimal", "uuid") else value.isoformat()


def _decode(kind: str, value):
    if value is None or kind in ("plain", "json"):
        return value
    return {"datetime": datetime.fromisoformat, "date": date.fromisoformat, "time": time.fromisoformat,
            "decimal": Decimal, "uuid": UUID}[kind](value)


def _selected(column, dialect: str):
    """The column as read for the archive: JSON as its stored text, everything else as itself."""
    if _kind(column) != "json":
        return column
    return cast(column, Text) if dialect == "postgresql" else type_coerce(column, Text)


def _written(column, dialect: str):
    """The insert value for a column: JSON text goes in as it was read."""
    param = db.bindparam(f"p_{column.name}", type_=Text if _kind(column) == "json" else column.type)
    if _kind(column) == "json" and dialect == "postgresql":
        return cast(param, column.type)
    return param


# -- what one project's archive holds ------------------------------------------------------------

def _pk_key(table, row) -> tuple:
    return tuple(row[c.name] for c in table.primary_key.columns)


def _project_selection(project_id: int):
    """{table name: set of primary keys} of the rows one project's archive holds, and the
    references to leave empty: {table name: {primary key: [column names]}}."""
    from .models import Course, Organisation, Project, User

    project = db.session.get(Project, project_id)
    if project is None:
        raise BackupError(f"There is no project {project_id}.")
    people = User.__table__
    scope = {Project.__table__: project.id, Course.__table__: project.course_id,
             Organisation.__table__: project.organisation_id}
    tables = [t for t in db.metadata.sorted_tables if t is not people]
    targets = {fk.column for t in tables for fk in t.foreign_keys}
    # Activity recorded for the course alone (a private reflection, kept off the project's timeline)
    # belongs to its subject: it comes along only with that subject, never another project's.
    activity = db.metadata.tables.get("activity")
    subject_tables = {m.class_.__name__.lower(): m.local_table for m in db.Model.registry.mappers}
    keys_of = {}  # table -> [{column: value}] of the key, reference and referenced columns of every row
    for table in tables:
        wanted = [c for c in table.columns if c.primary_key or c.foreign_keys or c in targets]
        if table is activity:
            wanted += [table.c.subject_type, table.c.subject_id]
        keys_of[table] = [dict(r._mapping) for r in db.session.execute(select(*wanted))]

    kept = {table: {} for table in tables}     # table -> {primary key: row}
    values = {column: set() for column in targets}  # the values kept rows hold in referenced columns

    def keep(table, row):
        kept[table][_pk_key(table, row)] = row
        for column in table.columns:
            if column in values:
                values[column].add(row[column.name])

    for table, ident in scope.items():
        for row in keys_of[table]:
            if row["id"] == ident:
                keep(table, row)
    # A row is kept when it references a kept row and nothing outside (people aside); tables that
    # reference themselves or later tables need more than one pass.
    changed = True
    while changed:
        changed = False
        for table in tables:
            if table in scope:
                continue
            for row in keys_of[table]:
                if _pk_key(table, row) in kept[table]:
                    continue
                anchored, inside = False, True
                for fk in table.foreign_keys:
                    value = row[fk.parent.name]
                    if value is None or fk.column.table is people:
                        continue
                    if value in values[fk.column]:
                        anchored = True
                    else:
                        inside = False
                if anchored and inside and table is activity and row["project_id"] is None:
                    subject = subject_tables.get(row["subject_type"])
                    if subject in kept and (row["subject_id"],) not in kept[subject]:
                        continue
                if anchored and inside:
                    keep(table, row)
                    changed = True
    # The scope rows themselves: a reference out of the scope (another project) is left empty.
    emptied = {}
    for table in scope:
        for key, row in kept[table].items():
            for fk in table.foreign_keys:
                value = row[fk.parent.name]
                if value is None or fk.column.table is people or value in values[fk.column]:
                    continue
                if not fk.parent.nullable:
                    raise BackupError(f"{table.name}.{fk.parent.name} points outside the project.")
                emptied.setdefault(table.name, {}).setdefault(key, []).append(fk.parent.name)
    # Everyone those rows name.
    named = set()
    for table, rows in kept.items():
        for fk in table.foreign_keys:
            if fk.column.table is people:
                named |= {row[fk.parent.name] for row in rows.values() if row[fk.parent.name] is not None}
    selection = {table.name: set(rows) for table, rows in kept.items()}
    selection[people.name] = {(ident,) for ident in named}
    return selection, emptied


# -- export ----------------------------------------------------------------------------------------

def _alembic_revision():
    """The migration the schema is at (none when it was built with create_all)."""
    if not inspect(db.session.connection()).has_table("alembic_version"):
        return None
    return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _rows(table, columns, keys, dialect):
    """The table's rows, in primary-key order, limited to `keys` when given."""
    order = list(table.primary_key.columns)
    query = select(*(_selected(c, dialect).label(c.name) for c in columns)).order_by(*order)
    if keys is None:
        yield from db.session.execute(query.execution_options(yield_per=BATCH))
        return
    ordered = sorted(keys, key=lambda k: tuple((v is None, v) for v in k))
    for start in range(0, len(ordered), BATCH):
        chunk = ordered[start:start + BATCH]
        where = order[0].in_([k[0] for k in chunk]) if len(order) == 1 else tuple_(*order).in_(chunk)
        yield from db.session.execute(query.where(where))


def export_archive(path, project_id: int | None = None) -> dict:
    """Write the installation (or one project) to a zip archive at `path`; returns rows per table."""
    dialect = db.engine.dialect.name
    if dialect == "postgresql" and not db.session().in_transaction():
        # One snapshot for every table, while the site keeps running.
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    selection, emptied = _project_selection(project_id) if project_id is not None else (None, {})
    tables, counts = {}, {}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in db.metadata.sorted_tables:
            columns = list(table.columns)
            kinds = [_kind(c) for c in columns]
            pk = list(table.primary_key.columns)
            keys = None if selection is None else selection.get(table.name, set())
            out = []
            for n, row in enumerate(_rows(table, columns, keys, dialect), start=1):
                key = tuple(row._mapping[c.name] for c in pk)
                blank = emptied.get(table.name, {}).get(key, ())
                values = []
                for column, kind in zip(columns, kinds):
                    value = None if column.name in blank else row._mapping[column.name]
                    if kind == "file" and value is not None:
                        name = key[0] if len(key) == 1 and isinstance(key[0], int) else n
                        member = f"files/{table.name}/{column.name}/{name}"
                        archive.writestr(member, bytes(value))
                        value = member
                    else:
                        value = _encode(kind, value)
                    values.append(value)
                out.append(values)
            tables[table.name] = {"columns": [c.name for c in columns], "rows": out}
            counts[table.name] = len(out)
        data = {
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "created_at": datetime.now(timezone.utc).isoformat(),
            "scope": {"project_id": project_id} if project_id is not None else "installation",
            "database": dialect, "alembic_revision": _alembic_revision(), "tables": tables,
        }
        archive.writestr(DATA, json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    return counts


# -- import ----------------------------------------------------------------------------------------

def row_counts() -> dict:
    """Rows per table of the current schema, in one query."""
    tables = db.metadata.sorted_tables
    counts = [select(func.count()).select_from(t).scalar_subquery().label(f"t{i}") for i, t in enumerate(tables)]
    values = db.session.execute(select(*counts)).one()
    return {t.name: n for t, n in zip(tables, values)}


def _read(archive) -> dict:
    try:
        data = json.loads(archive.read(DATA))
    except KeyError:
        raise BackupError(f"The archive holds no {DATA}: not a backup made by `flask export`.") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError("The archive is not a backup made by `flask export`.")
    if data.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"The archive has format version {data.get('format_version')}; "
                          f"this version reads {FORMAT_VERSION}.")
    known = {t.name: t for t in db.metadata.sorted_tables}
    for name, content in data["tables"].items():
        if name not in known:
            raise BackupError(f"The archive holds table {name!r}, which this version does not know; upgrade first.")
        unknown = set(content["columns"]) - {c.name for c in known[name].columns}
        if unknown:
            raise BackupError(f"The archive holds columns {sorted(unknown)} of {name!r}, "
                              "which this version does not know.")
    return data


def _reset_sequences() -> None:
    """PostgreSQL: each id sequence continues after the highest id restored."""
    for table in db.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1:
            continue
        name, column = table.name.replace('"', '""'), pk[0]
        sequence = db.session.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                      {"t": f'"{name}"', "c": column.name}).scalar()
        if sequence:
            highest = func.max(column)
            db.session.execute(select(func.setval(sequence, func.coalesce(highest, 1), highest.is_not(None))))


def _restored(archive, table, kind, value):
    if kind != "file" or value is None:
        return _decode(kind, value)
    try:
        return archive.read(value)
    except KeyError:
        raise BackupError(f"The archive lacks the file {value!r} of table {table.name!r}.") from None


def import_archive(path) -> dict:
    """Restore an archive into the empty database, keeping ids; the caller commits. Returns rows
    per table. Raises BackupError, having changed nothing, when the database holds any row."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise BackupError(f"Cannot read {path}: {exc}") from None
    with archive:
        data = _read(archive)
        filled = {name: n for name, n in row_counts().items() if n}
        if filled:
            listed = ", ".join(f"{name} ({n})" for name, n in list(filled.items())[:5])
            listed += f" and {len(filled) - 5} more tables" if len(filled) > 5 else ""
            raise BackupError("The database is not empty, so nothing was imported: an archive is restored only "
                              f"into an empty database (create one and run `flask db upgrade`). Rows found: {listed}.")
        dialect = db.engine.dialect.name
        done, counts, pending = set(), {}, []
        for table in db.metadata.sorted_tables:
            content = data["tables"].get(table.name) or {"columns": [], "rows": []}
            names = content["columns"]
            columns = [table.columns[n] for n in names]
            kinds = [_kind(c) for c in columns]
            # References to this table (or to a later one) are set once every row is in.
            later = {fk.parent.name for fk in table.foreign_keys if fk.column.table not in done and fk.parent.nullable}
            insert = table.insert().values({c.name: _written(c, dialect) for c in columns})
            size = 50 if "file" in kinds else BATCH
            batch = []
            for values in content["rows"]:
                row = dict(zip(names, (_restored(archive, table, k, v) for k, v in zip(kinds, values))))
                deferred = {n: row[n] for n in later if row.get(n) is not None}
                if deferred:
                    # An update may stamp columns of its own (onupdate): they keep their values too.
                    deferred |= {c.name: row[c.name] for c in table.columns if c.onupdate is not None and c.name in row}
                    pending.append((table, {c.name: row[c.name] for c in table.primary_key.columns}, deferred))
                    row.update({n: None for n in later if n in deferred})
                batch.append({f"p_{n}": v for n, v in row.items()})
                if len(batch) >= size:
                    db.session.execute(insert, batch)
                    batch = []
            if batch:
                db.session.execute(insert, batch)
            counts[table.name] = len(content["rows"])
            done.add(table)
        for table, key, deferred in pending:
            db.session.execute(table.update().where(*(table.columns[n] == v for n, v in key.items())).values(deferred))
        if dialect == "postgresql":
            _reset_sequences()
    return counts
