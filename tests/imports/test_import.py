"""Import core: encodings, header guessing, dedup modes, error file, resume, undo, audit."""

import pytest

from daifuku.core.models import AuditEntry
from daifuku.customers.models import Company, Contact
from daifuku.imports import exports, services, targets
from daifuku.imports.models import ImportJob
from tests.factories import CompanyFactory, ContactFactory
from tests.imports.helpers import csv_bytes, new_job, run, start, xlsx_bytes

pytestmark = pytest.mark.django_db

CP932_ROWS = [
    ["会社名", "フリガナ", "TEL", "〒", "メール", "備考"],
    ["㈱髙橋商事", "タカハシショウジ", "03-1234-5678", "100-0001", "info@takahashi.example.jp", "①㈱髙～Ⅱ"],
    ["～波ダッシュ工業", "", "06-1111-2222", "", "", ""],
]


def test_cp932_file_is_detected_and_its_characters_survive(admin):
    # given
    content = csv_bytes(CP932_ROWS, encoding="cp932")
    # when
    job = run(admin, "companies", content)
    # then
    assert job.encoding == "cp932"
    assert job.status == "done"
    assert job.created_count == 2
    names = sorted(Company.objects.values_list("name", "legal_form"))
    assert names == [("髙橋商事", "kk"), ("～波ダッシュ工業", "")]
    takahashi = Company.objects.get(name="髙橋商事")
    assert takahashi.notes == "①㈱髙～Ⅱ"
    assert takahashi.phone == "+81312345678"
    assert takahashi.postal_code == "1000001"
    assert takahashi.email == "info@takahashi.example.jp"


def test_utf8_bom_tab_separated_with_quoted_newline(admin):
    # given
    rows = [["社名", "備考"], ["山田商事株式会社", "一行目\n二行目"]]
    content = csv_bytes(rows, encoding="utf-8-sig", delimiter="\t")
    # when
    job = run(admin, "companies", content)
    # then
    assert (job.encoding, job.delimiter) == ("utf-8-sig", "\t")
    company = Company.objects.get()
    assert (company.name, company.notes) == ("山田商事", "一行目\n二行目")


def test_xlsx_chosen_sheet(admin):
    # given
    content = xlsx_bytes([["会社名", "従業員数"], ["有限会社青空", 12]], sheet="取引先一覧")
    # when
    job = run(admin, "companies", content, name="list.xlsx", sheet="取引先一覧")
    # then
    assert job.file_format == "xlsx"
    company = Company.objects.get()
    assert (company.name, company.legal_form, company.employees) == ("青空", "yk", 12)


def test_headers_are_guessed_from_japanese_and_english_words():
    # given
    headers = ["社名", "フリガナ", "電話番号", "〒", "E-mail", "Fax", "unknown"]
    # when
    guessed = targets.guess_columns(targets.get("companies"), headers)
    # then
    assert guessed == {
        "0": "name",
        "1": "name_kana",
        "2": "phone",
        "3": "postal_code",
        "4": "email",
        "5": "fax",
    }


def test_contact_headers_and_company_by_name_or_corporate_number(admin):
    # given
    existing = CompanyFactory(name="山田商事", legal_form="kk", corporate_number="7123456789012", owner=admin)
    rows = [
        ["氏名", "フリガナ", "会社名", "法人番号", "携帯", "メールアドレス"],
        ["田中 一郎", "タナカ イチロウ", "", "7123456789012", "090-1111-2222", "tanaka@example.jp"],
        ["鈴木 花子", "すずき はなこ", "新しい商店", "", "", "suzuki@example.jp"],
    ]
    # when
    job = run(admin, "contacts", csv_bytes(rows))
    # then
    assert job.created_count == 2
    tanaka = Contact.objects.get(family_name="田中")
    assert (tanaka.given_name, tanaka.company_id, tanaka.mobile_phone) == (
        "一郎",
        existing.pk,
        "+819011112222",
    )
    suzuki = Contact.objects.get(family_name="鈴木")
    assert suzuki.family_name_kana == "スズキ"
    assert suzuki.company.name == "新しい商店"
    assert suzuki.affiliations.count() == 1


