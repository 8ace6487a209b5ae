"""Demo data: counts, roles, determinism, search rows and the tricky Japanese names."""

import random

import pytest
from django.db import transaction

from daifuku import demo
from daifuku.cli import main
from daifuku.core import jp, search
from daifuku.core.models import AuditEntry, Role, SearchDocument, Team, User
from daifuku.customers.models import Company, CompanyHandover, Contact, ContactAffiliation

SMALL = {"companies": 30, "contacts": 100}


class _Rollback(Exception):
    pass


def _names() -> list[tuple[str, str]]:
    return list(Company.objects.order_by("id").values_list("name", "name_kana"))


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    # Argon2 is slow on purpose; 13 demo users per test add up.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def small_demo(db):
    return demo.load(seed=7, **SMALL)


def test_demo_creates_teams_users_companies_and_contacts(small_demo):
    # then
    assert (small_demo.companies, small_demo.contacts) == (30, 100)
    assert Company.objects.count() == 30
    assert Contact.objects.count() == 100
    assert Contact.objects.filter(company__isnull=True).count() == 15
    assert set(Team.objects.values_list("name", flat=True)) >= set(demo.TEAMS)
    assert set(User.objects.values_list("role__slug", flat=True)) == set(
        Role.objects.values_list("slug", flat=True)
    )
    assert User.objects.filter(role__slug="sales_rep", team__name="大阪営業部").count() == 2
    assert User.objects.filter(role__slug="manager").count() == 3


def test_demo_passwords_are_the_printed_ones(small_demo):
    # then
    for demo_user in demo.DEMO_USERS:
        assert User.objects.get(username=demo_user.username).check_password(demo_user.password)
    assert demo.DEMO_USERS[0].password == "demo-admin-2026"


def test_demo_is_deterministic_for_a_seed(db):
    # given: a first load, rolled back
    try:
        with transaction.atomic():
            demo.load(seed=11, **SMALL)
            first = _names()
            first_contacts = list(
                Contact.objects.order_by("id").values_list("family_name", "given_name_kana")
            )
            raise _Rollback
    except _Rollback:
        pass
    assert Company.objects.count() == 0
    # when
    demo.load(seed=11, **SMALL)
    # then
    assert _names() == first
    assert (
        list(Contact.objects.order_by("id").values_list("family_name", "given_name_kana")) == first_contacts
    )


def test_another_seed_gives_other_data(db):
    # given
    try:
        with transaction.atomic():
            demo.load(seed=1, **SMALL)
            first = _names()
            raise _Rollback
    except _Rollback:
        pass
    # when
    demo.load(seed=2, **SMALL)
    # then
    assert _names() != first


def test_demo_refuses_to_load_twice(small_demo):
    # given
    before = Company.objects.count()
    # when
    with pytest.raises(demo.DemoAlreadyLoaded):
        demo.load(seed=7, **SMALL)
    # then
    assert Company.objects.count() == before


def test_demo_writes_search_rows_and_audit_entries(small_demo):
    # then
    assert SearchDocument.objects.filter(object_type="company").count() == 30
    assert SearchDocument.objects.filter(object_type="contact").count() == 100
    assert (
        AuditEntry.objects.filter(object_type="customers.company", action="create", via="cli").count() == 30
    )
    found = Company.objects.filter(search.matches("company", "ﾔﾏﾀﾞ"))
    assert "ヤマダ商店" in {c.name for c in found}


def test_demo_has_the_tricky_names(small_demo):
    # then
    sunrise = Company.objects.get(name="サンライズ")  # typed as ㈱ｻﾝﾗｲｽﾞ
    assert (sunrise.legal_form, sunrise.legal_form_position, sunrise.name_kana) == (
        "kk",
        "before",
        "サンライズ",
    )
    assert Company.objects.get(name="ヤマダ商店").name_kana == "ヤマダショウテン"  # typed as ﾔﾏﾀﾞ商店
    assert Company.objects.get(name="髙橋精機").display_name == "髙橋精機株式会社"
    assert Company.objects.get(name="𠮷野フーズ").display_name == "株式会社𠮷野フーズ"
    assert Company.objects.get(name="渡邉工務店").legal_form == "yk"
    assert Company.objects.filter(name__regex=r"^.{30,}$").count() == 1
    assert (
        Contact.objects.get(family_name="ヤマダ", given_name="タロウ").family_name_kana == "ヤマダ"
    )  # ﾔﾏﾀﾞ ﾀﾛｳ
    assert Contact.objects.filter(family_name__in=["髙橋", "𠮷田", "勅使河原", "小鳥遊"]).count() == 4


def test_demo_identifiers_and_addresses_are_valid(small_demo):
    # then
    companies = list(Company.objects.all())
    numbered = [c for c in companies if c.corporate_number]
    assert len(numbered) >= 20
    assert all(jp.is_valid_corporate_number(c.corporate_number) for c in numbered)
    assert all(
        jp.check_registration_number(c.invoice_registration_number).ok
        for c in companies
        if c.invoice_registration_number
    )
    for company in companies:
        found = jp.postal_lookup(company.postal_code)
        assert (found.prefecture, found.city) == (company.prefecture, company.city)
    assert all(c.phone.startswith("+81") for c in companies)


def test_demo_has_history_and_consent_records(small_demo):
    # then
    assert CompanyHandover.objects.filter(reason="担当替え（組織変更のため）").count() == 1
    assert ContactAffiliation.objects.filter(ended_on__isnull=False).count() == 4
    opted_in = Contact.objects.filter(mail_consent="opted_in")
    assert opted_in.exists()
    assert not opted_in.filter(mail_consent_method="").exists()
    assert not opted_in.filter(mail_consent_at__isnull=True).exists()


def test_corporate_number_check_digit():
    # given
    rng = random.Random(3)
    # when
    numbers = [demo.corporate_number(rng) for _ in range(200)]
    # then
    assert all(len(n) == 13 and jp.is_valid_corporate_number(n) for n in numbers)


def test_demo_command_prints_logins(db, capsys):
    # when
    code = main(["demo", "--seed", "5", "--companies", "12", "--contacts", "30"])
    # then
    assert code == 0
    out = capsys.readouterr().out
    assert "Created 12 companies and 30 contacts" in out
    assert "demo-tokyo_rep1-2026" in out
    assert Company.objects.count() == 12


def test_demo_command_refuses_twice_with_exit_2(small_demo, capsys):
    # when
    code = main(["demo", "--companies", "12", "--contacts", "30"])
    # then
    assert code == 2
    assert capsys.readouterr().err == (
        "daifuku: error: demo data is already loaded (the demo users exist); use a fresh database\n"
    )
    assert Company.objects.count() == 30


def test_demo_fills_the_reps_work(small_demo):
    # given
    from daifuku.activities.models import Activity, DailyReport, Event, Task, TimelineEntry

    reps = User.objects.filter(role__slug="sales_rep")
    # then: every rep with accounts has two weeks of activities, submitted 日報, open tasks and visits ahead
    owners_with_accounts = set(Company.objects.filter(owner__in=reps).values_list("owner_id", flat=True))
    assert set(Activity.objects.values_list("owner_id", flat=True)) == owners_with_accounts
    assert set(DailyReport.objects.values_list("author_id", flat=True)) == owners_with_accounts
    assert not DailyReport.objects.exclude(status="submitted").exists()
    assert Task.objects.count() == 4 * len(owners_with_accounts)
    assert Event.objects.count() == 3 * len(owners_with_accounts)
    assert TimelineEntry.objects.filter(kind="activity").count() >= Activity.objects.count()
