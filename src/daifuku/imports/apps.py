from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "daifuku.imports"
    label = "imports"
    verbose_name = _("インポート・エクスポート")

    def ready(self) -> None:
        from daifuku.imports import targets  # noqa: F401  (registers the company and contact targets)
        from daifuku.web import nav

        nav.register(
            nav.NavItem(label=_("取込"), url_name="imports:job_list", active_prefix="imports:", order=80)
        )
