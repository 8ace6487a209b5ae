"""The visibility matrix: each role (default scopes) × record (own, teammate's, other team's) × operation.

Default scopes (read/edit): administrator all/all; manager team/team; sales_rep team/own;
support_agent, marketing, read_only all/none — the same for companies and contacts.
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from daifuku.core import services as core_services
from daifuku.core.models import AuditEntry, Role, User
from daifuku.customers import selectors, services
from daifuku.customers.models import Company, Contact
from tests.factories import CompanyFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["administrator", "manager", "sales_rep", "support_agent", "marketing", "read_only"]
RECORDS = ["own", "teammate", "other_team"]
# role → (records readable, records editable)
EXPECTED = {
    "administrator": ({"own", "teammate", "other_team"}, {"own", "teammate", "other_team"}),
    "manager": ({"own", "teammate"}, {"own", "teammate"}),
    "sales_rep": ({"own", "teammate"}, {"own"}),
    "support_agent": ({"own", "teammate", "other_team"}, set()),
    "marketing": ({"own", "teammate", "other_team"}, set()),
    "read_only": ({"own", "teammate", "other_team"}, set()),
}
# One distinct word per record so a search can target it; every company name ends in 商事.
WORDS = {"own": "自分", "teammate": "同僚", "other_team": "他部"}


@pytest.fixture(params=ROLES)
def role(request):
    return request.param


@pytest.fixture
def world(role, team_a, team_b):
    actor = UserFactory(username=f"actor_{role}", role=role, team=team_a)
    owners = {
        "own": actor,
        "teammate": UserFactory(username="mate", role="sales_rep", team=team_a),
        "other_team": UserFactory(username="other", role="sales_rep", team=team_b),
    }
    companies = {k: CompanyFactory(name=f"{WORDS[k]}商事", owner=owner) for k, owner in owners.items()}
    contacts = {
        k: ContactFactory(family_name=f"{WORDS[k]}", given_name="花子", company=companies[k], owner=owner)
        for k, owner in owners.items()
    }
    return {"actor": User.objects.get(pk=actor.pk), "companies": companies, "contacts": contacts}


def _readable(role):
    return EXPECTED[role][0]


def _editable(role):
    return EXPECTED[role][1]


# Reads: list, count, get, search


def test_company_list_and_count(world, role):
    # when
    listed = selectors.company_list(user=world["actor"])
    # then
    expected = sorted(world["companies"][k].pk for k in _readable(role))
    assert sorted(c.pk for c in listed) == expected
    assert listed.count() == len(expected)


def test_company_search_finds_only_visible(world, role):
    # when
    common = selectors.company_list(user=world["actor"], filters=selectors.CompanyFilters(q="商事"))
    # then
    assert sorted(c.pk for c in common) == sorted(world["companies"][k].pk for k in _readable(role))
    for kind in RECORDS:
        found = list(
            selectors.company_list(user=world["actor"], filters=selectors.CompanyFilters(q=WORDS[kind]))
        )
        assert found == ([world["companies"][kind]] if kind in _readable(role) else [])


@pytest.mark.parametrize("kind", RECORDS)
def test_company_get(world, role, kind):
    # given
    company = world["companies"][kind]
    # when / then
    if kind in _readable(role):
        assert selectors.company_get(user=world["actor"], pk=company.pk) == company
    else:
        with pytest.raises(Http404):
            selectors.company_get(user=world["actor"], pk=company.pk)


def test_contact_list_count_and_search(world, role):
    # when
    listed = selectors.contact_list(user=world["actor"])
    searched = selectors.contact_list(user=world["actor"], filters=selectors.ContactFilters(q="花子"))
    # then
    expected = sorted(world["contacts"][k].pk for k in _readable(role))
    assert sorted(c.pk for c in listed) == expected
    assert listed.count() == len(expected)
    assert sorted(c.pk for c in searched) == expected
    for kind in RECORDS:
        found = list(
            selectors.contact_list(user=world["actor"], filters=selectors.ContactFilters(q=WORDS[kind]))
        )
        assert found == ([world["contacts"][kind]] if kind in _readable(role) else [])


@pytest.mark.parametrize("kind", RECORDS)
def test_contact_get(world, role, kind):
    # given
    contact = world["contacts"][kind]
    # when / then
    if kind in _readable(role):
        assert selectors.contact_get(user=world["actor"], pk=contact.pk) == contact
    else:
        with pytest.raises(Http404):
            selectors.contact_get(user=world["actor"], pk=contact.pk)


def test_global_search_finds_only_visible(world, role):
    # when
    results = selectors.global_search(user=world["actor"], q="商事")
    # then
    assert sorted(c.pk for c in results.companies) == sorted(
        world["companies"][k].pk for k in _readable(role)
    )
    assert sorted(c.pk for c in results.contacts) == sorted(world["contacts"][k].pk for k in _readable(role))


# Writes: update, create


@pytest.mark.parametrize("kind", RECORDS)
def test_company_update(world, role, kind):
    # given
    company = world["companies"][kind]
    audit_before = AuditEntry.objects.count()
    # when / then
    if kind in _editable(role):
        services.company_update(company=company, by=world["actor"], data={"notes": "更新"}, seen_version=1)
        company.refresh_from_db()
        assert (company.notes, company.version) == ("更新", 2)
        assert AuditEntry.objects.count() == audit_before + 1
    else:
        with pytest.raises(PermissionDenied):
            services.company_update(
                company=company, by=world["actor"], data={"notes": "更新"}, seen_version=1
            )
        company.refresh_from_db()
        assert (company.notes, company.version) == ("", 1)
        assert AuditEntry.objects.count() == audit_before


@pytest.mark.parametrize("kind", RECORDS)
def test_company_delete(world, role, kind):
    # given
    company = world["companies"][kind]
    audit_before = AuditEntry.objects.count()
    # when / then
    if kind in _editable(role):
        services.company_delete(company=company, by=world["actor"])
        company.refresh_from_db()
        assert company.is_deleted
    else:
        with pytest.raises(PermissionDenied):
            services.company_delete(company=company, by=world["actor"])
        company.refresh_from_db()
        assert company.deleted_at is None
        assert AuditEntry.objects.count() == audit_before


@pytest.mark.parametrize("kind", RECORDS)
def test_contact_update(world, role, kind):
    # given
    contact = world["contacts"][kind]
    audit_before = AuditEntry.objects.count()
    # when / then
    if kind in _editable(role):
        services.contact_update(contact=contact, by=world["actor"], data={"title": "部長"}, seen_version=1)
        contact.refresh_from_db()
        assert (contact.title, contact.version) == ("部長", 2)
        assert AuditEntry.objects.count() == audit_before + 1
    else:
        with pytest.raises(PermissionDenied):
            services.contact_update(
                contact=contact, by=world["actor"], data={"title": "部長"}, seen_version=1
            )
        contact.refresh_from_db()
        assert (contact.title, contact.version) == ("", 1)
        assert AuditEntry.objects.count() == audit_before


def test_company_create(world, role):
    # given
    companies_before = Company.objects.count()
    audit_before = AuditEntry.objects.count()
    # when / then
    if _editable(role):
        company = services.company_create(by=world["actor"], data={"name": "新規商事"})
        assert (company.owner, company.team) == (world["actor"], world["actor"].team)
        assert Company.objects.count() == companies_before + 1
    else:
        with pytest.raises(PermissionDenied):
            services.company_create(by=world["actor"], data={"name": "新規商事"})
        assert Company.objects.count() == companies_before
        assert AuditEntry.objects.count() == audit_before


def test_contact_create(world, role):
    # given
    contacts_before = Contact.objects.count()
    # when / then
    if _editable(role):
        services.contact_create(by=world["actor"], data={"family_name": "新人"})
        assert Contact.objects.count() == contacts_before + 1
    else:
        with pytest.raises(PermissionDenied):
            services.contact_create(by=world["actor"], data={"family_name": "新人"})
        assert Contact.objects.count() == contacts_before


def test_create_for_another_team_needs_all_edit_scope(world, role, rep_b):
    # given
    companies_before = Company.objects.count()
    data = {"name": "越境商事", "owner": rep_b.pk, "team": rep_b.team_id}
    # when / then
    if role == "administrator":
        company = services.company_create(by=world["actor"], data=data)
        assert (company.owner, company.team) == (rep_b, rep_b.team)
    else:
        with pytest.raises(PermissionDenied):
            services.company_create(by=world["actor"], data=data)
        assert Company.objects.count() == companies_before


# Scopes changed by an administrator take effect


@pytest.mark.parametrize("role", ["manager"])
def test_manager_limited_to_own_sees_only_own_records(world, admin):
    # given
    manager_role = Role.objects.get(slug="manager")
    # when
    core_services.role_scope_update(
        role=manager_role, object_type="company", read_scope="own", edit_scope="own", by=admin
    )
    core_services.role_scope_update(
        role=manager_role, object_type="contact", read_scope="own", edit_scope="own", by=admin
    )
    # then
    manager = User.objects.get(pk=world["actor"].pk)
    assert list(selectors.company_list(user=manager)) == [world["companies"]["own"]]
    assert list(selectors.contact_list(user=manager)) == [world["contacts"]["own"]]
    with pytest.raises(Http404):
        selectors.company_get(user=manager, pk=world["companies"]["teammate"].pk)
    with pytest.raises(PermissionDenied):
        services.company_update(company=world["companies"]["teammate"], by=manager, data={"notes": "更新"})
    world["companies"]["teammate"].refresh_from_db()
    assert world["companies"]["teammate"].notes == ""
