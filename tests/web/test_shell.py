"""The web shell: layout, home, global search, security headers, query counts."""

import re

import pytest
from django.urls import reverse

from daifuku.core import services
from daifuku.sales.services import deals as deal_services
from tests.factories import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db


def test_anonymous_home_redirects_to_login(client):
    # given / when
    response = client.get(reverse("web:home"))
    # then
    assert response.status_code == 302
    assert response.url == f"{reverse('core:login')}?next=/"


def test_base_layout_for_a_signed_in_user_shows_nav_and_unread_count(client, rep_a):
    # given
    services.notify(recipient=rep_a, kind="test", title="一件目")
    services.notify(recipient=rep_a, kind="test", title="二件目")
    read = services.notify(recipient=rep_a, kind="test", title="既読")
    services.notifications_mark_read(user=rep_a, ids=[read.pk])
    client.force_login(rep_a)
    # when
    response = client.get(reverse("web:home"))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["unread_notifications"] == 2
    assert '<meta charset="utf-8">' in html
    assert 'name="viewport"' in html
    assert '<span class="badge rounded-pill bg-danger notification-badge" data-unread-count>2</span>' in html
    assert f'href="{reverse("customers:company_list")}"' in html
    assert f'href="{reverse("customers:contact_list")}"' in html
    assert f'action="{reverse("web:search")}"' in html
    assert f'action="{reverse("core:logout")}"' in html
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert reverse("core:settings_roles") not in html
    assert reverse("customers:trash") not in html


def test_administrator_sees_settings_and_trash_links(client, admin):
    # given
    client.force_login(admin)
    # when
    html = client.get(reverse("web:home")).content.decode()
    # then
    for name in ("core:settings_profile", "core:settings_roles", "core:settings_users", "customers:trash"):
        assert f'href="{reverse(name)}"' in html


def test_pages_have_no_inline_scripts_and_only_local_assets(client, rep_a):
    # given
    client.force_login(rep_a)
    # when
    html = client.get(reverse("web:home")).content.decode()
    # then
    scripts = re.findall(r"<script([^>]*)>", html)
    assert len(scripts) == 3
    assert all('src="/static/' in attrs for attrs in scripts)
    # No asset from another host (the page's random CSRF token may happen to contain "cdn").
    assert re.findall(r'(?:src|href)="(?:https?:)?//[^"]*"', html) == []
    assert " on" + "click=" not in html


def test_home_counts_only_visible_records(client, rep_b, company_of_rep_a, contact_of_rep_a):
    # given
    CompanyFactory(owner=rep_b)
    client.force_login(rep_b)
    # when
    response = client.get(reverse("web:home"))
    # then
    assert response.context["company_count"] == 1
    assert response.context["contact_count"] == 0


def test_home_lists_latest_five_unread_notifications(client, rep_a):
    # given
    for n in range(7):
        services.notify(recipient=rep_a, kind="test", title=f"通知{n}")
    client.force_login(rep_a)
    # when
    response = client.get(reverse("web:home"))
    # then
    assert [n.title for n in response.context["notifications"]] == [
        "通知6",
        "通知5",
        "通知4",
        "通知3",
        "通知2",
    ]


def test_global_search_respects_visibility(client, rep_b, company_of_rep_a, company_of_team_b):
    # given
    client.force_login(rep_b)
    # when
    hidden = client.get(reverse("web:search"), {"q": "山田"})
    shown = client.get(reverse("web:search"), {"q": "物産"})
    # then
    assert hidden.status_code == 200
    assert hidden.context["results"].companies == []
    assert "山田商事" not in hidden.content.decode()
    assert shown.context["results"].companies == [company_of_team_b]
    assert company_of_team_b.get_absolute_url() in shown.content.decode()


def test_global_search_finds_contacts_with_links(client, rep_a, contact_of_rep_a):
    # given
    client.force_login(rep_a)
    # when
    response = client.get(reverse("web:search"), {"q": "田中"})
    # then
    assert response.context["results"].contacts == [contact_of_rep_a]
    assert contact_of_rep_a.get_absolute_url() in response.content.decode()


def test_search_suggest_is_a_partial_folding_half_width_kana(client, rep_a):
    # given
    company = CompanyFactory(name="山田商事", name_kana="ヤマダショウジ", owner=rep_a)
    client.force_login(rep_a)
    # when
    response = client.get(reverse("web:search_suggest"), {"q": "ﾔﾏﾀﾞ"}, HTTP_HX_REQUEST="true")
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert f'href="{company.get_absolute_url()}"' in html


def test_security_headers_are_set(client, rep_a):
    # given
    client.force_login(rep_a)
    # when
    response = client.get(reverse("web:home"))
    # then
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_login_page_has_security_headers_too(client):
    # given / when
    response = client.get(reverse("core:login"))
    # then
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_vendored_assets_are_served(client):
    # given / when
    responses = [
        client.get(f"/static/{path}")
        for path in (
            "vendor/bootstrap/bootstrap.min.css",
            "vendor/bootstrap/bootstrap.bundle.min.js",
            "vendor/htmx/htmx.min.js",
            "web/app.js",
            "web/app.css",
        )
    ]
    # then
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 200]


# Query counts: the page cost must not grow with the data.


def test_home_query_count(client, rep_a, django_assert_max_num_queries):
    # given
    for _ in range(5):
        ContactFactory(owner=rep_a, company=CompanyFactory(owner=rep_a))
        services.notify(recipient=rep_a, kind="test", title="通知")
    client.force_login(rep_a)
    # when / then
    # session, user, role (nav), unread count, scopes, 2 counts, notifications
    with django_assert_max_num_queries(8):
        response = client.get(reverse("web:home"))
    assert response.status_code == 200


def test_search_query_count(client, rep_a, django_assert_max_num_queries):
    # given
    for n in range(8):
        company = CompanyFactory(name=f"山田商事{n}", owner=rep_a)
        ContactFactory(family_name="山田", given_name=f"太郎{n}", company=company, owner=rep_a)
        deal_services.deal_create(by=rep_a, data={"name": f"山田様案件{n}", "company": company.pk})
    client.force_login(rep_a)
    # when / then
    # session, user, role (nav), unread count, scopes, companies, contacts, then the module sections:
    # deals (ids from the index + rows), leads, products
    with django_assert_max_num_queries(11):
        response = client.get(reverse("web:search"), {"q": "山田"})
    assert len(response.context["results"].companies) == 8
    assert len(response.context["results"].contacts) == 8
    assert [len(section.hits) for section in response.context["sections"]] == [8, 0, 0]


def test_a_page_of_several_templates_reads_the_navigation_once(client, rep_a):
    # given: the deal page renders its panels as templates of their own, each with the request
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.sales.factories import DealFactory

    services.notify(recipient=rep_a, kind="test", title="一件目")
    deal = DealFactory(owner=rep_a)
    client.force_login(rep_a)
    # when
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("sales:deal_detail", args=[deal.pk]))
    # then
    assert response.status_code == 200
    counts = [q for q in captured.captured_queries if 'FROM "core_notification"' in q["sql"]]
    assert len(counts) == 1
    assert '<span class="badge rounded-pill bg-danger notification-badge" data-unread-count>1</span>' in (
        response.content.decode()
    )
