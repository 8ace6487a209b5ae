"""売上目標: saving the grid all or nothing, permissions, audit."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from daifuku.core.models import AuditEntry
from daifuku.sales.models import SalesTarget
from daifuku.sales.selectors import forecast as fc
from daifuku.sales.services.forecast import sales_targets_save
from tests.sales.factories import SalesTargetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def japanese():
    """Messages are asserted in Japanese, whatever language an earlier test's request left active."""
    with translation.override("ja"):
        yield


OCT = dt.date(2026, 10, 1)
NOV = dt.date(2026, 11, 1)


def audit_of(target):
    return list(
        AuditEntry.objects.filter(object_type="sales.salestarget", object_id=target.pk).values_list(
            "action", "changes"
        )
    )


def test_manager_sets_targets_of_a_rep_and_the_team(manager_a, rep_a, team_a):
    # when
    result = sales_targets_save(
        by=manager_a,
        cells=[
            {"user": rep_a.pk, "month": "2026-10", "amount": "3,000,000", "gross_profit": "¥1000000"},
            {"user": rep_a.pk, "month": "2026-11-01", "amount": "2500000", "gross_profit": ""},
            {"team": team_a.pk, "month": OCT, "amount": "10000000"},
            {"user": rep_a.pk, "month": "2026-12", "amount": ""},  # blank and no row: nothing
        ],
    )
    # then
    assert (result.created, result.updated, result.deleted) == (3, 0, 0)
    assert set(SalesTarget.objects.values_list("month", "user_id", "team_id", "amount", "gross_profit")) == {
        (OCT, rep_a.pk, None, Decimal("3000000"), Decimal("1000000")),
        (OCT, None, team_a.pk, Decimal("10000000"), None),
        (NOV, rep_a.pk, None, Decimal("2500000"), None),
    }
    october = SalesTarget.objects.get(user=rep_a, month=OCT)
    assert audit_of(october) == [
        (
            "create",
            {
                "month": [None, "2026-10-01"],
                "user": [None, rep_a.pk],
                "team": [None, None],
                "amount": [None, "3000000"],
                "gross_profit": [None, "1000000"],
            },
        )
    ]


def test_changes_are_audited_and_unchanged_cells_are_not_written(manager_a, rep_a):
    # given
    october = SalesTargetFactory(user=rep_a, month=OCT, amount=Decimal("3000000"))
    november = SalesTargetFactory(user=rep_a, month=NOV, amount=Decimal("2000000"))
    # when
    result = sales_targets_save(
        by=manager_a,
        cells=[
            {"user": rep_a.pk, "month": "2026-10", "amount": "3000000"},
            {"user": rep_a.pk, "month": "2026-11", "amount": "2200000", "gross_profit": "800000"},
        ],
    )
    # then
    assert (result.created, result.updated, result.deleted) == (0, 1, 0)
    assert audit_of(october) == []
    assert audit_of(november) == [
        ("update", {"amount": ["2000000", "2200000"], "gross_profit": [None, "800000"]})
    ]


def test_blank_amount_removes_the_target(manager_a, team_a):
    # given
    target = SalesTargetFactory(team=team_a, month=OCT, amount=Decimal("10000000"))
    # when
    result = sales_targets_save(by=manager_a, cells=[{"team": team_a.pk, "month": "2026-10", "amount": ""}])
    # then
    assert result.deleted == 1
    assert not SalesTarget.objects.filter(pk=target.pk).exists()
    assert audit_of(target) == [("delete", {"amount": ["10000000", None], "gross_profit": [None, None]})]


def test_bad_cell_names_the_rep_and_month_and_nothing_is_saved(manager_a, rep_a):
    # given
    rep_a.last_name, rep_a.first_name = "佐藤", "花子"
    rep_a.save(update_fields=["last_name", "first_name"])
    SalesTargetFactory(user=rep_a, month=OCT, amount=Decimal("3000000"))
    # when
    with pytest.raises(ValidationError) as exc:
        sales_targets_save(
            by=manager_a,
            cells=[
                {"key": f"u{rep_a.pk}-202610", "user": rep_a.pk, "month": "2026-10", "amount": "4000000"},
                {"key": f"u{rep_a.pk}-202611", "user": rep_a.pk, "month": "2026-11", "amount": "たくさん"},
                {"key": f"u{rep_a.pk}-202612", "user": rep_a.pk, "month": "2026-12", "gross_profit": "5"},
            ],
        )
    # then
    assert exc.value.message_dict == {
        f"u{rep_a.pk}-202611.amount": ["佐藤 花子・2026年11月の売上目標：数値を入力してください。"],
        f"u{rep_a.pk}-202612.gross_profit": [
            "佐藤 花子・2026年12月の粗利目標：粗利目標だけでは保存できません。売上目標も入力してください。"
        ],
    }
    assert list(SalesTarget.objects.values_list("month", "amount")) == [(OCT, Decimal("3000000"))]
    assert not AuditEntry.objects.filter(object_type="sales.salestarget").exists()


