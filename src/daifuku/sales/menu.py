"""Navigation entries of the sales module (営業 dropdown, 設定 pages) and its company-page panel."""

from django.utils.translation import gettext_lazy as _

from daifuku.customers import panels
from daifuku.web.nav import SETTINGS, NavItem, register

SALES = "sales"

register(NavItem(_("引合"), "sales:lead_list", "sales:lead_", order=31, group=SALES))
register(NavItem(_("商談ボード"), "sales:deal_board", "sales:deal_", order=32, group=SALES))
register(NavItem(_("見積"), "sales:quote_list", "sales:quote_", order=34, group=SALES))
register(NavItem(_("契約"), "sales:contract_list", "sales:contract_", order=36, group=SALES))
register(NavItem(_("売上予測"), "sales:forecast", "sales:forecast", order=37, group=SALES))
register(NavItem(_("競合"), "sales:competitor_list", "sales:competitor_", order=38, group=SALES))

register(
    NavItem(_("パイプライン"), "sales:pipeline_list", "sales:pipeline_", admin_only=True, group=SETTINGS)
)
register(
    NavItem(
        _("引合の割当ルール"), "sales:lead_rule_list", "sales:lead_rule_", admin_only=True, group=SETTINGS
    )
)
register(
    NavItem(
        _("Web引合フォーム"),
        "sales:lead_web_form_list",
        "sales:lead_web_form_",
        admin_only=True,
        group=SETTINGS,
    )
)

# The 商談・契約 section of the company page (sales/views/company.py).
panels.register(panels.CompanyPanel("sales:company_sales_panel", order=10))
