"""Shared fixtures. Tests run on the real database of DATABASE_URL (SQLite by default, PostgreSQL in CI)."""

import pytest
from huey.contrib.djhuey import HUEY

from tests.factories import CompanyFactory, ContactFactory, TeamFactory, UserFactory

# Tasks run inline in tests (Huey's immediate mode keeps them in memory, never in ./var/huey.sqlite3).
HUEY.immediate = True


@pytest.fixture
def team_a(db):
    return TeamFactory(name="東京営業部")


@pytest.fixture
def team_b(db):
    return TeamFactory(name="大阪営業部")


@pytest.fixture
def admin(db, team_a):
    return UserFactory(username="admin", role="administrator", team=team_a)


@pytest.fixture
def manager_a(db, team_a):
    return UserFactory(username="manager_a", role="manager", team=team_a)


@pytest.fixture
def rep_a(db, team_a):
    return UserFactory(username="rep_a", role="sales_rep", team=team_a)


@pytest.fixture
def rep_a2(db, team_a):
    return UserFactory(username="rep_a2", role="sales_rep", team=team_a)


@pytest.fixture
def rep_b(db, team_b):
    return UserFactory(username="rep_b", role="sales_rep", team=team_b)


@pytest.fixture
def company_of_rep_a(rep_a):
    return CompanyFactory(name="山田商事", legal_form="kk", legal_form_position="before", owner=rep_a)


@pytest.fixture
def company_of_team_b(rep_b):
    return CompanyFactory(name="大阪物産", legal_form="kk", legal_form_position="after", owner=rep_b)


@pytest.fixture
def contact_of_rep_a(rep_a, company_of_rep_a):
    return ContactFactory(family_name="田中", given_name="一郎", company=company_of_rep_a, owner=rep_a)
