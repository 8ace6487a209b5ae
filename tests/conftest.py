"""Shared fixtures. Tests run on the real database of DATABASE_URL (SQLite by default, PostgreSQL in CI)."""

import os
from pathlib import Path

import pytest
from django.utils import translation
from huey.contrib.djhuey import HUEY

from daifuku.core import api_out
from tests.factories import CompanyFactory, ContactFactory, TeamFactory, UserFactory

# Tasks run inline in tests (Huey's immediate mode keeps them in memory, never in ./var/huey.sqlite3).
HUEY.immediate = True
# Every API list answered through api_out is also rendered the pydantic way and must be byte-identical.
api_out.CHECK = True


@pytest.fixture(autouse=True)
def japanese_by_default():
    """Every test starts in Japanese: a request by an English-speaking user leaves the thread in English."""
    translation.activate("ja")
    yield
    translation.activate("ja")


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


# Browser tests: one Playwright + Chromium for the whole session (a second sync Playwright loop in the
# same thread is refused), shared by every test directory.
CHROMIUM = os.environ.get("DAIFUKU_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: CI must run the browser tests (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} not installed")
    # Playwright's sync API runs an event loop in this thread; the ORM calls in tests are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(
        locale="ja-JP", timezone_id="Asia/Tokyo", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(
        locale="ja-JP", timezone_id="Asia/Tokyo", viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def seeded(transactional_db):
    """Reference rows that data migrations seed (roles, scopes, industries, work scopes).

    Transactional tests flush every table afterwards, so a later transactional test cannot count on
    migration data; re-running the data migrations' own functions puts exactly those rows back.
    """
    from importlib import import_module

    from django.apps import apps

    import_module("daifuku.core.migrations.0003_default_roles").forward(apps, None)
    import_module("daifuku.customers.migrations.0002_seed_industries").forward(apps, None)
    import_module("daifuku.activities.migrations.0002_default_scopes").forward(apps, None)
    import_module("daifuku.core.migrations.0006_seed_currencies_and_tax_rates").forward(apps, None)
    import_module("daifuku.sales.migrations.0002_default_scopes_and_pipeline").forward(apps, None)
