"""``{% url %}`` remembering argument-free addresses (daifuku/web/templatetags/daifuku_url.py)."""

from django.template import Context, engines
from django.template.base import Template as DjangoTemplate
from django.template.engine import Engine
from django.urls import set_script_prefix

from daifuku.web.templatetags.daifuku_url import CachedURLNode

SOURCE = (
    "{% url 'customers:company_list' %}|{% url 'customers:company_detail' 7 %}|"
    "{% url 'customers:company_detail' pk=8 %}|{% url 'web:search' as where %}[{{ where }}]|{% url name %}"
)


def _django_output(context: dict) -> str:
    """The same template through an engine with Django's own builtins only."""
    return DjangoTemplate(SOURCE, engine=Engine()).render(Context(context))


def test_the_project_engine_uses_the_remembering_tag():
    # given / when
    template = engines["django"].from_string("{% url 'web:home' %}")
    # then
    assert any(isinstance(node, CachedURLNode) for node in template.template.nodelist)


def test_output_is_djangos_with_and_without_arguments_and_when_repeated():
    # given
    template = engines["django"].from_string(SOURCE)
    # when
    outputs = [template.render({"name": name}) for name in ("web:home", "web:search", "web:home")]
    # then
    assert outputs == [_django_output({"name": name}) for name in ("web:home", "web:search", "web:home")]
    assert outputs[0] == "/customers/companies/|/customers/companies/7/|/customers/companies/8/|[/search/]|/"


def test_addresses_follow_the_script_prefix():
    # given
    template = engines["django"].from_string("{% url 'web:search' %}")
    assert template.render({}) == "/search/"
    # when
    set_script_prefix("/crm/")
    try:
        prefixed = template.render({})
    finally:
        set_script_prefix("/")
    # then
    assert prefixed == "/crm/search/"
    assert template.render({}) == "/search/"
