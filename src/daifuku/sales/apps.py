from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "daifuku.sales"
    label = "sales"
    verbose_name = _("営業支援")

    def ready(self) -> None:
        # Nav entries, event subscribers, the deals import target; the services register their search types
        # and notification kinds.
        from daifuku.sales import import_targets, menu, search, subscribers, subscribers_contracts  # noqa: F401
        from daifuku.sales.services import contracts, deals, leads, quotes  # noqa: F401
