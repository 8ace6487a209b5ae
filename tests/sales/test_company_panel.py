"""The 商談・契約 panel on the company page: the company's deals and contracts under the reader's scopes."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from daifuku.core.models import Role, RoleScope
from tests.factories import UserFactory
from tests.sales.factories import ContractFactory, DealFactory, stage_named
from tests.web.test_i18n import japanese_left

pytestmark = pytest.mark.django_db


def _panel(client, user, company):
    client.force_login(user)
    return client.get(reverse("sales:company_sales_panel", args=[company.pk]))


def test_the_company_page_loads_the_sales_panel(client, rep_a, company_of_rep_a):
    # when
    client.force_login(rep_a)
    page = client.get(reverse("customers:company_detail", args=[company_of_rep_a.pk])).content.decode()
    # then
    assert f'hx-get="/sales/companies/{company_of_rep_a.pk}/sales-panel/"' in page


def test_panel_lists_open_deals_by_close_date_then_closed_ones_and_active_contracts(
    client, rep_a, company_of_rep_a, company_of_team_b, django_assert_num_queries
):
    # given
    today = timezone.localdate()
    later = DealFactory(
        owner=rep_a, company=company_of_rep_a, name="後の商談", expected_close_date=today + dt.timedelta(40)
    )
    sooner = DealFactory(
        owner=rep_a, company=company_of_rep_a, name="先の商談", expected_close_date=today + dt.timedelta(5)
    )
    DealFactory(
        owner=rep_a,
        company=company_of_rep_a,
        name="受注済み",
        stage=stage_named("受注"),
        closed_on=today,
        amount=Decimal("500000"),
    )
    DealFactory(owner=company_of_team_b.owner, company=company_of_team_b, name="他社の商談")
    ContractFactory(owner=rep_a, company=company_of_rep_a, number="C-2026-00001", title="保守契約")
    ContractFactory(
        owner=rep_a, company=company_of_rep_a, number="C-2026-00002", title="解約済み", status="cancelled"
    )
    client.force_login(rep_a)
    url = reverse("sales:company_sales_panel", args=[company_of_rep_a.pk])
    # when
    with django_assert_num_queries(9):
        html = client.get(url).content.decode()
    # then
    open_ids = [int(x) for x in __import__("re").findall(r'<tr data-deal-id="(\d+)"', html)]
    assert open_ids == [sooner.pk, later.pk]
    assert "受注済み" in html and "¥500,000" in html
    assert "他社の商談" not in html
    assert "C-2026-00001 保守契約" in html and "解約済み" not in html


def test_panel_of_an_invisible_company_is_404(client, rep_a, company_of_team_b):
    assert _panel(client, rep_a, company_of_team_b).status_code == 404


def test_a_reader_without_deal_scope_sees_no_deals(client, company_of_rep_a, rep_a, team_b):
    # given: support reads every company, but here no deals and no contracts
    RoleScope.objects.filter(
        role=Role.objects.get(slug="support_agent"), object_type__in=["deal", "contract"]
    ).update(read_scope="none", edit_scope="none")
    support = UserFactory(username="support_x", role="support_agent", team=team_b)
    DealFactory(owner=rep_a, company=company_of_rep_a, name="秘密の商談")
    ContractFactory(owner=rep_a, company=company_of_rep_a, title="秘密の契約")
    # when
    html = _panel(client, support, company_of_rep_a).content.decode()
    # then
    assert "秘密の商談" not in html and "秘密の契約" not in html and "data-open-deals" not in html


def test_panel_in_english(client, rep_a, company_of_rep_a):
    # given
    rep_a.language = "en"
    rep_a.save()
    DealFactory(
        owner=rep_a,
        company=company_of_rep_a,
        name="Renewal",
        stage=stage_named("受注"),
        closed_on=timezone.localdate(),
    )
    ContractFactory(owner=rep_a, company=company_of_rep_a, title="Support")
    # when
    html = _panel(client, rep_a, company_of_rep_a).content.decode()
    # then: stage names are data (受注 is the seeded pipeline's stage name)
    assert "Deal" in html and "+ New deal" in html and "Recently won or lost" in html
    assert japanese_left(html.replace("受注", "")) == []
