from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "daifuku.catalog"
    label = "catalog"
    verbose_name = _("商品")

    def ready(self) -> None:
        from daifuku.catalog import (
            import_targets,  # noqa: F401  (the products import target)
            menu,  # noqa: F401  (nav entries)
            search,  # noqa: F401  (the 商品 section of the global search)
            services,  # noqa: F401  (search registration of products)
        )
