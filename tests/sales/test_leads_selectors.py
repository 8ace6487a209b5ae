"""Who sees which lead: role scopes of "lead" plus the managers' queue of unassigned leads."""

import pytest
from django.http import Http404

from daifuku.core.services import role_scope_update
from daifuku.sales.selectors import leads as selectors
from tests.factories import UserFactory
from tests.sales.factories import KeyedLeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def leads(rep_a, rep_a2, rep_b):
    return {
        "own": KeyedLeadFactory(owner=rep_a, team=rep_a.team),
        "teammate": KeyedLeadFactory(owner=rep_a2, team=rep_a2.team),
        "other_team": KeyedLeadFactory(owner=rep_b, team=rep_b.team),
        "unassigned": KeyedLeadFactory(),
    }


def _names(leads, queryset):
    ids = set(queryset.values_list("pk", flat=True))
    return sorted(name for name, lead in leads.items() if lead.pk in ids)


@pytest.mark.parametrize(
    ("who", "readable", "editable"),
    [
        (
            "admin",
            ["other_team", "own", "teammate", "unassigned"],
            ["other_team", "own", "teammate", "unassigned"],
        ),
        ("manager_a", ["own", "teammate", "unassigned"], ["own", "teammate", "unassigned"]),
        ("rep_a", ["own", "teammate"], ["own"]),
        ("rep_b", ["other_team"], ["other_team"]),
        ("support", ["other_team", "own", "teammate", "unassigned"], []),
        ("read_only", ["other_team", "own", "teammate", "unassigned"], []),
    ],
)
def test_visibility_matrix(request, leads, team_a, who, readable, editable):
    # given
    if who in ("support", "read_only"):
        role = "support_agent" if who == "support" else "read_only"
        user = UserFactory(username=who, role=role, team=team_a)
    else:
        user = request.getfixturevalue(who)
    # when
    read = selectors.lead_queryset(user=user)
    edit = selectors.lead_queryset(user=user, action="edit")
    # then
    assert _names(leads, read) == readable
    assert _names(leads, edit) == editable


def test_rep_gets_404_for_an_unassigned_lead(leads, rep_a):
    with pytest.raises(Http404):
        selectors.lead_get(user=rep_a, pk=leads["unassigned"].pk)


def test_manager_without_any_lead_scope_sees_no_unassigned_leads(leads, manager_a, admin):
    # given
    role_scope_update(role=manager_a.role, object_type="lead", read_scope="none", edit_scope="none", by=admin)
    # when
    found = selectors.lead_queryset(user=manager_a)
    # then
    assert found.count() == 0


def test_rep_with_an_all_scope_sees_unassigned_leads(leads, rep_a, admin):
    # given
    role_scope_update(role=rep_a.role, object_type="lead", read_scope="all", edit_scope="own", by=admin)
    # when
    found = selectors.lead_queryset(user=rep_a)
    # then
    assert _names(leads, found) == ["other_team", "own", "teammate", "unassigned"]


def test_trashed_leads_are_hidden(leads, admin):
    # given
    leads["own"].deleted_at = leads["own"].created_at
    leads["own"].save(update_fields=["deleted_at"])
    # when
    found = selectors.lead_queryset(user=admin)
    # then
    assert _names(leads, found) == ["other_team", "teammate", "unassigned"]


def test_list_filters_and_search(leads, manager_a):
    # given
    leads["teammate"].status = "working"
    leads["teammate"].save(update_fields=["status"])
    hit = KeyedLeadFactory(
        company_name="株式会社ヤマダ電工", owner=leads["own"].owner, team=leads["own"].team
    )
    # when
    unassigned = selectors.lead_list(user=manager_a, filters=selectors.LeadFilters(unassigned=True))
    working = selectors.lead_list(user=manager_a, filters=selectors.LeadFilters(status="working"))
    searched = selectors.lead_list(user=manager_a, filters=selectors.LeadFilters(q="やまだ"))
    # then
    assert list(unassigned) == [leads["unassigned"]]
    assert list(working) == [leads["teammate"]]
    assert list(searched) == [hit]
