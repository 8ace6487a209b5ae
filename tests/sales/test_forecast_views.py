"""売上予測 and 売上目標 pages: figures on the page, CSV, the grid editor, English rendering."""

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from daifuku.core.models import AuditEntry
from daifuku.sales.models import SalesTarget
from daifuku.sales.services.forecast import pipeline_snapshot_take
from tests.factories import TeamFactory, UserFactory
from tests.sales.factories import SalesTargetFactory, open_deal, won_deal
from tests.web.test_i18n import japanese_left

pytestmark = pytest.mark.django_db

OCT = dt.date(2026, 10, 1)
OCTOBER = {"year": "2026", "span": "m7"}  # 決算月 3: the 7th month of 2026年度
Q3 = {"year": "2026", "span": "q3"}


def cells_of(html, row_key):
    """{line label: [cell texts]} of one row block of the forecast table."""
    lines = {}
    for tr in re.findall(rf'<tr[^>]*data-row="{row_key}"[^>]*>(.*?)</tr>', html, re.S):
        texts = [re.sub(r"<[^>]+>", "", td).strip() for td in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        lines[texts[0]] = texts[1:]
    return lines


def test_forecast_page_shows_the_hand_computed_month(client, october, manager_a, rep_a, rep_b):
    # given
    client.force_login(manager_a)
    # when
    response = client.get(reverse("sales:forecast"), OCTOBER)
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert cells_of(html, rep_a.pk) == {
        "目標": ["3,000,000", "3,000,000"],
        "受注実績": ["1,150,000", "1,150,000"],
        "加重パイプライン": ["1,200,000", "1,200,000"],
        "ベストケース": ["1,650,000", "1,650,000"],
        "達成率": ["38.3%", "38.3%"],
    }
    assert rep_b.display_name not in html
    assert "vendor/chartjs/chart.umd.min.js" in html
    assert "sales/forecast.js" in html
    chart = json.loads(re.search(r'id="forecast-chart-data"[^>]*>(.*?)</script>', html, re.S).group(1))
    # one month: one group of bars per row
    assert dict(zip(chart["labels"], chart["won"], strict=True)) == {
        manager_a.display_name: 0,
        rep_a.display_name: 1150000,
    }
    assert dict(zip(chart["labels"], chart["target"], strict=True)) == {
        manager_a.display_name: None,
        rep_a.display_name: 3000000,
    }
    assert "確度50％以上" in html


def test_forecast_page_by_team_marks_members_sums(client, october, manager_a, team_a):
    # given
    client.force_login(manager_a)
    # when
    html = client.get(reverse("sales:forecast"), {**OCTOBER, "by": "team"}).content.decode()
    # then
    assert cells_of(html, team_a.pk)["目標"] == ["3,000,000†", "3,000,000†"]


def test_forecast_page_query_count_is_flat(client, october, admin, team_a, django_assert_num_queries):
    # given
    client.force_login(admin)
    pipeline_snapshot_take(day=dt.date(2026, 10, 5))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("sales:forecast"), Q3)
    for n in range(12):
        rep = UserFactory(team=team_a, role="sales_rep")
        won_deal(rep, "100000", dt.date(2026, 10, 1 + n), currency="USD" if n % 2 else "JPY")
        open_deal(rep, "200000", 60, dt.date(2026, 11, 1 + n))
        SalesTargetFactory(user=rep, month=OCT, amount=Decimal("500000"))
    pipeline_snapshot_take(day=dt.date(2026, 10, 12))
    # when / then
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(reverse("sales:forecast"), Q3)
    assert response.status_code == 200


def test_invalid_filter_falls_back_to_this_quarter_and_says_so(client, manager_a, team_b):
    # given
    client.force_login(manager_a)
    # when team B is not among the manager's choices
    html = client.get(reverse("sales:forecast"), {**OCTOBER, "team": team_b.pk}).content.decode()
    # then
    assert "指定された条件の一部が正しくないため、今四半期の全体を表示しています。" in html
    assert "大阪営業部" not in html


def test_csv_export_is_utf8_with_bom(client, october, manager_a, rep_a):
    # given
    client.force_login(manager_a)
    # when
    response = client.get(reverse("sales:forecast_export"), OCTOBER)
    # then
    body = response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").splitlines()
    assert (
        lines[0] == "担当者,月,目標,受注実績,加重パイプライン,ベストケース,達成率,粗利目標,粗利実績,加重粗利"
    )
    assert f"{rep_a.display_name},2026-10,3000000,1150000,1200000,1650000,38.3,,1150000,1200000" in lines


def test_snapshot_history_section(client, october, manager_a):
    # given
    pipeline_snapshot_take(day=dt.date(2026, 10, 5))
    client.force_login(manager_a)
    # when
    html = client.get(reverse("sales:forecast"), OCTOBER).content.decode()
    # then the open October deals of team A: 2 deals, ¥2,500,000, weighted ¥1,200,000
    history = re.search(r"<table[^>]*data-forecast-history.*?</table>", html, re.S).group(0)
    assert re.sub(r"\s+", "", re.sub(r"<[^>]+>", " ", history)).endswith("2026/10/0522,500,0001,200,000")
    assert 'id="forecast-trend"' in html


# Targets grid


def test_manager_sees_inputs_for_their_team_only(client, manager_a, rep_a, rep_b, team_a):
    # given
    SalesTargetFactory(user=rep_a, month=OCT, amount=Decimal("3000000"))
    client.force_login(manager_a)
    # when
    html = client.get(reverse("sales:forecast_targets"), {"year": "2026"}).content.decode()
    # then
    assert f'name="t-u{rep_a.pk}-202610" value="3000000"' in html
    assert f'name="t-t{team_a.pk}-202604"' in html
    assert f"u{rep_b.pk}-" not in html
    assert "目標を保存" in html


