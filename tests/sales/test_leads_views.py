"""Lead pages: list (filters, queue of unassigned, query count), detail, forms, assign, status, convert,
assignment rules, web form settings, and the English rendering of the list and detail."""

import re

import pytest
from django.urls import reverse

from daifuku.activities.models import Activity
from daifuku.core.models import AuditEntry
from daifuku.customers.models import Company
from daifuku.sales.models import Deal, Lead, LeadAssignmentRule, WebLeadForm
from tests.activities.factories import ActivityFactory
from tests.factories import CompanyFactory, TeamFactory, UserFactory
from tests.sales.factories import KeyedLeadFactory, LeadAssignmentRuleFactory, WebLeadFormFactory
from tests.web.test_i18n import japanese_left

pytestmark = pytest.mark.django_db


def _row_ids(html):
    return [int(x) for x in re.findall(r'data-lead-id="(\d+)"', html)]


# List


def test_manager_sees_team_and_unassigned_leads_with_the_queue_count(client, manager_a, rep_a, rep_b):
    # given
    own = KeyedLeadFactory(owner=rep_a, team=rep_a.team)
    unassigned = KeyedLeadFactory()
    KeyedLeadFactory(owner=rep_b, team=rep_b.team)
    client.force_login(manager_a)
    # when
    html = client.get(reverse("sales:lead_list")).content.decode()
    # then
    assert _row_ids(html) == [unassigned.pk, own.pk]
    assert 'data-unassigned-count="1"' in html
    assert "未割当 1件" in html


def test_rep_does_not_see_unassigned_leads(client, rep_a):
    # given
    own = KeyedLeadFactory(owner=rep_a, team=rep_a.team)
    KeyedLeadFactory()
    client.force_login(rep_a)
    # when
    html = client.get(reverse("sales:lead_list"), {"owner": "none"}).content.decode()
    all_html = client.get(reverse("sales:lead_list")).content.decode()
    # then
    assert "data-unassigned-count" not in all_html
    assert _row_ids(all_html) == [own.pk]
    assert _row_ids(html) == [own.pk]  # "none" is not a choice for a rep: the filter is ignored


def test_list_filters_by_status_source_owner_and_search(client, manager_a, rep_a):
    # given
    event = KeyedLeadFactory(owner=rep_a, team=rep_a.team, source="event", status="working")
    KeyedLeadFactory(owner=rep_a, team=rep_a.team, source="phone")
    unassigned = KeyedLeadFactory(company_name="株式会社ヤマダ電工")
    client.force_login(manager_a)
    url = reverse("sales:lead_list")
    # when
    by_status = client.get(url, {"status": "working"}).content.decode()
    by_source = client.get(url, {"source": "event"}).content.decode()
    unassigned_only = client.get(url, {"owner": "none"}).content.decode()
    by_owner = client.get(url, {"owner": rep_a.pk, "source": "phone"}).content.decode()
    searched = client.get(url, {"q": "ﾔﾏﾀﾞ"}).content.decode()
    # then
    assert _row_ids(by_status) == [event.pk]
    assert _row_ids(by_source) == [event.pk]
    assert _row_ids(unassigned_only) == [unassigned.pk]
    assert len(_row_ids(by_owner)) == 1
    assert _row_ids(searched) == [unassigned.pk]


def test_list_hides_closed_leads_unless_asked(client, rep_a):
    # given
    KeyedLeadFactory(owner=rep_a, team=rep_a.team, status="disqualified", disqualify_reason="spam")
    open_lead = KeyedLeadFactory(owner=rep_a, team=rep_a.team)
    client.force_login(rep_a)
    # when
    html = client.get(reverse("sales:lead_list")).content.decode()
    closed = client.get(reverse("sales:lead_list"), {"status": "disqualified"}).content.decode()
    # then
    assert _row_ids(html) == [open_lead.pk]
    assert len(_row_ids(closed)) == 1