def _existing_company(owner):
    return CompanyFactory(
        name="山田商事",
        legal_form="kk",
        phone="+81312345678",
        email="",
        owner=owner,
        representative="山田太郎",
    )


ROWS = [
    ["会社名", "電話番号", "メール", "代表者"],
    ["山田商事株式会社", "03-1234-5678", "info@yamada.example.jp", "山田花子"],
]


def test_dedup_skip(admin):
    company = _existing_company(admin)
    job = run(admin, "companies", csv_bytes(ROWS), dedup="skip")
    company.refresh_from_db()
    assert (job.created_count, job.updated_count, job.skipped_count) == (0, 0, 1)
    assert (company.email, company.representative, company.version) == ("", "山田太郎", 1)


def test_dedup_fill_updates_only_empty_fields(admin):
    company = _existing_company(admin)
    job = run(admin, "companies", csv_bytes(ROWS), dedup="fill")
    company.refresh_from_db()
    assert (job.created_count, job.updated_count) == (0, 1)
    assert (company.email, company.representative, company.version) == (
        "info@yamada.example.jp",
        "山田太郎",
        2,
    )
    entry = AuditEntry.objects.get(object_id=company.pk, action="update")
    assert (entry.via, entry.changes) == ("import", {"email": ["", "info@yamada.example.jp"]})


def test_dedup_overwrite(admin):
    company = _existing_company(admin)
    job = run(admin, "companies", csv_bytes(ROWS), dedup="overwrite")
    company.refresh_from_db()
    assert job.updated_count == 1
    assert (company.email, company.representative) == ("info@yamada.example.jp", "山田花子")


def test_dedup_always_create(admin):
    _existing_company(admin)
    job = run(admin, "companies", csv_bytes(ROWS), dedup="create")
    assert job.created_count == 1
    assert Company.objects.filter(name="山田商事").count() == 2


def test_duplicates_within_the_file_are_found(admin):
    rows = [
        ["会社名", "法人番号", "電話番号"],
        ["山田商事", "7123456789012", ""],
        ["ヤマダ商事(株)", "7123456789012", "03-1234-5678"],
    ]
    job = run(admin, "companies", csv_bytes(rows), dedup="fill")
    assert (job.created_count, job.updated_count) == (1, 1)
    company = Company.objects.get()
    assert company.phone == "+81312345678"


def test_contact_dedup_by_email(admin):
    contact = ContactFactory(
        family_name="田中", given_name="一郎", email="t@example.jp", owner=admin, company=None
    )
    rows = [["姓", "名", "メール", "役職"], ["田中", "一郎", "T@example.jp".lower(), "部長"]]
    job = run(admin, "contacts", csv_bytes(rows), dedup="fill")
    contact.refresh_from_db()
    assert (job.updated_count, contact.title) == (1, "部長")


def test_rows_with_errors_are_skipped_and_listed_in_the_error_file(admin):
    # given
    rows = [
        ["会社名", "電話番号", "法人番号"],
        ["良い会社", "03-1234-5678", ""],
        ["", "abc", ""],
        ["番号違い", "", "1234567890123"],
    ]
    # when
    job = run(admin, "companies", csv_bytes(rows, encoding="cp932"))
    # then
    assert (job.created_count, job.error_count) == (1, 2)
    content = b"".join(exports.error_file_chunks(job)).decode("cp932")
    lines = content.splitlines()
    assert lines[0] == "会社名,電話番号,法人番号,エラー理由"
    assert lines[1].startswith(",abc,,3行目: ")
    assert "会社名を入力してください。" in lines[1]
    assert "電話番号として読み取れません" in lines[1]
    assert lines[2].startswith("番号違い,,1234567890123,4行目: 法人番号: ")
    assert len(lines) == 3


