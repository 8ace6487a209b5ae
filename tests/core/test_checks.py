"""System checks of the database."""

import pytest
from django.db import connection

from daifuku.core import checks, search

pytestmark = pytest.mark.django_db


def test_a_database_compared_by_code_point_passes():
    assert checks.database_collation(databases=["default"]) == []


def test_postgresql_with_another_collation_is_warned_about(monkeypatch):
    # given
    monkeypatch.setattr(search, "code_point_order", lambda using="default": False)
    # when
    found = checks.database_collation(databases=["default"])
    # then
    if connection.vendor == "postgresql":
        assert [m.id for m in found] == ["daifuku.W001"]
        assert "collation is not C" in found[0].msg
    else:
        assert found == []  # SQLite always compares with BINARY
