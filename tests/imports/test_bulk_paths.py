"""The importer's fast paths write exactly what the per-record services would, and emit batch events."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from daifuku.core import audit, events, jp
from daifuku.core.models import AuditEntry
from daifuku.customers.models import Company, Contact, ContactAffiliation
from daifuku.imports import fastinsert, services, targets
from daifuku.imports.models import ImportJob, ImportRecord
from tests.factories import CompanyFactory, ContactFactory
from tests.imports.helpers import csv_bytes, new_job, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def seen():
    """Every company/contact event emitted while the test runs, as (name, payload)."""
    calls = []

    def handler(name, **payload):
        calls.append((name, payload))

    names = [f"{t}.{a}" for t in ("company", "contact") for a in ("created", "updated", "imported")]
    for name in names:
        events.subscribe(name)(handler)
    yield calls
    for name in names:
        events._handlers[name].remove(handler)


def test_contact_import_emits_one_batch_event_per_type_and_no_per_record_events(admin, seen):
    # given three contacts, two of them at a company that does not exist yet
    rows = [
        ["姓", "名", "会社名", "メール"],
        ["田中", "一郎", "㈱新規商事", "t1@example.jp"],
        ["鈴木", "花子", "新規商事株式会社", "s1@example.jp"],
        ["佐藤", "次郎", "", "s2@example.jp"],
    ]
    # when
    job = run(admin, "contacts", csv_bytes(rows))
    # then
    assert (job.created_count, job.error_count) == (3, 0)
    assert [name for name, _p in seen] == ["company.imported", "contact.imported"]
    company = Company.objects.get()
    (_n, company_event), (_n2, contact_event) = seen
    assert company_event["ids"] == [company.pk]
    assert company_event["updated"] == {}
    assert (company_event["by"], company_event["job"].pk) == (admin, job.pk)
    assert contact_event["ids"] == list(Contact.objects.order_by("pk").values_list("pk", flat=True))
    assert Contact.objects.filter(company=company).count() == 2


def test_fill_import_sends_the_changes_of_updated_records_in_the_batch_event(admin, seen):
    contact = ContactFactory(
        family_name="田中", given_name="一郎", email="t@example.jp", title="", owner=admin
    )
    rows = [["姓", "名", "メール", "役職"], ["田中", "一郎", "t@example.jp", "部長"]]
    job = run(admin, "contacts", csv_bytes(rows), dedup="fill")
    assert job.updated_count == 1
    assert seen == [
        (
            "contact.imported",
            {
                "ids": [],
                "updated": {contact.pk: {"title": ["", "部長"]}},
                "by": admin,
                "job": seen[0][1]["job"],
            },
        )
    ]


def test_company_created_for_a_contact_row_is_audited_and_recorded_for_undo(admin):
    rows = [["姓", "会社名", "会社の法人番号"], ["田中", "山田商事(株)", "7123456789012"]]
    job = run(admin, "contacts", csv_bytes(rows))
    company = Company.objects.get()
    assert (company.name, company.legal_form, company.corporate_number) == ("山田商事", "kk", "7123456789012")
    assert (company.owner_id, company.team_id, company.name_key) == (admin.pk, admin.team_id, "山田商事")
    entry = AuditEntry.objects.get(object_type="customers.company", object_id=company.pk)
    assert (entry.action, entry.via, entry.actor_id, entry.changes["name"]) == (
        "create",
        "import",
        admin.pk,
        [None, "山田商事"],
    )
    record = ImportRecord.objects.get(job=job, object_type="company")
    assert (record.object_id, record.action, record.audit_entry_id) == (company.pk, "created", entry.pk)
    contact = Contact.objects.get()
    affiliation = ContactAffiliation.objects.get(contact=contact)
    assert (affiliation.company_id, affiliation.company_name) == (company.pk, "山田商事株式会社")


def test_a_batch_updating_contacts_of_more_than_a_thousand_companies_is_imported(admin):
    # Contacts the import updates are matched without their company and get it for their search text.
    # Django 5.2 prefetches a foreign key with a tuple IN that SQLite expands into one OR per company:
    # a batch naming more than about 1,000 companies failed with "Expression tree is too large".
    names = [f"取引先{i:04d}" for i in range(1_200)]
    run(admin, "companies", csv_bytes([["会社名"], *([name] for name in names)]))
    people = [["佐藤", f"花子{i}", name, f"hanako{i}@example.jp"] for i, name in enumerate(names)]
    run(admin, "contacts", csv_bytes([["姓", "名", "会社名", "メール"], *people]), dedup="create")
    # when
    rows = [["姓", "名", "会社名", "メール", "メモ"], *([*person, "展示会で名刺交換"] for person in people)]
    job = run(admin, "contacts", csv_bytes(rows), dedup="fill")
    # then
    assert (job.status, job.created_count, job.updated_count, job.error_count) == ("done", 0, 1_200, 0)
    assert Contact.objects.count() == 1_200
    assert set(Contact.objects.values_list("notes", flat=True)) == {"展示会で名刺交換"}
    companies = dict(Company.objects.values_list("pk", "name"))
    assert len(companies) == 1_200
    assert sorted(
        (given, companies[company_id])
        for given, company_id in Contact.objects.values_list("given_name", "company")
    ) == sorted((f"花子{i}", name) for i, name in enumerate(names))


def test_a_contact_row_joins_the_first_company_of_its_name_or_the_one_of_its_number(admin):
    # given: two companies of the same name, the second with a 法人番号
    first = CompanyFactory(name="山田商事", legal_form="kk", legal_form_position="after", owner=admin)
    second = CompanyFactory(
        name="山田商事",
        legal_form="kk",
        legal_form_position="after",
        corporate_number="7123456789012",
        owner=admin,
    )
    rows = [
        ["姓", "名", "会社名", "会社の法人番号"],
        ["田中", "一郎", "山田商事株式会社", ""],
        ["鈴木", "次郎", "", "7123456789012"],
    ]
    # when
    job = run(admin, "contacts", csv_bytes(rows), dedup="create")
    # then
    assert (job.created_count, job.error_count) == (2, 0)
    assert dict(Contact.objects.values_list("given_name", "company")) == {"一郎": first.pk, "次郎": second.pk}
    assert Company.objects.count() == 2


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL's autovacuum keeps its own statistics")
def test_an_import_leaves_sqlite_statistics_for_the_next_ones_duplicate_lookups(admin):
    # given: a new database, never analyzed
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sqlite_stat1")
    rows = [
        ["姓", "名", "会社名", "メール"],
        *(["佐藤", f"花子{i}", "山田商事", f"h{i}@example.jp"] for i in range(30)),
    ]
    # when
    job = run(admin, "contacts", csv_bytes(rows), dedup="create")
    # then
    assert job.created_count == 30
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'customers_contact'")
        assert cursor.fetchone()[0] > 0


def test_invalid_company_of_a_contact_row_is_a_row_error(admin):
    rows = [["姓", "会社名", "会社の法人番号"], ["田中", "山田商事", "1234567890123"], ["鈴木", "", ""]]
    job = run(admin, "contacts", csv_bytes(rows))
    assert (job.created_count, job.error_count) == (1, 1)
    error = job.row_errors.get()
    assert error.row_number == 2
    assert error.reason.startswith("会社名: 法人番号は検査用数字を含む13桁です")
    assert not Company.objects.exists()


def test_duplicates_across_batches_are_found_among_committed_rows(admin):
    rows = [["姓", "名", "メール"]] + [["田中", f"{i}", f"u{i % 3}@example.jp"] for i in range(7)]
    job = new_job(admin, "contacts", csv_bytes(rows))
    services.job_configure(job=job, by=admin, columns=job.columns, dedup="skip")
    ImportJob.objects.filter(pk=job.pk).update(status="queued")
    job = services.job_run(job_id=job.pk, batch_size=2)
    assert (job.created_count, job.skipped_count) == (3, 4)
    assert Contact.objects.count() == 3


def _import_queries(admin, n):
    rows = [["姓", "名", "会社名", "メール"]] + [
        ["田中", f"{i}", f"会社{n}-{i % 2}", f"u{n}-{i}@example.jp"] for i in range(n)
    ]
    job = new_job(admin, "contacts", csv_bytes(rows))
    services.job_configure(job=job, by=admin, columns=job.columns, dedup="fill")
    ImportJob.objects.filter(pk=job.pk).update(status="queued")
    with CaptureQueriesContext(connection) as queries:
        job = services.job_run(job_id=job.pk)
    assert job.created_count == n
    return len(queries)


def test_a_batch_takes_the_same_number_of_queries_for_few_and_many_rows(admin):
    few = _import_queries(admin, 3)
    many = _import_queries(admin, 60)
    assert many == few


def test_fastinsert_writes_what_bulk_create_writes(admin):
    company = CompanyFactory(owner=admin)
    values = {
        "family_name": "髙橋",
        "given_name": "太郎",
        "company": company,
        "email": "t@example.jp",
        "mobile_phone": "+819011112222",
        "birthday": dt.date(1990, 4, 1),
        "sns": {"x": "@taka"},
        "mail_consent": "opted_in",
        "mail_consent_at": timezone.now(),
        "mail_consent_method": "import",
        "household_size": 3,
        "owner": admin,
        "team_id": admin.team_id,
    }
    fast, slow = Contact(**values), Contact(**values)
    fastinsert.insert([fast])
    Contact.objects.bulk_create([slow])
    assert fast.pk is not None and not fast._state.adding
    skip = {"id", "created_at", "updated_at"}

    def stored(pk):
        obj = Contact.objects.get(pk=pk)
        return {
            f.attname: getattr(obj, f.attname) for f in Contact._meta.concrete_fields if f.name not in skip
        }

    assert stored(fast.pk) == stored(slow.pk)
    assert Contact.objects.get(pk=fast.pk).created_at is not None


def test_fastinsert_update_writes_what_bulk_update_writes(admin):
    before, other = CompanyFactory(owner=admin), CompanyFactory(owner=admin)
    fast, slow = (ContactFactory(owner=admin, company=before, notes="") for _ in range(2))
    when = timezone.now() - dt.timedelta(days=3)
    names = [
        "notes",
        "birthday",
        "sns",
        "company",
        "household_size",
        "mail_consent_at",
        "version",
        "updated_at",
    ]
    for obj in (fast, slow):
        obj.notes = "展示会で名刺交換①"
        obj.birthday = dt.date(1985, 12, 3)
        obj.sns = {"x": "@hanako"}
        obj.company = other
        obj.household_size = 4
        obj.mail_consent_at = when
        obj.version += 1
        obj.updated_at = when
    # when
    with CaptureQueriesContext(connection) as queries:
        fastinsert.update([fast], names)
    Contact.objects.bulk_update([slow], names)
    # then
    assert len(queries) == 1
    skip = {"id", "created_at", "email", "name_key", "family_name", "given_name", "mobile_phone"}

    def stored(pk):
        obj = Contact.objects.get(pk=pk)
        return {
            f.attname: getattr(obj, f.attname) for f in Contact._meta.concrete_fields if f.name not in skip
        }

    assert stored(fast.pk) == stored(slow.pk)
    assert (stored(fast.pk)["company_id"], stored(fast.pk)["updated_at"]) == (other.pk, when)


def test_insert_values_writes_what_a_saved_instance_writes(admin):
    contact = ContactFactory(owner=admin)
    entry = audit.entry_values(contact, by=admin, action="create", changes={"a": [None, "①"]}, via="import")
    (fast_id,) = fastinsert.insert_values(AuditEntry, [entry])
    slow = AuditEntry.objects.create(**entry)
    fast = AuditEntry.objects.get(pk=fast_id)
    fields = [f.attname for f in AuditEntry._meta.concrete_fields if f.name not in {"id", "at"}]
    assert [getattr(fast, f) for f in fields] == [getattr(slow, f) for f in fields]
    assert fast.at is not None


def test_snapshotter_equals_snapshot(admin):
    contact = ContactFactory(owner=admin, birthday=dt.date(1980, 1, 2), sns={"x": "y"})
    fields = ["family_name", "birthday", "company", "owner", "sns", "mail_consent_at", "household_size"]
    assert audit.snapshotter(Contact, fields)(contact) == audit.snapshot(contact, fields)


VARIED = [
    "03-1234-5678", "０３－１２３４－５６７８", "+81 90 1111 2222", "090-1111-2222", "abc", "", "  ",
    "12", "100-0001", "〒１００－０００１", "1000001", "999-9999", "ﾔﾏﾀﾞ ﾀﾛｳ", "やまだ たろう", "ヤマダ",
    "㈱髙橋商事", "髙橋商事(株)", "株式会社 ①～", "(有)青空", "NPO法人ひまわり",
    "Ｔ７１２３４５６７８９０１２", "7123456789012", "ラーメン", "𠮷野家", "ＡＢＣ　ｄｅｆ", "0120-123-456",
    "+1 212 555 0100",
]  # fmt: skip


@pytest.mark.parametrize(
    "fn",
    [
        jp.fold,
        jp.company_name_key,
        jp.kana_sort_key,
        jp.full_width_kana,
        jp.to_katakana,
        jp.clean_digits,
        jp.parse_phone,
        jp.phone_display,
        jp.phone_search_text,
        jp.clean_postal_code,
        jp.postal_lookup,
    ],
)
def test_memoized_jp_functions_return_what_the_uncached_function_returns(fn):
    for value in VARIED:
        expected = fn.__wrapped__(value)
        assert fn(value) == expected  # first call fills the cache
        assert fn(value) == expected  # second comes from it


def test_new_instance_equals_a_fresh_model_instance(admin):
    # given the contact target's copy of one prototype instance
    target = targets.ContactTarget()
    first, second = target._new_instance(), target._new_instance()
    fresh = Contact()
    # then every field holds what Contact() holds, and mutable defaults are not shared
    for f in Contact._meta.concrete_fields:
        assert getattr(first, f.attname) == getattr(fresh, f.attname), f.name
    assert first.sns == {} and first.sns is not second.sns
    assert first._state.adding and first._state is not second._state


def test_a_rejected_value_is_rejected_in_every_row_and_a_repeated_valid_one_is_saved(admin):
    # given the same invalid e-mail in two rows and the same department in three valid rows
    rows = [
        ["姓", "名", "部署", "メール"],
        ["田中", "一", "営業部", "a@example.jp"],
        ["田中", "二", "営業部", "not an e-mail"],
        ["田中", "三", "営業部", "b@example.jp"],
        ["田中", "四", "営業部", "not an e-mail"],
        ["田中", "五", "x" * 201, "c@example.jp"],
        ["田中", "六", "x" * 201, "d@example.jp"],
    ]
    # when
    job = run(admin, "contacts", csv_bytes(rows), dedup="create")
    # then
    assert (job.created_count, job.error_count) == (2, 4)
    saved = sorted(Contact.objects.values_list("given_name", "department"))
    assert saved == [("一", "営業部"), ("三", "営業部")]
    reasons = dict(job.row_errors.values_list("row_number", "reason"))
    assert sorted(reasons) == [3, 5, 6, 7]
    assert all("メール" in reasons[n] for n in (3, 5))
    assert all("部署" in reasons[n] for n in (6, 7))
