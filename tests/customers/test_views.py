"""The 取引先 and 担当者 pages through the Django test client."""

import re

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from daifuku.core.models import AuditEntry, Notification
from daifuku.customers import services
from daifuku.customers.forms import CompanyFilterForm, PlainSelect, company_initial, contact_initial
from daifuku.customers.models import Company, CompanyHandover, Contact, ContactAffiliation, Tag
from tests.factories import CompanyFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db


def _rows(html, attr):
    """Ids of the table rows marked ``data-<attr>-id`` in page order."""
    return [int(pk) for pk in re.findall(rf'<tr data-{attr}-id="(\d+)"', html)]


def _field_block(html, name):
    """The rendered block of one form field (label, input, errors) from web/_field.html."""
    start = html.index(f'data-field="{name}"')
    end = html.find('data-field="', start + 1)
    return html[start : end if end != -1 else len(html)]


def _post_data(initial, **overrides):
    data = {}
    for name, value in {**initial, **overrides}.items():
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    return data


# Company list


@pytest.fixture
def kana_companies(rep_a):
    return {
        "i": CompanyFactory(
            name="伊藤製作所", name_kana="イトウセイサクショ", owner=rep_a, prefecture="愛知県"
        ),
        "a": CompanyFactory(name="青木商事", name_kana="アオキショウジ", owner=rep_a, prefecture="東京都"),
        "u": CompanyFactory(name="上田物産", name_kana="ウエダブッサン", owner=rep_a, status="prospect"),
    }


def test_company_list_sorts_by_furigana_and_descending(client, rep_a, kana_companies):
    # given
    client.force_login(rep_a)
    # when
    ascending = client.get(reverse("customers:company_list"))
    descending = client.get(reverse("customers:company_list"), {"sort": "-kana"})
    # then
    c = kana_companies
    assert ascending.status_code == 200
    assert _rows(ascending.content.decode(), "company") == [c["a"].pk, c["i"].pk, c["u"].pk]
    assert _rows(descending.content.decode(), "company") == [c["u"].pk, c["i"].pk, c["a"].pk]


def test_company_list_search_folds_half_width_kana_and_hiragana(client, rep_a, kana_companies):
    # given
    client.force_login(rep_a)
    # when
    half_width = client.get(reverse("customers:company_list"), {"q": "ｱｵｷ"})
    hiragana = client.get(reverse("customers:company_list"), {"q": "うえだ"})
    substring = client.get(reverse("customers:company_list"), {"q": "製作"})
    # then
    assert _rows(half_width.content.decode(), "company") == [kana_companies["a"].pk]
    assert _rows(hiragana.content.decode(), "company") == [kana_companies["u"].pk]
    assert _rows(substring.content.decode(), "company") == [kana_companies["i"].pk]


def test_company_list_search_finds_phone_with_or_without_hyphens(client, rep_a):
    # given
    company = CompanyFactory(name="電話商会", owner=rep_a, phone="+81312345678")
    CompanyFactory(name="別商会", owner=rep_a, phone="+81698765432")
    client.force_login(rep_a)
    # when
    plain = client.get(reverse("customers:company_list"), {"q": "0312345678"})
    hyphens = client.get(reverse("customers:company_list"), {"q": "03-1234-5678"})
    # then
    assert _rows(plain.content.decode(), "company") == [company.pk]
    assert _rows(hyphens.content.decode(), "company") == [company.pk]


def test_company_list_filters_status_prefecture_owner_team_and_tag(
    client, rep_a, rep_a2, team_a, kana_companies
):
    # given
    other = CompanyFactory(name="江藤商店", name_kana="エトウショウテン", owner=rep_a2, prefecture="東京都")
    tag = Tag.objects.create(name="重点")
    kana_companies["i"].tags.add(tag)
    client.force_login(rep_a)
    url = reverse("customers:company_list")
    c = kana_companies
    # when
    by_status = client.get(url, {"status": "prospect"}).content.decode()
    by_prefecture = client.get(url, {"prefecture": "東京都"}).content.decode()
    by_owner = client.get(url, {"owner": rep_a2.pk}).content.decode()
    by_team = client.get(url, {"team": team_a.pk}).content.decode()
    by_tag = client.get(url, {"tag": "重点"}).content.decode()
    # then
    assert _rows(by_status, "company") == [c["u"].pk]
    assert _rows(by_prefecture, "company") == [c["a"].pk, other.pk]
    assert _rows(by_owner, "company") == [other.pk]
    assert _rows(by_team, "company") == [c["a"].pk, c["i"].pk, c["u"].pk, other.pk]
    assert _rows(by_tag, "company") == [c["i"].pk]


def test_company_list_hides_other_teams_companies(client, rep_a, company_of_rep_a, company_of_team_b):
    # given
    client.force_login(rep_a)
    # when
    response = client.get(reverse("customers:company_list"))
    # then
    assert _rows(response.content.decode(), "company") == [company_of_rep_a.pk]
    assert 'data-total="1"' in response.content.decode()


