"""Navigation entries of the product catalog."""

from django.utils.translation import gettext_lazy as _

from daifuku.web.nav import SETTINGS, NavItem, register

__all__ = ["NavItem", "_", "register"]

# 商品 (products, categories, price lists: "catalog:product_*", "catalog:price_list_*").
register(
    NavItem(
        label=_("商品"), url_name="catalog:product_list", active_prefix="catalog:p", order=70, group="sales"
    )
)
# 通貨・為替レート: a settings page of administrators.
register(
    NavItem(
        label=_("通貨・為替"),
        url_name="catalog:currency_list",
        active_prefix="catalog:currency_",
        order=95,
        admin_only=True,
        group=SETTINGS,
    )
)