def test_negative_and_fractional_amounts_are_refused(admin, rep_a):
    # when
    with pytest.raises(ValidationError) as exc:
        sales_targets_save(
            by=admin,
            cells=[
                {"key": "a", "user": rep_a.pk, "month": "2026-10", "amount": "-1"},
                {"key": "b", "user": rep_a.pk, "month": "2026-11", "amount": "100.5"},
                {"key": "c", "user": rep_a.pk, "month": "13月", "amount": "1"},
            ],
        )
    # then
    assert set(exc.value.message_dict) == {"a.amount", "b.amount", "c.month"}
    assert "0以上で入力してください。" in exc.value.message_dict["a.amount"][0]
    assert "小数点以下は0桁までです。" in exc.value.message_dict["b.amount"][0]
    assert not SalesTarget.objects.exists()


def test_manager_may_not_set_another_teams_targets(manager_a, rep_a, rep_b, team_b):
    # when
    with pytest.raises(PermissionDenied):
        sales_targets_save(
            by=manager_a,
            cells=[
                {"user": rep_a.pk, "month": "2026-10", "amount": "1"},
                {"user": rep_b.pk, "month": "2026-10", "amount": "1"},
            ],
        )
    with pytest.raises(PermissionDenied):
        sales_targets_save(by=manager_a, cells=[{"team": team_b.pk, "month": "2026-10", "amount": "1"}])
    # then
    assert not SalesTarget.objects.exists()
    assert not AuditEntry.objects.filter(object_type="sales.salestarget").exists()


def test_rep_may_not_set_targets_not_even_their_own(rep_a):
    # when
    with pytest.raises(PermissionDenied):
        sales_targets_save(by=rep_a, cells=[{"user": rep_a.pk, "month": "2026-10", "amount": "1"}])
    # then
    assert not SalesTarget.objects.exists()


def test_administrator_sets_anyones_target(admin, rep_b, team_b):
    # when
    result = sales_targets_save(
        by=admin,
        cells=[
            {"user": rep_b.pk, "month": "2026-10", "amount": "1000"},
            {"team": team_b.pk, "month": "2026-10", "amount": "2000"},
        ],
    )
    # then
    assert result.created == 2


def test_cell_needs_exactly_one_of_user_and_team(admin, rep_a, team_a):
    # when
    with pytest.raises(ValidationError) as exc:
        sales_targets_save(
            by=admin, cells=[{"user": rep_a.pk, "team": team_a.pk, "month": "2026-10", "amount": "1"}]
        )
    # then
    assert exc.value.message_dict == {"user": ["担当者かチームのどちらか一方を指定してください。"]}


def test_target_grid_lists_teams_and_reps_with_edit_rights(manager_a, rep_a, rep_b, team_a):
    # given
    SalesTargetFactory(user=rep_a, month=OCT, amount=Decimal("3000000"))
    # when
    grid = fc.target_grid(user=manager_a, fiscal_year=2026, fiscal_month=3)
    as_rep = fc.target_grid(user=rep_a, fiscal_year=2026, fiscal_month=3)
    # then
    assert (grid.subjects[0].kind, grid.subjects[0].pk, grid.subjects[0].editable) == (
        "team",
        team_a.pk,
        True,
    )
    assert {(s.kind, s.pk, s.editable) for s in grid.subjects[1:]} == {
        ("user", manager_a.pk, True),
        ("user", rep_a.pk, True),
    }
    assert grid.months[0] == dt.date(2026, 4, 1) and grid.months[-1] == dt.date(2027, 3, 1)
    rep_row = next(s for s in grid.subjects if s.pk == rep_a.pk and s.kind == "user")
    assert rep_row.amounts[OCT] == Decimal("3000000")
    assert rep_row.total == Decimal("3000000")
    assert as_rep.editable is False
    assert rep_b.pk not in [s.pk for s in grid.subjects if s.kind == "user"]


def test_target_list_respects_the_deal_scope(rep_a, rep_b):
    # given
    SalesTargetFactory(user=rep_a, month=OCT, amount=Decimal("1"))
    SalesTargetFactory(user=rep_b, month=OCT, amount=Decimal("2"))
    # when
    seen_by_b = fc.target_list(user=rep_b, fiscal_year=2026, fiscal_month=3)
    # then
    assert [t.user_id for t in seen_by_b] == [rep_b.pk]