def test_rep_sees_targets_read_only(client, rep_a):
    # given
    SalesTargetFactory(user=rep_a, month=OCT, amount=Decimal("3000000"))
    client.force_login(rep_a)
    # when
    html = client.get(reverse("sales:forecast_targets"), {"year": "2026"}).content.decode()
    # then
    assert 'class="form-control form-control-sm text-end' not in html
    assert f'data-cell="t-u{rep_a.pk}-202610">3,000,000' in html
    assert "目標を保存" not in html


def test_grid_post_saves_every_cell_and_audits(client, manager_a, rep_a, team_a):
    # given
    client.force_login(manager_a)
    # when
    response = client.post(
        reverse("sales:forecast_targets"),
        {
            "year": "2026",
            f"t-u{rep_a.pk}-202610": "3,000,000",
            f"g-u{rep_a.pk}-202610": "1000000",
            f"t-u{rep_a.pk}-202611": "",
            f"g-u{rep_a.pk}-202611": "",
            f"t-t{team_a.pk}-202610": "10000000",
            f"g-t{team_a.pk}-202610": "",
        },
    )
    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:forecast_targets") + "?year=2026"
    assert set(SalesTarget.objects.values_list("user_id", "team_id", "month", "amount", "gross_profit")) == {
        (rep_a.pk, None, OCT, Decimal("3000000"), Decimal("1000000")),
        (None, team_a.pk, OCT, Decimal("10000000"), None),
    }
    assert AuditEntry.objects.filter(object_type="sales.salestarget", action="create").count() == 2


def test_grid_post_with_a_bad_cell_saves_nothing_and_keeps_the_input(client, manager_a, rep_a):
    # given
    rep_a.last_name, rep_a.first_name = "佐藤", "花子"
    rep_a.save(update_fields=["last_name", "first_name"])
    client.force_login(manager_a)
    # when
    response = client.post(
        reverse("sales:forecast_targets"),
        {"year": "2026", f"t-u{rep_a.pk}-202610": "3000000", f"t-u{rep_a.pk}-202611": "三百万"},
    )
    # then
    html = response.content.decode()
    assert response.status_code == 422
    assert "佐藤 花子・2026年11月の売上目標：数値を入力してください。" in html
    assert f'name="t-u{rep_a.pk}-202611" value="三百万"' in html
    assert f'name="t-u{rep_a.pk}-202610" value="3000000"' in html
    assert "入力に誤りがあるため保存しませんでした。" in html
    assert not SalesTarget.objects.exists()


def test_rep_cannot_post_targets(client, rep_a):
    # given
    client.force_login(rep_a)
    # when
    response = client.post(reverse("sales:forecast_targets"), {"year": "2026", f"t-u{rep_a.pk}-202610": "1"})
    # then
    assert response.status_code == 403
    assert not SalesTarget.objects.exists()


def test_targets_page_query_count_is_flat(client, admin, team_a, django_assert_max_num_queries):
    # given
    client.force_login(admin)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("sales:forecast_targets"), {"year": "2026"})
    for n in range(10):
        rep = UserFactory(team=TeamFactory(name=f"支社{n}"), role="sales_rep")
        SalesTargetFactory(user=rep, month=OCT, amount=Decimal("500000"))
    # when / then
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("sales:forecast_targets"), {"year": "2026"})
    assert response.status_code == 200


# English


@pytest.fixture
def english_manager(db):
    team = TeamFactory(name="Tokyo Sales")
    return UserFactory(
        username="mia", last_name="Moore", first_name="Mia", role="manager", team=team, language="en"
    )


def content_of(html):
    """The page below the navigation (menu entries of other modules are tested by their own pages)."""
    return html.split("<main", 1)[1]


def test_forecast_page_in_english(client, english_manager):
    # given
    rep = UserFactory(
        username="sam", last_name="Young", first_name="Sam", role="sales_rep", team=english_manager.team
    )
    won_deal(rep, "1000000", dt.date(2026, 10, 5))
    SalesTargetFactory(user=rep, month=OCT, amount=Decimal("3000000"), gross_profit=Decimal("1000000"))
    SalesTargetFactory(team=english_manager.team, month=OCT, amount=Decimal("9000000"))
    pipeline_snapshot_take(day=dt.date(2026, 10, 5))
    client.force_login(english_manager)
    # when
    html = client.get(reverse("sales:forecast"), Q3).content.decode()
    by_team = client.get(reverse("sales:forecast"), {**Q3, "by": "team"}).content.decode()
    # then
    assert "Sales forecast" in html
    assert "FY2026 Q3" in html
    assert japanese_left(content_of(html)) == []
    assert japanese_left(content_of(by_team)) == []


def test_targets_page_in_english(client, english_manager):
    # given
    client.force_login(english_manager)
    # when
    html = client.get(reverse("sales:forecast_targets"), {"year": "2026"}).content.decode()
    bad = client.post(
        reverse("sales:forecast_targets"), {"year": "2026", f"t-u{english_manager.pk}-202610": "lots"}
    ).content.decode()
    # then
    assert "Sales target" in html
    assert japanese_left(content_of(html)) == []
    assert japanese_left(content_of(bad)) == []
    assert "Mia Moore" in bad or "Moore Mia" in bad
