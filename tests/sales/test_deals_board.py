"""The deal board: columns and totals (yen, foreign currencies converted), stale flags, filters, the move
endpoint behind drag and drop, and its query count."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from daifuku.core.models import Currency
from daifuku.sales.models import Deal, DealStageChange
from daifuku.sales.selectors.deals import DealFilters, deal_board
from tests.sales.factories import (
    DealFactory,
    ExchangeRateFactory,
    PipelineFactory,
    default_pipeline,
    stage_named,
)

TODAY = timezone.localdate()


def usd_rate(date, rate):
    # ExchangeRateFactory looks rows up by ``currency`` (the object, not ``currency_id``).
    return ExchangeRateFactory(currency=Currency.objects.get(code="USD"), date=date, rate=rate)


def column(board, name):
    return next(c for c in board.columns if c.stage.name == name)


@pytest.fixture
def deals(rep_a, rep_b):
    """Three deals of rep_a in 提案 (one in USD, one with its own probability), one in 初回接触 in USD,
    and one of team B that rep_a may not see."""
    usd_rate(date=TODAY - dt.timedelta(days=10), rate=Decimal("150"))
    usd_rate(date=TODAY + dt.timedelta(days=60), rate=Decimal("160"))
    proposal = stage_named("提案")
    return {
        "jpy": DealFactory(
            owner=rep_a, stage=proposal, probability=40, amount=Decimal("1000000"), board_order=1
        ),
        "usd": DealFactory(
            owner=rep_a,
            stage=proposal,
            probability=40,
            amount=Decimal("10000.00"),
            currency_id="USD",
            expected_close_date=TODAY + dt.timedelta(days=30),
            board_order=2,
        ),
        "override": DealFactory(
            owner=rep_a, stage=proposal, probability=55, amount=Decimal("333333"), board_order=3
        ),
        "late_usd": DealFactory(
            owner=rep_a,
            amount=Decimal("100.50"),
            currency_id="USD",
            expected_close_date=TODAY + dt.timedelta(days=90),
        ),
        "other_team": DealFactory(owner=rep_b, stage=stage_named("見積提示"), amount=Decimal("5000000")),
    }


def test_board_columns_and_totals_in_yen(rep_a, deals):
    # when
    board = deal_board(user=rep_a, pipeline=default_pipeline())
    # then
    assert [c.stage.name for c in board.columns] == [
        "初回接触",
        "ヒアリング",
        "提案",
        "見積提示",
        "最終交渉",
        "受注",
        "失注",
    ]
    proposal = column(board, "提案")
    assert [d.pk for d in proposal.deals] == [deals["jpy"].pk, deals["usd"].pk, deals["override"].pk]
    assert proposal.count == 3
    # 1,000,000 + 10,000 USD × 150 + 333,333
    assert proposal.amount == Decimal("2833333")
    # 400,000 + 600,000 + 183,333.15 → rounded once
    assert proposal.weighted == Decimal("1183333")
    first = column(board, "初回接触")
    # 100.50 USD at the rate of its close date (160, entered for a later day than the other one)
    assert (first.count, first.amount, first.weighted) == (1, Decimal("16080"), Decimal("1608"))
    assert (column(board, "見積提示").count, column(board, "見積提示").amount) == (0, Decimal("0"))
    assert (board.count, board.amount, board.weighted) == (4, Decimal("2849413"), Decimal("1184941"))
    assert board.missing_rates == []


def test_team_scoped_totals_add_the_team_and_my_deals_filed_elsewhere_once(rep_a, rep_a2, rep_b, team_b):
    # given: a teammate's deal, my deal filed under another team, and another team's deal
    proposal = stage_named("提案")
    DealFactory(owner=rep_a2, stage=proposal, probability=50, amount=Decimal("100000"))
    DealFactory(owner=rep_a, team=team_b, stage=proposal, probability=20, amount=Decimal("30000"))
    DealFactory(owner=rep_b, stage=proposal, probability=90, amount=Decimal("7000000"))
    # when
    board = deal_board(user=rep_a, pipeline=default_pipeline())
    # then
    totals = column(board, "提案")
    assert (totals.count, totals.amount, totals.weighted) == (2, Decimal("130000"), Decimal("56000"))
    assert len(totals.deals) == 2


def test_board_lists_a_currency_without_any_rate(rep_a):
    # given
    DealFactory(owner=rep_a, amount=Decimal("500"), currency_id="EUR")
    # when
    board = deal_board(user=rep_a, pipeline=default_pipeline())
    # then
    assert board.missing_rates == ["EUR"]
    assert column(board, "初回接触").amount == Decimal("0")


def test_board_filters_owner_team_and_close_month(manager_a, rep_a, rep_a2):
    # given
    april = DealFactory(owner=rep_a, expected_close_date=dt.date(2026, 4, 30))
    DealFactory(owner=rep_a, expected_close_date=dt.date(2026, 5, 1))
    teammate = DealFactory(owner=rep_a2, expected_close_date=dt.date(2026, 4, 1))
    pipeline = default_pipeline()
    # when
    by_month = deal_board(
        user=manager_a, pipeline=pipeline, filters=DealFilters(close_month=dt.date(2026, 4, 1))
    )
    by_owner = deal_board(
        user=manager_a,
        pipeline=pipeline,
        filters=DealFilters(owner=rep_a2.pk, close_month=dt.date(2026, 4, 1)),
    )
    by_team = deal_board(user=manager_a, pipeline=pipeline, filters=DealFilters(team=rep_a.team_id))
    # then
    assert [d.pk for d in column(by_month, "初回接触").deals] == sorted([april.pk, teammate.pk])
    assert [d.pk for d in column(by_owner, "初回接触").deals] == [teammate.pk]
    assert column(by_team, "初回接触").count == 3


def test_stale_flags(rep_a):
    # given: the default pipeline calls 14 days without activity stale
    now = timezone.now()
    untouched = DealFactory(owner=rep_a, name="放置", last_activity_at=now - dt.timedelta(days=15))
    overdue = DealFactory(owner=rep_a, name="期限切れ", next_action_date=TODAY - dt.timedelta(days=1))
    fresh = DealFactory(owner=rep_a, name="活動あり", last_activity_at=now - dt.timedelta(days=13))
    created_long_ago = DealFactory(owner=rep_a, name="古い登録")
    Deal.objects.filter(pk=created_long_ago.pk).update(created_at=now - dt.timedelta(days=20))
    won = DealFactory(owner=rep_a, stage=stage_named("受注"), last_activity_at=now - dt.timedelta(days=90))
    # when
    board = deal_board(user=rep_a, pipeline=default_pipeline())
    # then
    flags = {d.name: d.is_stale for c in board.columns for d in c.deals}
    assert flags == {"放置": True, "期限切れ": True, "活動あり": False, "古い登録": True, won.name: False}
    assert (untouched.pk, overdue.pk, fresh.pk) == tuple(
        d.pk for d in column(board, "初回接触").deals if d.name in {"放置", "期限切れ", "活動あり"}
    )


def test_stale_days_come_from_the_pipeline(rep_a):
    # given
    pipeline = PipelineFactory(name="短期", stale_days=3)
    lead = pipeline.stages.get(name="リード")
    deal = DealFactory(
        owner=rep_a, pipeline=pipeline, stage=lead, last_activity_at=timezone.now() - dt.timedelta(days=4)
    )
    # when
    board = deal_board(user=rep_a, pipeline=pipeline)
    # then
    assert [(d.pk, d.is_stale) for d in column(board, "リード").deals] == [(deal.pk, True)]


# The page


def test_board_page_has_stable_dom_for_drag_and_drop(client, rep_a, deals):
    # given
    client.force_login(rep_a)
    # when
    response = client.get("/sales/deals/board/")
    # then
    html = response.content.decode()
    assert response.status_code == 200
    stage_ids = re.findall(r'data-stage-id="(\d+)"', html)
    assert stage_ids == [str(s.pk) for s in default_pipeline().stages.order_by("sort_order")]
    card_ids = re.findall(r'data-deal-id="(\d+)"', html)
    assert sorted(card_ids) == sorted(str(d.pk) for k, d in deals.items() if k != "other_team")
    assert f'data-move-url="/sales/deals/{deals["jpy"].pk}/move/"' in html
    assert "2,833,333" in html and "1,183,333" in html
    assert "vendor/sortablejs/Sortable.min.js" in html


def test_board_page_of_another_pipeline(client, rep_a):
    # given
    pipeline = PipelineFactory(name="更新営業")
    deal = DealFactory(owner=rep_a, pipeline=pipeline, stage=pipeline.stages.get(name="交渉"))
    client.force_login(rep_a)
    # when
    html = client.get("/sales/deals/board/", {"pipeline": pipeline.pk}).content.decode()
    # then
    assert "更新営業" in html
    assert f'data-deal-id="{deal.pk}"' in html
    assert html.count("data-stage-id=") == 5


@pytest.mark.parametrize("rows", [3, 12])
def test_board_query_count_is_constant(client, rep_a, rows, django_assert_num_queries):
    # given
    usd_rate(date=TODAY, rate=Decimal("150"))
    stages = [stage_named("初回接触"), stage_named("提案"), stage_named("受注")]
    for index in range(rows):
        DealFactory(owner=rep_a, stage=stages[index % 3], currency_id="USD" if index % 2 else "JPY")
    client.force_login(rep_a)
    # when: session, user, role, scopes, unread notifications; pipelines (filter choices), default
    # pipeline, users, teams (filter choices); stages, totals, rates; the cards of each of the 3
    # non-empty columns (one index range each, whatever the number of deals)
    # (the totals are four queries for a team-scoped rep: the team's deals, then the rep's own deals
    # filed under another team — visibility.scope_halves — each summed for yen per stage and for
    # other currencies per stage, currency and close date)
    with django_assert_num_queries(17):
        response = client.get("/sales/deals/board/")
    # then
    assert response.content.decode().count("data-deal-id=") == rows


# Moves (drag and drop)


def move(client, deal, stage, **extra):
    return client.post(f"/sales/deals/{deal.pk}/move/", {"stage": stage.pk, "version": deal.version, **extra})


def test_move_changes_stage_and_answers_new_totals(client, rep_a, deals):
    # given
    client.force_login(rep_a)
    deal = deals["jpy"]
    # when
    response = move(client, deal, stage_named("見積提示"))
    # then
    assert response.status_code == 200
    body = response.json()
    deal.refresh_from_db()
    assert (deal.stage.name, deal.probability, deal.version) == ("見積提示", 60, 2)
    assert body["deal"] == {"id": deal.pk, "version": 2, "stage": deal.stage_id, "probability": 60}
    assert body["totals"][str(stage_named("見積提示").pk)] == {
        "count": 1,
        "amount": "1,000,000",
        "weighted": "600,000",
    }
    assert body["totals"][str(stage_named("提案").pk)] == {
        "count": 2,
        "amount": "1,833,333",
        "weighted": "783,333",
    }


def test_move_keeps_the_boards_filters_in_the_totals(client, rep_a, deals):
    # given
    client.force_login(rep_a)
    # when: the board was filtered to another close month, so the moved card's column shows none of the rest
    response = client.post(
        f"/sales/deals/{deals['jpy'].pk}/move/?close_month=2001-01",
        {"stage": stage_named("見積提示").pk, "version": 1},
    )
    # then
    assert response.json()["totals"][str(stage_named("提案").pk)]["count"] == 0


def test_move_between_neighbours_sets_board_order(client, rep_a, deals):
    # given
    client.force_login(rep_a)
    card = deals["late_usd"]
    # when
    response = move(client, card, stage_named("提案"), after=deals["jpy"].pk, before=deals["usd"].pk)
    # then
    assert response.status_code == 200
    board = deal_board(user=rep_a, pipeline=default_pipeline())
    assert [d.pk for d in column(board, "提案").deals] == [
        deals["jpy"].pk, card.pk, deals["usd"].pk, deals["override"].pk
    ]  # fmt: skip


def test_move_into_lost_needs_a_reason(client, rep_a, deals):
    # given
    client.force_login(rep_a)
    deal = deals["jpy"]
    # when
    refused = move(client, deal, stage_named("失注"))
    # then
    assert refused.status_code == 422
    assert refused.json()["error"] == "失注理由を選んでください。"
    deal.refresh_from_db()
    assert (deal.stage.name, deal.version) == ("提案", 1)
    # when the reason is given
    accepted = move(client, deal, stage_named("失注"), lost_reason="competitor", lost_note="A社")
    # then
    assert accepted.status_code == 200
    deal.refresh_from_db()
    assert (deal.stage.name, deal.lost_reason, deal.lost_note, deal.closed_on) == (
        "失注",
        "competitor",
        "A社",
        TODAY,
    )


def test_move_with_an_old_version_is_a_conflict(client, rep_a, deals):
    # given
    client.force_login(rep_a)
    deal = deals["jpy"]
    Deal.objects.filter(pk=deal.pk).update(version=5)
    # when
    response = move(client, deal, stage_named("見積提示"))
    # then
    assert response.status_code == 409
    assert response.json()["error"] == "この間に他の人が商談を変更しました。ボードを再読み込みしてください。"
    deal.refresh_from_db()
    assert deal.stage.name == "提案"


def test_move_to_a_stage_of_another_pipeline_is_refused(client, rep_a, deals):
    # given
    client.force_login(rep_a)
    other = PipelineFactory(name="更新営業")
    # when
    response = move(client, deals["jpy"], other.stages.get(name="交渉"))
    # then
    assert (response.status_code, response.json()["error"]) == (
        422,
        "このステージは商談のパイプライン「新規営業」のものではありません。",
    )
    assert not DealStageChange.objects.filter(deal=deals["jpy"]).exists()


def test_rep_of_another_team_cannot_move_a_deal(client, rep_b, deals):
    # given
    client.force_login(rep_b)
    deal = deals["jpy"]
    # when
    response = move(client, deal, stage_named("見積提示"))
    # then
    assert response.status_code == 404
    deal.refresh_from_db()
    assert (deal.stage.name, deal.version) == ("提案", 1)


def test_teammate_sees_but_cannot_move_a_deal(client, rep_a2, deals):
    # given
    client.force_login(rep_a2)
    deal = deals["jpy"]
    # when
    response = move(client, deal, stage_named("見積提示"))
    # then
    assert (response.status_code, response.json()["error"]) == (403, "この商談を変更する権限がありません。")
    deal.refresh_from_db()
    assert deal.stage.name == "提案"


def test_a_long_column_shows_its_first_cards_and_counts_the_rest(client, rep_a):
    # given: more deals in one stage than a column shows
    from daifuku.sales.selectors import deals as deal_selectors

    limit = deal_selectors.BOARD_CARDS_PER_COLUMN
    for index in range(limit + 3):
        DealFactory(owner=rep_a, amount=Decimal("1000"), board_order=float(index))
    client.force_login(rep_a)
    # when
    html = client.get("/sales/deals/board/").content.decode()
    # then: the first cards by board order, the totals over all of them, and the rest counted
    assert html.count("data-deal-id=") == limit
    assert "ほか3件（一覧で表示）" in html
    assert f"<span data-total-count>{limit + 3}</span>" in html


def test_cards_show_what_the_deal_shows(rep_a, deals):
    # given: the deals as models (the board reads values, not instances)
    board = deal_board(user=rep_a, pipeline=default_pipeline())
    cards = {card.pk: card for c in board.columns for card in c.deals}
    # then
    assert set(cards) == {d.pk for k, d in deals.items() if k != "other_team"}
    for key in ("jpy", "usd", "late_usd"):
        deal = Deal.objects.select_related("company", "owner", "currency").get(pk=deals[key].pk)
        card = cards[deal.pk]
        assert (card.name, card.version, card.expected_close_date) == (
            deal.name,
            deal.version,
            deal.expected_close_date,
        )
        assert (card.company_name, card.owner_name, card.amount_display) == (
            deal.company.display_name,
            deal.owner.display_name,
            deal.amount_display,
        )
    assert cards[deals["usd"].pk].amount_display == "$10,000.00"
    assert cards[deals["jpy"].pk].amount_display == "¥1,000,000"
