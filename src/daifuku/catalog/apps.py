from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "daifuku.catalog"
    label = "catalog"
    verbose_name = _("商品")

    def ready(self) -> None:
        from daifuku.catalog import menu  # noqa: F401  (nav entries)
