"""Migrations build exactly the models' schema on an empty database, on SQLite and PostgreSQL."""
import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from workspace import create_app
from workspace.extensions import db

MIGRATIONS = os.path.join(os.path.dirname(__file__), "..", "migrations")


def _drift(url: str) -> list:
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    try:
        with app.app_context():
            upgrade(directory=MIGRATIONS)
            with db.engine.connect() as connection:
                context = MigrationContext.configure(connection, opts={"compare_type": True})
                diff = compare_metadata(context, db.metadata)
            downgrade(directory=MIGRATIONS, revision="base")
            with db.engine.connect() as connection:
                left = set(db.inspect(connection).get_table_names()) - {"alembic_version"}
            return diff, left
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_migrations_match_the_models_on_sqlite(tmp_path):
    diff, left = _drift("sqlite:///" + str(tmp_path / "migrated.db"))
    assert diff == []
    assert left == set()


def test_migrations_match_the_models_on_postgresql(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL not configured: set DATABASE_URL to run this on PostgreSQL")
    url = make_url(database_url)
    name = f"{url.database}_migrations_{uuid.uuid4().hex[:6]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        diff, left = _drift(url.set(database=name).render_as_string(hide_password=False))
        assert diff == []
        assert left == set()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
