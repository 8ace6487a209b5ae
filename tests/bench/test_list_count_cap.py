"""The list count cap the benchmark introduced: lists stop counting at a cap and say "…件以上"."""

import pytest
from django.urls import reverse

from daifuku.customers import views
from tests.factories import CompanyFactory, ContactFactory


@pytest.fixture
def cap_of_three(monkeypatch):
    monkeypatch.setattr(views, "LIST_COUNT_CAP", 3)


@pytest.mark.usefixtures("cap_of_three")
def test_company_list_over_the_cap_says_or_more_and_pages_stop_at_the_cap(client, admin):
    # given
    for n in range(5):
        CompanyFactory(name=f"上限商事{n}", owner=admin)
    client.force_login(admin)
    # when
    response = client.get(reverse("customers:company_list"))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-total="3" data-capped' in html
    assert "3件以上" in html
    assert response.context["page"].num_pages == 1  # 50 rows a page, 3 counted


@pytest.mark.usefixtures("cap_of_three")
def test_contact_list_under_the_cap_shows_the_exact_count(client, admin):
    # given
    for _ in range(2):
        ContactFactory(owner=admin)
    client.force_login(admin)
    # when
    response = client.get(reverse("customers:contact_list"))
    # then
    html = response.content.decode()
    assert 'data-total="2">' in html
    assert "2件" in html
    assert "件以上" not in html


@pytest.mark.usefixtures("cap_of_three")
def test_capped_count_is_shown_in_english(client, admin):
    # given
    admin.language = "en"
    admin.save(update_fields=["language"])
    for n in range(4):
        CompanyFactory(name=f"上限物産{n}", owner=admin)
    client.force_login(admin)
    # when
    response = client.get(reverse("customers:company_list"), HTTP_ACCEPT_LANGUAGE="en")
    # then
    assert "3+ results" in response.content.decode()


@pytest.mark.usefixtures("cap_of_three")
def test_count_url_over_the_cap_says_or_more_and_the_pager_stops_at_the_cap(client, settings, admin):
    # given: 2 rows a page, 5 companies, a cap of 3 → the list has 2 pages and then "or more"
    settings.DAIFUKU_PAGE_SIZE = 2
    for n in range(5):
        CompanyFactory(name=f"上限工業{n}", owner=admin)
    client.force_login(admin)
    # when
    first = client.get(reverse("customers:company_list")).content.decode()
    count = client.get(reverse("customers:company_count"), HTTP_HX_REQUEST="true").content.decode()
    last = client.get(reverse("customers:company_list"), {"page": 3}).content.decode()
    # then
    assert "data-count-pending" in first
    assert 'data-total="3" data-capped' in count
    assert "3件以上" in count
    assert ">1 / 2+</span>" in count
    assert 'data-total="3" data-capped' in last  # page 3 asked, page 2 (the last under the cap) shown
    assert ">2 / 2+</span>" in last
