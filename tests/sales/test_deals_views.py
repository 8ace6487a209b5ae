"""Deal pages: list (filters, stale flag, sort, pages, query count), detail, form with lines, won/lost,
trash, and the English rendering of the board and the detail page."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from daifuku.core.models import AuditEntry
from daifuku.sales.models import Deal, Pipeline
from tests.activities.factories import ActivityFactory
from tests.factories import CompanyFactory, ContactFactory, TeamFactory, UserFactory
from tests.sales.factories import DealFactory, DealLineFactory, PipelineFactory, ProductFactory, stage_named
from tests.web.test_i18n import japanese_left

TODAY = timezone.localdate()


def listed(response):
    return [int(pk) for pk in re.findall(r'<tr data-deal-id="(\d+)"', response.content.decode())]


# List


def test_list_shows_only_visible_deals(client, rep_a, rep_b):
    # given
    mine = DealFactory(owner=rep_a, expected_close_date=dt.date(2026, 4, 1))
    DealFactory(owner=rep_b)
    client.force_login(rep_a)
    # when
    response = client.get("/sales/deals/")
    # then
    assert listed(response) == [mine.pk]
    assert "1件" in response.content.decode()


def test_list_filters(client, manager_a, rep_a, rep_a2):
    # given
    april = DealFactory(owner=rep_a, expected_close_date=dt.date(2026, 4, 15), name="四月")
    may = DealFactory(owner=rep_a2, expected_close_date=dt.date(2026, 5, 1), stage=stage_named("提案"))
    won = DealFactory(owner=rep_a, stage=stage_named("受注"), expected_close_date=dt.date(2026, 3, 1))
    stale = DealFactory(
        owner=rep_a2, next_action_date=TODAY - dt.timedelta(days=1), expected_close_date=dt.date(2026, 6, 1)
    )
    client.force_login(manager_a)
    # when / then
    assert listed(client.get("/sales/deals/", {"close_month": "2026-04"})) == [april.pk]
    assert listed(client.get("/sales/deals/", {"owner": rep_a2.pk})) == [may.pk, stale.pk]
    assert listed(client.get("/sales/deals/", {"stage": stage_named("提案").pk})) == [may.pk]
    assert listed(client.get("/sales/deals/", {"status": "won"})) == [won.pk]
    assert listed(client.get("/sales/deals/", {"status": "open", "team": rep_a.team_id})) == [
        april.pk,
        may.pk,
        stale.pk,
    ]
    assert listed(client.get("/sales/deals/", {"stale": "on"})) == [stale.pk]
    assert listed(client.get("/sales/deals/", {"q": "四月"})) == []  # the factory does not index; see below
    assert listed(client.get("/sales/deals/", {"sort": "-close"})) == [stale.pk, may.pk, april.pk, won.pk]


def test_list_search_finds_deals_saved_by_the_service(client, rep_a, company_of_rep_a):
    # given
    from daifuku.sales.services.deals import deal_create

    deal = deal_create(by=rep_a, data={"name": "基幹システム更改", "company": company_of_rep_a.pk})
    DealFactory(owner=rep_a, company=company_of_rep_a, name="別件")
    client.force_login(rep_a)
    # when
    response = client.get("/sales/deals/", {"q": "基幹"})
    # then
    assert listed(response) == [deal.pk]


def test_list_filter_by_pipeline(client, rep_a):
    # given
    pipeline = PipelineFactory(name="更新営業")
    other = DealFactory(owner=rep_a, pipeline=pipeline, stage=pipeline.stages.get(name="提案"))
    DealFactory(owner=rep_a)
    client.force_login(rep_a)
    # when
    response = client.get("/sales/deals/", {"pipeline": pipeline.pk})
    # then
    assert listed(response) == [other.pk]


def test_list_marks_stale_deals(client, rep_a):
    # given
    stale = DealFactory(owner=rep_a, last_activity_at=timezone.now() - dt.timedelta(days=30))
    client.force_login(rep_a)
    # when
    html = client.get("/sales/deals/").content.decode()
    # then
    row = html.split(f'<tr data-deal-id="{stale.pk}"')[1].split("</tr>")[0]
    assert "data-stale" in row


@override_settings(DAIFUKU_PAGE_SIZE=2)
def test_list_pages(client, rep_a):
    # given
    deals = [DealFactory(owner=rep_a, expected_close_date=TODAY + dt.timedelta(days=i)) for i in range(5)]
    client.force_login(rep_a)
    # when
    second = client.get("/sales/deals/", {"page": 2})
    # then: the rows come first; the count (and the page total) with the count request the page makes
    assert listed(second) == [deals[2].pk, deals[3].pk]
    html = second.content.decode()
    assert 'hx-get="/sales/deals/count/?page=2"' in html
    assert "5件" not in html
    count = client.get("/sales/deals/count/", {"page": 2}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-total="5"' in count and "5件" in count
    assert '<span class="page-link" id="deal-pages" hx-swap-oob="true">2 / 3</span>' in count


def test_list_count_respects_visibility_and_filters(client, manager_a, rep_a, rep_a2, rep_b):
    # given
    for owner in (rep_a, rep_a, rep_a2, rep_b):
        DealFactory(owner=owner)
    client.force_login(manager_a)
    # when
    everyone = client.get("/sales/deals/count/", HTTP_HX_REQUEST="true").content.decode()
    one_rep = client.get("/sales/deals/count/", {"owner": rep_a.pk}, HTTP_HX_REQUEST="true").content.decode()
    # then: the team's three deals, not the other team's
    assert 'data-total="3"' in everyone
    assert 'data-total="2"' in one_rep


@pytest.mark.parametrize("rows", [3, 15])
def test_list_count_query_count_is_constant(client, rep_a, rows, django_assert_num_queries):
    # given
    for _ in range(rows):
        DealFactory(owner=rep_a)
    client.force_login(rep_a)
    # when: session, user, role, scopes; the filter form's choices (pipelines, stages, users, teams), count
    with django_assert_num_queries(8):
        response = client.get("/sales/deals/count/", HTTP_HX_REQUEST="true")
    # then
    assert f'data-total="{rows}"' in response.content.decode()


@pytest.mark.parametrize("rows", [3, 15])
def test_list_query_count_is_constant(client, rep_a, rows, django_assert_num_queries):
    # given
    for _ in range(rows):
        DealFactory(owner=rep_a)
    client.force_login(rep_a)
    # when: session, user, role, scopes, unread notifications; filter choices (pipelines twice, stages,
    # users, teams); stale days of the pipelines, the owner half's ids, the page (its ids, then its rows)
    with django_assert_num_queries(13):
        response = client.get("/sales/deals/")
    # then
    assert len(listed(response)) == rows


# Detail


def test_detail_shows_fields_lines_history_and_activities(client, rep_a):
    # given
    deal = DealFactory(owner=rep_a, amount=Decimal("300000"), cost=Decimal("120000"), name="販売管理導入")
    DealLineFactory(deal=deal, description="ライセンス", quantity=Decimal("3"), unit_price=Decimal("100000"))
    from daifuku.sales.services.deals import deal_change_stage

    deal_change_stage(deal=deal, stage=stage_named("提案"), by=rep_a)
    ActivityFactory(
        owner=rep_a, company=deal.company, subject="提案の訪問", related_type="sales.deal", related_id=deal.pk
    )
    ActivityFactory(owner=rep_a, company=deal.company, subject="別件の電話")
    client.force_login(rep_a)
    # when
    html = client.get(f"/sales/deals/{deal.pk}/").content.decode()
    # then
    assert "販売管理導入" in html
    assert "¥180,000" in html  # 粗利 = 300,000 − 120,000
    assert "ライセンス" in html
    history = html.split("data-stage-history")[1].split("</ol>")[0]
    assert "初回接触 → 提案" in history
    activities = html.split("data-deal-activities")[1].split("</ul>")[0]
    assert "提案の訪問" in activities and "別件の電話" not in activities
    changes = html.split("data-deal-history")[1].split("</ol>")[0]
    assert "ステージ変更" in changes and "確度（％）、ステージ" in changes


def test_detail_of_another_teams_deal_is_404(client, rep_a, rep_b):
    # given
    deal = DealFactory(owner=rep_a)
    client.force_login(rep_b)
    # when / then
    assert client.get(f"/sales/deals/{deal.pk}/").status_code == 404


# Form


def line_data(rows):
    data = {
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"lines-{index}-{key}"] = value
    return data


def deal_post(company, owner, **fields):
    return {
        "name": "新規導入", "company": company.pk, "owner": owner.pk,
        "pipeline": stage_named("提案").pipeline_id, "stage": stage_named("提案").pk, "probability": "",
        "amount": "500000", "currency": "JPY", "quantity": "1",
        "cost": "", "billing_type": "lump_sum", "expected_close_date": "2026-06-30", "next_action": "",
        "next_action_date": "", "notes": "", **fields,
    }  # fmt: skip


def test_create_with_lines(client, rep_a, company_of_rep_a):
    # given
    product = ProductFactory(unit_price=Decimal("100000"), cost=Decimal("40000"))
    client.force_login(rep_a)
    data = deal_post(company_of_rep_a, rep_a) | line_data(
        [{"product": product.pk, "quantity": "2", "tax_category": "standard"},
         {"description": "", "tax_category": "standard"}]
    )  # fmt: skip
    # when
    response = client.post("/sales/deals/new/", data)
    # then
    deal = Deal.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/sales/deals/{deal.pk}/"
    assert (deal.amount, deal.cost, deal.probability, deal.stage.name) == (
        Decimal("200000"), Decimal("80000"), 40, "提案"
    )  # fmt: skip
    assert deal.lines.count() == 1


def test_create_form_shows_line_errors_and_keeps_input(client, rep_a, company_of_rep_a):
    # given
    client.force_login(rep_a)
    data = deal_post(company_of_rep_a, rep_a) | line_data(
        [{"description": "導入支援", "unit_price": "abc", "tax_category": "standard"}]
    )
    # when
    response = client.post("/sales/deals/new/", data)
    # then
    assert response.status_code == 422
    html = response.content.decode()
    assert "明細1行目: 数値を入力してください。" in html
    assert 'value="導入支援"' in html
    assert not Deal.objects.exists()


def test_contact_choices_follow_the_chosen_company(client, rep_a, company_of_rep_a, contact_of_rep_a, rep_b):
    # given
    hidden = ContactFactory(owner=rep_b, company=company_of_rep_a, family_name="秘密")
    client.force_login(rep_a)
    # when
    html = client.get("/sales/deals/contacts/", {"company": company_of_rep_a.pk}).content.decode()
    # then
    assert f'value="{contact_of_rep_a.pk}"' in html and "田中" in html
    assert f'value="{hidden.pk}"' not in html


def test_edit_to_a_lost_stage_takes_the_reason_from_the_form(client, rep_a):
    # given
    deal = DealFactory(owner=rep_a)
    client.force_login(rep_a)
    data = deal_post(deal.company, rep_a, stage=stage_named("失注").pk, version="1") | line_data([])
    # when
    refused = client.post(f"/sales/deals/{deal.pk}/edit/", data)
    accepted = client.post(f"/sales/deals/{deal.pk}/edit/", data | {"lost_reason": "timing"})
    # then
    assert refused.status_code == 422
    assert "失注理由を選んでください。" in refused.content.decode()
    assert accepted.status_code == 302
    deal.refresh_from_db()
    assert (deal.stage.name, deal.lost_reason) == ("失注", "timing")


def test_edit_with_a_stale_version_shows_the_conflict(client, rep_a):
    # given
    deal = DealFactory(owner=rep_a, name="旧名")
    client.force_login(rep_a)
    Deal.objects.filter(pk=deal.pk).update(version=3)
    data = deal_post(deal.company, rep_a, name="新名", stage=deal.stage_id, version="1") | line_data([])
    # when
    response = client.post(f"/sales/deals/{deal.pk}/edit/", data)
    # then
    assert response.status_code == 200
    assert "data-version-conflict" in response.content.decode()
    deal.refresh_from_db()
    assert deal.name == "旧名"


def test_edit_changing_stage_takes_the_new_stages_probability(client, rep_a):
    # given
    deal = DealFactory(owner=rep_a)
    client.force_login(rep_a)
    data = deal_post(
        deal.company, rep_a, stage=stage_named("最終交渉").pk, probability="10", version="1"
    ) | line_data([])
    # when
    response = client.post(f"/sales/deals/{deal.pk}/edit/", data)
    # then
    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.stage.name, deal.probability) == ("最終交渉", 80)


def test_teammate_cannot_open_the_edit_page(client, rep_a, rep_a2):
    # given
    deal = DealFactory(owner=rep_a)
    client.force_login(rep_a2)
    # when / then
    assert client.get(f"/sales/deals/{deal.pk}/edit/").status_code == 403


# Won / lost / trash


def test_won_button(client, rep_a):
    # given
    deal = DealFactory(owner=rep_a)
    client.force_login(rep_a)
    # when
    response = client.post(f"/sales/deals/{deal.pk}/won/")
    # then
    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.stage.name, deal.closed_on) == ("受注", TODAY)


def test_lost_page_asks_for_the_reason(client, rep_a):
    # given
    deal = DealFactory(owner=rep_a)
    client.force_login(rep_a)
    # when
    refused = client.post(f"/sales/deals/{deal.pk}/lost/", {"lost_reason": "", "lost_note": "高い"})
    # then
    assert refused.status_code == 422
    deal.refresh_from_db()
    assert deal.stage.name == "初回接触"
    # when
    accepted = client.post(f"/sales/deals/{deal.pk}/lost/", {"lost_reason": "price", "lost_note": "高い"})
    # then
    assert accepted.status_code == 302
    deal.refresh_from_db()
    assert (deal.stage.name, deal.lost_reason, deal.lost_note) == ("失注", "price", "高い")


def test_trash_and_restore_pages(client, rep_a, admin):
    # given
    deal = DealFactory(owner=rep_a)
    client.force_login(rep_a)
    # when
    client.post(f"/sales/deals/{deal.pk}/delete/")
    # then
    assert client.get(f"/sales/deals/{deal.pk}/").status_code == 404
    client.force_login(admin)
    assert f'data-deal-id="{deal.pk}"' in client.get("/sales/deals/trash/").content.decode()
    client.post(f"/sales/deals/{deal.pk}/restore/")
    deal.refresh_from_db()
    assert deal.deleted_at is None
    entries = AuditEntry.objects.filter(object_type="sales.deal", object_id=deal.pk).order_by("id")
    assert [e.action for e in entries] == ["delete", "restore"]


# English


@pytest.fixture
def english_rep(db):
    team = TeamFactory(name="Tokyo Sales")
    return UserFactory(
        username="sam", last_name="Young", first_name="Sam", role="sales_rep", team=team, language="en"
    )


@pytest.fixture
def english_deal(english_rep):
    # The seeded pipeline's Japanese stage names are data, not UI: keep them off the English pages.
    Pipeline.objects.filter(is_default=True).update(is_default=False, is_active=False)
    pipeline = PipelineFactory(
        name="New business",
        stages=[("Contact", 10, False, False), ("Proposal", 50, False, False), ("Won", 100, True, False),
                ("Lost", 0, False, True)],
    )  # fmt: skip
    company = CompanyFactory(name="Acme Trading", name_kana="", owner=english_rep)
    deal = DealFactory(
        owner=english_rep, company=company, name="ERP renewal", pipeline=pipeline,
        stage=pipeline.stages.get(name="Proposal"), next_action_date=TODAY - dt.timedelta(days=1),
        next_action="Send quote", notes="Budget approved",
    )  # fmt: skip
    DealLineFactory(deal=deal, description="License", quantity=Decimal("2"), unit_price=Decimal("100000"))
    return deal


def main_part(html):
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def test_board_in_english(client, english_rep, english_deal):
    # given
    client.force_login(english_rep)
    # when
    html = client.get("/sales/deals/board/", {"pipeline": english_deal.pipeline_id}).content.decode()
    # then
    assert "Deal board" in html
    assert japanese_left(main_part(html)) == []


def test_detail_and_list_in_english(client, english_rep, english_deal):
    # given
    client.force_login(english_rep)
    # when
    pages = [
        client.get(f"/sales/deals/{english_deal.pk}/").content.decode(),
        client.get("/sales/deals/", {"pipeline": english_deal.pipeline_id}).content.decode(),
        client.get(f"/sales/deals/{english_deal.pk}/edit/").content.decode(),
        client.get(f"/sales/deals/{english_deal.pk}/lost/").content.decode(),
    ]
    # then
    for html in pages:
        assert japanese_left(main_part(html)) == []


def test_rep_logs_a_call_on_the_deal_page_and_it_keeps_the_deal_fresh(client, rep_a, company_of_rep_a):
    # given
    from daifuku.activities.models import Activity

    deal = DealFactory(owner=rep_a, company=company_of_rep_a, last_activity_at=None)
    client.force_login(rep_a)
    # when
    response = client.post(
        reverse("sales:deal_log_activity", args=[deal.pk]),
        {"kind": "call_out", "subject": "見積の確認", "body": "来週回答"},
    )
    # then
    assert response.status_code == 302
    activity = Activity.objects.get()
    link = (activity.company_id, activity.related_type, activity.related_id)
    assert (activity.kind, activity.subject, link) == (
        "call_out",
        "見積の確認",
        (company_of_rep_a.pk, "sales.deal", deal.pk),
    )
    deal.refresh_from_db()
    assert deal.last_activity_at == activity.occurred_at
    page = client.get(reverse("sales:deal_detail", args=[deal.pk])).content.decode()
    assert "見積の確認" in page and "data-log-form" in page


def test_a_rep_of_another_team_cannot_log_on_the_deal(client, rep_b, company_of_rep_a, rep_a):
    # given
    from daifuku.activities.models import Activity

    deal = DealFactory(owner=rep_a, company=company_of_rep_a)
    client.force_login(rep_b)
    # when
    response = client.post(reverse("sales:deal_log_activity", args=[deal.pk]), {"subject": "x"})
    # then
    assert response.status_code == 404
    assert not Activity.objects.exists()


def test_deal_history_names_competitor_changes(client, rep_a, company_of_rep_a):
    # given
    from daifuku.sales.services import competitors

    deal = DealFactory(owner=rep_a, company=company_of_rep_a)
    rival = competitors.competitor_create(
        by=UserFactory(role="manager", team=rep_a.team), data={"name": "他社A"}
    )
    competitors.deal_competitor_set(deal=deal, competitor=rival, by=rep_a, data={"offer_price": "900000"})
    client.force_login(rep_a)
    # when
    html = client.get(reverse("sales:deal_detail", args=[deal.pk])).content.decode()
    # then
    history = html[html.index("data-deal-history") :]
    assert "競合を追加" in history and "競合、競合の提示価格" in history
    assert "competitor_add" not in html
