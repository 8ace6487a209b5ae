"""The sales module's sections of the global search: deals and leads, through their list selectors."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from daifuku.sales.selectors import deals as deal_selectors
from daifuku.sales.selectors import leads as lead_selectors
from daifuku.web.search_sections import SearchHit, SearchSection, register


def find_deals(user: Any, q: str, limit: int) -> list[SearchHit]:
    deals = deal_selectors.deal_list(user=user, filters=deal_selectors.DealFilters(q=q))[:limit]
    return [
        SearchHit(
            title=deal.name,
            subtitle=f"{deal.company.display_name} · {deal.stage.name} · {deal.owner.display_name}",
            url=reverse("sales:deal_detail", args=[deal.pk]),
        )
        for deal in deals
    ]


def find_leads(user: Any, q: str, limit: int) -> list[SearchHit]:
    leads = lead_selectors.lead_list(user=user, filters=lead_selectors.LeadFilters(q=q))[:limit]
    unassigned = _("未割当")
    return [
        SearchHit(
            title=str(lead),
            subtitle=f"{lead.get_status_display()} · {lead.owner.display_name if lead.owner else unassigned}",
            url=reverse("sales:lead_detail", args=[lead.pk]),
        )
        for lead in leads
    ]


register(SearchSection("deal", _("商談"), find_deals, order=10))
register(SearchSection("lead", _("引合"), find_leads, order=20))
