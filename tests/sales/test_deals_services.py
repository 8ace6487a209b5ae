"""Deal services: create/update with lines, stage moves, won/lost, visibility, audit and events."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from daifuku.core import events, search
from daifuku.core.models import AuditEntry, SearchDocument
from daifuku.core.services import VersionConflict
from daifuku.sales.models import Deal, DealStageChange
from daifuku.sales.services.deals import (
    deal_board_move,
    deal_change_stage,
    deal_create,
    deal_mark_lost,
    deal_mark_won,
    deal_restore,
    deal_trash,
    deal_update,
)
from tests.factories import ContactFactory
from tests.sales.factories import DealFactory, PipelineFactory, ProductFactory, default_pipeline, stage_named


@pytest.fixture
def captured():
    """Every deal.* event emitted during the test, as (name, payload)."""
    seen: list[tuple[str, dict]] = []
    names = ["deal.created", "deal.updated", "deal.stage_changed", "deal.won", "deal.lost"]

    def handler(*, name, **payload):
        seen.append((name, payload))

    for name in names:
        events.subscribe(name)(handler)
    yield seen
    for name in names:
        events._handlers[name].remove(handler)


def audit_rows(deal, action=None):
    qs = AuditEntry.objects.filter(object_type="sales.deal", object_id=deal.pk)
    if action:
        qs = qs.filter(action=action)
    return list(qs.order_by("id"))


# deal_create


def test_create_defaults_owner_team_pipeline_stage_and_probability(rep_a, company_of_rep_a, captured):
    # given
    data = {"name": "基幹システム更改", "company": company_of_rep_a.pk, "amount": "1,200,000"}
    # when
    deal = deal_create(by=rep_a, data=data)
    # then
    assert deal.owner == rep_a
    assert deal.team_id == rep_a.team_id
    assert deal.pipeline == default_pipeline()
    assert deal.stage == stage_named("初回接触")
    assert deal.probability == 10
    assert deal.amount == Decimal("1200000")
    assert deal.currency_id == "JPY"
    assert deal.closed_on is None
    assert deal.stage_changed_at is not None
    assert [(c.from_stage_id, c.to_stage_id, c.by_id) for c in deal.stage_changes.all()] == [
        (None, stage_named("初回接触").pk, rep_a.pk)
    ]
    assert [name for name, _ in captured] == ["deal.created"]
    assert captured[0][1]["deal"] == deal
    assert captured[0][1]["by"] == rep_a
    (entry,) = audit_rows(deal)
    assert entry.action == "create"
    assert entry.changes["name"] == [None, "基幹システム更改"]
    assert entry.changes["stage"] == [None, stage_named("初回接触").pk]


def test_create_probability_override_and_contacts(rep_a, company_of_rep_a, contact_of_rep_a):
    # when
    deal = deal_create(
        by=rep_a,
        data={
            "name": "保守契約",
            "company": company_of_rep_a.pk,
            "stage": stage_named("提案").pk,
            "probability": "55",
            "contacts": [contact_of_rep_a.pk],
        },
    )
    # then
    assert deal.stage == stage_named("提案")
    assert deal.probability == 55
    assert list(deal.contacts.all()) == [contact_of_rep_a]


def test_create_amount_and_cost_are_the_sums_of_the_lines(rep_a, company_of_rep_a):
    # given
    product = ProductFactory(
        name="販売管理ライセンス", unit="本", unit_price=Decimal("50000"), cost=Decimal("20000")
    )
    lines = [
        {"product": product.pk, "quantity": "3"},
        {"description": "導入支援", "quantity": "1.5", "unit_price": "80000", "unit_cost": "30000"},
    ]
    # when
    deal = deal_create(
        by=rep_a, data={"name": "販売管理導入", "company": company_of_rep_a.pk, "amount": "1", "lines": lines}
    )
    # then
    assert deal.amount == Decimal("270000")  # 3 × 50,000 + 1.5 × 80,000
    assert deal.cost == Decimal("105000")  # 3 × 20,000 + 1.5 × 30,000
    assert deal.gross_profit == Decimal("165000")
    saved = [(ln.description, ln.quantity, ln.unit, ln.unit_price, ln.unit_cost) for ln in deal.lines.all()]
    assert saved == [
        ("販売管理ライセンス", Decimal("3.000"), "本", Decimal("50000.00"), Decimal("20000.00")),
        ("導入支援", Decimal("1.500"), "", Decimal("80000.00"), Decimal("30000.00")),
    ]


def test_create_reports_bad_line_by_row_and_saves_nothing(rep_a, company_of_rep_a):
    # given
    lines = [{"description": "導入支援", "unit_price": "1000"}, {"description": "", "unit_price": "abc"}]
    # when
    with pytest.raises(ValidationError) as exc:
        deal_create(by=rep_a, data={"name": "x", "company": company_of_rep_a.pk, "lines": lines})
    # then
    assert exc.value.message_dict == {
        "lines.2.description": ["明細2行目: 品名を入力してください。"],
        "lines.2.unit_price": ["明細2行目: 数値を入力してください。"],
    }
    assert not Deal.objects.exists()


def test_create_requires_name_and_company(rep_a):
    # when
    with pytest.raises(ValidationError) as exc:
        deal_create(by=rep_a, data={"name": " "})
    # then
    assert exc.value.message_dict == {
        "name": ["商談名を入力してください。"],
        "company": ["取引先を選んでください。"],
    }


def test_create_refuses_stage_of_another_pipeline(rep_a, company_of_rep_a):
    # given
    other = PipelineFactory(name="更新営業")
    # when
    with pytest.raises(ValidationError) as exc:
        deal_create(
            by=rep_a,
            data={"name": "x", "company": company_of_rep_a.pk, "stage": other.stages.get(name="提案").pk},
        )
    # then
    assert exc.value.message_dict == {
        "stage": ["ステージ「提案」はパイプライン「新規営業」のものではありません。"]
    }
    assert not Deal.objects.exists()


def test_create_in_another_pipeline_starts_at_its_first_stage(rep_a, company_of_rep_a):
    # given
    other = PipelineFactory(name="更新営業")
    # when
    deal = deal_create(by=rep_a, data={"name": "x", "company": company_of_rep_a.pk, "pipeline": other.pk})
    # then
    assert (deal.pipeline, deal.stage.name, deal.probability) == (other, "リード", 10)


def test_rep_cannot_assign_a_deal_to_another_rep(rep_a, rep_a2, company_of_rep_a):
    # when
    with pytest.raises(PermissionDenied):
        deal_create(by=rep_a, data={"name": "x", "company": company_of_rep_a.pk, "owner": rep_a2.pk})
    # then
    assert not Deal.objects.exists()


def test_manager_assigns_a_deal_to_a_rep_of_the_team(manager_a, rep_a, company_of_rep_a):
    # when
    deal = deal_create(by=manager_a, data={"name": "x", "company": company_of_rep_a.pk, "owner": rep_a.pk})
    # then
    assert (deal.owner, deal.team) == (rep_a, rep_a.team)


def test_create_with_a_company_the_rep_cannot_see_is_refused(rep_a, company_of_team_b):
    # when
    with pytest.raises(ValidationError) as exc:
        deal_create(by=rep_a, data={"name": "x", "company": company_of_team_b.pk})
    # then
    assert exc.value.message_dict == {"company": ["指定された取引先が見つかりません。"]}


def test_deals_are_indexed_for_search(rep_a, company_of_rep_a):
    # when
    deal = deal_create(by=rep_a, data={"name": "基幹システム更改", "company": company_of_rep_a.pk})
    # then
    assert list(Deal.objects.filter(search.matches("deal", "基幹"))) == [deal]
    assert list(Deal.objects.filter(search.matches("deal", "山田商事"))) == [deal]


# deal_update


def test_update_changes_fields_bumps_version_audits_and_emits(rep_a, captured):
    # given
    deal = DealFactory(owner=rep_a, name="旧名")
    # when
    data = {"name": "新名", "next_action": "デモ", "next_action_date": "2026/5/1"}
    deal_update(deal=deal, by=rep_a, data=data, seen_version=1)
    # then
    deal.refresh_from_db()
    assert (deal.name, deal.next_action, deal.next_action_date, deal.version) == (
        "新名", "デモ", dt.date(2026, 5, 1), 2
    )  # fmt: skip
    (entry,) = audit_rows(deal, "update")
    assert entry.changes == {
        "name": ["旧名", "新名"], "next_action": ["", "デモ"], "next_action_date": [None, "2026-05-01"]
    }  # fmt: skip
    assert [name for name, _ in captured] == ["deal.updated"]
    assert captured[0][1]["changes"] == entry.changes


def test_update_over_a_newer_version_is_refused(rep_a):
    # given
    deal = DealFactory(owner=rep_a, name="旧名")
    deal_update(deal=deal, by=rep_a, data={"name": "別の人の変更"}, seen_version=1)
    # when
    with pytest.raises(VersionConflict) as exc:
        deal_update(deal=deal, by=rep_a, data={"name": "私の変更"}, seen_version=1)
    # then
    assert exc.value.changed_fields == {"name": ["旧名", "別の人の変更"]}
    deal.refresh_from_db()
    assert deal.name == "別の人の変更"


def test_update_stage_is_a_move_with_history_and_events(rep_a, captured):
    # given
    deal = DealFactory(owner=rep_a)
    # when
    deal_update(deal=deal, by=rep_a, data={"stage": stage_named("見積提示").pk})
    # then
    deal.refresh_from_db()
    assert (deal.stage, deal.probability) == (stage_named("見積提示"), 60)
    assert [name for name, _ in captured] == ["deal.updated", "deal.stage_changed"]
    assert DealStageChange.objects.filter(deal=deal, to_stage=stage_named("見積提示")).count() == 1


def test_new_owner_brings_the_owners_team(admin, rep_a, rep_b):
    # given
    deal = DealFactory(owner=rep_a)
    # when
    deal_update(deal=deal, by=admin, data={"owner": rep_b.pk})
    # then
    deal.refresh_from_db()
    assert (deal.owner, deal.team) == (rep_b, rep_b.team)


def test_rep_of_another_team_cannot_update(rep_a, rep_b):
    # given
    deal = DealFactory(owner=rep_a, name="旧名")
    # when
    with pytest.raises(Http404):
        deal_update(deal=deal, by=rep_b, data={"name": "乗っ取り"})
    # then
    deal.refresh_from_db()
    assert (deal.name, deal.version) == ("旧名", 1)
    assert audit_rows(deal) == []


def test_teammate_can_read_but_not_change(rep_a, rep_a2):
    # given
    deal = DealFactory(owner=rep_a, name="旧名")
    # when
    with pytest.raises(PermissionDenied):
        deal_update(deal=deal, by=rep_a2, data={"name": "変更"})
    # then
    deal.refresh_from_db()
    assert deal.name == "旧名"


# Stage moves


def test_change_stage_records_history_audit_and_event(rep_a, captured):
    # given
    deal = DealFactory(owner=rep_a, probability=35)
    # when
    deal_change_stage(deal=deal, stage=stage_named("提案"), by=rep_a, seen_version=1)
    # then
    deal.refresh_from_db()
    assert (deal.stage.name, deal.probability, deal.version, deal.closed_on) == ("提案", 40, 2, None)
    change = DealStageChange.objects.get(deal=deal)
    assert (change.from_stage.name, change.to_stage.name, change.by) == ("初回接触", "提案", rep_a)
    (entry,) = audit_rows(deal, "stage")
    assert entry.changes == {
        "probability": [35, 40], "stage": [stage_named("初回接触").pk, stage_named("提案").pk]
    }  # fmt: skip
    assert [name for name, _ in captured] == ["deal.stage_changed"]
    payload = captured[0][1]
    assert (payload["from_stage"].name, payload["to_stage"].name, payload["by"]) == (
        "初回接触",
        "提案",
        rep_a,
    )


def test_change_stage_to_another_pipelines_stage_is_refused(rep_a, captured):
    # given
    deal = DealFactory(owner=rep_a)
    other = PipelineFactory(name="更新営業")
    # when
    with pytest.raises(ValidationError) as exc:
        deal_change_stage(deal=deal, stage=other.stages.get(name="提案"), by=rep_a)
    # then
    assert exc.value.message_dict == {
        "stage": ["このステージは商談のパイプライン「新規営業」のものではありません。"]
    }
    deal.refresh_from_db()
    assert (deal.stage.name, deal.version) == ("初回接触", 1)
    assert not DealStageChange.objects.filter(deal=deal).exists()
    assert captured == []


def test_lost_without_reason_is_refused_and_nothing_changes(rep_a, captured):
    # given
    deal = DealFactory(owner=rep_a)
    # when
    with pytest.raises(ValidationError) as exc:
        deal_change_stage(deal=deal, stage=stage_named("失注"), by=rep_a)
    # then
    assert exc.value.message_dict == {"lost_reason": ["失注理由を選んでください。"]}
    deal.refresh_from_db()
    assert (deal.stage.name, deal.closed_on, deal.lost_reason, deal.version) == ("初回接触", None, "", 1)
    assert not DealStageChange.objects.filter(deal=deal).exists()
    assert audit_rows(deal) == []
    assert captured == []


def test_mark_lost_sets_reason_closed_on_and_emits(rep_a, captured):
    # given
    deal = DealFactory(owner=rep_a)
    # when
    deal_mark_lost(deal=deal, by=rep_a, reason="price", note="他社が2割安い")
    # then
    deal.refresh_from_db()
    assert (deal.stage.name, deal.probability, deal.lost_reason, deal.lost_note, deal.closed_on) == (
        "失注", 0, "price", "他社が2割安い", timezone.localdate()
    )  # fmt: skip
    assert [name for name, _ in captured] == ["deal.stage_changed", "deal.lost"]
    assert (captured[1][1]["reason"], captured[1][1]["note"]) == ("price", "他社が2割安い")


def test_mark_lost_with_an_unknown_reason_is_refused(rep_a):
    # given
    deal = DealFactory(owner=rep_a)
    # when
    with pytest.raises(ValidationError) as exc:
        deal_mark_lost(deal=deal, by=rep_a, reason="気分")
    # then
    assert exc.value.message_dict == {"lost_reason": ["選択肢にない値です。"]}
    deal.refresh_from_db()
    assert deal.stage.name == "初回接触"


def test_mark_won_closes_and_reopening_clears_closed_on(rep_a, captured):
    # given
    deal = DealFactory(owner=rep_a)
    # when
    deal_mark_won(deal=deal, by=rep_a)
    # then
    deal.refresh_from_db()
    assert (deal.stage.name, deal.probability, deal.closed_on) == ("受注", 100, timezone.localdate())
    assert [name for name, _ in captured] == ["deal.stage_changed", "deal.won"]
    # when reopened
    deal_change_stage(deal=deal, stage=stage_named("最終交渉"), by=rep_a)
    # then
    deal.refresh_from_db()
    assert (deal.stage.name, deal.probability, deal.closed_on) == ("最終交渉", 80, None)
    assert deal.stage_changes.count() == 2


def test_reopening_a_lost_deal_clears_the_reason(rep_a):
    # given
    deal = DealFactory(owner=rep_a)
    deal_mark_lost(deal=deal, by=rep_a, reason="budget")
    # when
    deal_change_stage(deal=deal, stage=stage_named("提案"), by=rep_a)
    # then
    deal.refresh_from_db()
    assert (deal.lost_reason, deal.closed_on) == ("", None)


def test_rep_of_team_b_cannot_move_team_a_deal(rep_a, rep_b, captured):
    # given
    deal = DealFactory(owner=rep_a)
    # when
    with pytest.raises(Http404):
        deal_change_stage(deal=deal, stage=stage_named("提案"), by=rep_b)
    with pytest.raises(Http404):
        deal_mark_won(deal=deal, by=rep_b)
    # then
    deal.refresh_from_db()
    assert (deal.stage.name, deal.version) == ("初回接触", 1)
    assert not DealStageChange.objects.filter(deal=deal).exists()
    assert captured == []


def test_change_stage_with_a_stale_version_is_refused(rep_a):
    # given
    deal = DealFactory(owner=rep_a)
    deal_change_stage(deal=deal, stage=stage_named("提案"), by=rep_a, seen_version=1)
    # when
    with pytest.raises(VersionConflict):
        deal_change_stage(deal=deal, stage=stage_named("見積提示"), by=rep_a, seen_version=1)
    # then
    deal.refresh_from_db()
    assert deal.stage.name == "提案"


def test_board_move_places_the_card_between_its_neighbours(rep_a):
    # given
    proposal = stage_named("提案")
    above = DealFactory(owner=rep_a, stage=proposal, board_order=1.0)
    below = DealFactory(owner=rep_a, stage=proposal, board_order=2.0)
    deal = DealFactory(owner=rep_a)
    # when
    deal_board_move(deal=deal, stage=proposal, by=rep_a, after_id=above.pk, before_id=below.pk)
    # then
    deal.refresh_from_db()
    assert (deal.stage, deal.board_order) == (proposal, 1.5)
    # when reordered inside the column (layout only: no version, no audit)
    deal_board_move(deal=deal, stage=proposal, by=rep_a, after_id=below.pk)
    # then
    deal.refresh_from_db()
    assert (deal.board_order, deal.version) == (3.0, 2)


# Trash


def test_trash_and_restore(rep_a, admin):
    # given
    deal = DealFactory(owner=rep_a)
    search.reindex("deal", deal)
    # when
    deal_trash(deal=deal, by=rep_a)
    # then
    deal.refresh_from_db()
    assert deal.deleted_at is not None
    assert not SearchDocument.objects.filter(object_type="deal", object_id=deal.pk).exists()
    # when
    deal_restore(deal=deal, by=admin)
    # then
    deal.refresh_from_db()
    assert deal.deleted_at is None
    assert [e.action for e in audit_rows(deal)] == ["delete", "restore"]


def test_activity_about_a_deal_sets_last_activity_at(rep_a):
    # given
    from daifuku.activities.services import activity_log

    deal = DealFactory(owner=rep_a)
    when = timezone.now() - dt.timedelta(hours=2)
    # when
    activity_log(
        by=rep_a,
        data={
            "kind": "call_out", "subject": "電話", "company": deal.company_id, "occurred_at": when,
            "related_type": "sales.deal", "related_id": deal.pk,
        },
    )  # fmt: skip
    # then
    deal.refresh_from_db()
    assert deal.last_activity_at == when


def test_create_with_contacts_another_team_owns_is_refused(rep_a, rep_b, company_of_rep_a):
    # given
    hidden = ContactFactory(owner=rep_b)
    # when
    with pytest.raises(ValidationError) as exc:
        deal_create(by=rep_a, data={"name": "x", "company": company_of_rep_a.pk, "contacts": [hidden.pk]})
    # then
    assert exc.value.message_dict == {"contacts": ["指定された担当者が見つかりません。"]}