def test_list_query_count_does_not_grow_with_rows(client, manager_a, rep_a, django_assert_num_queries):
    # given
    for _ in range(3):
        KeyedLeadFactory(owner=rep_a, team=rep_a.team)
        KeyedLeadFactory()
    client.force_login(manager_a)
    client.get(reverse("sales:lead_list"))  # warm the session and caches
    # when / then
    # session, user, scopes, role, owner choices, page ids + rows, unassigned count, notification badge
    with django_assert_num_queries(8):
        response = client.get(reverse("sales:lead_list"), HTTP_HX_REQUEST="true")
    assert len(_row_ids(response.content.decode())) == 6
    for _ in range(5):
        KeyedLeadFactory()
    with django_assert_num_queries(8):
        response = client.get(reverse("sales:lead_list"), HTTP_HX_REQUEST="true")
    assert len(_row_ids(response.content.decode())) == 11


def test_list_count_view(client, manager_a):
    # given
    for _ in range(2):
        KeyedLeadFactory()
    client.force_login(manager_a)
    # when
    html = client.get(reverse("sales:lead_count"), {"owner": "none"}, HTTP_HX_REQUEST="true").content.decode()
    # then
    assert 'data-total="2"' in html


# Detail


def test_detail_shows_activities_and_conversion_candidates(client, rep_a):
    # given
    lead = KeyedLeadFactory(owner=rep_a, team=rep_a.team, company_name="(株)山田商事", status="qualified")
    company = CompanyFactory(name="山田商事", legal_form="kk", legal_form_position="after", owner=rep_a)
    ActivityFactory(
        owner=rep_a, company=None, subject="初回ヒアリング", related_type="sales.lead", related_id=lead.pk
    )
    client.force_login(rep_a)
    # when
    html = client.get(reverse("sales:lead_detail", args=[lead.pk])).content.decode()
    # then
    assert "初回ヒアリング" in html
    assert f'data-candidate-company="{company.pk}"' in html
    assert "会社名が一致" in html
    assert "data-convert-link" in html
    assert "data-assign-link" not in html


def test_rep_gets_404_for_an_unassigned_lead(client, rep_a):
    lead = KeyedLeadFactory()
    client.force_login(rep_a)
    assert client.get(reverse("sales:lead_detail", args=[lead.pk])).status_code == 404


def test_rep_reads_but_cannot_edit_a_teammates_lead(client, rep_a, rep_a2):
    # given
    lead = KeyedLeadFactory(owner=rep_a2, team=rep_a2.team)
    client.force_login(rep_a)
    # when
    detail = client.get(reverse("sales:lead_detail", args=[lead.pk]))
    edit = client.post(reverse("sales:lead_edit", args=[lead.pk]), {"need": "x"})
    # then
    assert detail.status_code == 200
    assert edit.status_code == 403
    lead.refresh_from_db()
    assert lead.version == 1


def test_log_an_activity_on_the_lead(client, rep_a):
    # given
    lead = KeyedLeadFactory(owner=rep_a, team=rep_a.team)
    client.force_login(rep_a)
    # when
    response = client.post(
        reverse("sales:lead_log_activity", args=[lead.pk]),
        {"kind": "call_out", "subject": "折り返し電話", "body": ""},
    )
    # then
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert (activity.kind, activity.subject, activity.related_type, activity.related_id, activity.owner) == (
        "call_out",
        "折り返し電話",
        "sales.lead",
        lead.pk,
        rep_a,
    )


# Create, edit, status, assign


def test_create_lead_through_the_form(client, rep_a):
    # given
    client.force_login(rep_a)
    data = {
        "source": "phone",
        "company_name": "株式会社 青空物流",
        "family_name": "佐藤",
        "phone": "06-1234-5678",
        "need": "配送管理",
        "owner": rep_a.pk,
    }
    # when
    response = client.post(reverse("sales:lead_create"), data)
    # then
    lead = Lead.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:lead_detail", args=[lead.pk])
    assert (lead.company_name, lead.phone, lead.owner, lead.source) == (
        "株式会社 青空物流",
        "+81612345678",
        rep_a,
        "phone",
    )


def test_create_form_shows_the_services_messages_and_keeps_input(client, rep_a):
    # given
    client.force_login(rep_a)
    # when
    response = client.post(
        reverse("sales:lead_create"), {"source": "phone", "company_name": "青空物流", "phone": "12"}
    )
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "電話番号として読み取れません（例: 03-1234-5678）。" in html
    assert 'value="青空物流"' in html
    assert Lead.objects.count() == 0


