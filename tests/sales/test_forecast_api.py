"""/api/v1/forecast, /api/v1/forecast/snapshots and /api/v1/targets: figures as strings, scopes, writes."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from daifuku.core.models import AuditEntry
from daifuku.core.services import token_create
from daifuku.sales.models import SalesTarget
from daifuku.sales.services.forecast import pipeline_snapshot_take
from tests.factories import UserFactory
from tests.sales.factories import SalesTargetFactory, open_deal, won_deal

pytestmark = pytest.mark.django_db

OCT = dt.date(2026, 10, 1)


def bearer(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")


def test_forecast_of_a_month_by_rep(october, manager_a, rep_a, rep_b):
    # when
    response = bearer(manager_a).get("/api/v1/forecast", {"period": "2026-10", "by": "user"})
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["period"] == {
        "key": "2026-10",
        "label": "2026年10月",
        "start": "2026-10-01",
        "end": "2026-10-31",
        "fiscal_year": 2026,
    }
    assert body["best_case_min_probability"] == 50
    row = next(r for r in body["rows"] if r["id"] == rep_a.pk)
    assert {k: row["total"][k] for k in ("target", "won", "weighted", "best_case", "achievement")} == {
        "target": "3000000",
        "won": "1150000",
        "weighted": "1200000",
        "best_case": "1650000",
        "achievement": "38.3",
    }
    assert [m["month"] for m in row["months"]] == ["2026-10"]
    assert rep_b.pk not in [r["id"] for r in body["rows"]]
    assert body["totals"]["total"]["won"] == "1150000"


def test_forecast_of_a_quarter_by_team(october, admin, team_a, team_b):
    # when
    body = bearer(admin).get("/api/v1/forecast", {"period": "2026-Q3", "by": "team"}).json()
    # then
    assert body["period"]["start"] == "2026-10-01" and body["period"]["end"] == "2026-12-31"
    totals = {
        r["id"]: (r["total"]["target"], r["total"]["target_from_members"], r["total"]["won"])
        for r in body["rows"]
    }
    assert totals == {team_a.pk: ("3000000", True, "1150000"), team_b.pk: (None, False, "3000000")}
    assert [m["month"] for m in body["rows"][0]["months"]] == ["2026-10", "2026-11", "2026-12"]


def test_bad_period_is_a_field_error(manager_a):
    # when
    response = bearer(manager_a).get("/api/v1/forecast", {"period": "2026-13"})
    # then
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["period"]


def test_forecast_query_count_is_flat(october, admin, team_a, django_assert_num_queries):
    # given
    client = bearer(admin)
    client.get("/api/v1/forecast", {"period": "2026-Q3"})
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/forecast", {"period": "2026-Q3"})
    for n in range(10):
        rep = UserFactory(team=team_a, role="sales_rep")
        won_deal(rep, "100000", dt.date(2026, 10, 1 + n), currency="USD")
        open_deal(rep, "100000", 50, dt.date(2026, 12, 1 + n))
    # when / then
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get("/api/v1/forecast", {"period": "2026-Q3"})
    assert len(response.json()["rows"]) == 12


def test_snapshots_list(october, manager_a, admin):
    # given
    pipeline_snapshot_take(day=dt.date(2026, 10, 5))
    # when
    mine = bearer(manager_a).get("/api/v1/forecast/snapshots", {"period": "2026-10"}).json()
    # then
    assert mine == [{"taken_on": "2026-10-05", "deal_count": 2, "amount": "2500000", "weighted": "1200000"}]


def test_snapshots_query_count_is_flat(october, manager_a, django_assert_num_queries):
    # given
    client = bearer(manager_a)
    pipeline_snapshot_take(day=dt.date(2026, 10, 5))
    client.get("/api/v1/forecast/snapshots", {"period": "2026-Q3"})
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/forecast/snapshots", {"period": "2026-Q3"})
    for week in range(1, 8):
        pipeline_snapshot_take(day=dt.date(2026, 10, 5) + dt.timedelta(days=7 * week))
    # when / then
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get("/api/v1/forecast/snapshots", {"period": "2026-Q3"})
    assert len(response.json()) == 8


# Targets


def test_target_list_by_year_within_scope(manager_a, rep_a, rep_b, team_a):
    # given
    SalesTargetFactory(user=rep_a, month=OCT, amount=Decimal("3000000"), gross_profit=Decimal("900000"))
    SalesTargetFactory(team=team_a, month=OCT, amount=Decimal("9000000"))
    SalesTargetFactory(user=rep_b, month=OCT, amount=Decimal("1"))
    SalesTargetFactory(user=rep_a, month=dt.date(2027, 4, 1), amount=Decimal("1"))  # 2027年度
    # when
    body = bearer(manager_a).get("/api/v1/targets", {"year": 2026}).json()
    only_rep = bearer(manager_a).get("/api/v1/targets", {"year": 2026, "user": rep_a.pk}).json()
    # then
    assert {(t["month"], t["user"], t["team"], t["amount"], t["gross_profit"]) for t in body} == {
        ("2026-10", rep_a.pk, None, "3000000", "900000"),
        ("2026-10", None, team_a.pk, "9000000", None),
    }
    assert [t["user"] for t in only_rep] == [rep_a.pk]


def test_target_list_query_count_is_flat(admin, team_a, django_assert_num_queries):
    # given
    client = bearer(admin)
    SalesTargetFactory(user=UserFactory(team=team_a), month=OCT)
    client.get("/api/v1/targets", {"year": 2026})
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/targets", {"year": 2026})
    for _ in range(10):
        SalesTargetFactory(user=UserFactory(team=team_a), month=OCT)
    # when / then
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get("/api/v1/targets", {"year": 2026})
    assert len(response.json()) == 11


def test_put_sets_a_cell_and_audits(manager_a, rep_a):
    # when
    response = bearer(manager_a).put(
        "/api/v1/targets",
        {"user": rep_a.pk, "month": "2026-10", "amount": "3000000", "gross_profit": 1000000},
        content_type="application/json",
    )
    # then
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("month", "user", "team", "amount", "gross_profit")} == {
        "month": "2026-10",
        "user": rep_a.pk,
        "team": None,
        "amount": "3000000",
        "gross_profit": "1000000",
    }
    assert AuditEntry.objects.filter(
        object_type="sales.salestarget", object_id=body["id"], action="create"
    ).exists()


def test_put_null_amount_removes_the_target(manager_a, rep_a):
    # given
    target = SalesTargetFactory(user=rep_a, month=OCT, amount=Decimal("3000000"))
    # when
    response = bearer(manager_a).put(
        "/api/v1/targets",
        {"user": rep_a.pk, "month": "2026-10", "amount": None},
        content_type="application/json",
    )
    # then
    assert response.status_code == 204
    assert not SalesTarget.objects.filter(pk=target.pk).exists()


def test_put_bad_amount_names_the_field(manager_a, rep_a):
    # when
    response = bearer(manager_a).put(
        "/api/v1/targets",
        {"user": rep_a.pk, "month": "2026-10", "amount": "abc"},
        content_type="application/json",
    )
    # then
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "amount",
            "message": f"{rep_a.display_name}・2026年10月の売上目標：数値を入力してください。",
        }
    ]
    assert not SalesTarget.objects.exists()


def test_put_outside_the_managers_team_is_forbidden(manager_a, rep_b):
    # when
    response = bearer(manager_a).put(
        "/api/v1/targets",
        {"user": rep_b.pk, "month": "2026-10", "amount": "1"},
        content_type="application/json",
    )
    # then
    assert response.status_code == 403
    assert not SalesTarget.objects.exists()


def test_rep_cannot_put_targets(rep_a):
    # when
    response = bearer(rep_a).put(
        "/api/v1/targets",
        {"user": rep_a.pk, "month": "2026-10", "amount": "1"},
        content_type="application/json",
    )
    # then
    assert response.status_code == 403
    assert not SalesTarget.objects.exists()
