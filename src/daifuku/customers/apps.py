from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "daifuku.customers"
    label = "customers"
    verbose_name = _("顧客管理")

    def ready(self) -> None:
        from daifuku.customers import services  # noqa: F401  (registers search text)
