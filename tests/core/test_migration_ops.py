"""Foreign keys without their own index are covered by a composite index, and the migrations that
dropped the covered indexes left the database with exactly the indexes the models declare."""

import pytest
from django.apps import apps
from django.db import connection, models

pytestmark = pytest.mark.django_db

APPS = ("core", "customers", "activities", "sales", "catalog", "imports")


def _unindexed_foreign_keys():
    for model in apps.get_models():
        if model._meta.app_label not in APPS:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.ForeignKey) and not field.db_index and not field.unique:
                yield model, field


def _leading_columns(model):
    """Columns that lead a full (not partial) index of ``model``."""
    found = set()
    for index in model._meta.indexes:
        if index.condition is None and index.fields:
            found.add(model._meta.get_field(index.fields[0].lstrip("-")).column)
    for together in model._meta.unique_together:
        found.add(model._meta.get_field(together[0]).column)
    for constraint in model._meta.constraints:
        full = constraint.condition is None
        if isinstance(constraint, models.UniqueConstraint) and full and constraint.fields:
            found.add(model._meta.get_field(constraint.fields[0]).column)
    return found


def test_every_foreign_key_without_its_own_index_leads_a_full_composite_index():
    # given the foreign keys declared with db_index=False
    fields = list(_unindexed_foreign_keys())
    assert len(fields) == 26  # the covered keys dropped by the *_drop_covered_fk_indexes migrations
    # then each one's column leads an index that holds every row (lookups on delete, by parent)
    missing = [f"{m.__name__}.{f.name}" for m, f in fields if f.column not in _leading_columns(m)]
    assert missing == []


def test_the_migrated_database_has_no_single_column_index_on_those_keys():
    # given the test database, built by the migrations
    with connection.cursor() as cursor:
        for model, field in _unindexed_foreign_keys():
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
            # then no index covers that column alone, and a composite one leads with it
            single = [n for n, c in constraints.items() if c["index"] and c["columns"] == [field.column]]
            leading = [n for n, c in constraints.items() if c["index"] and c["columns"][:1] == [field.column]]
            assert single == [], f"{model.__name__}.{field.name}"
            assert leading != [], f"{model.__name__}.{field.name}"


@pytest.mark.django_db(transaction=True)  # SQLite's schema editor refuses to run inside a transaction
@pytest.mark.parametrize(
    ("name", "vendor", "label"),
    [("PostgreSQLOnly", "postgresql", "PostgreSQL"), ("SQLiteOnly", "sqlite", "SQLite")],
)
def test_vendor_only_runs_its_sql_on_its_database_and_leaves_the_state_alone(name, vendor, label):
    # given
    from django.db.migrations.state import ProjectState

    from daifuku.core import migration_ops

    op = getattr(migration_ops, name)(
        'CREATE INDEX "test_pg_only_idx" ON "core_team" ("name", "id")', 'DROP INDEX "test_pg_only_idx"'
    )
    state = ProjectState.from_apps(apps)
    before = state.clone()

    def index_exists():
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, "core_team")
        return "test_pg_only_idx" in constraints

    # when: forwards
    op.state_forwards("core", state)
    with connection.schema_editor() as editor:
        op.database_forwards("core", editor, before, state)
    # then: the index on its database only; the project state unchanged
    assert index_exists() == (connection.vendor == vendor)
    assert state.models == before.models
    # when: backwards
    with connection.schema_editor() as editor:
        op.database_backwards("core", editor, state, before)
    # then
    assert index_exists() is False
    assert op.describe().startswith(f"{label} only: CREATE INDEX")
    assert op.deconstruct() == (
        name,
        [],
        {"sql": op.sql, "reverse_sql": op.reverse_sql},
    )
