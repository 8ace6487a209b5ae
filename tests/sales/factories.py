"""factory_boy factories for the sales module and the product catalog (shared by every sales test)."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from daifuku.catalog.models import Product, ProductCategory
from daifuku.core.models import ExchangeRate
from daifuku.sales.models import (
    Competitor,
    Contract,
    Deal,
    DealLine,
    Lead,
    LeadSource,
    Pipeline,
    Quote,
    QuoteLine,
    SalesTarget,
    Stage,
)
from tests.factories import CompanyFactory, UserFactory


def default_pipeline() -> Pipeline:
    """The pipeline seeded by migration sales.0002 (初回接触 … 受注 / 失注)."""
    return Pipeline.objects.get(is_default=True)


def stage_named(name: str, pipeline: Pipeline | None = None) -> Stage:
    return (pipeline or default_pipeline()).stages.get(name=name)


class PipelineFactory(factory.django.DjangoModelFactory):
    """A new pipeline with three open stages, a won and a lost stage."""

    class Meta:
        model = Pipeline
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"パイプライン{n}")
    sort_order = factory.Sequence(lambda n: n + 10)

    @factory.post_generation
    def stages(self, create, extracted, **kwargs):
        if not create:
            return
        spec = extracted or [
            ("リード", 10, False, False),
            ("提案", 50, False, False),
            ("交渉", 80, False, False),
            ("受注", 100, True, False),
            ("失注", 0, False, True),
        ]
        for order, (name, probability, won, lost) in enumerate(spec, start=1):
            Stage.objects.create(
                pipeline=self, name=name, sort_order=order, probability=probability, is_won=won, is_lost=lost
            )


class ProductCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductCategory
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"分類{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    code = factory.Sequence(lambda n: f"P{n:05d}")
    name = factory.Sequence(lambda n: f"業務ソフト{n}")
    unit = "式"
    unit_price = Decimal("100000")
    cost = Decimal("40000")
    tax_category = "standard"


class DealFactory(factory.django.DjangoModelFactory):
    """A deal of ``owner`` in the default pipeline's first stage (owner's team copied, as services do)."""

    class Meta:
        model = Deal

    name = factory.Sequence(lambda n: f"基幹システム更改{n}")
    owner = factory.SubFactory(UserFactory)
    team = factory.LazyAttribute(lambda o: o.owner.team if o.owner else None)
    company = factory.SubFactory(CompanyFactory, owner=factory.SelfAttribute("..owner"))
    pipeline = factory.LazyFunction(default_pipeline)
    stage = factory.LazyAttribute(lambda o: o.pipeline.stages.order_by("sort_order").first())
    probability = factory.LazyAttribute(lambda o: o.stage.probability)
    amount = Decimal("1000000")
    cost = Decimal("400000")
    currency_id = "JPY"
    expected_close_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=30))
    stage_changed_at = factory.LazyFunction(timezone.now)


class DealLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DealLine

    deal = factory.SubFactory(DealFactory)
    description = "導入支援"
    quantity = Decimal("1")
    unit_price = Decimal("100000")


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    source = LeadSource.WEB_FORM
    company_name = factory.Sequence(lambda n: f"引合商事{n}株式会社")
    family_name = "鈴木"
    given_name = factory.Sequence(lambda n: f"次郎{n}")
    email = factory.Sequence(lambda n: f"lead{n}@example.co.jp")
    need = "見積がほしい"
    owner = None
    team = None


class CompetitorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Competitor
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"競合システム{n}")
    strengths = "価格が安い"
    weaknesses = "サポートが弱い"


class QuoteFactory(factory.django.DjangoModelFactory):
    """A draft quote of a deal (number from a factory sequence, not the service's counter)."""

    class Meta:
        model = Quote

    deal = factory.SubFactory(DealFactory)
    number = factory.Sequence(lambda n: f"QF-{n:05d}")
    company = factory.SelfAttribute("deal.company")
    owner = factory.SelfAttribute("deal.owner")
    team = factory.SelfAttribute("deal.team")
    title = factory.SelfAttribute("deal.name")
    currency_id = "JPY"


class QuoteLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuoteLine

    quote = factory.SubFactory(QuoteFactory)
    description = "ライセンス"
    quantity = Decimal("1")
    unit_price = Decimal("105")
    tax_category = "standard"
    tax_rate = Decimal("10")
    amount = factory.LazyAttribute(lambda o: o.quantity * o.unit_price)


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    number = factory.Sequence(lambda n: f"CF-{n:05d}")
    title = factory.Sequence(lambda n: f"保守契約{n}")
    owner = factory.SubFactory(UserFactory)
    team = factory.LazyAttribute(lambda o: o.owner.team if o.owner else None)
    company = factory.SubFactory(CompanyFactory, owner=factory.SelfAttribute("..owner"))
    amount = Decimal("1200000")
    currency_id = "JPY"
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=300))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=65))


class SalesTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesTarget

    month = factory.LazyFunction(lambda: timezone.localdate().replace(day=1))
    amount = Decimal("5000000")


class ExchangeRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExchangeRate
        django_get_or_create = ("currency_id", "date")

    currency_id = "USD"
    date = factory.LazyFunction(timezone.localdate)
    rate = Decimal("150")


class KeyedLeadFactory(LeadFactory):
    """A lead with its 名寄せ keys and search row, as ``lead_create`` stores them."""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from daifuku.core import jp, search
        from daifuku.sales.services import leads  # noqa: F401  (registers the "lead" search type)

        lead = model_class(*args, **kwargs)
        lead.company_name_key = jp.company_name_key(lead.company_name) if lead.company_name else ""
        lead.name_key = jp.person_name_key(lead.family_name, lead.given_name)
        lead.save()
        search.reindex("lead", lead)
        return lead


class LeadAssignmentRuleFactory(factory.django.DjangoModelFactory):
    """A round-robin rule over ``team`` matching every lead (set criteria to narrow it)."""

    class Meta:
        model = "sales.LeadAssignmentRule"

    name = factory.Sequence(lambda n: f"割当ルール{n}")
    sort_order = factory.Sequence(lambda n: n * 10)
    method = "round_robin"


class WebLeadFormFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "sales.WebLeadForm"

    name = factory.Sequence(lambda n: f"お問い合わせフォーム{n}")
    is_active = True


def won_deal(owner, amount, day, *, currency="JPY", cost="0"):
    """A deal of ``owner`` won on ``day`` (forecast tests)."""
    return DealFactory(
        owner=owner,
        stage=stage_named("受注"),
        probability=100,
        amount=Decimal(amount),
        cost=Decimal(cost),
        currency_id=currency,
        closed_on=day,
        expected_close_date=day,
    )


def open_deal(owner, amount, probability, day, *, stage="提案", currency="JPY", cost="0"):
    """An open deal of ``owner`` expected to close on ``day`` (forecast tests)."""
    return DealFactory(
        owner=owner,
        stage=stage_named(stage),
        probability=probability,
        amount=Decimal(amount),
        cost=Decimal(cost),
        currency_id=currency,
        expected_close_date=day,
    )
