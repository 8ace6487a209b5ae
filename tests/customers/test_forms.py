"""Filter fields of the list forms: options read as value rows (ListChoiceField), constant choices
shared between copies (FixedChoiceField)."""

import copy

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from daifuku.core.models import Team
from daifuku.customers.forms import CompanyFilterForm, ContactFilterForm, ListChoiceField
from daifuku.customers.models import Industry, Tag
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _options(field):
    return [(str(value), str(label)) for value, label in field.choices]


def _from_instances(field):
    key = field.to_field_name or "pk"
    return [("", "—")] + [(str(getattr(obj, key)), field.label_from_instance(obj)) for obj in field.queryset]


@pytest.mark.parametrize("language", ["ja", "en"])
def test_each_list_field_offers_the_records_with_their_instance_labels(language, rep_a, rep_a2, team_b):
    # given
    UserFactory(username="no_team_no_name", team=None, last_name="", first_name="")
    Tag.objects.create(name="重要<&>")
    Tag.objects.create(name="展示会")
    Industry.objects.create(code="Z98", name="宇宙産業", name_en="Space", order=1)
    Industry.objects.create(code="Z99", name="和名のみ", name_en="", order=2)
    form = CompanyFilterForm(QueryDict(""))
    fields = {name: form.fields[name] for name in ("owner", "team", "tag", "industry")}
    with translation.override(language):
        # when
        found = {name: _options(field) for name, field in fields.items()}
        # then
        for name, field in fields.items():
            assert isinstance(field, ListChoiceField)
            assert field.planned
            assert found[name] == _from_instances(field), name
    assert ("Space" if language == "en" else "宇宙産業") in dict(found["industry"]).values()
    assert "和名のみ" in dict(found["industry"]).values()
    assert ("重要<&>", "重要<&>") in found["tag"]


def test_the_options_of_a_field_are_one_statement(rep_a, team_a):
    # given
    form = ContactFilterForm(QueryDict(""))
    # when
    with CaptureQueriesContext(connection) as queries:
        html = str(form["team"])
    # then
    assert len(queries) == 1
    assert f'<option value="{team_a.pk}">{team_a.name}</option>' in html


def test_a_replaced_queryset_gives_djangos_options_from_it(team_a, team_b):
    # given
    form = CompanyFilterForm(QueryDict(""))
    field = form.fields["team"]
    # when
    field.queryset = Team.objects.filter(pk=team_b.pk)
    # then
    assert not field.planned
    assert _options(field) == [("", "—"), (str(team_b.pk), team_b.name)]
    assert CompanyFilterForm(QueryDict("")).fields["team"].planned  # other forms keep their plan


def test_a_chosen_record_is_cleaned_through_the_queryset(team_a):
    # given
    good = CompanyFilterForm(QueryDict(f"team={team_a.pk}"))
    bad = CompanyFilterForm(QueryDict("team=999999"))
    # when / then
    assert good.is_valid() and good.cleaned_data["team"] == team_a
    assert not bad.is_valid() and "team" in bad.errors


def test_fixed_choices_are_shared_between_copies_and_replaced_per_copy():
    # given
    field = CompanyFilterForm.base_fields["prefecture"]
    # when
    first, second = copy.deepcopy(field), copy.deepcopy(field)
    second.choices = [("", "—"), ("東京都", "東京都")]
    # then
    assert first.choices is field.choices
    assert len(first.choices) == 48
    assert second.choices == [("", "—"), ("東京都", "東京都")]
    assert len(field.choices) == 48
    assert first.widget is not field.widget
