"""The Alembic migrations produce exactly the models' schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from engage.extensions import db


def test_migrations_match_models(app):
    # The session fixture built this database with `upgrade`, not create_all.
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)

    assert differences == []
