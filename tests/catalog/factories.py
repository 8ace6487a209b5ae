"""Catalog factories: products indexed for search as the services do, price lists and their items."""

from decimal import Decimal

import factory

from daifuku.catalog.models import PriceList, PriceListItem
from daifuku.core import search
from daifuku.core.models import Currency
from tests.sales.factories import ProductFactory


class IndexedProductFactory(ProductFactory):
    """A product with its search row (``catalog.services`` indexes code, name and フリガナ)."""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        product = super()._create(model_class, *args, **kwargs)
        search.reindex("product", product)
        return product


class CurrencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Currency
        django_get_or_create = ("code",)

    code = "GBP"
    name = "英ポンド"
    symbol = "£"
    decimals = 2


class PriceListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceList
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"価格表{n}")
    currency_id = "JPY"
    company_rank = "A"

    @factory.post_generation
    def companies(self, create, extracted, **kwargs):
        if create and extracted:
            self.companies.set(extracted)


class PriceListItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceListItem

    price_list = factory.SubFactory(PriceListFactory)
    product = factory.SubFactory(ProductFactory)
    min_quantity = Decimal(1)
    unit_price = Decimal("90000")