def test_company_list_paginates_on_the_server(client, settings, rep_a, kana_companies):
    # given
    settings.DAIFUKU_PAGE_SIZE = 2
    client.force_login(rep_a)
    # when
    first = client.get(reverse("customers:company_list"))
    second = client.get(reverse("customers:company_list"), {"page": 2})
    # then
    c = kana_companies
    assert _rows(first.content.decode(), "company") == [c["a"].pk, c["i"].pk]
    assert _rows(second.content.decode(), "company") == [c["u"].pk]
    assert "2 / 2" in second.content.decode()
    assert 'data-total="3"' in second.content.decode()


def test_company_list_htmx_request_gets_only_the_table(client, rep_a, kana_companies):
    # given
    client.force_login(rep_a)
    # when
    response = client.get(
        reverse("customers:company_list"), {"q": "", "status": "", "sort": "-kana"}, HTTP_HX_REQUEST="true"
    )
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="id_sort" value="-kana" hx-swap-oob="true"' in html
    assert _rows(html, "company") == [kana_companies["u"].pk, kana_companies["i"].pk, kana_companies["a"].pk]
    assert "HX-Request" in response["Vary"]
    assert response["HX-Push-Url"] == reverse("customers:company_list") + "?sort=-kana"


@pytest.mark.parametrize("rows", [5, 30])
def test_company_list_query_count_does_not_grow_with_rows(
    client, settings, admin, rows, django_assert_max_num_queries
):
    # given: more rows than a page, so the page leaves the count to the count URL
    settings.DAIFUKU_PAGE_SIZE = 4
    owners = [UserFactory(role="sales_rep") for _ in range(3)]
    tag = Tag.objects.create(name="展示会")
    for n in range(rows):
        company = CompanyFactory(owner=owners[n % 3], prefecture="東京都")
        company.tags.add(tag)
    client.force_login(admin)
    client.get(reverse("customers:company_list"))  # warm the session
    # when
    with django_assert_max_num_queries(11) as captured:
        response = client.get(reverse("customers:company_list"), {"prefecture": "東京都", "sort": "-updated"})
    # then
    html = response.content.decode()
    assert len(_rows(html, "company")) == 4
    assert "data-count-pending" in html
    assert not any(
        "COUNT(" in q["sql"] and "customers_company" in q["sql"] for q in captured.captured_queries
    )
    assert len(captured) == 10  # the page: its ids, then its rows


@pytest.mark.parametrize("rows", [5, 30])
def test_company_count_query_count_does_not_grow_with_rows(
    client, admin, rows, django_assert_max_num_queries
):
    # given
    owners = [UserFactory(role="sales_rep") for _ in range(3)]
    for n in range(rows):
        CompanyFactory(owner=owners[n % 3], prefecture="東京都")
    CompanyFactory(owner=owners[0], prefecture="大阪府")
    client.force_login(admin)
    client.get(reverse("customers:company_list"))  # warm the session
    # when
    with django_assert_max_num_queries(4) as captured:
        response = client.get(
            reverse("customers:company_count"), {"prefecture": "東京都"}, HTTP_HX_REQUEST="true"
        )
    # then
    assert f'data-total="{rows}">' in response.content.decode()
    assert len(captured) == 4


def test_company_list_shows_rows_first_and_loads_the_count_after(client, settings, rep_a, kana_companies):
    # given: 2 rows a page, 3 companies of rep_a and one of another team (not counted)
    settings.DAIFUKU_PAGE_SIZE = 2
    CompanyFactory(name="他部署商事", owner=UserFactory(role="sales_rep"))
    client.force_login(rep_a)
    count_url = reverse("customers:company_count")
    # when
    page = client.get(reverse("customers:company_list"), {"sort": "kana"}).content.decode()
    count = client.get(count_url, {"sort": "kana"}, HTTP_HX_REQUEST="true")
    plain = client.get(count_url, {"sort": "kana"})
    # then: the page has its rows and asks for the count on load (with a link when scripts are off)
    assert _rows(page, "company") == [kana_companies["a"].pk, kana_companies["i"].pk]
    assert "data-total" not in page
    assert f'hx-get="{count_url}?sort=kana" hx-trigger="load" hx-swap="outerHTML"' in page
    assert f'<noscript> <a href="{count_url}?sort=kana">件数を表示</a></noscript>' in page
    assert '<span class="page-link" id="company-pages">1</span>' in page
    # and the count fills the "N件" line, the page total and the "»" link
    html = count.content.decode()
    assert "<html" not in html
    assert 'data-total="3">3件</p>' in html
    assert '<span class="page-link" id="company-pages" hx-swap-oob="true">1 / 2</span>' in html
    assert 'id="company-last" hx-swap-oob="true"><a class="page-link" href="?sort=kana&amp;page=2"' in html
    # and without htmx the count URL is a page of its own with a way back to the list
    assert "<html" in plain.content.decode()
    assert 'data-total="3">3件</p>' in plain.content.decode()
    assert f'href="{reverse("customers:company_list")}?sort=kana"' in plain.content.decode()


