"""The list table's sort links and pager written in Python are the templates' markup, byte for byte."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import engines
from django.test import RequestFactory
from django.utils import translation

pytestmark = pytest.mark.django_db

# The templates as they were (customers/_sort_link.html, customers/_pagination.html).
SORT_LINK = """{% comment %}A sortable column header: asc = the ascending sort key, e.g. "kana".{% endcomment %}{% with desc="-"|add:asc %}
{% if sort == asc %}<a href="{% querystring sort=desc page=None %}" hx-get="{% querystring sort=desc page=None %}" hx-target="{{ target }}" hx-push-url="true" class="link-dark" aria-sort="ascending">{{ label }} ▲</a>
{% elif sort == desc %}<a href="{% querystring sort=asc page=None %}" hx-get="{% querystring sort=asc page=None %}" hx-target="{{ target }}" hx-push-url="true" class="link-dark" aria-sort="descending">{{ label }} ▼</a>
{% else %}<a href="{% querystring sort=asc page=None %}" hx-get="{% querystring sort=asc page=None %}" hx-target="{{ target }}" hx-push-url="true" class="link-dark">{{ label }}</a>{% endif %}
{% endwith %}
"""  # noqa: E501
PAGINATION = """{% load i18n %}{% comment %}Pager of a ListPage: the page total and "»" arrive with the list's count (customers/_count.html).{% endcomment %}{% if page.has_other_pages %}
<nav aria-label="{% translate 'ページ' %}">
  <ul class="pagination pagination-sm flex-wrap">
    {% if page.has_previous %}
    <li class="page-item"><a class="page-link" href="{% querystring page=1 %}" hx-get="{% querystring page=1 %}" hx-target="{{ target }}" hx-push-url="true">«</a></li>
    <li class="page-item"><a class="page-link" href="{% querystring page=page.previous_page_number %}" hx-get="{% querystring page=page.previous_page_number %}" hx-target="{{ target }}" hx-push-url="true">{% translate "前へ" %}</a></li>
    {% endif %}
    <li class="page-item disabled"><span class="page-link" id="{{ prefix }}-pages">{{ page.number }}{% if page.known %} / {{ page.num_pages }}{% if page.capped %}+{% endif %}{% endif %}</span></li>
    {% if page.has_next %}
    <li class="page-item"><a class="page-link" href="{% querystring page=page.next_page_number %}" hx-get="{% querystring page=page.next_page_number %}" hx-target="{{ target }}" hx-push-url="true">{% translate "次へ" %}</a></li>
    <li class="page-item d-none" id="{{ prefix }}-last" aria-hidden="true"></li>{% comment %}filled with "»" by the count request{% endcomment %}
    {% endif %}
  </ul>
</nav>
{% endif %}
"""  # noqa: E501
QUERIES = [
    "",
    "sort=kana",
    "q=%E5%95%86%E4%BA%8B&sort=-kana&page=3",
    "page=2&owner=5&x=%3Ca%3E%26",
    "sort=-updated",
]


def _render(source, query, **context):
    request = RequestFactory().get("/customers/companies/?" + query)
    request.user = AnonymousUser()
    template = engines["django"].from_string(source)
    return template.render(context, request=request)


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("sort", ["kana", "-kana", "updated", "-updated", ""])
def test_sort_link_is_the_templates_markup(query, sort):
    # given
    for language in ("ja", "en"):
        with translation.override(language):
            label = translation.gettext_lazy("会社名（フリガナ順）")
            # when
            new = _render(
                '{% load list_parts %}{% sort_link "kana" label "#company-table" %}',
                query,
                sort=sort,
                label=label,
            )
            old = _render(SORT_LINK, query, sort=sort, label=label,
                          asc="kana", target="#company-table")  # fmt: skip
            # then
            assert new == old
    tricky = _render('{% load list_parts %}{% sort_link "kana" label "#t" %}', query, sort=sort, label="<危>")
    assert "&lt;危&gt;" in tricky


# (has_other_pages, has_previous, has_next, number, known, num_pages, capped)
PAGES = [
    (False, False, False, 1, True, 1, False),
    (True, False, True, 1, False, None, False),
    (True, True, True, 3, False, None, False),
    (True, True, False, 7, True, 7, False),
    (True, True, False, 200, True, 200, True),
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("state", PAGES)
@pytest.mark.parametrize("language", ["ja", "en"])
def test_pagination_is_the_templates_markup(query, state, language):
    # given
    other, previous, following, number, known, num_pages, capped = state
    page = SimpleNamespace(
        has_other_pages=other, has_previous=previous, has_next=following, number=number, known=known,
        num_pages=num_pages, capped=capped, previous_page_number=number - 1, next_page_number=number + 1,
    )  # fmt: skip
    with translation.override(language):
        # when
        new = _render(
            '{% load list_parts %}{% list_pagination "#company-table" "company" %}', query, page=page
        )
        old = _render(PAGINATION, query, page=page, target="#company-table", prefix="company")
    # then
    assert new == old
