"""The deal list's rows written in Python are its template's markup, byte for byte."""

import datetime as dt
from decimal import Decimal

import pytest
from django.template import engines
from django.utils import translation

from daifuku.sales.models import Deal
from daifuku.sales.rows import deal_rows, quote_rows
from daifuku.sales.selectors.deals import deal_list
from daifuku.sales.selectors.quotes import quote_list
from tests.factories import UserFactory
from tests.sales.factories import DealFactory, PipelineFactory, QuoteFactory

pytestmark = pytest.mark.django_db

# sales/deals/deal_list.html's loop before the rows moved to Python.
DEAL_LOOP = """{% load i18n %}{% for deal in deals %}
      <tr data-deal-id="{{ deal.pk }}">
        <td><a href="{% url 'sales:deal_detail' deal.pk %}">{{ deal.name }}</a>
          {% if deal.is_stale %} <span class="badge text-bg-warning" data-stale>{% translate "放置" %}</span>{% endif %}</td>
        <td>{{ deal.company.display_name }}</td>
        <td>{{ deal.stage.name }}{% if deal.pipeline_id != form.cleaned_data.pipeline %}<div class="small text-muted">{{ deal.pipeline.name }}</div>{% endif %}</td>
        <td class="text-end text-nowrap">{{ deal.currency.symbol|default:deal.currency_id }}{{ deal.amount|floatformat:"-2g" }}</td>
        <td class="text-end d-none d-md-table-cell">{{ deal.probability }}%</td>
        <td class="text-nowrap">{{ deal.expected_close_date|date:"Y-m-d"|default:"—" }}</td>
        <td class="d-none d-lg-table-cell small">{{ deal.next_action }}{% if deal.next_action_date %} <span class="text-muted">({{ deal.next_action_date|date:"Y-m-d" }})</span>{% endif %}</td>
        <td class="d-none d-sm-table-cell">{{ deal.owner.display_name }}{% if deal.team %}<div class="small text-muted">{{ deal.team.name }}</div>{% endif %}</td>
      </tr>
      {% endfor %}"""  # noqa: E501


class _Form:
    def __init__(self, cleaned_data=None):
        if cleaned_data is not None:
            self.cleaned_data = cleaned_data


@pytest.fixture
def deals(admin):
    other = PipelineFactory(name="更新<営業>")
    DealFactory(
        name="<大型&案件>",
        amount=Decimal("1234567.50"),
        next_action="訪問",
        next_action_date=dt.date(2027, 1, 5),
    )
    DealFactory(amount=Decimal("0"), expected_close_date=None, owner=UserFactory(team=None))
    DealFactory(pipeline=other, stage=other.stages.order_by("sort_order").last(), currency_id="USD")
    stale = DealFactory()
    Deal.objects.filter(pk=stale.pk).update(last_activity_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))  # 放置
    return list(deal_list(user=admin))


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("cleaned", [None, {"pipeline": None}, "first"])
def test_deal_rows_are_the_template_markup(deals, language, cleaned):
    # given the list unfiltered, filtered to one pipeline, or with an invalid form (no cleaned_data)
    if cleaned == "first":
        cleaned = {"pipeline": deals[0].pipeline_id}
    form = _Form(cleaned)
    shown = getattr(form, "cleaned_data", {}).get("pipeline", "")
    # when / then
    with translation.override(language):
        expected = engines["django"].from_string(DEAL_LOOP).render({"deals": deals, "form": form})
        assert str(deal_rows(deals, shown)) == expected
    html = str(deal_rows(deals, shown))
    assert "&lt;大型&amp;案件&gt;" in html
    assert html.count("data-stale") == 1
    assert '<td class="text-nowrap">—</td>' in html