def test_company_list_page_past_the_end_shows_the_last_page(client, settings, rep_a, kana_companies):
    # given
    settings.DAIFUKU_PAGE_SIZE = 2
    client.force_login(rep_a)
    # when
    response = client.get(reverse("customers:company_list"), {"page": 9})
    bad = client.get(reverse("customers:company_list"), {"page": "x"})
    # then
    assert _rows(response.content.decode(), "company") == [kana_companies["u"].pk]
    assert "2 / 2" in response.content.decode()
    assert _rows(bad.content.decode(), "company") == [kana_companies["a"].pk, kana_companies["i"].pk]


def test_filter_selects_render_exactly_like_djangos_select(rep_a, rep_a2, team_a):
    # given: a tag whose name needs escaping, and a selected owner and tag
    Tag.objects.create(name="<重点&>")
    data = {"owner": str(rep_a2.pk), "team": str(team_a.pk), "tag": "<重点&>", "status": "prospect"}
    # when
    plain = CompanyFilterForm(data)
    django_form = CompanyFilterForm(data)
    for field in django_form.fields.values():
        if isinstance(field.widget, PlainSelect):
            field.widget.__class__ = forms.Select
    # then
    names = [name for name, field in plain.fields.items() if isinstance(field.widget, PlainSelect)]
    assert names == ["owner", "team", "status", "rank", "industry", "prefecture", "tag", "sort"]
    for name in names:
        assert str(plain[name]) == str(django_form[name]), name
    assert 'value="&lt;重点&amp;&gt;" selected>&lt;重点&amp;&gt;</option>' in str(plain["tag"])


@pytest.mark.parametrize("value", ["", "b", ["a", "c"]])
def test_plain_select_with_option_groups_renders_like_djangos_select(value):
    # given grouped and ungrouped choices, one group without a name, labels that need escaping
    choices = [
        ("", "—"),
        ("東日本", [("a", "青森<&>"), ("b", "秋田")]),
        ("", [("c", "名前なし")]),
        ("d", "その他"),
    ]
    for multiple in (False, True):
        plain_cls, django_cls = (PlainSelect, forms.Select)
        if multiple:
            plain_cls = type("PlainMultiple", (PlainSelect,), {"allow_multiple_selected": True})
            django_cls = forms.SelectMultiple
        plain, django_widget = plain_cls(choices=choices), django_cls(choices=choices)
        # then
        assert plain.render("area", value, {"id": "id_area"}) == django_widget.render(
            "area", value, {"id": "id_area"}
        )


def test_owner_options_come_from_one_query_with_the_labels_of_the_user_objects(rep_a, rep_a2, team_a):
    # given users with and without a team and a name, one of them selected
    UserFactory(username="no_team_no_name", team=None, last_name="", first_name="")
    UserFactory(username="yamada", team=team_a, last_name="山田", first_name="")
    field = CompanyFilterForm({"owner": str(rep_a2.pk)}).fields["owner"]
    by_instances = [(str(u.pk), field.label_from_instance(u)) for u in field.queryset.select_related("team")]
    # when
    options = [(str(value), label) for value, label in field.choices]
    with CaptureQueriesContext(connection) as queries:
        html = str(CompanyFilterForm({"owner": str(rep_a2.pk)})["owner"])
    # then: the same options in the same order; rendering reads the users in one query (the other
    # query is the bound form's validation of the chosen owner)
    assert options == [("", "—"), *by_instances]
    assert len([q for q in queries if '"team__name"' in q["sql"]]) == 1
    assert len(queries) == 2
    assert f'<option value="{rep_a2.pk}" selected>' in html
    assert "山田（" in html and "no_team_no_name</option>" in html


# Contact list


def test_contact_list_searches_filters_and_sorts(client, rep_a, company_of_rep_a):
    # given
    suzuki = ContactFactory(
        family_name="鈴木",
        given_name="花子",
        family_name_kana="スズキ",
        given_name_kana="ハナコ",
        company=company_of_rep_a,
        owner=rep_a,
        mail_consent="opted_in",
        mobile_phone="+819012345678",
    )
    abe = ContactFactory(
        family_name="阿部",
        given_name="一郎",
        family_name_kana="アベ",
        given_name_kana="イチロウ",
        company=None,
        owner=rep_a,
    )
    client.force_login(rep_a)
    url = reverse("customers:contact_list")
    # when
    all_rows = client.get(url).content.decode()
    by_kana = client.get(url, {"q": "ｽｽﾞｷ"}).content.decode()
    by_phone = client.get(url, {"q": "090-1234-5678"}).content.decode()
    by_company = client.get(url, {"company": company_of_rep_a.pk}).content.decode()
    by_consent = client.get(url, {"mail_consent": "opted_in"}).content.decode()
    descending = client.get(url, {"sort": "-kana"}).content.decode()
    # then
    assert _rows(all_rows, "contact") == [abe.pk, suzuki.pk]
    assert _rows(by_kana, "contact") == [suzuki.pk]
    assert _rows(by_phone, "contact") == [suzuki.pk]
    assert _rows(by_company, "contact") == [suzuki.pk]
    assert company_of_rep_a.display_name in by_company
    assert _rows(by_consent, "contact") == [suzuki.pk]
    assert _rows(descending, "contact") == [suzuki.pk, abe.pk]


