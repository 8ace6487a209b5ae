"""Contract pages: list (filters, quarters, query count), detail, create (direct / from a won deal), edit,
renewal action; English rendering."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from daifuku.sales.models import Contract, ContractLine, ContractStatus
from daifuku.sales.selectors.contracts import quarter_range
from tests.factories import TeamFactory, UserFactory
from tests.sales.factories import ContractFactory, DealFactory, DealLineFactory, stage_named
from tests.web.test_i18n import japanese_left

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def japanese():
    """Messages are asserted in Japanese, whatever language an earlier test's request left active."""
    with translation.override("ja"):
        yield


def _rows(html):
    return [int(pk) for pk in re.findall(r'data-contract-id="(\d+)"', html)]


def test_list_filters_contracts_ending_this_and_next_quarter(client, rep_a):
    # given
    today = timezone.localdate()
    this_start, this_end = quarter_range(today, "this_quarter")
    next_start, next_end = quarter_range(today, "next_quarter")
    this_q = ContractFactory(owner=rep_a, starts_on=this_start - dt.timedelta(days=400), ends_on=this_end)
    next_q = ContractFactory(owner=rep_a, starts_on=this_start - dt.timedelta(days=400), ends_on=next_start)
    ContractFactory(
        owner=rep_a, starts_on=this_start - dt.timedelta(days=400), ends_on=next_end + dt.timedelta(1)
    )
    client.force_login(rep_a)
    # when
    this_html = client.get(reverse("sales:contract_list"), {"expiring": "this_quarter"}).content.decode()
    next_html = client.get(reverse("sales:contract_list"), {"expiring": "next_quarter"}).content.decode()
    # then
    assert _rows(this_html) == [this_q.pk]
    assert _rows(next_html) == [next_q.pk]


@pytest.mark.parametrize(("start", "which", "expected"), [
    (dt.date(2026, 2, 10), "this_quarter", (dt.date(2026, 1, 1), dt.date(2026, 3, 31))),
    (dt.date(2026, 2, 10), "next_quarter", (dt.date(2026, 4, 1), dt.date(2026, 6, 30))),
    (dt.date(2026, 11, 30), "next_quarter", (dt.date(2027, 1, 1), dt.date(2027, 3, 31))),
    (dt.date(2026, 12, 31), "this_quarter", (dt.date(2026, 10, 1), dt.date(2026, 12, 31))),
])  # fmt: skip
def test_calendar_quarters(start, which, expected):
    assert quarter_range(start, which) == expected


def test_list_shows_only_visible_contracts_filtered_by_status(client, rep_a, rep_b):
    # given
    mine = ContractFactory(owner=rep_a)
    ContractFactory(owner=rep_a, status=ContractStatus.CANCELLED)
    ContractFactory(owner=rep_b)
    client.force_login(rep_a)
    # when
    html = client.get(reverse("sales:contract_list"), {"status": "active"}).content.decode()
    # then
    assert _rows(html) == [mine.pk]


@pytest.mark.parametrize("rows", [5, 30])
def test_list_query_count_does_not_grow_with_rows(client, settings, admin, rows, django_assert_num_queries):
    # given
    settings.DAIFUKU_PAGE_SIZE = 4
    owners = [UserFactory(role="sales_rep", team=TeamFactory()) for _ in range(3)]
    for n in range(rows):
        ContractFactory(owner=owners[n % 3])
    client.force_login(admin)
    client.get(reverse("sales:contract_list"))  # warm the session
    # when
    with django_assert_num_queries(8):
        response = client.get(reverse("sales:contract_list"), {"billing_type": "lump_sum"})
    # then
    assert len(_rows(response.content.decode())) == 4


def test_detail_shows_lines_and_the_renewal_action(client, rep_a):
    # given
    contract = ContractFactory(owner=rep_a, title="会計クラウド")
    ContractLine.objects.create(
        contract=contract, description="利用料", quantity=12, unit_price=Decimal("30000")
    )
    client.force_login(rep_a)
    # when
    html = client.get(reverse("sales:contract_detail", args=[contract.pk])).content.decode()
    # then
    assert "会計クラウド" in html
    assert "利用料" in html and "360,000" in html
    assert "data-renewal-action" in html


def test_detail_of_an_invisible_contract_is_404(client, rep_b):
    # given
    contract = ContractFactory(owner=UserFactory(role="sales_rep", team=TeamFactory()))
    client.force_login(rep_b)
    # when
    response = client.get(reverse("sales:contract_detail", args=[contract.pk]))
    # then
    assert response.status_code == 404


def test_create_with_lines(client, rep_a, company_of_rep_a):
    # given
    client.force_login(rep_a)
    data = {
        "title": "保守契約", "company": company_of_rep_a.pk, "owner": rep_a.pk, "status": "active",
        "currency": "JPY", "billing_type": "monthly", "starts_on": "2026-04-01", "ends_on": "2027-03-31",
        "renewal_type": "manual", "notice_days": "30", "amount": "",
        "lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "0",
        "lines-0-description": "保守", "lines-0-quantity": "12", "lines-0-unit_price": "10000",
        "lines-1-description": "",
    }  # fmt: skip
    # when
    response = client.post(reverse("sales:contract_create"), data)
    # then
    contract = Contract.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:contract_detail", args=[contract.pk])
    assert (contract.amount, contract.billing_type, contract.lines.count()) == (
        Decimal("120000"),
        "monthly",
        1,
    )