def test_resume_after_interruption_creates_no_duplicates_and_loses_no_rows(admin, monkeypatch):
    # given a file of 25 rows, run in batches of 10, failing in the third batch
    rows = [["会社名", "電話番号"]] + [[f"会社{i:02d}", f"03-1234-{i:04d}"] for i in range(25)]
    job = new_job(admin, "companies", csv_bytes(rows))
    services.job_configure(job=job, by=admin, columns=job.columns)
    ImportJob.objects.filter(pk=job.pk).update(status="queued")
    original = targets.CompanyTarget.process
    calls = {"n": 0}

    def flaky(self, rows, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("killed")
        return original(self, rows, **kwargs)

    monkeypatch.setattr(targets.CompanyTarget, "process", flaky)
    with pytest.raises(RuntimeError):
        services.job_run(job_id=job.pk, batch_size=10)
    job.refresh_from_db()
    assert (job.status, job.processed_rows, Company.objects.count()) == ("failed", 20, 20)
    # when
    job = services.job_run(job_id=job.pk, batch_size=10)
    # then
    assert (job.status, job.processed_rows, job.created_count) == ("done", 25, 25)
    assert sorted(Company.objects.values_list("name", flat=True)) == [f"会社{i:02d}" for i in range(25)]
    assert job.records.count() == 25


def test_undo_trashes_created_and_restores_updated(admin):
    # given
    company = _existing_company(admin)
    rows = [
        ["会社名", "電話番号", "メール"],
        ["山田商事", "03-1234-5678", "new@yamada.example.jp"],
        ["新規商会", "", ""],
    ]
    job = run(admin, "companies", csv_bytes(rows), dedup="fill")
    assert (job.created_count, job.updated_count) == (1, 1)
    # when
    services.job_undo(job=job, by=admin)
    # then
    company.refresh_from_db()
    assert company.email == ""
    new = Company.objects.get(name="新規商会")
    assert new.deleted_at is not None
    job.refresh_from_db()
    assert job.status == "undone"
    assert AuditEntry.objects.filter(object_id=new.pk, action="delete").count() == 1


def test_rep_cannot_update_another_reps_company_by_import(rep_a, rep_b):
    # given a company of rep_b the importing rep_a can read (same scopes: team read) but not edit
    company = _existing_company(rep_b)
    # when
    job = run(rep_b if False else rep_a, "companies", csv_bytes(ROWS), dedup="overwrite")
    # then rep_a cannot see team_b's company, so the row creates rep_a's own record; team_b's is untouched
    company.refresh_from_db()
    assert company.email == ""
    assert job.created_count == 1
    assert Company.objects.get(owner=rep_a).team_id == rep_a.team_id


def test_rep_import_row_matching_a_teammates_company_is_an_error_in_overwrite_mode(rep_a, rep_a2):
    company = _existing_company(rep_a2)
    job = run(rep_a, "companies", csv_bytes(ROWS), dedup="overwrite")
    company.refresh_from_db()
    assert (job.created_count, job.updated_count, job.error_count) == (0, 0, 1)
    assert company.email == ""


def test_preview_writes_nothing_and_shows_decisions(admin):
    _existing_company(admin)
    rows = [["会社名", "電話番号"], ["山田商事", ""], ["新しい会社", "x"]]
    job = new_job(admin, "companies", csv_bytes(rows))
    services.job_configure(job=job, by=admin, columns=job.columns, dedup="fill")
    preview = services.job_preview(job=job, by=admin)
    assert [r.decision for r in preview.results] == ["update", "error"]
    assert Company.objects.count() == 1


def test_value_mapping_for_choice_fields(admin):
    rows = [["会社名", "ステータス"], ["A社", "既存"], ["B社", "見込み"]]
    job = new_job(admin, "companies", csv_bytes(rows))
    services.job_configure(job=job, by=admin, columns=job.columns, values={"status": {"既存": "customer"}})
    start(job, admin)
    assert dict(Company.objects.values_list("name", "status")) == {"A社": "customer", "B社": "prospect"}