@pytest.mark.parametrize("rows", [5, 30])
def test_contact_list_query_count_does_not_grow_with_rows(
    client, settings, admin, rows, django_assert_max_num_queries
):
    # given: more rows than a page, so the page leaves the count to the count URL
    settings.DAIFUKU_PAGE_SIZE = 4
    for _ in range(rows):
        ContactFactory()
    client.force_login(admin)
    client.get(reverse("customers:contact_list"))
    # when
    with django_assert_max_num_queries(10) as captured:
        response = client.get(reverse("customers:contact_list"))
    # then
    html = response.content.decode()
    assert len(_rows(html, "contact")) == 4
    assert "data-count-pending" in html
    assert not any(
        "COUNT(" in q["sql"] and "customers_contact" in q["sql"] for q in captured.captured_queries
    )
    assert len(captured) == 9  # the page: its ids, then its rows


@pytest.mark.parametrize("rows", [5, 30])
def test_contact_count_query_count_does_not_grow_with_rows(
    client, admin, rows, django_assert_max_num_queries
):
    # given
    for _ in range(rows):
        ContactFactory(mail_consent="opted_in")
    ContactFactory()
    client.force_login(admin)
    client.get(reverse("customers:contact_list"))
    # when
    with django_assert_max_num_queries(4) as captured:
        response = client.get(
            reverse("customers:contact_count"), {"mail_consent": "opted_in"}, HTTP_HX_REQUEST="true"
        )
    # then
    assert f'data-total="{rows}">' in response.content.decode()
    assert len(captured) == 4


# Company detail


def test_company_detail_shows_fields_contacts_and_history(client, rep_a, rep_b):
    # given
    company = services.company_create(
        by=rep_a,
        data={
            "name": "株式会社大福商事",
            "name_kana": "だいふくしょうじ",
            "phone": "03-1234-5678",
            "postal_code": "1000001",
            "corporate_number": "7123456789012",
            "sns": {"X": "@daifuku"},
            "capital": "10000000",
            "fiscal_month": "3",
            "tags": "重点, 展示会",
        },
    )
    contact = ContactFactory(family_name="田中", given_name="一郎", company=company, owner=rep_a)
    hidden = ContactFactory(family_name="秘密", company=company, owner=rep_b)
    services.company_update(company=company, by=rep_a, data={"phone": "06-1111-2222"}, seen_version=1)
    client.force_login(rep_a)
    # when
    response = client.get(reverse("customers:company_detail", args=[company.pk]))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "株式会社大福商事" in html
    assert "ダイフクショウジ" in html
    assert "〒100-0001 東京都千代田区千代田" in html
    assert "06-1111-2222" in html
    assert "7123456789012" in html
    assert "X: @daifuku" in html
    assert "10,000,000円" in html
    assert "3月" in html
    assert _rows(html, "contact") == [contact.pk]
    assert hidden.family_name not in html
    assert f"{reverse('customers:contact_create')}?company={company.pk}" in html
    assert re.findall(r'data-audit-action="(\w+)"', html) == ["update", "create"]
    assert "電話番号</span>: 03-1234-5678 → 06-1111-2222" in html
    assert reverse("customers:company_edit", args=[company.pk]) in html


def test_company_detail_hides_edit_actions_from_a_reader(client, rep_a2, company_of_rep_a):
    # given
    client.force_login(rep_a2)
    # when
    response = client.get(reverse("customers:company_detail", args=[company_of_rep_a.pk]))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert reverse("customers:company_edit", args=[company_of_rep_a.pk]) not in html
    assert reverse("customers:company_delete", args=[company_of_rep_a.pk]) not in html
    assert reverse("customers:company_handover", args=[company_of_rep_a.pk]) not in html


@pytest.mark.parametrize("rows", [5, 30])
def test_company_detail_query_count_does_not_grow(
    client, admin, rep_a, rep_a2, rows, django_assert_max_num_queries
):
    # given
    company = services.company_create(by=admin, data={"name": "明細商事", "owner": rep_a.pk})
    for n in range(rows):
        ContactFactory(company=company, owner=rep_a)
        services.company_update(company=company, by=admin, data={"notes": f"メモ{n}"})
    services.company_change_owner(company=company, new_owner=rep_a2, by=admin, reason="異動")
    client.force_login(admin)
    client.get(reverse("customers:company_detail", args=[company.pk]))
    # when
    with django_assert_max_num_queries(13) as captured:
        response = client.get(reverse("customers:company_detail", args=[company.pk]))
    # then
    html = response.content.decode()
    assert len(_rows(html, "contact")) == rows
    assert len(re.findall(r"data-audit-action=", html)) == rows + 2
    assert len(captured) == 12


# Company create


