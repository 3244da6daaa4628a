"""The migrations build the schema the models describe, and take it down cleanly."""

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app import create_app
from app.extensions import db
from tests.conftest import TEST_DATABASE_URL, create_scratch_database, drop_scratch_database


@pytest.fixture
def empty_database(tmp_path):
    if TEST_DATABASE_URL:
        url = create_scratch_database(TEST_DATABASE_URL)
        yield url
        drop_scratch_database(TEST_DATABASE_URL, url)
    else:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"


def table_names(engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade_leaves_the_schema_the_models_describe(empty_database):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        flask_migrate.upgrade()
        assert table_names(db.engine) == set(db.metadata.tables)

        flask_migrate.downgrade(revision="base")
        assert table_names(db.engine) == set()

        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert differences == []
