from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "daifuku.core"
    label = "core"
    verbose_name = _("基盤")

    def ready(self) -> None:
        from daifuku.core import checks  # noqa: F401  (registers the database checks)
