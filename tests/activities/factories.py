"""factory_boy factories for activities (shared by the activity/task and calendar/report test modules)."""

import datetime as dt

import factory
from django.utils import timezone

from daifuku.activities.models import Activity, ActivityKind, DailyReport, Event, Task
from tests.factories import CompanyFactory, UserFactory


class ActivityFactory(factory.django.DjangoModelFactory):
    """An activity logged by ``owner`` (the owner's team is copied, as the service does)."""

    class Meta:
        model = Activity

    kind = ActivityKind.VISIT
    occurred_at = factory.LazyFunction(timezone.now)
    owner = factory.SubFactory(UserFactory)
    team = factory.LazyAttribute(lambda o: o.owner.team if o.owner else None)
    company = factory.SubFactory(CompanyFactory, owner=factory.SelfAttribute("..owner"))
    subject = factory.Sequence(lambda n: f"定例訪問{n}")
    body = "新商品の案内をした。"


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    title = factory.Sequence(lambda n: f"見積書を送る{n}")
    due_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=1))
    owner = factory.SubFactory(UserFactory)
    team = factory.LazyAttribute(lambda o: o.owner.team if o.owner else None)
    created_by = factory.SelfAttribute("owner")
    company = None


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    title = factory.Sequence(lambda n: f"打ち合わせ{n}")
    start_at = factory.LazyFunction(lambda: timezone.now().replace(minute=0, second=0, microsecond=0))
    end_at = factory.LazyAttribute(lambda o: o.start_at + dt.timedelta(hours=1))
    owner = factory.SubFactory(UserFactory)
    team = factory.LazyAttribute(lambda o: o.owner.team if o.owner else None)
    company = None


class DailyReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DailyReport

    author = factory.SubFactory(UserFactory)
    team = factory.LazyAttribute(lambda o: o.author.team if o.author else None)
    date = factory.LazyFunction(timezone.localdate)