def test_company_create_shows_field_errors_and_saves_nothing(client, rep_a):
    # given
    client.force_login(rep_a)
    companies, entries = Company.objects.count(), AuditEntry.objects.count()
    # when
    response = client.post(
        reverse("customers:company_create"),
        {
            "name": "誤り商事",
            "corporate_number": "1234567890123",
            "postal_code": "12-34",
            "phone": "03-12",
            "status": "prospect",
            "legal_form_position": "none",
        },
    )
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "法人番号は検査用数字を含む13桁です" in _field_block(html, "corporate_number")
    assert "郵便番号は7桁の数字です" in _field_block(html, "postal_code")
    assert "電話番号として読み取れません" in _field_block(html, "phone")
    assert 'value="誤り商事"' in html
    assert Company.objects.count() == companies
    assert AuditEntry.objects.count() == entries


def test_company_create_requires_a_name_in_japanese(client, rep_a):
    # given
    client.force_login(rep_a)
    # when
    response = client.post(
        reverse("customers:company_create"), {"status": "prospect", "legal_form_position": "none"}
    )
    # then
    assert "会社名を入力してください。" in _field_block(response.content.decode(), "name")
    assert Company.objects.count() == 0


def test_company_create_with_japanese_name_normalizes_and_redirects(client, rep_a):
    # given
    client.force_login(rep_a)
    # when
    response = client.post(
        reverse("customers:company_create"),
        {
            "name": "㈱髙島屋商店",
            "name_kana": "ﾀｶｼﾏﾔｼｮｳﾃﾝ",
            "phone": "０３－１２３４－５６７８",
            "postal_code": "100-0001",
            "corporate_number": "7123456789012",
            "sns": "X: @takashimaya\nInstagram： taka",
            "tags": "重点、新規",
            "status": "customer",
            "legal_form_position": "none",
            "employees": "１,２００",
        },
    )
    # then
    company = Company.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("customers:company_detail", args=[company.pk])
    assert company.display_name == "株式会社髙島屋商店"
    assert company.name_kana == "タカシマヤショウテン"
    assert company.phone == "+81312345678"
    assert (company.postal_code, company.prefecture, company.city) == ("1000001", "東京都", "千代田区")
    assert company.sns == {"X": "@takashimaya", "Instagram": "taka"}
    assert sorted(company.tags.values_list("name", flat=True)) == ["新規", "重点"]
    assert company.employees == 1200
    assert (company.owner, company.team) == (rep_a, rep_a.team)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "取引先「株式会社髙島屋商店」を登録しました。"
    ]


def test_company_create_bad_sns_line_is_a_field_error(client, rep_a):
    # given
    client.force_login(rep_a)
    # when
    response = client.post(
        reverse("customers:company_create"),
        {"name": "SNS商事", "sns": "X: @ok\nただの文字", "status": "prospect", "legal_form_position": "none"},
    )
    # then
    assert "2行目" in _field_block(response.content.decode(), "sns")
    assert Company.objects.count() == 0


def test_rep_cannot_create_a_company_for_another_reps_name(client, rep_a, rep_a2):
    # given
    client.force_login(rep_a)
    # when
    response = client.post(
        reverse("customers:company_create"),
        {"name": "他人商事", "owner": rep_a2.pk, "status": "prospect", "legal_form_position": "none"},
    )
    # then
    assert "権限の範囲外" in _field_block(response.content.decode(), "owner")
    assert Company.objects.count() == 0


def test_company_duplicates_lists_likely_matches(client, rep_a, company_of_rep_a):
    # given
    client.force_login(rep_a)
    # when
    response = client.get(reverse("customers:company_duplicates"), {"name": "山田商事（株）"})
    # then
    html = response.content.decode()
    assert "data-duplicates-found" in html
    assert reverse("customers:company_detail", args=[company_of_rep_a.pk]) in html


def test_company_duplicates_ignores_companies_out_of_scope(client, rep_a, company_of_team_b):
    # given
    client.force_login(rep_a)
    # when
    response = client.get(reverse("customers:company_duplicates"), {"name": "大阪物産"})
    # then
    assert response.content.decode().strip() == ""


# Company edit


def test_company_edit_saves_changes(client, rep_a, company_of_rep_a):
    # given
    client.force_login(rep_a)
    data = _post_data(company_initial(company_of_rep_a), representative="山田 太郎", fiscal_month="9")
    # when
    response = client.post(reverse("customers:company_edit", args=[company_of_rep_a.pk]), data)
    # then
    company_of_rep_a.refresh_from_db()
    assert response.status_code == 302
    assert (company_of_rep_a.representative, company_of_rep_a.fiscal_month) == ("山田 太郎", 9)
    assert company_of_rep_a.version == 2
    entry = AuditEntry.objects.get(object_id=company_of_rep_a.pk, action="update")
    assert entry.changes == {"fiscal_month": [None, 9], "representative": ["", "山田 太郎"]}
    assert (entry.via, entry.ip_address) == ("web", "127.0.0.1")


