"""Deals as an import target (商談一覧の取込): headers, company 名寄せ, stage rules, scope, dedup, undo."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from daifuku.core.models import AuditEntry
from daifuku.imports import services as import_services
from daifuku.imports import targets
from daifuku.sales.models import Deal, DealStageChange
from tests.factories import CompanyFactory
from tests.imports.helpers import csv_bytes, new_job, run
from tests.sales.factories import DealFactory, default_pipeline, stage_named

pytestmark = pytest.mark.django_db

HEADER = [
    "案件名",
    "取引先",
    "担当者",
    "フェーズ",
    "金額",
    "受注予定日",
    "次のアクション",
    "請求区分",
    "失注理由",
    "メモ",
]


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_deals_target_guesses_japanese_and_english_headers():
    # given
    target = targets.get("deals")
    # when
    japanese = targets.guess_columns(
        target, [*HEADER, "法人番号", "確度", "通貨", "仕入原価", "次のアクション日"]
    )
    english = targets.guess_columns(target, ["Opportunity Name", "Account Name", "Owner", "Stage", "Amount"])
    # then
    assert str(target.label) == "商談"
    assert japanese == {
        "0": "name",
        "1": "company_name",
        "2": "owner",
        "3": "stage",
        "4": "amount",
        "5": "expected_close_date",
        "6": "next_action",
        "7": "billing_type",
        "8": "lost_reason",
        "9": "notes",
        "10": "company_corporate_number",
        "11": "probability",
        "12": "currency",
        "13": "cost",
        "14": "next_action_date",
    }
    assert english == {"0": "name", "1": "company_name", "2": "owner", "3": "stage", "4": "amount"}


def test_cp932_deal_list_is_imported_through_the_deal_rules(rep_a, company_of_rep_a):
    # given: the company is named as in Excel (（株）), the owner by username and by 姓名
    owner_name = f"{rep_a.last_name} {rep_a.first_name}"
    content = csv_bytes(
        [
            HEADER,
            [
                "基幹システム更改",
                "（株）山田商事",
                "rep_a",
                "提案",
                "1,200,000",
                "2026/04/01",
                "見積提出",
                "月額",
                "",
                "初回",
            ],
            ["保守契約", "山田商事", owner_name, "受注", "300000", "2026-03-31", "", "一括", "", ""],
            ["追加ライセンス", "株式会社山田商事", "", "失注", "50000", "", "", "", "価格", ""],
            ["失注案件", "山田商事", "", "失注", "1000", "", "", "", "", ""],
            ["新規案件", "存在しない商事", "", "", "1000", "", "", "", "", ""],
        ],
        encoding="cp932",
    )
    # when
    job = run(rep_a, "deals", content)
    # then
    assert (job.status, job.encoding, job.created_count, job.error_count) == ("done", "cp932", 3, 2)
    deals = {d.name: d for d in Deal.objects.filter(company=company_of_rep_a)}
    assert set(deals) == {"基幹システム更改", "保守契約", "追加ライセンス"}
    first = deals["基幹システム更改"]
    assert (first.stage.name, first.probability, first.amount, first.billing_type) == (
        "提案",
        40,
        Decimal("1200000"),
        "monthly",
    )
    assert (first.owner, first.team, first.expected_close_date, first.next_action, first.notes) == (
        rep_a,
        rep_a.team,
        dt.date(2026, 4, 1),
        "見積提出",
        "初回",
    )
    assert first.closed_on is None
    won, lost = deals["保守契約"], deals["追加ライセンス"]
    assert (won.stage.is_won, won.probability, won.closed_on, won.owner) == (
        True,
        100,
        timezone.localdate(),
        rep_a,
    )
    assert (lost.stage.is_lost, lost.probability, lost.closed_on, lost.lost_reason) == (
        True,
        0,
        timezone.localdate(),
        "price",
    )
    assert DealStageChange.objects.filter(deal__in=deals.values(), from_stage=None).count() == 3
    assert AuditEntry.objects.filter(object_type="sales.deal", action="create", via="import").count() == 3
    errors = list(import_services.error_rows(job))
    assert [row[-1] for row in errors[1:]] == [
        "5行目: 失注理由: 失注理由を選んでください。",
        "6行目: 会社名: 会社「存在しない商事」が見つかりません（商談の取込では会社を登録しません。"
        "先に取引先を取り込んでください）。",
    ]
    assert errors[2][:2] == ["新規案件", "存在しない商事"]


def test_company_is_matched_by_corporate_number_before_name(rep_a, company_of_rep_a):
    # given
    numbered = CompanyFactory(name="別名商事", corporate_number="7010001008844", owner=rep_a)
    content = csv_bytes([["商談名", "会社名", "法人番号"], ["移行支援", "山田商事", "7010001008844"]])
    # when
    job = run(rep_a, "deals", content)
    # then
    assert job.created_count == 1
    assert Deal.objects.get(name="移行支援").company == numbered


def test_owner_outside_the_importers_scope_is_refused(rep_a, rep_b, company_of_rep_a):
    # given: a sales rep may only own their deals
    content = csv_bytes([["商談名", "会社名", "担当者"], ["他人の商談", "山田商事", "rep_b"]])
    # when
    job = run(rep_a, "deals", content)
    # then
    assert (job.created_count, job.error_count) == (0, 1)
    assert not Deal.objects.exists()
    assert job.row_errors.get().reason == "担当者: この担当者の商談は登録できません。"


def test_company_the_importer_cannot_see_is_unknown(rep_a, company_of_team_b):
    # given
    content = csv_bytes([["商談名", "会社名"], ["覗き見", "大阪物産"]])
    # when
    job = run(rep_a, "deals", content)
    # then
    assert (job.created_count, job.error_count) == (0, 1)
    assert not Deal.objects.exists()


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("skip", (0, 0, 1, 1, Decimal("1000000"), "")),
        ("fill", (0, 1, 0, 1, Decimal("1000000"), "デモ")),
        ("overwrite", (0, 1, 0, 1, Decimal("2000000"), "デモ")),
        ("create", (1, 0, 0, 2, Decimal("1000000"), "")),
    ],
)
def test_second_import_follows_the_dedup_mode(rep_a, company_of_rep_a, mode, expected):
    # given: the deal exists; the file spells its name in full-width letters
    existing = DealFactory(name="ERP導入", company=company_of_rep_a, owner=rep_a, next_action="")
    content = csv_bytes(
        [["商談名", "会社名", "金額", "次のアクション"], ["ＥＲＰ導入", "山田商事", "2000000", "デモ"]]
    )
    # when
    job = run(rep_a, "deals", content, dedup=mode)
    # then
    existing.refresh_from_db()
    created, updated, skipped, total, amount, next_action = expected
    assert (job.created_count, job.updated_count, job.skipped_count, job.error_count) == (
        created,
        updated,
        skipped,
        0,
    )
    assert Deal.objects.filter(company=company_of_rep_a).count() == total
    assert (existing.amount, existing.next_action) == (amount, next_action)


def test_overwrite_moves_the_stage_with_its_history(rep_a, company_of_rep_a):
    # given
    existing = DealFactory(name="ERP導入", company=company_of_rep_a, owner=rep_a)
    content = csv_bytes([["商談名", "会社名", "ステージ"], ["ERP導入", "山田商事", "受注"]])
    # when
    job = run(rep_a, "deals", content, dedup="overwrite")
    # then
    existing.refresh_from_db()
    assert job.updated_count == 1
    assert (existing.stage, existing.probability, existing.closed_on) == (
        stage_named("受注"),
        100,
        timezone.localdate(),
    )
    change = DealStageChange.objects.get(deal=existing)
    assert (change.from_stage.name, change.to_stage.name, change.by) == ("初回接触", "受注", rep_a)


def test_rows_of_one_file_naming_the_same_deal_make_one_deal(rep_a, company_of_rep_a):
    # given
    content = csv_bytes(
        [["商談名", "会社名", "メモ"], ["ERP導入", "山田商事", "一"], ["ＥＲＰ導入", "山田商事", "二"]]
    )
    # when
    job = run(rep_a, "deals", content, dedup="skip")
    # then
    assert (job.created_count, job.skipped_count) == (1, 1)
    assert Deal.objects.get().notes == "一"


def test_undo_trashes_created_deals_and_restores_updated_ones(rep_a, company_of_rep_a):
    # given
    existing = DealFactory(name="ERP導入", company=company_of_rep_a, owner=rep_a, amount=Decimal("1000000"))
    content = csv_bytes(
        [["商談名", "会社名", "金額"], ["ERP導入", "山田商事", "5000000"], ["新規", "山田商事", "10"]]
    )
    job = run(rep_a, "deals", content, dedup="overwrite")
    assert (job.created_count, job.updated_count) == (1, 1)
    # when
    import_services.job_undo(job=job, by=rep_a)
    # then
    existing.refresh_from_db()
    assert existing.amount == Decimal("1000000")
    new = Deal.objects.get(name="新規")
    assert new.deleted_at is not None


def test_default_pipeline_is_used_when_none_is_named(rep_a, company_of_rep_a):
    # given
    content = csv_bytes([["商談名", "会社名"], ["既定", "山田商事"]])
    # when
    run(rep_a, "deals", content)
    # then
    deal = Deal.objects.get()
    assert (deal.pipeline, deal.stage.name, deal.probability) == (default_pipeline(), "初回接触", 10)


def test_preview_shows_decisions_and_saves_nothing(rep_a, company_of_rep_a):
    # given
    DealFactory(name="ERP導入", company=company_of_rep_a, owner=rep_a)
    content = csv_bytes(
        [
            ["商談名", "会社名", "ステージ", "金額"],
            ["ERP導入", "山田商事", "", "10"],
            ["新規", "山田商事", "受注", "1,000"],
            ["新規2", "山田商事", "存在しない", ""],
        ]
    )
    job = new_job(rep_a, "deals", content)
    import_services.job_configure(job=job, by=rep_a, columns=job.columns, dedup="skip")
    # when
    preview = import_services.job_preview(job=job, by=rep_a)
    # then
    assert [(r.decision, r.note) for r in preview.results] == [
        ("skip", "既存のデータと重複"),
        ("create", ""),
        ("error", ""),
    ]
    assert preview.results[1].data["stage"] == "受注"
    assert preview.results[1].data["amount"] == Decimal("1000")
    assert (
        preview.results[2].reason
        == "ステージ: ステージ「存在しない」はパイプライン「新規営業」にありません。"
    )
    assert Deal.objects.count() == 1
    assert not DealStageChange.objects.exists()


def test_an_english_speaking_importer_gets_japanese_headers_guessed_too():
    # given: an English UI (labels translate), a file with Japanese headers
    from django.utils import translation

    target = targets.get("deals")
    # when
    with translation.override("en"):
        guessed = targets.guess_columns(target, ["商談名", "取引先", "金額", "ステージ"])
    # then
    assert guessed == {"0": "name", "1": "company_name", "2": "amount", "3": "stage"}