def test_edit_with_a_stale_version_shows_the_conflict(client, rep_a):
    # given
    lead = KeyedLeadFactory(owner=rep_a, team=rep_a.team, need="A")
    Lead.objects.filter(pk=lead.pk).update(version=2)
    AuditEntry.objects.create(
        object_type="sales.lead", object_id=lead.pk, action="update", changes={"need": ["A", "B"]}, version=2
    )
    client.force_login(rep_a)
    data = {
        "source": "web_form",
        "company_name": lead.company_name,
        "family_name": "鈴木",
        "email": lead.email,
    }
    # when
    response = client.post(reverse("sales:lead_edit", args=[lead.pk]), {**data, "need": "C", "version": 1})
    # then
    assert "data-version-conflict" in response.content.decode()
    lead.refresh_from_db()
    assert lead.need == "A"


def test_status_change_to_disqualified_without_reason_is_refused(client, rep_a):
    # given
    lead = KeyedLeadFactory(owner=rep_a, team=rep_a.team)
    client.force_login(rep_a)
    # when
    response = client.post(
        reverse("sales:lead_status", args=[lead.pk]), {"status": "disqualified"}, follow=True
    )
    # then
    assert "見込みなしの理由を選んでください。" in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == "new"


def test_status_change(client, rep_a):
    lead = KeyedLeadFactory(owner=rep_a, team=rep_a.team)
    client.force_login(rep_a)
    client.post(reverse("sales:lead_status", args=[lead.pk]), {"status": "qualified", "version": 1})
    lead.refresh_from_db()
    assert (lead.status, lead.version) == ("qualified", 2)


def test_manager_assigns_from_the_page(client, manager_a, rep_a):
    # given
    lead = KeyedLeadFactory()
    client.force_login(manager_a)
    # when
    response = client.post(reverse("sales:lead_assign", args=[lead.pk]), {"owner": rep_a.pk})
    # then
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.owner == rep_a


def test_rep_cannot_open_the_assign_page(client, rep_a, rep_a2):
    lead = KeyedLeadFactory(owner=rep_a, team=rep_a.team)
    client.force_login(rep_a)
    response = client.post(reverse("sales:lead_assign", args=[lead.pk]), {"owner": rep_a2.pk})
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.owner == rep_a


# Conversion page


def test_convert_page_preselects_the_found_company_and_converts_without_duplicates(client, rep_a):
    # given
    lead = KeyedLeadFactory(owner=rep_a, team=rep_a.team, company_name="(株)山田商事", status="qualified")
    company = CompanyFactory(name="山田商事", legal_form="kk", legal_form_position="after", owner=rep_a)
    client.force_login(rep_a)
    url = reverse("sales:lead_convert", args=[lead.pk])
    # when
    page = client.get(url).content.decode()
    response = client.post(
        url,
        {"company": str(company.pk), "contact": "new", "create_deal": "on", "deal_name": "SFA導入",
         "deal_amount": "500000", "version": 1},
    )  # fmt: skip
    # then
    assert f'id="company-{company.pk}" value="{company.pk}" checked' in page
    deal = Deal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:deal_detail", args=[deal.pk])
    assert Company.objects.count() == 1
    assert (deal.company, deal.name) == (company, "SFA導入")


def test_convert_page_for_a_new_lead_redirects_with_a_message(client, rep_a):
    lead = KeyedLeadFactory(owner=rep_a, team=rep_a.team)
    client.force_login(rep_a)
    response = client.get(reverse("sales:lead_convert", args=[lead.pk]), follow=True)
    assert "商談化できるのは「対応中」か「見込みあり」の引合です。" in response.content.decode()


# Assignment rules and web forms