def test_company_edit_unchanged_form_changes_nothing(client, rep_a):
    # given
    company = services.company_create(
        by=rep_a,
        data={
            "name": "無変更商事",
            "phone": "03-1234-5678",
            "postal_code": "1000001",
            "sns": {"X": "@a"},
            "capital": "5000000",
            "tags": "重点",
        },
    )
    client.force_login(rep_a)
    # when
    response = client.post(
        reverse("customers:company_edit", args=[company.pk]), _post_data(company_initial(company))
    )
    # then
    company.refresh_from_db()
    assert response.status_code == 302
    assert company.version == 1
    assert AuditEntry.objects.filter(object_id=company.pk, action="update").count() == 0


def test_company_edit_with_stale_version_shows_what_changed_and_keeps_input(
    client, rep_a, admin, company_of_rep_a
):
    # given
    company_of_rep_a.phone = "+81312345678"
    company_of_rep_a.save()
    seen = _post_data(company_initial(company_of_rep_a), representative="入力した代表者")
    services.company_update(
        company=company_of_rep_a,
        by=admin,
        data={"phone": "06-1234-5678"},
        seen_version=company_of_rep_a.version,
    )
    client.force_login(rep_a)
    # when
    response = client.post(reverse("customers:company_edit", args=[company_of_rep_a.pk]), seen)
    # then
    html = response.content.decode()
    company_of_rep_a.refresh_from_db()
    assert response.status_code == 200
    assert "data-version-conflict" in html
    assert "電話番号</span>: 03-1234-5678 → 06-1234-5678" in html
    assert 'value="入力した代表者"' in html
    assert '<input type="hidden" name="version" value="2"' in html
    assert company_of_rep_a.phone == "+81612345678"
    assert company_of_rep_a.representative == ""
    assert company_of_rep_a.version == 2


def test_reader_who_may_not_edit_gets_403_and_nothing_changes(client, rep_a2, company_of_rep_a):
    # given
    client.force_login(rep_a2)
    data = _post_data(company_initial(company_of_rep_a), name="乗っ取り商事")
    # when
    response = client.post(reverse("customers:company_edit", args=[company_of_rep_a.pk]), data)
    # then
    company_of_rep_a.refresh_from_db()
    assert response.status_code == 403
    assert company_of_rep_a.name == "山田商事"
    assert company_of_rep_a.version == 1


# Handover


def test_handover_records_history_and_notifies_new_owner(client, rep_a, rep_a2, company_of_rep_a):
    # given
    client.force_login(rep_a)
    # when
    response = client.post(
        reverse("customers:company_handover", args=[company_of_rep_a.pk]),
        {"owner": rep_a2.pk, "reason": "異動のため"},
    )
    # then
    company_of_rep_a.refresh_from_db()
    assert response.status_code == 302
    assert company_of_rep_a.owner == rep_a2
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"担当者を {rep_a2.display_name} さんに変更しました。"
    ]
    notification = Notification.objects.get(recipient=rep_a2)
    assert notification.kind == "company.owner_changed"
    assert notification.url == reverse("customers:company_detail", args=[company_of_rep_a.pk])
    handover = CompanyHandover.objects.get(company=company_of_rep_a)
    assert (handover.from_owner, handover.to_owner, handover.by, handover.reason) == (
        rep_a,
        rep_a2,
        rep_a,
        "異動のため",
    )
    html = client.get(reverse("customers:company_detail", args=[company_of_rep_a.pk])).content.decode()
    assert 'data-audit-action="handover"' in html
    assert f"担当者（自社）</span>: {rep_a.display_name} → {rep_a2.display_name}" in html
    assert "異動のため" in html


def test_handover_to_the_same_owner_is_a_field_error(client, rep_a, company_of_rep_a):
    # given
    client.force_login(rep_a)
    # when
    response = client.post(
        reverse("customers:company_handover", args=[company_of_rep_a.pk]), {"owner": rep_a.pk, "reason": ""}
    )
    # then
    assert response.status_code == 200
    assert "選択したものは候補にありません" in _field_block(response.content.decode(), "owner")
    assert CompanyHandover.objects.count() == 0


# Scope: another team's rep


def test_rep_of_another_team_gets_404_everywhere_and_nothing_changes(client, rep_b, rep_a2, company_of_rep_a):
    # given
    client.force_login(rep_b)
    pk = company_of_rep_a.pk
    entries = AuditEntry.objects.count()
    edit = _post_data(company_initial(company_of_rep_a), name="乗っ取り")
    # when
    responses = [
        client.get(reverse("customers:company_detail", args=[pk])),
        client.get(reverse("customers:company_edit", args=[pk])),
        client.post(reverse("customers:company_edit", args=[pk]), edit),
        client.get(reverse("customers:company_delete", args=[pk])),
        client.post(reverse("customers:company_delete", args=[pk])),
        client.get(reverse("customers:company_handover", args=[pk])),
        client.post(reverse("customers:company_handover", args=[pk]), {"owner": rep_b.pk}),
    ]
    # then
    company_of_rep_a.refresh_from_db()
    assert [r.status_code for r in responses] == [404] * 7
    assert (company_of_rep_a.name, company_of_rep_a.owner_id, company_of_rep_a.version) == (
        "山田商事",
        company_of_rep_a.owner_id,
        1,
    )
    assert company_of_rep_a.deleted_at is None
    assert AuditEntry.objects.count() == entries
    assert CompanyHandover.objects.count() == 0
    assert Notification.objects.count() == 0


