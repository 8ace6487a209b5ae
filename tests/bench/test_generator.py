"""The benchmark generator at a tiny scale: counts, determinism, visibility spread, derived fields."""

from collections import Counter

import jaconv
import pytest
from bench.scales import SCALES, Scale
from django.db import connection

from bench import generator
from daifuku.core import jp, search
from daifuku.core.models import AuditEntry, SearchDocument, Team, User
from daifuku.customers import selectors
from daifuku.customers.models import Company, Contact, ContactAffiliation
from tests.bench.helpers import generated_then_read

TINY = Scale("tiny", teams=3, reps_per_team=3, companies=60, contacts=300)


def _fingerprint() -> list[tuple]:
    companies = list(
        Company.objects.order_by("pk").values_list(
            "name", "legal_form", "phone", "owner__username", "kana_key"
        )
    )
    contacts = list(
        Contact.objects.order_by("pk").values_list(
            "family_name", "given_name", "company__name", "mobile_phone", "owner__username", "deleted_at"
        )
    )
    return companies + contacts


@pytest.mark.django_db
def test_generate_writes_the_counts_of_the_scale():
    # when
    result = generator.generate(scale=TINY, seed=7)
    # then
    live_contacts = Contact.objects.filter(deleted_at__isnull=True).count()
    assert Company.objects.count() == result.companies == 60
    assert Contact.objects.count() == result.contacts == 300
    assert Team.objects.filter(name__startswith="ベンチ").count() == result.teams == 4
    assert User.objects.filter(username__startswith="bench_").count() == result.users == 2 + 3 * 4 + 3
    assert SearchDocument.objects.count() == result.search_documents == 60 + live_contacts
    assert ContactAffiliation.objects.count() == Contact.objects.filter(company__isnull=False).count()
    assert AuditEntry.objects.filter(object_type="customers.company", action="create").count() == 60


@pytest.mark.django_db
def test_same_seed_same_data_other_seed_other_data():
    # when
    first, again, other = (generated_then_read(TINY, seed, _fingerprint) for seed in (11, 11, 12))
    # then
    assert len(first) == 360
    assert first == again
    assert first != other


@pytest.mark.django_db
def test_records_are_spread_over_users_and_teams_with_skew():
    # given
    generator.generate(scale=TINY, seed=3)
    admin = User.objects.get(username="bench_admin")
    rep = User.objects.filter(role__slug="sales_rep", username__startswith="bench_").order_by("pk").first()
    manager = User.objects.get(role__slug="manager", team=rep.team)
    # when
    per_owner = Counter(Company.objects.values_list("owner_id", flat=True))
    per_team = Counter(Company.objects.values_list("team_id", flat=True))
    seen = {u.username: selectors.company_queryset(user=u).count() for u in (rep, manager, admin)}
    # then
    assert len(per_team) == 3
    assert len(per_owner) >= 8
    assert max(per_owner.values()) >= 2 * (60 / len(per_owner))
    assert seen[admin.username] == 60
    assert 0 < seen[manager.username] < 60
    assert seen[rep.username] == seen[manager.username]  # sales reps read their whole team by default
    assert Contact.objects.filter(company__isnull=True).exists()  # individuals (B2C) too


@pytest.mark.django_db
def test_derived_fields_and_search_rows_equal_what_services_compute():
    # given
    generator.generate(scale=TINY, seed=5)
    # then
    for company in Company.objects.all():
        assert company.name_key == jp.company_name_key(company.name)
        assert company.kana_key == jp.kana_sort_key(company.name_kana, company.name)
        assert jp.parse_phone(company.phone_display) == company.phone
        assert generator._fast_phone_text(company.phone) == jp.phone_search_text(company.phone)
        _assert_search_row("company", company)
    for contact in Contact.objects.filter(deleted_at__isnull=True).select_related("company")[:100]:
        assert contact.name_key == jp.person_name_key(contact.family_name, contact.given_name)
        _assert_search_row("contact", contact)
    trashed = Contact.objects.filter(deleted_at__isnull=False).values_list("pk", flat=True)
    assert not SearchDocument.objects.filter(object_type="contact", object_id__in=list(trashed)).exists()


def _assert_search_row(object_type: str, obj) -> None:
    parts = search.folded_parts(object_type, obj)
    doc = SearchDocument.objects.get(object_type=object_type, object_id=obj.pk)
    assert doc.text == "\n".join(parts)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT daifuku_grams(text) FROM core_searchdocument WHERE id = %s", [doc.pk])
            assert cursor.fetchone()[0] == search.grams(parts)
        else:
            cursor.execute("SELECT grams FROM core_search_fts WHERE rowid = %s", [doc.pk])
            assert cursor.fetchone()[0] == " ".join(search.grams(parts))


@pytest.mark.django_db
def test_search_finds_generated_records_by_two_kanji_half_width_kana_and_phone():
    # given
    generator.generate(scale=TINY, seed=5)
    admin = User.objects.get(username="bench_admin")
    company = Company.objects.order_by("pk").first()
    digits = jp.phone_search_text(company.phone)
    contact = Contact.objects.filter(deleted_at__isnull=True).order_by("pk").first()
    half_width = jaconv.z2h(contact.family_name_kana, kana=True, ascii=False, digit=False)
    # when
    by_name = selectors.company_list(user=admin, filters=selectors.CompanyFilters(q=company.name[:2]))
    by_phone = selectors.company_list(user=admin, filters=selectors.CompanyFilters(q=digits[-8:]))
    by_kana = selectors.contact_list(user=admin, filters=selectors.ContactFilters(q=half_width))
    # then
    assert company in by_name
    assert company in by_phone
    assert half_width != contact.family_name_kana
    assert contact in by_kana


def test_scales_grow_to_a_million_contacts():
    assert SCALES["1m"].contacts == 1_000_000
    assert SCALES["1m"].companies == 200_000
    assert SCALES["100k"].contacts == 100_000
    assert SCALES["1m"].teams * (SCALES["1m"].reps_per_team + 1) >= 180


@pytest.mark.django_db
def test_generate_writes_deals_over_the_default_pipeline_with_open_won_and_lost():
    # given
    from daifuku.sales.models import Deal

    scale = Scale("tiny-deals", teams=2, reps_per_team=2, companies=30, contacts=60, deals=200)
    # when
    result = generator.generate(scale=scale, seed=5)
    # then
    deals = Deal.objects.select_related("stage")
    assert result.deals == deals.count() == 200
    won = sum(1 for d in deals if d.stage.is_won)
    lost = sum(1 for d in deals if d.stage.is_lost)
    assert 0 < won < 200 and 0 < lost < 200 and won + lost < 200
    assert all((d.closed_on is not None) == (d.stage.is_won or d.stage.is_lost) for d in deals)
    assert all(d.owner_id == d.company.owner_id and d.team_id == d.company.team_id for d in deals)
    assert all(d.probability == d.stage.probability for d in deals)
