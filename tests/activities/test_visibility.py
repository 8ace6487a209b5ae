"""Who reads and changes which activities and tasks: roles × own / same team / other team."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from daifuku.activities import selectors, services
from tests.activities.factories import ActivityFactory, TaskFactory
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

# role → (read own, read team, read other team), (edit own, edit team, edit other team)
EXPECTED = {
    "administrator": ((True, True, True), (True, True, True)),
    "manager": ((True, True, False), (True, True, False)),
    "sales_rep": ((True, True, False), (True, False, False)),
    "support_agent": ((True, True, True), (True, False, False)),
    "marketing": ((True, True, True), (True, False, False)),
    "read_only": ((True, True, True), (False, False, False)),
}


@pytest.fixture
def world(db):
    team, other_team = TeamFactory(name="東京"), TeamFactory(name="大阪")
    colleague = UserFactory(role="sales_rep", team=team)
    stranger = UserFactory(role="sales_rep", team=other_team)
    return team, colleague, stranger


@pytest.mark.parametrize("role", sorted(EXPECTED))
@pytest.mark.parametrize("kind", ["activity", "task"])
def test_read_and_edit_scopes(world, role, kind):
    # given
    team, colleague, stranger = world
    user = UserFactory(role=role, team=team)
    factory = ActivityFactory if kind == "activity" else TaskFactory
    records = [factory(owner=user), factory(owner=colleague), factory(owner=stranger)]
    get = selectors.activity_get if kind == "activity" else selectors.task_get
    listed = selectors.activity_list if kind == "activity" else selectors.task_list
    # when
    readable = []
    for record in records:
        try:
            get(user=user, pk=record.pk)
            readable.append(True)
        except Http404:
            readable.append(False)
    visible_ids = set(listed(user=user).values_list("pk", flat=True))
    editable = []
    for record in records:
        try:
            if kind == "activity":
                services.activity_update(activity=record, by=user, data={"subject": "変更"})
            else:
                services.task_update(task=record, by=user, data={"title": "変更"})
            editable.append(True)
        except PermissionDenied:
            editable.append(False)
    # then
    expected_read, expected_edit = EXPECTED[role]
    assert tuple(readable) == expected_read
    assert visible_ids == {r.pk for r, ok in zip(records, expected_read, strict=True) if ok}
    assert tuple(editable) == expected_edit
    unchanged = [r for r, ok in zip(records, expected_edit, strict=True) if not ok]
    for record in unchanged:
        record.refresh_from_db()
        assert getattr(record, "subject" if kind == "activity" else "title") != "変更"