def test_rep_of_another_team_gets_404_on_contacts_and_nothing_changes(client, rep_b, contact_of_rep_a):
    # given
    client.force_login(rep_b)
    pk = contact_of_rep_a.pk
    edit = _post_data(contact_initial(contact_of_rep_a), family_name="乗っ取り")
    # when
    responses = [
        client.get(reverse("customers:contact_detail", args=[pk])),
        client.get(reverse("customers:contact_edit", args=[pk])),
        client.post(reverse("customers:contact_edit", args=[pk]), edit),
        client.post(reverse("customers:contact_delete", args=[pk])),
    ]
    # then
    contact_of_rep_a.refresh_from_db()
    assert [r.status_code for r in responses] == [404] * 4
    assert (contact_of_rep_a.family_name, contact_of_rep_a.version) == ("田中", 1)
    assert contact_of_rep_a.deleted_at is None


# Delete, trash and restore


def test_owner_moves_company_to_trash(client, rep_a, company_of_rep_a, contact_of_rep_a):
    # given
    client.force_login(rep_a)
    # when
    confirm = client.get(reverse("customers:company_delete", args=[company_of_rep_a.pk]))
    response = client.post(reverse("customers:company_delete", args=[company_of_rep_a.pk]))
    # then
    company_of_rep_a.refresh_from_db()
    contact_of_rep_a.refresh_from_db()
    assert confirm.status_code == 200
    assert response.status_code == 302
    assert company_of_rep_a.deleted_by == rep_a
    assert contact_of_rep_a.deleted_at is None
    assert client.get(reverse("customers:company_detail", args=[company_of_rep_a.pk])).status_code == 404


def test_admin_sees_trash_and_restores(client, admin, rep_a, company_of_rep_a, contact_of_rep_a):
    # given
    services.company_delete(company=company_of_rep_a, by=rep_a)
    services.contact_delete(contact=contact_of_rep_a, by=rep_a)
    client.force_login(admin)
    # when
    trash = client.get(reverse("customers:trash"))
    restore_company = client.post(reverse("customers:company_restore", args=[company_of_rep_a.pk]))
    restore_contact = client.post(reverse("customers:contact_restore", args=[contact_of_rep_a.pk]))
    # then
    html = trash.content.decode()
    company_of_rep_a.refresh_from_db()
    contact_of_rep_a.refresh_from_db()
    assert trash.status_code == 200
    assert _rows(html, "company") == [company_of_rep_a.pk]
    assert _rows(html, "contact") == [contact_of_rep_a.pk]
    assert (restore_company.status_code, restore_contact.status_code) == (302, 302)
    assert company_of_rep_a.deleted_at is None
    assert contact_of_rep_a.deleted_at is None
    assert _rows(client.get(reverse("customers:trash")).content.decode(), "company") == []


def test_non_admin_gets_404_on_trash_and_restore_and_nothing_changes(
    client, manager_a, rep_a, company_of_rep_a
):
    # given
    services.company_delete(company=company_of_rep_a, by=rep_a)
    client.force_login(manager_a)
    # when
    trash = client.get(reverse("customers:trash"))
    restore = client.post(reverse("customers:company_restore", args=[company_of_rep_a.pk]))
    # then
    company_of_rep_a.refresh_from_db()
    assert (trash.status_code, restore.status_code) == (404, 404)
    assert company_of_rep_a.deleted_at is not None


# Postal code lookup


def test_postal_lookup_fills_the_address(client, rep_a):
    # given
    client.force_login(rep_a)
    # when
    response = client.get(reverse("customers:postal_lookup"), {"code": "1000001"})
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert '<option value="東京都" selected>東京都</option>' in html
    assert 'name="city" value="千代田区"' in html
    assert 'name="street" value="千代田"' in html


def test_postal_lookup_unknown_code_keeps_input_and_says_so(client, rep_a):
    # given
    client.force_login(rep_a)
    # when
    response = client.get(
        reverse("customers:postal_lookup"), {"postal_code": "000-0000", "city": "入力済み市"}
    )
    # then
    html = response.content.decode()
    assert "この郵便番号は見つかりません" in html
    assert 'name="city" value="入力済み市"' in html


# Contacts: detail, create, edit