QUOTE_BADGE = "<span class=\"badge {% if quote.status == 'draft' %}text-bg-secondary{% elif quote.status == 'issued' %}text-bg-primary{% elif quote.status == 'sent' %}text-bg-info{% elif quote.status == 'accepted' %}text-bg-success{% elif quote.status == 'rejected' %}text-bg-danger{% else %}text-bg-warning{% endif %}\" data-quote-status=\"{{ quote.status }}\">{{ quote.get_status_display }}</span>{% if quote.next_revision %} <span class=\"badge text-bg-light border\" data-superseded>{% translate \"改訂版あり\" %}</span>{% endif %}\n"  # noqa: E501

# sales/quotes/quote_list.html's loop before the rows moved to Python, with the status badge include's
# template of that time inlined.
QUOTE_LOOP = """{% load i18n humanize %}{% for quote in quotes %}
      <tr data-quote-id="{{ quote.pk }}">
        <td class="text-nowrap"><a href="{% url 'sales:quote_detail' quote.pk %}">{{ quote.display_number }}</a></td>
        <td>{{ quote.title }}<div class="small text-muted"><a class="link-secondary" href="{% url 'sales:deal_detail' quote.deal_id %}">{{ quote.deal.name }}</a></div></td>
        <td>{{ quote.company.display_name }}</td>
        <td><span class="badge {% if quote.status == 'draft' %}text-bg-secondary{% elif quote.status == 'issued' %}text-bg-primary{% elif quote.status == 'sent' %}text-bg-info{% elif quote.status == 'accepted' %}text-bg-success{% elif quote.status == 'rejected' %}text-bg-danger{% else %}text-bg-warning{% endif %}" data-quote-status="{{ quote.status }}">{{ quote.get_status_display }}</span>{% if quote.next_revision %} <span class="badge text-bg-light border" data-superseded>{% translate "改訂版あり" %}</span>{% endif %}
</td>
        <td class="text-nowrap small">{{ quote.issue_date|date:"Y-m-d"|default:"—" }}</td>
        <td class="text-end text-nowrap">{{ quote.currency.symbol }}{{ quote.total|floatformat:quote.currency.decimals|intcomma }}</td>
        <td class="d-none d-md-table-cell small">{{ quote.owner.display_name }}</td>
      </tr>
      {% endfor %}"""  # noqa: E501


@pytest.fixture
def quotes(admin):
    first = QuoteFactory(
        title="<保守&更新>", status="issued", issue_date=dt.date(2026, 4, 1), total=Decimal("1234567")
    )
    QuoteFactory(status="draft", total=Decimal("0"))
    QuoteFactory(
        status="accepted", currency_id="USD", total=Decimal("12345.5"), issue_date=dt.date(2026, 5, 2)
    )
    QuoteFactory(status="rejected", owner=UserFactory(team=None))
    QuoteFactory(status="sent")
    QuoteFactory(status="expired")
    QuoteFactory(deal=first.deal, number=first.number, revision=2, previous=first, status="draft")
    return list(quote_list(user=admin))


@pytest.mark.parametrize("language", ["ja", "en"])
def test_quote_rows_are_the_template_markup(quotes, language):
    # when / then
    with translation.override(language):
        expected = engines["django"].from_string(QUOTE_LOOP).render({"quotes": quotes})
        assert str(quote_rows(quotes)) == expected
    html = str(quote_rows(quotes))
    assert "&lt;保守&amp;更新&gt;" in html
    assert html.count("data-superseded") == 1
    assert html.count("data-quote-status=") == 7
    assert '<td class="text-nowrap small">—</td>' in html


@pytest.mark.parametrize("language", ["ja", "en"])
def test_quote_status_badge_tag_is_the_former_include(quotes, language):
    # given the include as it was before the badge moved to Python
    former = engines["django"].from_string("{% load i18n %}" + QUOTE_BADGE)
    current = engines["django"].from_string('{% include "sales/quotes/_status_badge.html" %}')
    # when / then
    with translation.override(language):
        for quote in quotes:
            assert current.render({"quote": quote}) == former.render({"quote": quote})