def test_create_with_end_before_start_shows_the_field_error_and_keeps_the_input(
    client, rep_a, company_of_rep_a
):
    # given
    client.force_login(rep_a)
    data = {
        "title": "保守契約", "company": company_of_rep_a.pk, "owner": rep_a.pk, "status": "active",
        "currency": "JPY", "billing_type": "lump_sum", "starts_on": "2026-04-01", "ends_on": "2026-03-01",
        "renewal_type": "manual", "notice_days": "30", "lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0",
    }  # fmt: skip
    # when
    response = client.post(reverse("sales:contract_create"), data)
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "契約満了日は契約開始日以降の日付にしてください。" in html
    assert 'value="保守契約"' in html
    assert Contract.objects.count() == 0


def test_from_won_deal_page_and_post(client, rep_a, company_of_rep_a):
    # given
    deal = DealFactory(owner=rep_a, company=company_of_rep_a, name="基幹保守", stage=stage_named("受注"))
    DealLineFactory(deal=deal, description="保守", quantity=1, unit_price=Decimal("1000000"))
    client.force_login(rep_a)
    url = reverse("sales:contract_create") + f"?deal={deal.pk}"
    # when
    page = client.get(url).content.decode()
    response = client.post(
        url,
        {"deal": deal.pk, "title": "基幹保守", "status": "active", "billing_type": "lump_sum",
         "starts_on": "2026-04-01", "ends_on": "2027-03-31", "renewal_type": "auto", "notice_days": "60"},
    )  # fmt: skip
    # then
    assert 'value="基幹保守"' in page and "data-not-won" not in page
    contract = Contract.objects.get()
    assert response.status_code == 302
    assert (contract.deal, contract.renewal_type, contract.amount) == (deal, "auto", Decimal("1000000"))
    assert client.get(url).status_code == 302  # a second visit leads to the existing contract


def test_edit_changes_the_end_date(client, rep_a):
    # given
    contract = ContractFactory(owner=rep_a, starts_on=dt.date(2026, 4, 1), ends_on=dt.date(2027, 3, 31))
    client.force_login(rep_a)
    page = client.get(reverse("sales:contract_edit", args=[contract.pk])).content.decode()
    # when
    response = client.post(
        reverse("sales:contract_edit", args=[contract.pk]),
        {"title": contract.title, "company": contract.company_id, "owner": rep_a.pk, "status": "active",
         "currency": "JPY", "billing_type": "lump_sum", "starts_on": "2026-04-01", "ends_on": "2028-03-31",
         "renewal_type": "manual", "notice_days": "30", "amount": "1200000", "version": "1",
         "lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0"},
    )  # fmt: skip
    # then
    assert 'value="2027-03-31"' in page
    assert response.status_code == 302
    contract.refresh_from_db()
    assert (contract.ends_on, contract.version) == (dt.date(2028, 3, 31), 2)


def test_teammate_cannot_open_the_edit_page(client, rep_a, rep_a2):
    # given
    contract = ContractFactory(owner=rep_a)
    client.force_login(rep_a2)
    # when
    response = client.get(reverse("sales:contract_edit", args=[contract.pk]))
    # then
    assert response.status_code == 403


def test_renewal_action_creates_the_deal_once(client, rep_a, company_of_rep_a):
    # given
    contract = ContractFactory(owner=rep_a, company=company_of_rep_a, title="保守")
    client.force_login(rep_a)
    url = reverse("sales:contract_renewal_deal", args=[contract.pk])
    # when
    client.post(url)
    second = client.post(url, follow=True)
    # then
    contract.refresh_from_db()
    assert contract.renewal_deal.name == "保守（更新）"
    assert "この契約の更新商談「保守（更新）」は既に作成されています。" in second.content.decode()


# English


@pytest.fixture
def english_rep(db):
    return UserFactory(username="sam", last_name="Young", first_name="Sam", role="sales_rep",
                       team=TeamFactory(name="Tokyo Sales"), language="en")  # fmt: skip


def test_contract_pages_in_english(client, english_rep):
    # given
    from tests.factories import CompanyFactory

    company = CompanyFactory(name="Acme Trading", name_kana="", owner=english_rep)
    contract = ContractFactory(owner=english_rep, company=company, title="Cloud support", renewal_type="auto")
    ContractLine.objects.create(
        contract=contract, description="Support", quantity=1, unit_price=Decimal("1000")
    )
    client.force_login(english_rep)
    # when
    list_html = client.get(reverse("sales:contract_list")).content.decode()
    detail_html = client.get(reverse("sales:contract_detail", args=[contract.pk])).content.decode()
    form_html = client.get(reverse("sales:contract_edit", args=[contract.pk])).content.decode()
    # then
    assert "Ending this quarter" in list_html and "Contract amount" in list_html
    assert "Create renewal deal" in detail_html and "Automatic renewal" in detail_html
    assert japanese_left(list_html) == []
    assert japanese_left(detail_html) == []
    assert japanese_left(form_html) == []
