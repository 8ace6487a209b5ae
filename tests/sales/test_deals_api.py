"""/api/v1/deals, /pipelines and /pipelines/{id}/stages: visibility, writes with versions, stage moves,
won/lost, pages and the list's query count."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from daifuku.core.services import token_create
from daifuku.sales.models import Deal, DealStageChange
from tests.sales.factories import DealFactory, PipelineFactory, default_pipeline, stage_named

TODAY = timezone.localdate()


def api(user):
    client = Client()
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token_create(user=user)}"
    return client


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


def test_list_is_limited_to_visible_deals_and_filters(rep_a, rep_b):
    # given
    april = DealFactory(owner=rep_a, expected_close_date=dt.date(2026, 4, 10))
    may = DealFactory(owner=rep_a, expected_close_date=dt.date(2026, 5, 10), stage=stage_named("提案"))
    DealFactory(owner=rep_b)
    client = api(rep_a)
    # when
    everything = client.get("/api/v1/deals").json()
    in_april = client.get("/api/v1/deals", {"close_month": "2026-04"}).json()
    in_proposal = client.get("/api/v1/deals", {"stage": stage_named("提案").pk}).json()
    # then
    assert [d["id"] for d in everything["items"]] == [april.pk, may.pk]
    assert everything["has_next"] is False
    assert [d["id"] for d in in_april["items"]] == [april.pk]
    assert [d["id"] for d in in_proposal["items"]] == [may.pk]
    first = everything["items"][0]
    assert first["stage"] == {"id": stage_named("初回接触").pk, "name": "初回接触"}
    assert (first["amount"], first["currency"], first["probability"], first["is_stale"]) == (
        "1000000.00",
        "JPY",
        10,
        False,
    )


def test_list_pages(rep_a):
    # given
    deals = [DealFactory(owner=rep_a, expected_close_date=TODAY + dt.timedelta(days=i)) for i in range(3)]
    client = api(rep_a)
    # when
    first = client.get("/api/v1/deals", {"limit": 2}).json()
    second = client.get("/api/v1/deals", {"limit": 2, "page": 2}).json()
    # then
    assert ([d["id"] for d in first["items"]], first["has_next"]) == ([deals[0].pk, deals[1].pk], True)
    assert ([d["id"] for d in second["items"]], second["has_next"]) == ([deals[2].pk], False)


def test_list_with_a_bad_month_names_the_field(rep_a):
    # when
    response = api(rep_a).get("/api/v1/deals", {"close_month": "四月"})
    # then
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "close_month", "message": "「2026-04」の形で入力してください。"}
    ]


@pytest.mark.parametrize("rows", [3, 20])
def test_list_query_count_is_constant(rep_a, rows, django_assert_num_queries):
    # given
    for _ in range(rows):
        DealFactory(owner=rep_a, last_activity_at=timezone.now())
    client = api(rep_a)
    # when: token (+ its last-used stamp), role scopes, stale days of the pipelines, the page
    with django_assert_num_queries(5):
        response = client.get("/api/v1/deals", {"limit": 200})
    # then
    assert len(response.json()["items"]) == rows


def test_create_with_lines(rep_a, company_of_rep_a, contact_of_rep_a):
    # when
    response = post(
        api(rep_a),
        "/api/v1/deals",
        {
            "name": "API商談", "company": company_of_rep_a.pk, "contacts": [contact_of_rep_a.pk],
            "expected_close_date": "2026-06-30",
            "lines": [{"description": "保守", "quantity": "12", "unit_price": "10000", "unit_cost": "4000"}],
        },
    )  # fmt: skip
    # then
    assert response.status_code == 201
    body = response.json()
    deal = Deal.objects.get()
    assert body["id"] == deal.pk
    assert (body["amount"], body["cost"], body["gross_profit"]) == ("120000.00", "48000.00", "72000.00")
    assert body["contacts"] == [contact_of_rep_a.pk]
    assert body["lines"][0]["description"] == "保守"
    assert (body["owner"]["id"], body["team"]["id"]) == (rep_a.pk, rep_a.team_id)


def test_create_with_bad_input_names_the_fields(rep_a):
    # when
    response = post(api(rep_a), "/api/v1/deals", {"name": "", "amount": "abc"})
    # then
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"name", "company", "amount"}
    assert not Deal.objects.exists()


def test_patch_with_version(rep_a):
    # given
    deal = DealFactory(owner=rep_a, name="旧名")
    client = api(rep_a)
    # when
    ok = patch(client, f"/api/v1/deals/{deal.pk}", {"name": "新名", "probability": 35, "version": 1})
    stale = patch(client, f"/api/v1/deals/{deal.pk}", {"name": "別名", "version": 1})
    # then
    assert (ok.status_code, ok.json()["name"], ok.json()["probability"], ok.json()["version"]) == (
        200,
        "新名",
        35,
        2,
    )
    assert stale.status_code == 409
    assert stale.json()["changed_fields"]["name"] == ["旧名", "新名"]
    deal.refresh_from_db()
    assert deal.name == "新名"


def test_stage_move_won_and_lost(rep_a):
    # given
    deal = DealFactory(owner=rep_a)
    client = api(rep_a)
    # when
    moved = post(
        client, f"/api/v1/deals/{deal.pk}/stage", {"stage": stage_named("見積提示").pk, "version": 1}
    )
    no_reason = post(client, f"/api/v1/deals/{deal.pk}/stage", {"stage": stage_named("失注").pk})
    lost = post(client, f"/api/v1/deals/{deal.pk}/lost", {"reason": "budget", "note": "来期に再検討"})
    won = post(client, f"/api/v1/deals/{deal.pk}/won", {})
    # then
    assert (moved.status_code, moved.json()["stage"]["name"], moved.json()["probability"]) == (
        200,
        "見積提示",
        60,
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"] == [{"field": "lost_reason", "message": "失注理由を選んでください。"}]
    assert (lost.json()["stage"]["name"], lost.json()["lost_reason"], lost.json()["closed_on"]) == (
        "失注", "budget", TODAY.isoformat()
    )  # fmt: skip
    assert (won.json()["stage"]["name"], won.json()["lost_reason"], won.json()["probability"]) == (
        "受注",
        "",
        100,
    )
    assert DealStageChange.objects.filter(deal=deal).count() == 3


def test_stage_of_another_pipeline_is_refused(rep_a):
    # given
    deal = DealFactory(owner=rep_a)
    other = PipelineFactory(name="更新営業")
    # when
    response = post(api(rep_a), f"/api/v1/deals/{deal.pk}/stage", {"stage": other.stages.get(name="提案").pk})
    # then
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "stage", "message": "このステージは商談のパイプラインにありません。"}
    ]


def test_another_teams_deal_is_404_for_reads_and_writes(rep_a, rep_b):
    # given
    deal = DealFactory(owner=rep_a, name="旧名")
    client = api(rep_b)
    # when
    responses = [
        client.get(f"/api/v1/deals/{deal.pk}"),
        patch(client, f"/api/v1/deals/{deal.pk}", {"name": "x", "version": 1}),
        post(client, f"/api/v1/deals/{deal.pk}/won", {}),
        client.delete(f"/api/v1/deals/{deal.pk}"),
    ]
    # then
    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    deal.refresh_from_db()
    assert (deal.name, deal.stage.name, deal.deleted_at) == ("旧名", "初回接触", None)


def test_teammate_reads_but_may_not_change(rep_a, rep_a2):
    # given
    deal = DealFactory(owner=rep_a)
    client = api(rep_a2)
    # when
    read = client.get(f"/api/v1/deals/{deal.pk}")
    write = post(client, f"/api/v1/deals/{deal.pk}/won", {})
    # then
    assert (read.status_code, write.status_code) == (200, 403)
    deal.refresh_from_db()
    assert deal.stage.name == "初回接触"


def test_pipelines_and_stages(rep_a):
    # given
    client = api(rep_a)
    pipeline = default_pipeline()
    # when
    pipelines = client.get("/api/v1/pipelines").json()
    stages = client.get(f"/api/v1/pipelines/{pipeline.pk}/stages").json()
    missing = client.get("/api/v1/pipelines/999999/stages")
    # then
    assert [(p["name"], p["is_default"], p["stale_days"]) for p in pipelines] == [("新規営業", True, 14)]
    assert [(s["name"], s["probability"], s["is_won"], s["is_lost"]) for s in stages] == [
        ("初回接触", 10, False, False), ("ヒアリング", 20, False, False), ("提案", 40, False, False),
        ("見積提示", 60, False, False), ("最終交渉", 80, False, False), ("受注", 100, True, False),
        ("失注", 0, False, True),
    ]  # fmt: skip
    assert missing.status_code == 404


def test_detail_shows_the_stale_flag(rep_a):
    # given
    deal = DealFactory(owner=rep_a, next_action_date=TODAY - dt.timedelta(days=2), amount=Decimal("5"))
    # when
    body = api(rep_a).get(f"/api/v1/deals/{deal.pk}").json()
    # then
    assert body["is_stale"] is True
