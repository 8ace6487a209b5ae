"""The list rows written in Python are the templates' markup, byte for byte."""

import datetime as dt

import pytest
from django.template import engines
from django.utils import timezone, translation

from daifuku.core import visibility
from daifuku.customers.models import Company, Contact, Industry
from daifuku.customers.rows import COMPANY_COLUMNS, CONTACT_COLUMNS, company_rows, contact_rows
from tests.factories import CompanyFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db

# The templates' loops as they were before the rows moved to Python (customers/_company_table.html,
# customers/_status_badge.html, customers/_contact_table.html).
COMPANY_LOOP = """{% load i18n %}{% for company in companies %}
      <tr data-company-id="{{ company.pk }}">
        <td><a href="{% url 'customers:company_detail' company.pk %}">{{ company.display_name }}</a>
          {% if company.name_kana %}<div class="small text-muted">{{ company.name_kana }}</div>{% endif %}</td>
        <td><span class="badge {% if company.status == 'customer' %}text-bg-success{% elif company.status == 'prospect' %}text-bg-info{% elif company.status == 'dormant' %}text-bg-secondary{% else %}text-bg-dark{% endif %}" data-status="{{ company.status }}">{{ company.get_status_display }}</span>{% if company.rank %} <span class="badge text-bg-warning" data-rank="{{ company.rank }}">{{ company.rank }}</span>{% endif %}
</td>
        <td class="d-none d-md-table-cell">{{ company.prefecture }}{{ company.city }}</td>
        <td class="d-none d-lg-table-cell text-nowrap">{{ company.phone_display }}</td>
        <td class="d-none d-md-table-cell small">{{ company.industry|default:"" }}</td>
        <td class="d-none d-sm-table-cell">{% if company.owner %}{{ company.owner.display_name }}{% endif %}{% if company.team %}<div class="small text-muted">{{ company.team.name }}</div>{% endif %}</td>
        <td class="d-none d-lg-table-cell small text-nowrap">{{ company.updated_at|date:"Y-m-d" }}</td>
      </tr>
      {% endfor %}"""  # noqa: E501

CONTACT_LOOP = """{% load i18n %}{% for contact in contacts %}
      <tr data-contact-id="{{ contact.pk }}">
        <td><a href="{% url 'customers:contact_detail' contact.pk %}">{{ contact.full_name }}</a>
          {% if contact.full_name_kana %}<div class="small text-muted">{{ contact.full_name_kana }}</div>{% endif %}</td>
        <td>{% if contact.company %}{{ contact.company.display_name }}{% else %}<span class="text-muted small">{% translate "個人" %}</span>{% endif %}</td>
        <td class="d-none d-md-table-cell small">{{ contact.department }} {{ contact.title }}</td>
        <td class="d-none d-lg-table-cell text-nowrap">{% if contact.mobile_phone %}{{ contact.mobile_phone_display }}{% else %}{{ contact.office_phone_display }}{% endif %}</td>
        <td class="d-none d-lg-table-cell small">{{ contact.email }}</td>
        <td class="d-none d-sm-table-cell">{% if contact.owner %}{{ contact.owner.display_name }}{% endif %}</td>
        <td class="d-none d-lg-table-cell small text-nowrap">{{ contact.updated_at|date:"Y-m-d" }}</td>
      </tr>
      {% endfor %}"""  # noqa: E501


def _template(source, **context):
    return engines["django"].from_string(source).render(context)


@pytest.fixture
def companies():
    late_utc = dt.datetime(2026, 1, 1, 15, 30, tzinfo=dt.UTC)  # 2026-01-02 00:30 in Tokyo
    made = [
        CompanyFactory(name="<危険&社>", name_kana="", status="prospect", rank="A", phone="0312345678"),
        CompanyFactory(status="dormant", prefecture="東京都", city="千代田区", owner=None, team=None),
        CompanyFactory(status="lost", industry=Industry.objects.order_by("pk").first()),
        CompanyFactory(status="customer", owner=UserFactory(team=None, last_name="", first_name="")),
    ]
    Company.objects.filter(pk=made[0].pk).update(updated_at=late_utc)
    return list(
        Company.objects.filter(pk__in=[c.pk for c in made]).select_related("owner", "team", "industry")
    )


@pytest.fixture
def contacts(companies):
    made = [
        ContactFactory(family_name="<山&田>", given_name="", family_name_kana="", given_name_kana=""),
        ContactFactory(
            company=None, mobile_phone="", office_phone="0312345678", department="営業部", title=""
        ),
        ContactFactory(company=companies[0], mobile_phone="09012345678", email="a&b@example.jp", owner=None),
    ]
    return list(Contact.objects.filter(pk__in=[c.pk for c in made]).select_related("owner", "company"))


def _values(records, columns):
    """The value rows the list reads for these records (their ids in this order)."""
    model = type(records[0])
    return visibility.values_in_order(model.objects.all(), [r.pk for r in records], columns)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_company_rows_are_the_template_markup(companies, language, settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    rows = _values(companies, COMPANY_COLUMNS)
    with translation.override(language), timezone.override("Asia/Tokyo"):
        assert str(company_rows(rows)) == _template(COMPANY_LOOP, companies=companies)
    assert "&lt;危険&amp;社&gt;" in str(company_rows(rows))


@pytest.mark.parametrize("language", ["ja", "en"])
def test_contact_rows_are_the_template_markup(contacts, language):
    rows = _values(contacts, CONTACT_COLUMNS)
    with translation.override(language), timezone.override("Asia/Tokyo"):
        assert str(contact_rows(rows)) == _template(CONTACT_LOOP, contacts=contacts)
    assert "&lt;山&amp;田&gt;" in str(contact_rows(rows))


def test_no_rows_is_empty():
    assert str(company_rows([])) == "" and str(contact_rows([])) == ""
