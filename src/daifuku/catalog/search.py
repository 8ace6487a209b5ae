"""The catalog's section of the global search: products by code, name or reading."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from daifuku.catalog import selectors
from daifuku.web.search_sections import SearchHit, SearchSection, register


def find_products(user: Any, q: str, limit: int) -> list[SearchHit]:
    products = selectors.product_list(user=user, filters=selectors.ProductFilters(q=q))[:limit]
    return [
        SearchHit(
            title=f"{product.code} {product.name}",
            subtitle=f"{product.unit_price:,.{2 if product.unit_price % 1 else 0}f} / {product.unit}",
            url=reverse("catalog:product_detail", args=[product.pk]),
        )
        for product in products
    ]


register(SearchSection("product", _("商品"), find_products, order=30))
