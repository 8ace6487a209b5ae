from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "daifuku.sales"
    label = "sales"
    verbose_name = _("営業支援")

    def ready(self) -> None:
        from daifuku.sales import menu, subscribers  # noqa: F401  (nav entries, event subscribers)
