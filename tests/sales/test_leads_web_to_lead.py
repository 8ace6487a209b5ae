"""The public web-to-lead endpoint: cross-site posts without CSRF token, origins, rate limit, honeypot."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from daifuku.sales.models import Lead
from daifuku.sales.views.leads import W2L_RATE_PER_CLIENT
from tests.sales.factories import LeadAssignmentRuleFactory, WebLeadFormFactory

pytestmark = pytest.mark.django_db

VALID = {
    "company_name": "株式会社 青空物流",
    "family_name": "佐藤",
    "given_name": "花子",
    "email": "hanako@aozora.example.jp",
    "phone": "06-1234-5678",
    "need": "配送管理システムの資料がほしい",
}


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def csrf_client():
    """A client that enforces CSRF like a browser posting from another site would meet it."""
    return Client(enforce_csrf_checks=True)


def _url(form):
    return reverse("sales:web_to_lead", args=[form.token])


def test_cross_site_post_without_csrf_token_creates_a_lead(csrf_client, rep_a):
    # given
    form = WebLeadFormFactory(name="資料請求", source_detail="コーポレートサイト", owner=rep_a)
    # when
    response = csrf_client.post(
        _url(form), {**VALID, "employees": "50名", "utm_source": "google"}, REMOTE_ADDR="203.0.113.5"
    )
    # then
    assert response.status_code == 200
    assert "data-w2l-thanks" in response.content.decode()
    lead = Lead.objects.get()
    assert (lead.source, lead.source_detail, lead.status) == ("web_form", "コーポレートサイト", "new")
    assert (lead.company_name, lead.phone, lead.email) == (
        "株式会社 青空物流",
        "+81612345678",
        VALID["email"],
    )
    assert lead.form_data == {"employees": "50名", "utm_source": "google"}
    assert lead.remote_addr == "203.0.113.5"
    assert (lead.owner, lead.team) == (rep_a, rep_a.team)


def test_assignment_rules_come_before_the_forms_default_owner(csrf_client, rep_a, rep_b):
    # given
    LeadAssignmentRuleFactory(method="fixed", assignee=rep_b, source="web_form")
    form = WebLeadFormFactory(owner=rep_a)
    # when
    csrf_client.post(_url(form), VALID)
    # then
    assert Lead.objects.get().owner == rep_b


def test_redirects_to_the_thank_you_url(csrf_client):
    form = WebLeadFormFactory(thank_you_url="https://www.example.co.jp/thanks")
    response = csrf_client.post(_url(form), VALID)
    assert (response.status_code, response["Location"]) == (302, "https://www.example.co.jp/thanks")
    assert Lead.objects.count() == 1


def test_filled_honeypot_looks_like_success_but_stores_nothing(csrf_client):
    # given
    form = WebLeadFormFactory(thank_you_url="https://www.example.co.jp/thanks")
    # when
    response = csrf_client.post(_url(form), {**VALID, "homepage": "http://spam.example"})
    # then
    assert (response.status_code, response["Location"]) == (302, "https://www.example.co.jp/thanks")
    assert Lead.objects.count() == 0


@pytest.mark.parametrize("active", [True, False])
def test_unknown_or_inactive_token_is_404(csrf_client, active):
    # given
    form = WebLeadFormFactory(is_active=active)
    url = _url(form) if not active else reverse("sales:web_to_lead", args=["not-a-token"])
    # when
    response = csrf_client.post(url, VALID)
    # then
    assert response.status_code == 404
    assert Lead.objects.count() == 0


def test_only_get_and_post(csrf_client):
    form = WebLeadFormFactory()
    assert csrf_client.put(_url(form)).status_code == 405


def test_validation_errors_answer_400_naming_the_fields_in_japanese(csrf_client):
    # given
    form = WebLeadFormFactory()
    # when
    response = csrf_client.post(_url(form), {**VALID, "email": "nope", "need": ""})
    # then
    html = response.content.decode()
    assert response.status_code == 400
    assert (
        "メールアドレス: メールアドレスの形式が正しくありません。" not in html
    )  # required check comes first
    assert "お問い合わせ内容: 入力してください。" in html
    assert 'value="株式会社 青空物流"' in html
    assert Lead.objects.count() == 0


def test_service_errors_answer_400_too(csrf_client):
    form = WebLeadFormFactory()
    response = csrf_client.post(_url(form), {**VALID, "email": "nope", "phone": "12"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "メールアドレス: メールアドレスの形式が正しくありません。" in html
    assert "電話番号: 電話番号として読み取れません（例: 03-1234-5678）。" in html
    assert Lead.objects.count() == 0


def test_validation_errors_in_english_for_an_english_browser(csrf_client):
    form = WebLeadFormFactory()
    response = csrf_client.post(_url(form), {**VALID, "email": "nope"}, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 400
    assert "This is not a valid e-mail address." in html


def test_origin_must_be_allowed_when_the_form_lists_origins(csrf_client):
    # given
    form = WebLeadFormFactory(allowed_origins="https://www.example.co.jp")
    # when
    allowed = csrf_client.post(_url(form), VALID, HTTP_ORIGIN="https://www.example.co.jp")
    by_referer = csrf_client.post(_url(form), VALID, HTTP_REFERER="https://www.example.co.jp/contact/")
    other = csrf_client.post(_url(form), VALID, HTTP_ORIGIN="https://evil.example")
    missing = csrf_client.post(_url(form), VALID)
    # then
    assert [allowed.status_code, by_referer.status_code, other.status_code, missing.status_code] == [
        200,
        200,
        403,
        403,
    ]
    assert Lead.objects.count() == 2


def test_hosted_form_posts_from_our_own_origin(csrf_client):
    form = WebLeadFormFactory(allowed_origins="https://www.example.co.jp")
    response = csrf_client.post(_url(form), VALID, HTTP_ORIGIN="http://testserver")
    assert response.status_code == 200
    assert Lead.objects.count() == 1


def test_rate_limit_per_client_ip(csrf_client):
    # given
    form = WebLeadFormFactory()
    codes = [csrf_client.post(_url(form), VALID, REMOTE_ADDR="198.51.100.7").status_code for _ in range(11)]
    # when
    other_client = csrf_client.post(_url(form), VALID, REMOTE_ADDR="198.51.100.8")
    # then
    assert codes == [200] * W2L_RATE_PER_CLIENT + [429]
    assert other_client.status_code == 200
    assert Lead.objects.count() == W2L_RATE_PER_CLIENT + 1


def test_honeypot_posts_count_against_the_rate_limit(csrf_client):
    form = WebLeadFormFactory()
    for _ in range(W2L_RATE_PER_CLIENT):
        csrf_client.post(_url(form), {**VALID, "homepage": "x"})
    response = csrf_client.post(_url(form), VALID)
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert Lead.objects.count() == 0


def test_get_renders_the_hosted_form(csrf_client):
    # given
    form = WebLeadFormFactory(name="資料請求フォーム")
    # when
    html = csrf_client.get(_url(form)).content.decode()
    # then
    assert "資料請求フォーム" in html
    assert 'name="family_name"' in html
    assert 'name="homepage"' in html
    assert "csrfmiddlewaretoken" not in html
