from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "daifuku.activities"
    label = "activities"
    verbose_name = _("活動")

    def ready(self) -> None:
        from daifuku.activities import import_targets, menu, subscribers  # noqa: F401  (import target, nav, events)