def test_contact_detail_shows_fields_affiliations_and_history(client, rep_a, company_of_rep_a):
    # given
    other = CompanyFactory(name="旧勤務先", owner=rep_a)
    contact = services.contact_create(
        by=rep_a,
        data={
            "family_name": "佐藤",
            "given_name": "花子",
            "family_name_kana": "さとう",
            "company": other.pk,
            "mobile_phone": "090-1234-5678",
            "mail_consent": "opted_in",
            "mail_consent_method": "business_card",
            "birthday": "1985-04-01",
            "household_size": "3",
        },
    )
    services.contact_update(contact=contact, by=rep_a, data={"company": company_of_rep_a.pk}, seen_version=1)
    client.force_login(rep_a)
    # when
    response = client.get(reverse("customers:contact_detail", args=[contact.pk]))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "佐藤 花子" in html
    assert "サトウ" in html
    assert "090-1234-5678" in html
    assert "1985-04-01" in html
    assert "同意あり" in html and "名刺交換" in html
    assert "data-company-link" in html
    assert "旧勤務先" in html and company_of_rep_a.display_name in html
    assert re.findall(r'data-audit-action="(\w+)"', html) == ["update", "create"]
    assert f"会社</span>: 旧勤務先 → {company_of_rep_a.display_name}" in html


def test_contact_create_with_company_and_consent(client, rep_a, company_of_rep_a):
    # given
    client.force_login(rep_a)
    form_page = client.get(reverse("customers:contact_create"), {"company": company_of_rep_a.pk})
    # when
    response = client.post(
        reverse("customers:contact_create"),
        {
            "family_name": "高橋",
            "given_name": "健",
            "family_name_kana": "ﾀｶﾊｼ",
            "company": company_of_rep_a.pk,
            "company_label": company_of_rep_a.display_name,
            "mobile_phone": "09011112222",
            "postal_code": "1000001",
            "mail_consent": "opted_in",
            "mail_consent_method": "web_form",
            "sns": "LINE: takahashi",
        },
    )
    # then
    contact = Contact.objects.get()
    assert f'value="{company_of_rep_a.display_name}"' in form_page.content.decode()
    assert response.status_code == 302
    assert (contact.company, contact.family_name_kana, contact.mobile_phone) == (
        company_of_rep_a,
        "タカハシ",
        "+819011112222",
    )
    assert contact.mail_consent_at is not None
    assert contact.sns == {"LINE": "takahashi"}
    assert ContactAffiliation.objects.filter(contact=contact, company=company_of_rep_a).count() == 1


def test_contact_create_opt_in_without_method_is_a_field_error(client, rep_a):
    # given
    client.force_login(rep_a)
    # when
    response = client.post(
        reverse("customers:contact_create"), {"family_name": "同意", "mail_consent": "opted_in", "gender": ""}
    )
    # then
    assert "同意を得た方法を選んでください" in _field_block(response.content.decode(), "mail_consent_method")
    assert Contact.objects.count() == 0


def test_contact_create_refuses_a_company_out_of_scope(client, rep_a, company_of_team_b):
    # given
    client.force_login(rep_a)
    # when
    response = client.post(
        reverse("customers:contact_create"),
        {"family_name": "越境", "company": company_of_team_b.pk, "mail_consent": "unknown"},
    )
    # then
    assert "会社が見つかりません。" in _field_block(response.content.decode(), "company")
    assert Contact.objects.count() == 0


def test_contact_edit_with_stale_version_shows_conflict(client, rep_a, admin, contact_of_rep_a):
    # given
    seen = _post_data(contact_initial(contact_of_rep_a), title="課長")
    services.contact_update(contact=contact_of_rep_a, by=admin, data={"title": "部長"}, seen_version=1)
    client.force_login(rep_a)
    # when
    response = client.post(reverse("customers:contact_edit", args=[contact_of_rep_a.pk]), seen)
    # then
    html = response.content.decode()
    contact_of_rep_a.refresh_from_db()
    assert "役職</span>: — → 部長" in html
    assert 'value="課長"' in html
    assert contact_of_rep_a.title == "部長"


def test_contact_edit_unchanged_form_changes_nothing(client, rep_a, company_of_rep_a):
    # given
    contact = services.contact_create(
        by=rep_a,
        data={
            "family_name": "不変",
            "company": company_of_rep_a.pk,
            "mail_consent": "opted_in",
            "mail_consent_method": "written",
            "birthday": "1990-01-02",
            "office_phone": "03-5555-6666",
        },
    )
    client.force_login(rep_a)
    # when
    response = client.post(
        reverse("customers:contact_edit", args=[contact.pk]),
        _post_data(contact_initial(contact), company_label=company_of_rep_a.display_name),
    )
    # then
    contact.refresh_from_db()
    assert response.status_code == 302
    assert contact.version == 1


def test_contact_duplicates_lists_same_name(client, rep_a, contact_of_rep_a):
    # given
    client.force_login(rep_a)
    # when
    response = client.get(
        reverse("customers:contact_duplicates"), {"family_name": "田中", "given_name": "一郎"}
    )
    # then
    assert reverse("customers:contact_detail", args=[contact_of_rep_a.pk]) in response.content.decode()


def test_company_choices_returns_visible_matches(client, rep_a, company_of_rep_a, company_of_team_b):
    # given
    client.force_login(rep_a)
    # when
    mine = client.get(reverse("customers:company_choices"), {"company_label": "山田"})
    theirs = client.get(reverse("customers:company_choices"), {"company_label": "大阪"})
    # then
    assert f'data-company-id="{company_of_rep_a.pk}"' in mine.content.decode()
    assert "data-company-id" not in theirs.content.decode()