def test_manager_adds_an_assignment_rule(client, manager_a, team_a):
    # given
    client.force_login(manager_a)
    # when
    response = client.post(
        reverse("sales:lead_rule_list"),
        {
            "name": "東京",
            "sort_order": "1",
            "is_active": "on",
            "prefecture": "東京都",
            "method": "round_robin",
            "team": team_a.pk,
        },
    )
    # then
    assert response.status_code == 302
    rule = LeadAssignmentRule.objects.get()
    assert (rule.name, rule.prefecture, rule.team, rule.method) == ("東京", "東京都", team_a, "round_robin")


def test_rule_needs_a_team_for_round_robin(client, manager_a):
    client.force_login(manager_a)
    response = client.post(
        reverse("sales:lead_rule_list"), {"name": "x", "sort_order": "1", "method": "round_robin"}
    )
    assert "「チーム内で順番に」ではチームを選んでください。" in response.content.decode()
    assert LeadAssignmentRule.objects.count() == 0


def test_rep_cannot_see_the_rules(client, rep_a):
    LeadAssignmentRuleFactory(team=TeamFactory())
    client.force_login(rep_a)
    assert client.get(reverse("sales:lead_rule_list")).status_code == 404


def test_admin_creates_a_web_form_and_gets_the_embed_snippet(client, admin):
    # given
    client.force_login(admin)
    # when
    response = client.post(
        reverse("sales:lead_web_form_list"),
        {"name": "資料請求", "is_active": "on", "allowed_origins": "https://www.example.co.jp/contact\n"},
    )
    form = WebLeadForm.objects.get()
    html = client.get(response["Location"]).content.decode()
    # then
    assert form.allowed_origins == "https://www.example.co.jp"
    assert f"http://127.0.0.1:8000/sales/w2l/{form.token}/" in html
    assert "&lt;form method=&quot;post&quot;" in html
    assert "name=&quot;homepage&quot;" in html


def test_manager_cannot_manage_web_forms(client, manager_a):
    WebLeadFormFactory()
    client.force_login(manager_a)
    assert client.get(reverse("sales:lead_web_form_list")).status_code == 404


# English


@pytest.fixture
def english_manager(db):
    team = TeamFactory(name="Tokyo Sales")
    return UserFactory(
        username="ellen", last_name="Baker", first_name="Ellen", role="manager", team=team, language="en"
    )


def test_list_and_detail_render_in_english(client, english_manager):
    # given
    lead = KeyedLeadFactory(
        company_name="Acme Trading",
        family_name="Smith",
        given_name="Jane",
        email="jane@acme.example",
        need="Wants a quote",
        status="qualified",
        owner=english_manager,
        team=english_manager.team,
        form_data={"size": "50"},
    )
    CompanyFactory(name="Acme Trading", name_kana="", owner=english_manager)
    KeyedLeadFactory(
        company_name="Beta Inc", family_name="Lee", given_name="Ann", need="Demo", source="event"
    )
    ActivityFactory(
        owner=english_manager,
        company=None,
        subject="First call",
        body="",
        related_type="sales.lead",
        related_id=lead.pk,
    )
    client.force_login(english_manager)
    # when
    list_html = client.get(reverse("sales:lead_list")).content.decode()
    detail_html = client.get(reverse("sales:lead_detail", args=[lead.pk])).content.decode()
    # then
    assert "Leads" in list_html
    assert japanese_left(list_html) == []
    assert japanese_left(detail_html) == []


def test_every_page_renders_for_an_administrator(client, admin, team_a):
    # given
    lead = KeyedLeadFactory(owner=admin, team=admin.team, status="working")
    rule = LeadAssignmentRuleFactory(team=team_a)
    web_form = WebLeadFormFactory()
    client.force_login(admin)
    urls = [
        reverse("sales:lead_create"),
        reverse("sales:lead_edit", args=[lead.pk]),
        reverse("sales:lead_assign", args=[lead.pk]),
        reverse("sales:lead_convert", args=[lead.pk]),
        reverse("sales:lead_delete", args=[lead.pk]),
        reverse("sales:lead_rule_list"),
        reverse("sales:lead_rule_edit", args=[rule.pk]),
        reverse("sales:lead_web_form_list"),
        reverse("sales:lead_web_form_edit", args=[web_form.pk]),
    ]
    # when
    codes = [client.get(url).status_code for url in urls]
    # then
    assert codes == [200] * len(urls)
